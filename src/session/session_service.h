#pragma once
// Server-side sessions: create at login, authenticate on every request,
// revoke at logout. The stateful half of cloakroom.
//
//   SessionService sessions(deps);
//   sessions.load();                                        // startup: cache every active session
//   auto s = sessions.create(user, ip, user_agent, remember);   // s->token goes to the client once
//   auto who = sessions.authenticate(cookie_value);         // hot path: no SQL, no allocation
//   sessions.revoke(s->info.id);                            // durable, then gone from the cache
//
// The cache holds every active session (loaded at start, fed by create()), so
// an unknown id is "no session" without a query, and a made-up token is never
// adopted. Only SHA-256 of each secret is kept, compared in constant time.
// Idle expiry slides in memory on every request; the store is told at most
// once per touch interval per session, in batches (flush_touches()).
// Changes made by other processes arrive from the change feed as evictions.
// create() and revoke_user() of one user are linearisable: each holds the
// user's lock across its store write and its cache change, so a login racing
// a logout-all ends either revoked everywhere or alive everywhere, never
// alive in memory only.
#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/random.h"
#include "core/striped_locks.h"
#include "identity/credential_info.h"
#include "identity/user_directory.h"
#include "metrics/metrics.h"
#include "session/session_token.h"
#include "store/session_store.h"

namespace cloakroom {

struct NewSession {
  std::string token;  // "<id>.<secret>": shown to the client once, never stored
  CredentialInfo info;
};

struct AuthenticatedSession {
  std::shared_ptr<const Principal> principal;
  SessionKey id;
  long long expires_ms;  // the earlier of absolute and idle expiry
  std::string_view id_view() const { return {id.data(), id.size()}; }
};

struct SessionDeps {
  const Config& config;
  SessionStore& store;
  UserDirectory& users;
  const Clock& clock;
  Random& random;
  Metrics& metrics;
};

class SessionService {
 public:
  explicit SessionService(SessionDeps deps);

  Result<void> load();
  // Durable before it returns. (session.max_per_user counts sessions and
  // refresh families together; the login handler enforces it.)
  Result<NewSession> create(const User& user, std::string_view ip, std::string_view user_agent, bool remember);
  // unauthenticated for a malformed, unknown, expired or wrong token, or a
  // disabled user. Never touches the store.
  Result<AuthenticatedSession> authenticate(std::string_view token);
  // true when the session existed. Durable, then removed from the cache.
  Result<bool> revoke(const std::string& id);
  // The same, only for a live session of `user_id` (one list_user shows):
  // false, and nothing changes, for anyone else's or an expired one.
  Result<bool> revoke(const std::string& id, const std::string& user_id);
  Result<std::size_t> revoke_user(const std::string& user_id);
  // The user's active sessions, oldest first, with in-memory last-seen times.
  Result<std::vector<CredentialInfo>> list_user(const std::string& user_id);

  // The change feed's entries (idempotent): drop what the cache holds.
  void evict(std::string_view session_id);
  void evict_user(const std::string& user_id);
  void evict_all();

  // Background work (App's maintenance thread).
  void flush_touches();
  void purge_expired();

  std::size_t active() const { return active_.load(std::memory_order_relaxed); }
  long long touch_interval_ms() const { return touch_interval_ms_; }

  // Bytes the cache holds per session, measured by the benchmark; exposed for it.
  static constexpr std::size_t kShards = 16;

 private:
  struct KeyHash {
    std::size_t operator()(const SessionKey& k) const noexcept {
      return std::hash<std::string_view>{}(std::string_view(k.data(), k.size()));
    }
  };
  struct Cached {
    Sha256 secret_hash;
    std::shared_ptr<UserSlot> user;
    long long created_ms;
    long long last_seen_ms;
    long long persisted_seen_ms;
    long long absolute_ms;
    bool remember;
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<SessionKey, Cached, KeyHash> sessions;
    std::vector<SessionTouch> pending_touches;
  };

  Shard& shard_of(const SessionKey& k) { return shards_[KeyHash{}(k) % kShards]; }
  long long now_ms() const;
  long long expiry(const Cached& c) const { return std::min(c.absolute_ms, c.last_seen_ms + idle_ms_); }
  void insert(const SessionRecord& r, std::shared_ptr<UserSlot> user);
  bool erase(const SessionKey& k);
  bool live_session_of(const SessionKey& k, const std::string& user_id);
  std::size_t erase_user(const std::string& user_id);

  SessionDeps d_;
  const long long idle_ms_;
  const long long absolute_ms_;
  const long long touch_interval_ms_;
  std::array<Shard, kShards> shards_;
  StripedLocks<64> user_locks_;  // create/issue vs revoke_user, per user
  std::atomic<std::size_t> active_{0};
};

}  // namespace cloakroom
