#include "store/sqlite/session_store.h"

#include <optional>

namespace cloakroom::sqlite {
namespace {

constexpr char kColumns[] = "id, secret_hash, user_id, created_ms, last_seen_ms, expires_ms, ip, user_agent, remember";
constexpr auto kInsert = sql("INSERT INTO sessions (", kColumns, ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
constexpr auto kFind = sql("SELECT ", kColumns, " FROM sessions WHERE id = ?1");
constexpr auto kActive = sql("SELECT ", kColumns, " FROM sessions WHERE expires_ms > ?1 AND last_seen_ms > ?2");
constexpr auto kOfUser = sql("SELECT ", kColumns, " FROM sessions WHERE user_id = ?1 ORDER BY created_ms");

SessionRecord read_session(const Statement& st) {
  return SessionRecord{st.text(0),    st.text(1), st.text(2), st.integer(3), st.integer(4),
                       st.integer(5), st.text(6), st.text(7), st.boolean(8)};
}

std::string_view kind_name(StoreEvent::Kind k) {
  switch (k) {
    case StoreEvent::Kind::session_revoked: return "session_revoked";
    case StoreEvent::Kind::user_sessions_revoked: return "user_sessions_revoked";
    case StoreEvent::Kind::user_changed: return "user_changed";
    case StoreEvent::Kind::family_revoked: return "family_revoked";
  }
  return "";
}

std::optional<StoreEvent::Kind> kind_of(std::string_view s) {
  for (auto k : {StoreEvent::Kind::session_revoked, StoreEvent::Kind::user_sessions_revoked,
                 StoreEvent::Kind::user_changed, StoreEvent::Kind::family_revoked})
    if (kind_name(k) == s) return k;
  return std::nullopt;
}

}  // namespace

Result<void> SessionStore::create(const SessionRecord& r) {
  auto inserted = db_->run([&](Connection& c) {
    return c.exec(kInsert, r.id, Blob{r.secret_hash}, r.user_id, r.created_ms, r.last_seen_ms, r.expires_ms, r.ip,
                  r.user_agent, r.remember);
  });
  // Ids are 128 random bits: a clash is a broken generator, not a user error.
  if (!inserted && inserted.error().code == ErrorCode::conflict) return Error{ErrorCode::internal, "session id collision"};
  return done(inserted);
}

Result<SessionRecord> SessionStore::find(const std::string& id) {
  return db_->run([&](Connection& c) { return c.one(kFind, read_session, id); });
}

Result<std::vector<SessionRecord>> SessionStore::load_active(long long now_ms, long long idle_ms) {
  return db_->run([&](Connection& c) { return c.query(kActive, read_session, now_ms, now_ms - idle_ms); });
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

Result<bool> SessionStore::remove(const std::string& id) {
  auto removed = db_->run([&](Connection& c) { return c.exec("DELETE FROM sessions WHERE id = ?1", id); });
  if (!removed) return removed.error();
  return *removed > 0;
}

Result<bool> SessionStore::remove(const std::string& id, const std::string& user_id) {
  auto removed =
      db_->run([&](Connection& c) { return c.exec("DELETE FROM sessions WHERE id = ?1 AND user_id = ?2", id, user_id); });
  if (!removed) return removed.error();
  return *removed > 0;
}

Result<std::vector<std::string>> SessionStore::remove_user(const std::string& user_id) {
  // One statement is atomic on its own: no transaction needed.
  return db_->run([&](Connection& c) {
    return c.query("DELETE FROM sessions WHERE user_id = ?1 RETURNING id", [](const Statement& row) { return row.text(0); },
                   user_id);
  });
}

Result<std::size_t> SessionStore::purge_expired(long long now_ms, long long idle_ms) {
  auto purged = db_->run([&](Connection& c) {
    return c.exec("DELETE FROM sessions WHERE expires_ms <= ?1 OR last_seen_ms <= ?2", now_ms, now_ms - idle_ms);
  });
  if (!purged) return purged.error();
  return static_cast<std::size_t>(*purged);
}

Result<void> EventLog::append(StoreEvent::Kind kind, const std::string& subject, long long now_ms) {
  return db_->run([&](Connection& c) {
    return done(c.exec("INSERT INTO events (kind, subject, created_ms) VALUES (?1, ?2, ?3)", kind_name(kind), subject,
                       now_ms));
  });
}

Result<std::vector<StoreEvent>> EventLog::since(long long after) {
  auto rows = db_->run([&](Connection& c) {
    // Why: bounded batches; the poller comes back for the rest.
    return c.query("SELECT seq, kind, subject FROM events WHERE seq > ?1 ORDER BY seq LIMIT 1000",
                   [](const Statement& row) -> std::optional<StoreEvent> {
                     auto kind = kind_of(row.text(1));
                     if (!kind) return std::nullopt;  // written by a newer cloakroom: not ours to replay
                     return StoreEvent{row.integer(0), *kind, row.text(2)};
                   },
                   after);
  });
  if (!rows) return rows.error();
  std::vector<StoreEvent> out;
  for (auto& event : *rows)
    if (event) out.push_back(std::move(*event));
  return out;
}

Result<long long> EventLog::last_seq() {
  return db_->run([&](Connection& c) {
    return c.one("SELECT coalesce(max(seq), 0) FROM events", [](const Statement& row) { return row.integer(0); });
  });
}

Result<bool> EventLog::changed() {
  // Why a short wait: this runs every few milliseconds; a busy database
  // only delays the answer to the next tick.
  auto version = db_->run(
      [](Connection& c) { return c.one("PRAGMA data_version", [](const Statement& st) { return st.integer(0); }); },
      std::chrono::milliseconds(50));
  if (!version) return version.error();
  return seen_version_.exchange(*version) != *version;
}

Result<void> EventLog::prune(long long before_ms) {
  return db_->run([&](Connection& c) { return done(c.exec("DELETE FROM events WHERE created_ms < ?1", before_ms)); });
}

}  // namespace cloakroom::sqlite
