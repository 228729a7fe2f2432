#include "store/postgres/key_store.h"

#include "store/postgres/change_feed.h"

namespace cloakroom::postgres {
namespace {

struct Stored {
  long long version;
  std::string hex;
};
Stored read_stored(const Row& row) { return Stored{row.integer(0), row.text(1)}; }

Result<SealedKeys> unhexed(const Result<Stored>& stored) {
  if (!stored) return stored.error();
  auto bytes = from_hex(stored->hex);
  if (!bytes) return Error{ErrorCode::internal, "The stored signing keys are not hex."};
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
