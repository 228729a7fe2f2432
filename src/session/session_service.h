#pragma once
// Server-side sessions: create at login, authenticate on every request,
// revoke at logout. The stateful half of cloakroom.
//
//   SessionService sessions(deps);
//   auto s = sessions.create(user, ip, user_agent, remember, AuthMethods::password());  // s->token goes to the client once
//   auto who = sessions.cached(cookie_value);                 // hot path: no SQL, no allocation
//   if (!who) {                                               // not cached here: ask the store, off the I/O thread
//     SessionService::FillRead read;
//     if (auto f = sessions.fill(id, &read); !f) -> 503;      // a store failure is never a 401
//     who = sessions.filled(cookie_value, read);              // the verdict, from the cache or from `read`
//   }
//   sessions.revoke(s->info.id);                              // durable, then gone from the cache
//   sessions.evict(id); sessions.evict_user(user_id);         // another process changed the store
//
// The store holds every session; this process caches the ones it uses (a
// bounded near-cache), so several processes can share one store and startup
// reads no session. Per shard: at most cache_entries/16 sessions, evicted by
// CLOCK (a hit sets a bit; the hand evicts the first entry without it), and
// a short-lived negative cache of ids the store did not have, so a repeated
// made-up id costs one store read per kUnknownTtlMs. A made-up token is
// never adopted. Only SHA-256 of each secret is kept, compared in constant
// time. Idle expiry slides in memory on every request; the store is told at
// most once per touch interval per session, in batches (flush_touches()).
// A cached entry that looks idle is re-read: another process may have slid it.
// create() and revoke_user() of one user are linearisable: each holds the
// user's lock across its store write and its cache change, so a login racing
// a logout-all ends either revoked everywhere or alive everywhere, never
// alive in memory only.
// session.cache_entries = 0 turns the cache off: every check reads the store
// once (the per-request lookup of Authelia or oauth2-proxy), so the two
// designs can be measured side by side. For comparison only.
#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
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
  AuthMethods amr;       // how the user signed in, from the cached entry (no store read)
  long long auth_time_ms;
  std::string_view id_view() const { return {id.data(), id.size()}; }
};

// The idle bounds the config gives: session.idle_timeout for plain sessions;
// session.remember_idle_timeout for remembered ones, held between the first
// and session.absolute_timeout (a longer idle bound could never be reached).
IdleBounds idle_bounds(const Config& config);

struct SessionDeps {
  const Config& config;
  SessionStore& store;
  UserDirectory& users;
  const Clock& clock;
  Random& random;
  Metrics& metrics;
};

class SessionService {
 private:
  // What a check needs of one session (ip, user agent and creation time stay in the store).
  struct Entry {
    Sha256 secret_hash;
    std::shared_ptr<UserSlot> user;
    long long last_seen_ms;
    long long persisted_seen_ms;
    long long absolute_ms;
    long long idle_ms;  // its idle bound (IdleBounds::of its remember flag)
    // Until when it holds unless used again: idle or absolute, whichever comes first.
    long long deadline() const { return std::min(absolute_ms, last_seen_ms + idle_ms); }
    long long auth_time_ms;
    AuthMethods amr;              // beside the times: a second-factor rule needs no store read
    std::uint32_t ring_slot = 0;  // its place in the shard's CLOCK ring
    bool referenced = false;      // CLOCK's second chance: set by a hit, cleared as the hand passes
  };

 public:
  // What one fill() read, kept by the caller for filled(): the verdict can
  // come from it when the entry did not stay in the cache.
  class FillRead {
    friend class SessionService;
    SessionKey key_{};
    std::optional<Entry> entry_;  // nullopt: no live session by that id
    bool done_ = false;
  };

  explicit SessionService(SessionDeps deps);

  // Durable before it returns, and cached. (session.max_per_user counts
  // sessions and refresh families together; the login handler enforces it.)
  // `amr`: the methods this sign-in used; its time is now.
  Result<NewSession> create(const User& user, std::string_view ip, std::string_view user_agent, bool remember,
                            AuthMethods amr);

  // The hot path; never touches the store. nullopt: this process knows
  // nothing of the token's id (or its cached entry looked idle, which only
  // the store can confirm): fill() it and ask filled(). Otherwise the
  // verdict: unauthenticated for a malformed, unknown (also: a recent store
  // miss), expired or wrong token, or a disabled user.
  std::optional<Result<AuthenticatedSession>> cached(std::string_view token);
  // One store read for `session_id`: a live session is cached, an absent or
  // dead one remembered as unknown for kUnknownTtlMs. Not cached when an
  // eviction of its shard ran meanwhile (the read may predate a revocation).
  // A store failure is returned as it is (the caller answers 503).
  Result<void> fill(std::string_view session_id, FillRead* read = nullptr);
  // cached() once more, then, if the entry is still not cached, the verdict
  // from what fill() read. Never touches the store.
  Result<AuthenticatedSession> filled(std::string_view token, const FillRead& read);

  // true when the store had the session. Durable, then removed from the cache.
  Result<bool> revoke(const std::string& id);
  // The same, only for a live session of `user_id` (one list_user shows):
  // false, and nothing changes, for anyone else's or an expired one.
  Result<bool> revoke(const std::string& id, const std::string& user_id);
  // Every session of the user but `keep` (empty: none; a password change
  // keeps the caller's). The kept one leaves the cache too: its next
  // request reads it back from the store once.
  Result<std::size_t> revoke_user(const std::string& user_id, const std::string& keep = {});
  // The user's live sessions from the store, oldest first; last seen is the
  // later of the stored and the cached time.
  Result<std::vector<CredentialInfo>> list_user(const std::string& user_id);

  // Another process changed the store (the change feed calls these): the
  // cached entries go, and a fill that read the store before is not cached.
  // Idempotent; nothing in the store changes.
  void evict(std::string_view session_id);
  void evict_user(const std::string& user_id);
  // Everything, unknown ids included: the feed could not be replayed (resync).
  void evict_all();

  // Background work (App's housekeeping thread).
  void flush_touches();
  void purge_expired();

  // Sessions in this process's cache (not every active session: the store has those).
  std::size_t cache_size() const { return cached_.load(std::memory_order_relaxed); }
  long long touch_interval_ms() const { return touch_interval_ms_; }

  static constexpr std::size_t kShards = 16;
  // Why 2 s: long enough that a flood of one made-up id costs one store read
  // per 2 s, short enough that nothing depends on it (a random 128-bit id
  // the store lacks is not about to appear there).
  static constexpr long long kUnknownTtlMs = 2000;

 private:
  struct KeyHash {
    std::size_t operator()(const SessionKey& k) const noexcept {
      return std::hash<std::string_view>{}(std::string_view(k.data(), k.size()));
    }
  };
  using Map = std::unordered_map<SessionKey, Entry, KeyHash>;
  struct Shard {
    std::mutex mu;
    Map sessions;
    // CLOCK: one slot per cached entry (a pointer to its map node, stable
    // until erased); the hand walks it in order. Free slots are reused first.
    std::vector<Map::value_type*> ring;
    std::vector<std::uint32_t> free_slots;
    std::size_t hand = 0;
    // Ids the store did not have, until when; FIFO-bounded.
    std::unordered_map<SessionKey, long long, KeyHash> unknown;
    std::deque<std::pair<SessionKey, long long>> unknown_order;
    // Raised by every eviction and revocation: a fill caches only if it is unchanged since its read.
    std::uint64_t generation = 0;
    std::vector<SessionTouch> pending_touches;
  };

  Shard& shard_of(const SessionKey& k) { return shards_[KeyHash{}(k) % kShards]; }
  long long now_ms() const;
  Entry entry_of(const SessionRecord& r, std::shared_ptr<UserSlot> user) const;
  // cached() and filled(): the cache, then `read` (when given), then the unknown ids.
  std::optional<Result<AuthenticatedSession>> check(std::string_view token, const FillRead* read);
  // The verdict on a token whose secret hashed to `presented`, against `e`;
  // a valid one slides `e` and queues its touch, and a `hit` (not the
  // request that filled it) earns its CLOCK bit. Under the shard's lock.
  Result<AuthenticatedSession> admit(Shard& s, Entry& e, std::string_view id, const SessionKey& key,
                                     const Sha256& presented, long long now, bool hit);
  // The later of the stored and the cached last-seen.
  long long last_seen_of(const SessionRecord& r);
  // Under the shard's lock.
  void place(Shard& s, const SessionKey& key, Entry e);
  std::uint32_t take_slot(Shard& s);
  void drop(Shard& s, Map::iterator it);
  void remember_unknown(Shard& s, const SessionKey& key, long long now);
  // Locks the shard; raises its generation.
  bool erase(const SessionKey& k);
  std::size_t erase_user(const std::string& user_id);

  SessionDeps d_;
  const IdleBounds idle_;
  const long long absolute_ms_;
  const long long touch_interval_ms_;
  const bool caching_;  // false: session.cache_entries = 0, nothing is cached, not even unknown ids
  const std::size_t shard_capacity_;
  const std::size_t shard_unknown_capacity_;
  std::array<Shard, kShards> shards_;
  StripedLocks<64> user_locks_;  // create/issue vs revoke_user, per user
  std::atomic<std::size_t> cached_{0};
};

}  // namespace cloakroom
