#include "store/postgres/key_store.h"

#include "store/postgres/change_feed.h"

namespace cloakroom::postgres {
namespace {

// Bytes travel as hex text (decode($1, 'hex') / encode(sealed, 'hex')): the
// client binds text only, and a sealed blob holds NUL bytes.
std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0x0F];
  }
  return out;
}

int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// PostgreSQL's own lowercase hex; anything else is not what we stored.
Result<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return Error{ErrorCode::internal, "The stored signing keys are not hex."};
  std::string out(hex.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return Error{ErrorCode::internal, "The stored signing keys are not hex."};
    out[i] = static_cast<char>(hi << 4 | lo);
  }
  return out;
}

struct Stored {
  long long version;
  std::string hex;
};
Stored read_stored(const Row& row) { return Stored{row.integer(0), row.text(1)}; }

Result<SealedKeys> unhexed(const Result<Stored>& stored) {
  if (!stored) return stored.error();
  auto bytes = from_hex(stored->hex);
  if (!bytes) return bytes.error();
  return SealedKeys{stored->version, std::move(*bytes)};
}

constexpr char kSelect[] = "SELECT version, encode(sealed, 'hex') FROM cloakroom_signing_keys";
constexpr char kSelectForUpdate[] = "SELECT version, encode(sealed, 'hex') FROM cloakroom_signing_keys FOR UPDATE";

}  // namespace

Result<SealedKeys> KeyStore::load() {
  return unhexed(db_->run([](Connection& c) { return c.one(kSelect, read_stored); }));
}

Result<long long> KeyStore::version() {
  auto v = db_->run([](Connection& c) {
    return c.one("SELECT version FROM cloakroom_signing_keys", [](const Row& r) { return r.integer(0); });
  });
  if (!v && v.error().code == ErrorCode::not_found) return 0LL;
  return v;
}

Result<SealedKeys> KeyStore::create(const std::string& sealed) {
  // The one row's primary key makes a second first start a no-op: every
  // node then reads, and uses, the set the first one stored.
  auto inserted = db_->run([&](Connection& c) {
    return c.exec("INSERT INTO cloakroom_signing_keys (version, sealed) VALUES (1, decode($1, 'hex')) ON CONFLICT DO NOTHING",
                  to_hex(sealed));
  });
  if (!inserted) return inserted.error();
  return load();
}

Result<SealedKeys> KeyStore::update(const std::function<Result<std::string>(const SealedKeys&)>& change) {
  SealedKeys next;
  auto written = db_->transaction([&](Connection& c) -> Result<void> {
    // FOR UPDATE: a second `cloakroom key` command waits here instead of losing its change or ours.
    auto now = unhexed(c.one(kSelectForUpdate, read_stored));
    if (!now) return now.error();
    auto sealed = change(*now);
    if (!sealed) return sealed.error();
    next = SealedKeys{now->version + 1, std::move(*sealed)};
    auto updated = c.exec("UPDATE cloakroom_signing_keys SET sealed = decode($1, 'hex'), version = $2, updated_at = now()",
                          to_hex(next.sealed), next.version);
    if (!updated) return updated.error();
    return record_change(c, Change::Kind::keys_changed, "");
  });
  if (!written) return written.error();
  return next;
}

}  // namespace cloakroom::postgres
