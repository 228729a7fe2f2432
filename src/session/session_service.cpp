#include "session/session_service.h"

#include <algorithm>
#include <iterator>

#include "core/log.h"

namespace cloakroom {
namespace {

// Why: ip and user agent are shown back to the user; cap what a client can make us store.
constexpr std::size_t kMaxIpBytes = 64;
constexpr std::size_t kMaxUserAgentBytes = 512;

// Why at least 1024 unknown ids in all, however small the cache: a burst of
// made-up ids must not push out the ones just remembered.
constexpr std::size_t kMinUnknownEntries = 1024;

// `message` is what the client reads; `reason` is for the log only.
Error unauthenticated(const char* message, std::string_view reason) {
  return Error{ErrorCode::unauthenticated, message}.because(reason);
}
Error unknown_session() { return unauthenticated("The session does not exist or has ended.", "session_unknown"); }

// Why bounded: the lock is held across store writes, which a stuck store
// stretches to its own deadline; waiters beyond this shed with 503.
constexpr std::chrono::milliseconds kUserLockWait{2000};
Error user_busy() { return Error{ErrorCode::store_unavailable, "Another change to this account is still in progress."}; }

}  // namespace

IdleBounds idle_bounds(const Config& config) {
  return IdleBounds{config.session.idle_timeout.count(), remember_idle_in_force(config).count()};
}

SessionService::SessionService(SessionDeps deps)
    : d_(deps),
      idle_(idle_bounds(deps.config)),
      absolute_ms_(deps.config.session.absolute_timeout.count()),
      // Tell the store about activity at most every idle/10 (and at least every minute):
      // a crash loses at most that much sliding, never a session.
      touch_interval_ms_(std::clamp<long long>(deps.config.session.idle_timeout.count() / 10, 1, 60'000)),
      caching_(deps.config.session.cache_entries > 0),
      shard_capacity_(std::max<std::size_t>(1, deps.config.session.cache_entries / kShards)),
      // A sixteenth of the positive bound: unknown ids only have to be remembered for kUnknownTtlMs.
      shard_unknown_capacity_(std::max(kMinUnknownEntries, deps.config.session.cache_entries / 16) / kShards) {}

long long SessionService::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d_.clock.now().time_since_epoch()).count();
}

SessionService::Entry SessionService::entry_of(const SessionRecord& r, std::shared_ptr<UserSlot> user) const {
  Entry e{};
  std::copy_n(r.secret_hash.begin(), std::min<std::size_t>(r.secret_hash.size(), e.secret_hash.size()),
              e.secret_hash.begin());
  e.user = std::move(user);
  e.last_seen_ms = r.last_seen_ms;
  e.persisted_seen_ms = r.last_seen_ms;
  e.absolute_ms = r.expires_ms;
  e.idle_ms = idle_.of(r.remember);
  e.auth_time_ms = r.auth_time_ms;
  e.amr = r.amr;
  return e;
}

void SessionService::place(Shard& s, const SessionKey& key, Entry e) {
  s.unknown.erase(key);
  if (auto it = s.sessions.find(key); it != s.sessions.end()) {
    // Two fills of one id, or a fill beside create(): one entry, the later last-seen.
    it->second.last_seen_ms = std::max(it->second.last_seen_ms, e.last_seen_ms);
    return;
  }
  const std::uint32_t slot = take_slot(s);
  auto it = s.sessions.emplace(key, std::move(e)).first;
  it->second.ring_slot = slot;
  it->second.referenced = false;  // until a later request uses it: a one-off goes first
  s.ring[slot] = &*it;
  cached_.fetch_add(1, std::memory_order_relaxed);
}

std::uint32_t SessionService::take_slot(Shard& s) {
  if (!s.free_slots.empty()) {
    const std::uint32_t slot = s.free_slots.back();
    s.free_slots.pop_back();
    return slot;
  }
  if (s.ring.size() < shard_capacity_) {
    // Grown by doubling, but never reserved past the bound.
    if (s.ring.size() == s.ring.capacity())
      s.ring.reserve(std::min(shard_capacity_, std::max<std::size_t>(16, 2 * s.ring.size())));
    s.ring.push_back(nullptr);
    return static_cast<std::uint32_t>(s.ring.size() - 1);
  }
  // Full, so every slot holds an entry. The hand clears the bits it passes
  // and stops at the first entry without one: at most one turn and a step.
  for (;;) {
    const auto slot = static_cast<std::uint32_t>(s.hand);
    s.hand = (s.hand + 1) % s.ring.size();
    Entry& victim = s.ring[slot]->second;
    if (victim.referenced) {
      victim.referenced = false;
      continue;
    }
    const SessionKey key = s.ring[slot]->first;
    // Sliding not yet told to the store is not lost with the entry.
    if (victim.last_seen_ms > victim.persisted_seen_ms)
      s.pending_touches.push_back(SessionTouch{std::string(key.data(), key.size()), victim.last_seen_ms});
    s.sessions.erase(key);
    s.ring[slot] = nullptr;
    cached_.fetch_sub(1, std::memory_order_relaxed);
    d_.metrics.inc(Counter::session_cache_evictions);
    return slot;
  }
}

void SessionService::drop(Shard& s, Map::iterator it) {
  s.ring[it->second.ring_slot] = nullptr;
  s.free_slots.push_back(it->second.ring_slot);
  s.sessions.erase(it);
  cached_.fetch_sub(1, std::memory_order_relaxed);
}

void SessionService::remember_unknown(Shard& s, const SessionKey& key, long long now) {
  const long long until = now + kUnknownTtlMs;
  s.unknown.insert_or_assign(key, until);
  s.unknown_order.emplace_back(key, until);
  while (s.unknown_order.size() > shard_unknown_capacity_) {
    const auto& [oldest, oldest_until] = s.unknown_order.front();
    // An id remembered again since carries a later time: that entry stays.
    if (auto it = s.unknown.find(oldest); it != s.unknown.end() && it->second == oldest_until) s.unknown.erase(it);
    s.unknown_order.pop_front();
  }
}

bool SessionService::erase(const SessionKey& key) {
  Shard& s = shard_of(key);
  std::lock_guard lock(s.mu);
  ++s.generation;
  auto it = s.sessions.find(key);
  if (it == s.sessions.end()) return false;
  drop(s, it);
  return true;
}

std::size_t SessionService::erase_user(const std::string& user_id) {
  std::size_t n = 0;
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    ++s.generation;
    for (auto it = s.sessions.begin(); it != s.sessions.end();) {
      auto next = std::next(it);
      if (it->second.user->load()->user_id == user_id) {
        drop(s, it);
        ++n;
      }
      it = next;
    }
  }
  return n;
}

long long SessionService::last_seen_of(const SessionRecord& r) {
  if (r.id.size() != kSessionIdChars) return r.last_seen_ms;
  const SessionKey key = session_key(r.id);
  Shard& s = shard_of(key);
  std::lock_guard lock(s.mu);
  auto it = s.sessions.find(key);
  return it == s.sessions.end() ? r.last_seen_ms : std::max(r.last_seen_ms, it->second.last_seen_ms);
}

Result<NewSession> SessionService::create(const User& user, std::string_view ip, std::string_view user_agent,
                                          bool remember, AuthMethods amr) {
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
  r.amr = amr;
  r.auth_time_ms = now;
  {
    auto lock = user_locks_.lock(user.id, kUserLockWait);
    if (!lock) return user_busy();
    if (auto stored = d_.store.create(r); !stored) return stored.error();
    if (caching_) {
      const SessionKey key = token.key();
      Shard& s = shard_of(key);
      Entry e = entry_of(r, d_.users.adopt(user));
      std::lock_guard shard_lock(s.mu);
      place(s, key, std::move(e));
    }
  }
  d_.metrics.inc(Counter::sessions_created);
  return NewSession{token.text(), info_of(r, r.last_seen_ms, idle_.deadline(r, now))};
}

Result<AuthenticatedSession> SessionService::admit(Shard& s, Entry& e, std::string_view id, const SessionKey& key,
                                                   const Sha256& presented, long long now, bool hit) {
  if (!constant_time_equal(presented, e.secret_hash))
    return unauthenticated("The session does not exist or has ended.", "session_secret_mismatch");
  // No user: fill() read it expired (and the clock has since stepped back).
  if (!e.user || e.deadline() <= now)
    return unauthenticated("The session has expired; log in again.", "session_expired");
  std::shared_ptr<const Principal> principal = e.user->load();
  e.referenced = e.referenced || hit;
  e.last_seen_ms = now;
  if (now - e.persisted_seen_ms >= touch_interval_ms_) {
    e.persisted_seen_ms = now;
    s.pending_touches.push_back(SessionTouch{std::string(id), now});
  }
  if (principal->disabled) return unauthenticated("The account is disabled.", "account_disabled");
  return AuthenticatedSession{std::move(principal), key, std::min(e.absolute_ms, now + e.idle_ms), e.amr,
                              e.auth_time_ms};
}

std::optional<Result<AuthenticatedSession>> SessionService::check(std::string_view token, const FillRead* read) {
  auto parsed = parse_session_token(token);
  if (!parsed) return unauthenticated("The session token is malformed.", "session_malformed");
  // Hash before taking the lock: the lock guards the map, not the crypto.
  const Sha256 presented = sha256(parsed->secret);
  const SessionKey key = session_key(parsed->id);
  const long long now = now_ms();
  Shard& s = shard_of(key);
  std::lock_guard lock(s.mu);
  if (auto it = s.sessions.find(key); it != s.sessions.end()) {
    Entry& e = it->second;
    if (e.absolute_ms > now && e.last_seen_ms + e.idle_ms <= now) {
      // Idle by this process's account, but another process may have used
      // it since (its touches reach the store): only the store can say.
      drop(s, it);
    } else {
      if (!read) d_.metrics.inc(Counter::session_cache_hits);
      auto verdict = admit(s, e, parsed->id, key, presented, now, /*hit=*/!read);
      if (!verdict && e.absolute_ms <= now) {  // ended for good: forget it
        drop(s, it);
        remember_unknown(s, key, now);
      }
      return verdict;
    }
  }
  if (read && read->done_ && read->key_ == key) {
    // Not cached after all (the race guard or the bound): what fill() read decides.
    if (!read->entry_) return unknown_session();
    Entry e = *read->entry_;
    return admit(s, e, parsed->id, key, presented, now, /*hit=*/false);
  }
  if (auto u = s.unknown.find(key); u != s.unknown.end() && u->second > now) {
    if (!read) d_.metrics.inc(Counter::session_cache_negative_hits);
    return unknown_session();
  }
  if (!read) d_.metrics.inc(Counter::session_cache_misses);
  return std::nullopt;
}

std::optional<Result<AuthenticatedSession>> SessionService::cached(std::string_view token) {
  return check(token, nullptr);
}

Result<AuthenticatedSession> SessionService::filled(std::string_view token, const FillRead& read) {
  if (auto verdict = check(token, &read)) return std::move(*verdict);
  return unknown_session();  // `read` was for another id: nothing says this one exists
}

Result<void> SessionService::fill(std::string_view session_id, FillRead* read) {
  if (session_id.size() != kSessionIdChars) return {};  // no such session can exist: filled() says unknown
  const SessionKey key = session_key(session_id);
  Shard& s = shard_of(key);
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(s.mu);
    generation = s.generation;
  }
  auto record = d_.store.find(std::string(session_id));
  if (!record && record.error().code != ErrorCode::not_found) return record.error();
  const long long now = now_ms();
  std::optional<Entry> entry;
  bool live = false;
  if (record) {
    if (idle_.deadline(*record, record->last_seen_ms) <= now) {
      entry = entry_of(*record, nullptr);  // kept for the verdict ("expired", not "unknown"); never cached
    } else {
      auto slot = d_.users.slot(record->user_id);
      if (!slot && slot.error().code != ErrorCode::not_found) return slot.error();
      live = slot.has_value();  // else the user is gone, and the session with them
      if (live) entry = entry_of(*record, std::move(*slot));
    }
  }
  {
    std::lock_guard lock(s.mu);
    // An eviction since the read (a revocation elsewhere) may have made it stale: cache nothing.
    if (caching_ && s.generation == generation) {
      if (live) place(s, key, *entry);
      else remember_unknown(s, key, now);
    }
  }
  if (read) {
    read->key_ = key;
    read->entry_ = std::move(entry);
    read->done_ = true;
  }
  return {};
}

Result<bool> SessionService::revoke(const std::string& id) {
  auto removed = d_.store.remove(id);
  if (!removed) return removed.error();
  if (id.size() == kSessionIdChars) erase(session_key(id));
  if (*removed) d_.metrics.inc(Counter::sessions_revoked);
  return *removed;
}

Result<bool> SessionService::revoke(const std::string& id, const std::string& user_id) {
  if (id.size() != kSessionIdChars) return false;
  // Live by the store's record, with this process's later last-seen when it
  // has one; the store checks the owner again as it deletes.
  auto record = d_.store.find(id);
  if (!record) {
    if (record.error().code == ErrorCode::not_found) return false;
    return record.error();
  }
  if (record->user_id != user_id ||
      idle_.deadline(*record, last_seen_of(*record)) <= now_ms())
    return false;
  auto removed = d_.store.remove(id, user_id);
  if (!removed) return removed.error();
  erase(session_key(id));
  if (!*removed) return false;  // gone meanwhile: whoever removed it counted it
  d_.metrics.inc(Counter::sessions_revoked);
  return true;
}

Result<std::size_t> SessionService::revoke_user(const std::string& user_id, const std::string& keep) {
  auto lock = user_locks_.lock(user_id, kUserLockWait);
  if (!lock) return user_busy();
  auto removed = d_.store.remove_user(user_id, keep);
  if (!removed) return removed.error();
  erase_user(user_id);
  lock.reset();
  d_.metrics.inc(Counter::sessions_revoked, removed->size());
  return removed->size();
}

Result<std::vector<CredentialInfo>> SessionService::list_user(const std::string& user_id) {
  auto records = d_.store.list_user(user_id);
  if (!records) return records.error();
  const long long now = now_ms();
  std::vector<CredentialInfo> out;
  for (const auto& r : *records) {
    if (r.id.size() != kSessionIdChars) continue;
    const long long last_seen = last_seen_of(r);
    const long long expires = idle_.deadline(r, last_seen);
    if (expires <= now) continue;  // expired, not purged yet
    out.push_back(info_of(r, last_seen, expires));
  }
  return out;
}

void SessionService::evict(std::string_view session_id) {
  if (session_id.size() == kSessionIdChars) erase(session_key(session_id));
}

void SessionService::evict_user(const std::string& user_id) { erase_user(user_id); }

void SessionService::evict_all() {
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    ++s.generation;
    cached_.fetch_sub(s.sessions.size(), std::memory_order_relaxed);
    s.sessions.clear();
    s.ring.clear();
    s.free_slots.clear();
    s.hand = 0;
    s.unknown.clear();
    s.unknown_order.clear();
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
  // One touch per session, the latest: without a cache every check of a
  // session due for a touch queues one, as nothing remembers it was sent.
  if (!caching_) {
    std::sort(batch.begin(), batch.end(), [](const SessionTouch& a, const SessionTouch& b) {
      return a.id != b.id ? a.id < b.id : a.last_seen_ms > b.last_seen_ms;
    });
    batch.erase(std::unique(batch.begin(), batch.end(),
                            [](const SessionTouch& a, const SessionTouch& b) { return a.id == b.id; }),
                batch.end());
  }
  // Last-seen is advisory: a failed batch costs some sliding, never a session.
  if (auto r = d_.store.touch(batch); !r)
    log_line("warn", "session_touch_failed",
             {{"sessions", std::to_string(batch.size())}, {"detail", std::string(r.error().text())}});
}

void SessionService::purge_expired() {
  const long long now = now_ms();
  // Entries that look idle go too: if another process kept one alive, its
  // next request here reads it back.
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    for (auto it = s.sessions.begin(); it != s.sessions.end();) {
      auto next = std::next(it);
      if (it->second.deadline() <= now) drop(s, it);
      it = next;
    }
  }
  // Counted where they leave the store, so several processes sharing it count each session once.
  auto purged = d_.store.purge_expired(now, idle_);
  if (!purged) {
    log_line("warn", "session_purge_failed", {{"detail", std::string(purged.error().text())}});
    return;
  }
  d_.metrics.inc(Counter::sessions_expired, *purged);
}

}  // namespace cloakroom
