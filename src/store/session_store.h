#pragma once
// Where session records live (durability); the hot path reads SessionService's
// in-process cache instead. One implementation per backend: store/memory/,
// store/sqlite/ (same file names).
//
//   store.create(record);                       // durable before it returns
//   auto one = store.find("Ab3...");              // a near-cache miss
//   store.remove("Ab3...");                      // logout: durable before it returns
//   store.remove("Ab3...", user_id);             // the same, only if it is that user's
//
// Every removal records its change in the change feed (store/change_feed.h)
// in the same transaction, so every process's cache hears of it.
//
// Only a hash of each session's secret is stored: a leaked database yields
// no usable token. Every method is thread-safe.
#include <cstdint>
#include <string>
#include <vector>

#include "core/auth_methods.h"
#include "core/result.h"

namespace cloakroom {

struct SessionRecord {
  std::string id;           // public id (base64url of 16 random bytes); not the token
  std::string secret_hash;  // SHA-256 of the secret, 32 raw bytes
  std::string user_id;
  long long created_ms = 0;
  long long last_seen_ms = 0;
  long long expires_ms = 0;  // absolute expiry; idle expiry is last_seen + IdleBounds::of(remember)
  std::string ip;
  std::string user_agent;
  bool remember = false;
  AuthMethods amr;            // how the user signed in (RFC 8176); a record older than it reads as pwd
  long long auth_time_ms = 0;  // when; a record older than it reads as created_ms
};

// How long a session may go unused: session.idle_timeout, or for one
// signed in with "keep me signed in" session.remember_idle_timeout (never
// below the first). One rule for the service, its cache and every store.
struct IdleBounds {
  long long plain_ms = 0;
  long long remembered_ms = 0;
  long long of(bool remember) const { return remember ? remembered_ms : plain_ms; }
  // When `r`, last used at `last_seen_ms`, ends: idle or absolute, whichever comes first.
  long long deadline(const SessionRecord& r, long long last_seen_ms) const {
    return last_seen_ms + of(r.remember) < r.expires_ms ? last_seen_ms + of(r.remember) : r.expires_ms;
  }
};

struct SessionTouch {
  std::string id;
  long long last_seen_ms;
};

class SessionStore {
 public:
  virtual ~SessionStore() = default;

  virtual Result<void> create(const SessionRecord& record) = 0;
  // not_found when absent.
  virtual Result<SessionRecord> find(const std::string& id) = 0;
  // Sessions neither absolutely nor idly expired at `now_ms`.
  virtual Result<std::vector<SessionRecord>> load_active(long long now_ms, const IdleBounds& idle) = 0;
  virtual Result<std::vector<SessionRecord>> list_user(const std::string& user_id) = 0;
  // One batch of last-seen updates (throttled by the caller).
  virtual Result<void> touch(const std::vector<SessionTouch>& touches) = 0;
  // true when a session was removed.
  virtual Result<bool> remove(const std::string& id) = 0;
  // The same, only when the session belongs to `user_id`: another user's
  // session stays and the answer is false (so it need not be listed first).
  virtual Result<bool> remove(const std::string& id, const std::string& user_id) = 0;
  // The ids removed: every session of the user but `keep` (empty: none
  // kept; a password change keeps the caller's own session).
  virtual Result<std::vector<std::string>> remove_user(const std::string& user_id, const std::string& keep = {}) = 0;
  // Removes expired sessions; returns how many.
  virtual Result<std::size_t> purge_expired(long long now_ms, const IdleBounds& idle) = 0;
};

}  // namespace cloakroom
