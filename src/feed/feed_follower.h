#pragma once
// Keeps one process in step with every change feed of its stores: polls
// each feed cheaply, reads and applies new entries in order, remembers how
// far it got, and tells the node registry (heartbeat + applied positions)
// so a revoking CLI command can wait until every live process applied it
// (and a key command, until each holds the key: deps.held_keys).
// App runs poll_feed(i) for each feed on a thread of that feed's own, every
// few milliseconds (nothing else runs there but key reloads and heartbeats,
// so a slow purge never delays a revocation). Why a thread per feed: a
// backend that hangs rather than refuses (a stopped PostgreSQL, a network
// blackhole) makes each call wait out its deadline; polled in turn, that
// wait delayed the sessions' feed past its bound and valid sessions failed
// closed although their store was healthy.
//
//   FeedFollower follower({stores.feeds, bounds, *stores.nodes, clock, freshness, apply, resync});
//   follower.start();                    // before caches load: positions = each feed's end
//   ... load what is mirrored in memory (denylist, epochs) ...
//   follower.join({host, "127.0.0.1:8080", pid});   // after bind: registers, resumes a saved position
//   follower.poll_feed(i);               // each tick, on feed i's thread (one thread per feed)
//   follower.heartbeat();                // each tick, on one of them (the registry's backend's)
//   follower.poll();                     // or all of it in turn, on one thread
//   follower.leave();                    // clean shutdown: off the registry
//
// Fail closed: each feed has a staleness bound, and freshness is confirmed
// until the earliest of (last time the feed answered and had every new
// entry applied + its bound). A feed that stops answering (the store is
// locked, gone or replaced) lets that deadline pass, and checks answer 503
// until the feed answers again. Why bounds per feed: the feed of the
// sessions' store carries session and token revocations (seconds); a users
// store on another backend only carries user changes, which nobody can make
// while that store is down for everyone, so a longer bound rides out its
// restarts and failovers (see docs/scale-out.md).
// A feed that was pruned past our position, or went backwards (the database
// was replaced by an older copy), cannot be replayed: resync() drops what is
// cached and reloads what is mirrored, then following restarts at its end.
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/freshness.h"
#include "core/result.h"
#include "store/change_feed.h"
#include "store/node_registry.h"

namespace cloakroom {

struct FollowerDeps {
  std::vector<std::shared_ptr<ChangeFeed>> feeds;
  // One staleness bound per feed, same order; empty: freshness's own bound for all.
  std::vector<std::chrono::milliseconds> bounds;
  NodeRegistry& registry;
  const Clock& clock;
  Freshness& freshness;
  // Applies one entry; a failure stops this poll at that entry (retried next tick).
  // Called from each feed's thread: entries of one feed in order, two feeds' at once.
  std::function<Result<void>(const Change&)> apply;
  // Drops caches and reloads mirrored state (from any feed's thread, like apply).
  std::function<Result<void>()> resync;
  // The signing keys this process verifies with, sent with each heartbeat
  // (read after the entries it covers were applied); empty: none reported.
  std::function<HeldKeys()> held_keys = {};
};

struct NodeIdentity {
  std::string host;
  std::string address;
  long long pid = 0;
};

// What /metrics and the logs show about one feed.
struct FeedStatus {
  std::string name;
  long long position = 0;     // applied up to
  long long last = 0;         // the feed's end at the last bounds check
  long long lag_ms = 0;       // age of the newest entry applied, when it was applied
  long long unanswered_ms = 0;  // since the feed last answered a poll
};

class FeedFollower {
 public:
  // How often a heartbeat is written, and how old one may be before the
  // process counts as gone (the CLI stops waiting for it).
  static constexpr std::chrono::milliseconds kHeartbeatEvery{500};
  static constexpr std::chrono::milliseconds kHeartbeatExpiry{1500};

  explicit FeedFollower(FollowerDeps deps);

  Result<void> start();
  // Registers the process. A restart of the same address resumes from the
  // position its predecessor saved (replaying is harmless: entries are idempotent).
  void join(const NodeIdentity& self);
  // Reads and applies feed `i`'s new entries and confirms freshness up to
  // the earliest deadline of all feeds. One thread per feed at most.
  void poll_feed(std::size_t i);
  // Writes the heartbeat when due or when something was applied; one thread.
  void heartbeat();
  // Every feed in turn, then the heartbeat.
  void poll();
  void leave();
  std::size_t feeds() const { return followed_.size(); }

  std::vector<FeedStatus> status() const;
  long long heartbeat_age_ms() const;
  // Since the feed that has gone longest without answering last did.
  long long unanswered_ms() const;
  const std::string& node_id() const { return self_.id; }

 private:
  struct Followed {
    std::shared_ptr<ChangeFeed> feed;
    long long bound_ms = 0;
    long long answered_ms = 0;  // Freshness::now_ms() of its last good poll
    long long position = 0;
    long long last = 0;
    long long lag_ms = 0;
    bool behind = false;  // an entry failed to apply: read again next tick, not fresh until done
    long long stuck_at = 0;  // the entry whose failure was logged last
    long long next_bounds_check_ms = 0;
    bool failing = false;  // for logging transitions once, not every tick
  };
  // false when the feed did not answer or an entry could not be applied.
  bool follow(Followed& f, bool check_bounds);
  enum class CatchUp { done, failed, resync };
  CatchUp catch_up(Followed& f);
  // Reloads through deps.resync and restarts at the feed's end.
  bool resync(Followed& f);
  void beat(long long now_ms);
  long long now_ms() const { return unix_millis(d_.clock.now()); }

  FollowerDeps d_;
  // Each entry is written by its feed's thread only; what others read
  // (positions, answered_ms) is written and read under mu_.
  std::vector<Followed> followed_;
  mutable std::mutex mu_;
  NodeRecord self_;
  bool joined_ = false;  // set before the feed threads start, cleared after they stop
  std::atomic<bool> moved_{false};  // applied something since the last heartbeat (any feed's thread)
  // The heartbeat thread's:
  long long last_beat_ms_ = 0;
  long long last_beat_try_ms_ = 0;
  bool beat_failing_ = false;
  long long next_prune_ms_ = 0;
};

}  // namespace cloakroom
