#include "store/sqlite/session_store.h"

#include <optional>

namespace cloakroom::sqlite {
namespace {

#define SESSION_COLUMNS "id, secret_hash, user_id, created_ms, last_seen_ms, expires_ms, ip, user_agent, remember"

SessionRecord read_session(const Statement& st) {
  return SessionRecord{st.text(0),    st.text(1),    st.text(2), st.integer(3),     st.integer(4),
                       st.integer(5), st.text(6),    st.text(7), st.integer(8) != 0};
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
  return db_->run([&](Connection& c) -> Result<void> {
    auto st = c.prepare("INSERT INTO sessions (" SESSION_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    st.bind(1, r.id);
    st.bind_blob(2, r.secret_hash);
    st.bind(3, r.user_id);
    st.bind(4, r.created_ms);
    st.bind(5, r.last_seen_ms);
    st.bind(6, r.expires_ms);
    st.bind(7, r.ip);
    st.bind(8, r.user_agent);
    st.bind(9, static_cast<long long>(r.remember));
    auto done = st.step();
    if (!done) {
      if (done.error().code == ErrorCode::username_taken) return Error{ErrorCode::internal, "session id collision"};
      return done.error();
    }
    return {};
  });
}

Result<std::vector<SessionRecord>> SessionStore::select(const char* sql, const std::string* text, long long a,
                                                        long long b) {
  return db_->run([&](Connection& c) -> Result<std::vector<SessionRecord>> {
    auto st = c.prepare(sql);
    if (text) st.bind(1, *text);
    else {
      st.bind(1, a);
      st.bind(2, b);
    }
    return st.collect([](const Statement& row) { return read_session(row); });
  });
}

Result<SessionRecord> SessionStore::find(const std::string& id) {
  auto rows = select("SELECT " SESSION_COLUMNS " FROM sessions WHERE id = ?1", &id, 0, 0);
  if (!rows) return rows.error();
  if (rows->empty()) return ErrorCode::not_found;
  return std::move(rows->front());
}

Result<std::vector<SessionRecord>> SessionStore::load_active(long long now_ms, long long idle_ms) {
  return select("SELECT " SESSION_COLUMNS " FROM sessions WHERE expires_ms > ?1 AND last_seen_ms > ?2", nullptr,
                now_ms, now_ms - idle_ms);
}

Result<std::vector<SessionRecord>> SessionStore::list_user(const std::string& user_id) {
  return select("SELECT " SESSION_COLUMNS " FROM sessions WHERE user_id = ?1 ORDER BY created_ms", &user_id, 0, 0);
}

Result<void> SessionStore::touch(const std::vector<SessionTouch>& touches) {
  if (touches.empty()) return {};
  return db_->transaction([&](Connection& c) -> Result<void> {
    for (const auto& t : touches) {
      auto st = c.prepare("UPDATE sessions SET last_seen_ms = max(last_seen_ms, ?1) WHERE id = ?2");
      st.bind(1, t.last_seen_ms);
      st.bind(2, t.id);
      if (auto r = st.step(); !r) return r.error();
    }
    return {};
  });
}

Result<bool> SessionStore::remove(const std::string& id) {
  return db_->run([&](Connection& c) -> Result<bool> {
    auto st = c.prepare("DELETE FROM sessions WHERE id = ?1");
    st.bind(1, id);
    if (auto r = st.step(); !r) return r.error();
    return c.changes() > 0;
  });
}

Result<std::vector<std::string>> SessionStore::remove_user(const std::string& user_id) {
  std::vector<std::string> ids;
  auto done = db_->transaction([&](Connection& c) -> Result<void> {
    auto st = c.prepare("DELETE FROM sessions WHERE user_id = ?1 RETURNING id");
    st.bind(1, user_id);
    auto removed = st.collect([](const Statement& row) { return row.text(0); });
    if (!removed) return removed.error();
    ids = std::move(*removed);
    return {};
  });
  if (!done) return done.error();
  return ids;
}

Result<std::size_t> SessionStore::purge_expired(long long now_ms, long long idle_ms) {
  return db_->run([&](Connection& c) -> Result<std::size_t> {
    auto st = c.prepare("DELETE FROM sessions WHERE expires_ms <= ?1 OR last_seen_ms <= ?2");
    st.bind(1, now_ms);
    st.bind(2, now_ms - idle_ms);
    if (auto r = st.step(); !r) return r.error();
    return static_cast<std::size_t>(c.changes());
  });
}

Result<void> EventLog::append(StoreEvent::Kind kind, const std::string& subject, long long now_ms) {
  return db_->run([&](Connection& c) -> Result<void> {
    auto st = c.prepare("INSERT INTO events (kind, subject, created_ms) VALUES (?1, ?2, ?3)");
    st.bind(1, kind_name(kind));
    st.bind(2, subject);
    st.bind(3, now_ms);
    if (auto r = st.step(); !r) return r.error();
    return {};
  });
}

Result<std::vector<StoreEvent>> EventLog::since(long long after) {
  return db_->run([&](Connection& c) -> Result<std::vector<StoreEvent>> {
    // Why: bounded batches; the poller comes back for the rest.
    auto st = c.prepare("SELECT seq, kind, subject FROM events WHERE seq > ?1 ORDER BY seq LIMIT 1000");
    st.bind(1, after);
    std::vector<StoreEvent> out;
    for (;;) {
      auto row = st.step();
      if (!row) return row.error();
      if (!*row) return out;
      if (auto kind = kind_of(st.text(1))) out.push_back(StoreEvent{st.integer(0), *kind, st.text(2)});
    }
  });
}

Result<long long> EventLog::last_seq() {
  return db_->run([&](Connection& c) -> Result<long long> {
    auto st = c.prepare("SELECT coalesce(max(seq), 0) FROM events");
    auto row = st.step();
    if (!row) return row.error();
    return st.integer(0);
  });
}

Result<void> EventLog::prune(long long before_ms) {
  return db_->run([&](Connection& c) -> Result<void> {
    auto st = c.prepare("DELETE FROM events WHERE created_ms < ?1");
    st.bind(1, before_ms);
    if (auto r = st.step(); !r) return r.error();
    return {};
  });
}

}  // namespace cloakroom::sqlite
