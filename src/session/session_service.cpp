#include "session/session_service.h"

#include <algorithm>

#include "core/log.h"

namespace cloakroom {
namespace {

// Why: ip and user agent are shown back to the user; cap what a client can make us store.
constexpr std::size_t kMaxIpBytes = 64;
constexpr std::size_t kMaxUserAgentBytes = 512;

// `message` is what the client reads; `reason` is for the log only.
Error unauthenticated(const char* message, std::string_view reason) {
  return Error{ErrorCode::unauthenticated, message}.because(reason);
}

// Why bounded: the lock is held across store writes, which a stuck store
// stretches to its own deadline; waiters beyond this shed with 503.
constexpr std::chrono::milliseconds kUserLockWait{2000};
Error user_busy() { return Error{ErrorCode::store_unavailable, "Another change to this account is still in progress."}; }

}  // namespace

SessionService::SessionService(SessionDeps deps)
    : d_(deps),
      idle_ms_(deps.config.session.idle_timeout.count()),
      absolute_ms_(deps.config.session.absolute_timeout.count()),
      // Tell the store about activity at most every idle/10 (and at least every minute):
      // a crash loses at most that much sliding, never a session.
      touch_interval_ms_(std::clamp<long long>(deps.config.session.idle_timeout.count() / 10, 1, 60'000)) {}

long long SessionService::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d_.clock.now().time_since_epoch()).count();
}

void SessionService::insert(const SessionRecord& r, std::shared_ptr<UserSlot> user) {
  Cached c{};
  std::copy_n(r.secret_hash.begin(), std::min<std::size_t>(r.secret_hash.size(), c.secret_hash.size()),
              c.secret_hash.begin());
  c.user = std::move(user);
  c.created_ms = r.created_ms;
  c.last_seen_ms = r.last_seen_ms;
  c.persisted_seen_ms = r.last_seen_ms;
  c.absolute_ms = r.expires_ms;
  c.remember = r.remember;
  SessionKey key = session_key(r.id);
  Shard& s = shard_of(key);
  std::lock_guard lock(s.mu);
  if (s.sessions.insert_or_assign(key, std::move(c)).second) active_.fetch_add(1, std::memory_order_relaxed);
}

bool SessionService::erase(const SessionKey& key) {
  Shard& s = shard_of(key);
  std::lock_guard lock(s.mu);
  if (s.sessions.erase(key) == 0) return false;
  active_.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

bool SessionService::live_session_of(const SessionKey& key, const std::string& user_id) {
  const long long now = now_ms();
  Shard& s = shard_of(key);
  std::lock_guard lock(s.mu);
  auto it = s.sessions.find(key);
  return it != s.sessions.end() && expiry(it->second) > now && it->second.user->load()->user_id == user_id;
}

std::size_t SessionService::erase_user(const std::string& user_id) {
  std::size_t n = 0;
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    n += std::erase_if(s.sessions, [&](const auto& kv) { return kv.second.user->load()->user_id == user_id; });
  }
  active_.fetch_sub(n, std::memory_order_relaxed);
  return n;
}

Result<void> SessionService::load() {
  if (auto r = d_.users.preload(); !r) return r;
  auto records = d_.store.load_active(now_ms(), idle_ms_);
  if (!records) return records.error();
  for (const auto& r : *records) {
    auto slot = d_.users.slot(r.user_id);
    if (!slot) continue;  // the user is gone: the session is dead
    insert(r, std::move(*slot));
  }
  return {};
}

Result<NewSession> SessionService::create(const User& user, std::string_view ip, std::string_view user_agent,
                                          bool remember) {
  SessionToken token = SessionToken::generate(d_.random);
  Sha256 hash = token.secret_hash();
  long long now = now_ms();
  SessionRecord r;
  r.id = std::string(token.id());
  r.secret_hash.assign(reinterpret_cast<const char*>(hash.data()), hash.size());
  r.user_id = user.id;
  r.created_ms = now;
  r.last_seen_ms = now;
  r.expires_ms = now + absolute_ms_;
  r.ip = std::string(ip.substr(0, kMaxIpBytes));
  r.user_agent = std::string(user_agent.substr(0, kMaxUserAgentBytes));
  r.remember = remember;
  {
    auto lock = user_locks_.lock(user.id, kUserLockWait);
    if (!lock) return user_busy();
    if (auto stored = d_.store.create(r); !stored) return stored.error();
    insert(r, d_.users.adopt(user));
  }
  d_.metrics.inc(Counter::sessions_created);
  return NewSession{token.text(), info_of(r, r.last_seen_ms, std::min(r.expires_ms, now + idle_ms_))};
}

Result<AuthenticatedSession> SessionService::authenticate(std::string_view token) {
  auto parsed = parse_session_token(token);
  if (!parsed) return unauthenticated("The session token is malformed.", "session_malformed");
  // Hash before taking the lock: the lock guards the map, not the crypto.
  Sha256 presented = sha256(parsed->secret);
  SessionKey key = session_key(parsed->id);
  long long now = now_ms();
  Shard& s = shard_of(key);
  std::shared_ptr<const Principal> principal;
  long long expires = 0;
  {
    std::lock_guard lock(s.mu);
    auto it = s.sessions.find(key);
    if (it == s.sessions.end()) return unauthenticated("The session does not exist or has ended.", "session_unknown");
    Cached& c = it->second;
    if (!constant_time_equal(presented, c.secret_hash))
      return unauthenticated("The session does not exist or has ended.", "session_secret_mismatch");
    if (expiry(c) <= now) {
      s.sessions.erase(it);
      active_.fetch_sub(1, std::memory_order_relaxed);
      d_.metrics.inc(Counter::sessions_expired);
      return unauthenticated("The session has expired; log in again.", "session_expired");
    }
    principal = c.user->load();
    c.last_seen_ms = now;
    if (now - c.persisted_seen_ms >= touch_interval_ms_) {
      c.persisted_seen_ms = now;
      s.pending_touches.push_back(SessionTouch{std::string(parsed->id), now});
    }
    expires = expiry(c);
  }
  if (principal->disabled) return unauthenticated("The account is disabled.", "account_disabled");
  return AuthenticatedSession{std::move(principal), key, expires};
}

Result<bool> SessionService::revoke(const std::string& id) {
  auto removed = d_.store.remove(id);
  if (!removed) return removed.error();
  bool cached = id.size() == kSessionIdChars && erase(session_key(id));
  if (*removed || cached) d_.metrics.inc(Counter::sessions_revoked);
  return *removed || cached;
}

Result<bool> SessionService::revoke(const std::string& id, const std::string& user_id) {
  // The cache knows idle expiry (the store's last-seen lags behind); the
  // store checks the owner again as it deletes.
  if (id.size() != kSessionIdChars || !live_session_of(session_key(id), user_id)) return false;
  auto removed = d_.store.remove(id, user_id);
  if (!removed) return removed.error();
  if (!*removed) return false;  // already gone from the store: its event clears the cache
  if (erase(session_key(id))) d_.metrics.inc(Counter::sessions_revoked);
  return true;
}

Result<std::size_t> SessionService::revoke_user(const std::string& user_id) {
  auto lock = user_locks_.lock(user_id, kUserLockWait);
  if (!lock) return user_busy();
  auto removed = d_.store.remove_user(user_id);
  if (!removed) return removed.error();
  std::size_t cached = erase_user(user_id);
  lock.reset();
  std::size_t n = std::max(removed->size(), cached);
  for (std::size_t i = 0; i < n; ++i) d_.metrics.inc(Counter::sessions_revoked);
  return n;
}

Result<std::vector<CredentialInfo>> SessionService::list_user(const std::string& user_id) {
  auto records = d_.store.list_user(user_id);
  if (!records) return records.error();
  long long now = now_ms();
  std::vector<CredentialInfo> out;
  for (const auto& r : *records) {
    if (r.id.size() != kSessionIdChars) continue;
    SessionKey key = session_key(r.id);
    Shard& s = shard_of(key);
    std::lock_guard lock(s.mu);
    auto it = s.sessions.find(key);
    if (it == s.sessions.end() || expiry(it->second) <= now) continue;  // revoked or expired
    out.push_back(info_of(r, it->second.last_seen_ms, expiry(it->second)));
  }
  return out;
}

void SessionService::evict(std::string_view session_id) {
  if (session_id.size() == kSessionIdChars && erase(session_key(session_id))) d_.metrics.inc(Counter::sessions_revoked);
}

void SessionService::evict_user(const std::string& user_id) {
  for (std::size_t n = erase_user(user_id); n > 0; --n) d_.metrics.inc(Counter::sessions_revoked);
}

void SessionService::evict_all() {
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    active_.fetch_sub(s.sessions.size(), std::memory_order_relaxed);
    s.sessions.clear();
  }
}

void SessionService::flush_touches() {
  std::vector<SessionTouch> batch;
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    if (batch.empty()) batch.swap(s.pending_touches);
    else {
      batch.insert(batch.end(), std::make_move_iterator(s.pending_touches.begin()),
                   std::make_move_iterator(s.pending_touches.end()));
      s.pending_touches.clear();
    }
  }
  if (batch.empty()) return;
  // Last-seen is advisory: a failed batch costs some sliding, never a session.
  if (auto r = d_.store.touch(batch); !r)
    log_line("warn", "session_touch_failed",
             {{"sessions", std::to_string(batch.size())}, {"detail", std::string(r.error().text())}});
}

void SessionService::purge_expired() {
  long long now = now_ms();
  std::size_t swept = 0;
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    swept += std::erase_if(s.sessions, [&](const auto& kv) { return expiry(kv.second) <= now; });
  }
  active_.fetch_sub(swept, std::memory_order_relaxed);
  for (std::size_t i = 0; i < swept; ++i) d_.metrics.inc(Counter::sessions_expired);
  if (auto r = d_.store.purge_expired(now, idle_ms_); !r)
    log_line("warn", "session_purge_failed", {{"detail", std::string(r.error().text())}});
}

}  // namespace cloakroom
