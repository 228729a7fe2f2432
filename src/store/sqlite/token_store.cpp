#include "store/sqlite/token_store.h"

#include "store/sqlite/change_feed.h"

namespace cloakroom::sqlite {
namespace {

constexpr char kColumns[] =
    "id, user_id, chain_key, current_hash, generation, created_ms, rotated_ms, expires_ms, ip, user_agent, remember, "
    "amr, auth_time_ms";
constexpr auto kInsert = sql("INSERT INTO refresh_families (", kColumns,
                             ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
constexpr auto kFind = sql("SELECT ", kColumns, " FROM refresh_families WHERE id = ?1");
// One statement reads one snapshot: the family and its user's epoch as of one moment.
constexpr auto kFindWithEpoch =
    sql("SELECT ", kColumns, ", coalesce((SELECT epoch FROM token_epochs WHERE token_epochs.user_id = "
        "refresh_families.user_id), 0) FROM refresh_families WHERE id = ?1");
constexpr auto kLiveOfUser =
    sql("SELECT ", kColumns, " FROM refresh_families WHERE user_id = ?1 AND expires_ms > ?2 ORDER BY created_ms");
constexpr auto kLive = sql("SELECT ", kColumns, " FROM refresh_families WHERE expires_ms > ?1 ORDER BY created_ms");

RefreshFamilyRecord read_family(const Statement& st) {
  return RefreshFamilyRecord{st.text(0),    st.text(1),    st.text(2),    st.text(3),
                             st.integer(4), st.integer(5), st.integer(6), st.integer(7),
                             st.text(8),    st.text(9),    st.boolean(10), AuthMethods::parse(st.text(11)),
                             st.integer(12)};
}

std::string_view kind_name(Revocation::Kind k) { return k == Revocation::Kind::token ? "jti" : "sid"; }

// Denies and records the change feed entry; inside the caller's transaction.
Result<void> insert_denial(Connection& c, const Revocation& r) {
  // A repeat keeps the later deadline.
  auto denied = c.exec(
      "INSERT INTO denylist (kind, id, until_ms) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (kind, id) DO UPDATE SET until_ms = max(until_ms, excluded.until_ms)",
      kind_name(r.kind), r.id, r.until_ms);
  if (!denied) return denied.error();
  return record_change(c, r.kind == Revocation::Kind::token ? Change::Kind::token_denied : Change::Kind::family_revoked,
                       r.id, r.until_ms);
}

// Raises the user's epoch and records it; inside the caller's transaction. The new epoch.
Result<long long> raise_epoch(Connection& c, const std::string& user_id) {
  auto e = c.one(
      "INSERT INTO token_epochs (user_id, epoch) VALUES (?1, 1) "
      "ON CONFLICT (user_id) DO UPDATE SET epoch = epoch + 1 RETURNING epoch",
      [](const Statement& row) { return row.integer(0); }, user_id);
  if (!e && e.error().code == ErrorCode::not_found) return Error{ErrorCode::internal, "epoch upsert returned no row"};
  if (!e) return e.error();
  if (auto recorded = record_change(c, Change::Kind::epoch_raised, user_id, *e); !recorded) return recorded.error();
  return e;
}

}  // namespace

Result<void> TokenStore::create_family(const RefreshFamilyRecord& f) {
  auto inserted = db_->run([&](Connection& c) {
    return c.exec(kInsert, f.id, f.user_id, Blob{f.chain_key}, Blob{f.current_hash}, f.generation, f.created_ms,
                  f.rotated_ms, f.expires_ms, f.ip, f.user_agent, f.remember, f.amr.text(), f.auth_time_ms);
  });
  // Ids are 128 random bits: a clash is a broken generator, not a user error.
  if (!inserted && inserted.error().code == ErrorCode::conflict)
    return Error{ErrorCode::internal, "refresh family id collision"};
  return done(inserted);
}

Result<RefreshFamilyRecord> TokenStore::find_family(const std::string& id) {
  return db_->run([&](Connection& c) { return c.one(kFind, read_family, id); });
}

Result<FamilyAndEpoch> TokenStore::find_family_and_epoch(const std::string& id) {
  return db_->run([&](Connection& c) {
    return c.one(kFindWithEpoch, [](const Statement& st) { return FamilyAndEpoch{read_family(st), st.integer(13)}; }, id);
  });
}

Result<bool> TokenStore::rotate_family(const std::string& id, long long from_generation, const std::string& next_hash,
                                       long long now_ms, long long expires_ms) {
  // The generation in the WHERE clause makes this a compare-and-swap:
  // of two concurrent rotations of one token, exactly one changes a row.
  auto rotated = db_->run([&](Connection& c) {
    return c.exec(
        "UPDATE refresh_families SET generation = generation + 1, current_hash = ?1, rotated_ms = ?2, "
        "expires_ms = ?3 WHERE id = ?4 AND generation = ?5",
        Blob{next_hash}, now_ms, expires_ms, id, from_generation);
  });
  if (!rotated) return rotated.error();
  return *rotated == 1;
}

Result<std::vector<RefreshFamilyRecord>> TokenStore::list_user_families(const std::string& user_id, long long now_ms) {
  return db_->run([&](Connection& c) { return c.query(kLiveOfUser, read_family, user_id, now_ms); });
}

Result<std::vector<RefreshFamilyRecord>> TokenStore::list_active_families(long long now_ms) {
  return db_->run([&](Connection& c) { return c.query(kLive, read_family, now_ms); });
}

Result<bool> TokenStore::revoke_family(const std::string& id, long long until_ms) {
  bool existed = false;
  auto r = db_->transaction([&](Connection& c) -> Result<void> {
    auto removed = c.exec("DELETE FROM refresh_families WHERE id = ?1", id);
    if (!removed) return removed.error();
    existed = *removed > 0;
    return insert_denial(c, Revocation{Revocation::Kind::family, id, until_ms});
  });
  if (!r) return r.error();
  return existed;
}

Result<bool> TokenStore::revoke_family(const std::string& id, const std::string& user_id, long long now_ms,
                                       long long until_ms) {
  bool owned = false;
  auto r = db_->transaction([&](Connection& c) -> Result<void> {
    auto removed =
        c.exec("DELETE FROM refresh_families WHERE id = ?1 AND user_id = ?2 AND expires_ms > ?3", id, user_id, now_ms);
    if (!removed) return removed.error();
    owned = *removed > 0;
    // Not the caller's: deny nothing, or anyone could end another's tokens by id.
    if (!owned) return {};
    return insert_denial(c, Revocation{Revocation::Kind::family, id, until_ms});
  });
  if (!r) return r.error();
  return owned;
}

Result<EndedFamilies> TokenStore::end_user_families(const std::string& user_id, const std::string& keep) {
  EndedFamilies ended;
  auto r = db_->transaction([&](Connection& c) -> Result<void> {
    auto epoch = raise_epoch(c, user_id);
    if (!epoch) return epoch.error();
    auto ids = c.query("DELETE FROM refresh_families WHERE user_id = ?1 AND id <> ?2 RETURNING id",
                       [](const Statement& row) { return row.text(0); }, user_id, keep);
    if (!ids) return ids.error();
    ended = EndedFamilies{*epoch, std::move(*ids)};
    return {};
  });
  if (!r) return r.error();
  return ended;
}

Result<void> TokenStore::deny(const Revocation& revocation) {
  return db_->transaction([&](Connection& c) { return insert_denial(c, revocation); });
}

Result<std::vector<Revocation>> TokenStore::load_denylist(long long now_ms) {
  return db_->run([&](Connection& c) {
    return c.query("SELECT kind, id, until_ms FROM denylist WHERE until_ms > ?1",
                   [](const Statement& row) {
                     auto kind = row.text(0) == kind_name(Revocation::Kind::token) ? Revocation::Kind::token
                                                                                   : Revocation::Kind::family;
                     return Revocation{kind, row.text(1), row.integer(2)};
                   },
                   now_ms);
  });
}

Result<long long> TokenStore::bump_epoch(const std::string& user_id) {
  long long epoch = 0;
  auto r = db_->transaction([&](Connection& c) -> Result<void> {
    auto e = raise_epoch(c, user_id);
    if (!e) return e.error();
    epoch = *e;
    return {};
  });
  if (!r) return r.error();
  return epoch;
}

Result<long long> TokenStore::epoch(const std::string& user_id) {
  auto e = db_->run([&](Connection& c) {
    return c.one("SELECT epoch FROM token_epochs WHERE user_id = ?1", [](const Statement& row) { return row.integer(0); },
                 user_id);
  });
  if (!e && e.error().code == ErrorCode::not_found) return 0;  // never bumped
  return e;
}

Result<std::vector<std::pair<std::string, long long>>> TokenStore::load_epochs() {
  return db_->run([&](Connection& c) {
    return c.query("SELECT user_id, epoch FROM token_epochs",
                   [](const Statement& row) { return std::make_pair(row.text(0), row.integer(1)); });
  });
}

Result<std::size_t> TokenStore::purge_expired(long long now_ms) {
  std::size_t n = 0;
  auto r = db_->transaction([&](Connection& c) -> Result<void> {
    for (const char* statement :
         {"DELETE FROM refresh_families WHERE expires_ms <= ?1", "DELETE FROM denylist WHERE until_ms <= ?1"}) {
      auto removed = c.exec(statement, now_ms);
      if (!removed) return removed.error();
      n += static_cast<std::size_t>(*removed);
    }
    return {};
  });
  if (!r) return r.error();
  return n;
}

}  // namespace cloakroom::sqlite
