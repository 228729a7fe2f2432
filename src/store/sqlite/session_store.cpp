#include "store/sqlite/session_store.h"

#include "store/sqlite/change_feed.h"

namespace cloakroom::sqlite {
namespace {

constexpr char kColumns[] =
    "id, secret_hash, user_id, created_ms, last_seen_ms, expires_ms, ip, user_agent, remember, amr, auth_time_ms";
constexpr auto kInsert =
    sql("INSERT INTO sessions (", kColumns, ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
constexpr auto kFind = sql("SELECT ", kColumns, " FROM sessions WHERE id = ?1");
// ?2 and ?3: the idle cutoffs of plain and remembered sessions.
constexpr auto kActive = sql("SELECT ", kColumns, " FROM sessions WHERE expires_ms > ?1 AND ",
                             "last_seen_ms > CASE WHEN remember THEN ?3 ELSE ?2 END");
constexpr auto kOfUser = sql("SELECT ", kColumns, " FROM sessions WHERE user_id = ?1 ORDER BY created_ms");

SessionRecord read_session(const Statement& st) {
  return SessionRecord{st.text(0),    st.text(1), st.text(2), st.integer(3), st.integer(4),
                       st.integer(5), st.text(6), st.text(7), st.boolean(8), AuthMethods::parse(st.text(9)),
                       st.integer(10)};
}

}  // namespace

Result<void> SessionStore::create(const SessionRecord& r) {
  auto inserted = db_->run([&](Connection& c) {
    return c.exec(kInsert, r.id, Blob{r.secret_hash}, r.user_id, r.created_ms, r.last_seen_ms, r.expires_ms, r.ip,
                  r.user_agent, r.remember, r.amr.text(), r.auth_time_ms);
  });
  // Ids are 128 random bits: a clash is a broken generator, not a user error.
  if (!inserted && inserted.error().code == ErrorCode::conflict) return Error{ErrorCode::internal, "session id collision"};
  return done(inserted);
}

Result<SessionRecord> SessionStore::find(const std::string& id) {
  return db_->run([&](Connection& c) { return c.one(kFind, read_session, id); });
}

Result<std::vector<SessionRecord>> SessionStore::load_active(long long now_ms, const IdleBounds& idle) {
  return db_->run([&](Connection& c) {
    return c.query(kActive, read_session, now_ms, now_ms - idle.plain_ms, now_ms - idle.remembered_ms);
  });
}

Result<std::vector<SessionRecord>> SessionStore::list_user(const std::string& user_id) {
  return db_->run([&](Connection& c) { return c.query(kOfUser, read_session, user_id); });
}

Result<void> SessionStore::touch(const std::vector<SessionTouch>& touches) {
  if (touches.empty()) return {};
  return db_->transaction([&](Connection& c) -> Result<void> {
    for (const auto& t : touches)
      if (auto r = c.exec("UPDATE sessions SET last_seen_ms = max(last_seen_ms, ?1) WHERE id = ?2", t.last_seen_ms, t.id);
          !r)
        return r.error();
    return {};
  });
}

// Removes the rows `statement` matches and records each change, in one transaction.
Result<bool> SessionStore::remove_where(const char* statement, const std::string& id, const std::string* user_id) {
  bool removed = false;
  auto r = db_->transaction([&](Connection& c) -> Result<void> {
    auto n = user_id ? c.exec(statement, id, *user_id) : c.exec(statement, id);
    if (!n) return n.error();
    removed = *n > 0;
    if (!removed) return {};
    return record_change(c, Change::Kind::session_revoked, id);
  });
  if (!r) return r.error();
  return removed;
}

Result<bool> SessionStore::remove(const std::string& id) {
  return remove_where("DELETE FROM sessions WHERE id = ?1", id, nullptr);
}

Result<bool> SessionStore::remove(const std::string& id, const std::string& user_id) {
  return remove_where("DELETE FROM sessions WHERE id = ?1 AND user_id = ?2", id, &user_id);
}

Result<std::vector<std::string>> SessionStore::remove_user(const std::string& user_id, const std::string& keep) {
  std::vector<std::string> ids;
  auto r = db_->transaction([&](Connection& c) -> Result<void> {
    auto removed = c.query("DELETE FROM sessions WHERE user_id = ?1 AND id <> ?2 RETURNING id",
                           [](const Statement& row) { return row.text(0); }, user_id, keep);
    if (!removed) return removed.error();
    ids = std::move(*removed);
    // Recorded even when nothing was stored: a cache may still hold one.
    return record_change(c, Change::Kind::user_sessions_revoked, user_id);
  });
  if (!r) return r.error();
  return ids;
}

Result<std::size_t> SessionStore::purge_expired(long long now_ms, const IdleBounds& idle) {
  auto purged = db_->run([&](Connection& c) {
    return c.exec("DELETE FROM sessions WHERE expires_ms <= ?1 OR last_seen_ms <= CASE WHEN remember THEN ?3 ELSE ?2 END",
                  now_ms, now_ms - idle.plain_ms, now_ms - idle.remembered_ms);
  });
  if (!purged) return purged.error();
  return static_cast<std::size_t>(*purged);
}

}  // namespace cloakroom::sqlite
