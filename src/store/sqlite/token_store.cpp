#include "store/sqlite/token_store.h"

namespace cloakroom::sqlite {
namespace {

#define FAMILY_COLUMNS \
  "id, user_id, chain_key, current_hash, generation, created_ms, rotated_ms, expires_ms, ip, user_agent, remember"

RefreshFamilyRecord read_family(const Statement& st) {
  return RefreshFamilyRecord{st.text(0),    st.text(1),    st.text(2), st.text(3),
                             st.integer(4), st.integer(5), st.integer(6), st.integer(7),
                             st.text(8),    st.text(9),    st.integer(10) != 0};
}

std::string_view kind_name(Revocation::Kind k) { return k == Revocation::Kind::token ? "jti" : "sid"; }

// Runs a statement that returns no rows.
Result<void> done(Statement& st) {
  if (auto r = st.step(); !r) return r.error();
  return {};
}

Result<void> insert_denial(Connection& c, const Revocation& r) {
  // A repeat keeps the later deadline.
  auto st = c.prepare(
      "INSERT INTO denylist (kind, id, until_ms) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (kind, id) DO UPDATE SET until_ms = max(until_ms, excluded.until_ms)");
  st.bind(1, kind_name(r.kind));
  st.bind(2, r.id);
  st.bind(3, r.until_ms);
  return done(st);
}

}  // namespace

Result<void> TokenStore::create_family(const RefreshFamilyRecord& f) {
  return db_->run([&](Connection& c) -> Result<void> {
    auto st = c.prepare("INSERT INTO refresh_families (" FAMILY_COLUMNS
                        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
    st.bind(1, f.id);
    st.bind(2, f.user_id);
    st.bind_blob(3, f.chain_key);
    st.bind_blob(4, f.current_hash);
    st.bind(5, f.generation);
    st.bind(6, f.created_ms);
    st.bind(7, f.rotated_ms);
    st.bind(8, f.expires_ms);
    st.bind(9, f.ip);
    st.bind(10, f.user_agent);
    st.bind(11, static_cast<long long>(f.remember));
    auto r = st.step();
    if (!r) {
      if (r.error().code == ErrorCode::username_taken) return Error{ErrorCode::internal, "refresh family id collision"};
      return r.error();
    }
    return {};
  });
}

Result<RefreshFamilyRecord> TokenStore::find_family(const std::string& id) {
  return db_->run([&](Connection& c) -> Result<RefreshFamilyRecord> {
    auto st = c.prepare("SELECT " FAMILY_COLUMNS " FROM refresh_families WHERE id = ?1");
    st.bind(1, id);
    auto row = st.step();
    if (!row) return row.error();
    if (!*row) return ErrorCode::not_found;
    return read_family(st);
  });
}

Result<bool> TokenStore::rotate_family(const std::string& id, long long from_generation, const std::string& next_hash,
                                       long long now_ms, long long expires_ms) {
  return db_->run([&](Connection& c) -> Result<bool> {
    // The generation in the WHERE clause makes this a compare-and-swap:
    // of two concurrent rotations of one token, exactly one changes a row.
    auto st = c.prepare(
        "UPDATE refresh_families SET generation = generation + 1, current_hash = ?1, rotated_ms = ?2, "
        "expires_ms = ?3 WHERE id = ?4 AND generation = ?5");
    st.bind_blob(1, next_hash);
    st.bind(2, now_ms);
    st.bind(3, expires_ms);
    st.bind(4, id);
    st.bind(5, from_generation);
    if (auto r = done(st); !r) return r.error();
    return c.changes() == 1;
  });
}

Result<std::vector<RefreshFamilyRecord>> TokenStore::list_user_families(const std::string& user_id, long long now_ms) {
  return db_->run([&](Connection& c) -> Result<std::vector<RefreshFamilyRecord>> {
    auto st = c.prepare("SELECT " FAMILY_COLUMNS
                        " FROM refresh_families WHERE user_id = ?1 AND expires_ms > ?2 ORDER BY created_ms");
    st.bind(1, user_id);
    st.bind(2, now_ms);
    return st.collect([](const Statement& row) { return read_family(row); });
  });
}

Result<std::vector<RefreshFamilyRecord>> TokenStore::list_active_families(long long now_ms) {
  return db_->run([&](Connection& c) -> Result<std::vector<RefreshFamilyRecord>> {
    auto st = c.prepare("SELECT " FAMILY_COLUMNS " FROM refresh_families WHERE expires_ms > ?1 ORDER BY created_ms");
    st.bind(1, now_ms);
    return st.collect([](const Statement& row) { return read_family(row); });
  });
}

Result<bool> TokenStore::revoke_family(const std::string& id, long long until_ms) {
  bool existed = false;
  auto r = db_->transaction([&](Connection& c) -> Result<void> {
    auto st = c.prepare("DELETE FROM refresh_families WHERE id = ?1");
    st.bind(1, id);
    if (auto d = done(st); !d) return d;
    existed = c.changes() > 0;
    return insert_denial(c, Revocation{Revocation::Kind::family, id, until_ms});
  });
  if (!r) return r.error();
  return existed;
}

Result<std::vector<std::string>> TokenStore::remove_user_families(const std::string& user_id) {
  std::vector<std::string> ids;
  auto r = db_->transaction([&](Connection& c) -> Result<void> {
    auto st = c.prepare("DELETE FROM refresh_families WHERE user_id = ?1 RETURNING id");
    st.bind(1, user_id);
    auto removed = st.collect([](const Statement& row) { return row.text(0); });
    if (!removed) return removed.error();
    ids = std::move(*removed);
    return {};
  });
  if (!r) return r.error();
  return ids;
}

Result<void> TokenStore::deny(const Revocation& revocation) {
  return db_->run([&](Connection& c) { return insert_denial(c, revocation); });
}

Result<std::vector<Revocation>> TokenStore::load_denylist(long long now_ms) {
  return db_->run([&](Connection& c) -> Result<std::vector<Revocation>> {
    auto st = c.prepare("SELECT kind, id, until_ms FROM denylist WHERE until_ms > ?1");
    st.bind(1, now_ms);
    return st.collect([](const Statement& row) {
      auto kind = row.text(0) == kind_name(Revocation::Kind::token) ? Revocation::Kind::token : Revocation::Kind::family;
      return Revocation{kind, row.text(1), row.integer(2)};
    });
  });
}

Result<long long> TokenStore::bump_epoch(const std::string& user_id) {
  return db_->run([&](Connection& c) -> Result<long long> {
    auto st = c.prepare(
        "INSERT INTO token_epochs (user_id, epoch) VALUES (?1, 1) "
        "ON CONFLICT (user_id) DO UPDATE SET epoch = epoch + 1 RETURNING epoch");
    st.bind(1, user_id);
    auto row = st.step();
    if (!row) return row.error();
    if (!*row) return Error{ErrorCode::internal, "epoch upsert returned no row"};
    long long e = st.integer(0);
    if (auto rest = st.step(); !rest) return rest.error();  // finish the statement so it commits
    return e;
  });
}

Result<long long> TokenStore::epoch(const std::string& user_id) {
  return db_->run([&](Connection& c) -> Result<long long> {
    auto st = c.prepare("SELECT epoch FROM token_epochs WHERE user_id = ?1");
    st.bind(1, user_id);
    auto row = st.step();
    if (!row) return row.error();
    return *row ? st.integer(0) : 0;
  });
}

Result<std::vector<std::pair<std::string, long long>>> TokenStore::load_epochs() {
  return db_->run([&](Connection& c) -> Result<std::vector<std::pair<std::string, long long>>> {
    auto st = c.prepare("SELECT user_id, epoch FROM token_epochs");
    return st.collect([](const Statement& row) { return std::make_pair(row.text(0), row.integer(1)); });
  });
}

Result<std::size_t> TokenStore::purge_expired(long long now_ms) {
  std::size_t n = 0;
  auto r = db_->transaction([&](Connection& c) -> Result<void> {
    auto families = c.prepare("DELETE FROM refresh_families WHERE expires_ms <= ?1");
    families.bind(1, now_ms);
    if (auto d = done(families); !d) return d;
    n += static_cast<std::size_t>(c.changes());
    auto denials = c.prepare("DELETE FROM denylist WHERE until_ms <= ?1");
    denials.bind(1, now_ms);
    if (auto d = done(denials); !d) return d;
    n += static_cast<std::size_t>(c.changes());
    return {};
  });
  if (!r) return r.error();
  return n;
}

}  // namespace cloakroom::sqlite
