#pragma once
// redis:// change feed (a Stream) and node registry (a hash per node and a
// set of ids), on a Client of their own: the follower calls them every few
// milliseconds and must not queue behind the stores' calls.
//
//   redis::ChangeFeed feed(follower_client, keys, {waiter_client, 5ms});
//   bool moved = *feed.changed();             // waits up to 5 ms for an entry (XREAD BLOCK)
//   auto entries = *feed.read(position, 1000); // XRANGE (position+1)-0 + COUNT 1000
//
// Positions: the scripts that record an entry take n = INCR(counter) and
// XADD it with the id "<n>-0" in the same call, so the position of an
// entry is n, positions grow in the order Redis ran the scripts, and
// bounds() is {first entry's n, counter}. The counter survives trimming,
// so an emptied stream does not look like a regression.
//
// Regressions: a Redis restarted without its data (or a failover to a
// replica that missed writes) hands out positions below what readers
// applied: bounds().last < position, and the follower resyncs. New writes
// can carry the counter past a reader's position before it looks; then:
// - a dataset that lost everything has a new origin (a random key, set
//   once per dataset);
// - a replica that lagged has the same origin (it replicated it), but
//   another entry (or none) where this object saw one: read() starts at the
//   reader's own position and compares the entry there with the one it
//   handed out (kind, subject, value, Redis's millisecond), and bounds()
//   compares the newest entry it saw.
// Either way bounds() reports everything before an unreachable `first` as
// gone, once, which makes a reader resync instead of replaying; read()
// hands out nothing of the other history meanwhile.
//
// Waiting for news: changed() keeps one XREAD BLOCK (kWaitBlock) after the
// last counter it saw in flight on the waiter's connection, pipelined with
// a GET of the counter, and waits for their replies at most one slice (the
// poll interval) per call. An entry written by any node wakes the XREAD at
// once, so the follower applies it within a round trip instead of up to a
// poll interval later; a quiet feed costs one round trip per kWaitBlock
// instead of one per tick. Why the XREAD outlives a call instead of
// blocking for one slice: Redis resolves blocking timeouts at its `hz` (10
// a second by default), so an XREAD BLOCK 5 takes about 100 ms on a quiet
// Redis and would stall the follower's tick.
// Fail closed: changed() answers "nothing new" only while the XREAD in
// flight is younger than kAnswerWithin; a Redis that stops answering
// without closing the connection is an error from then on (so freshness
// ages), and the connection is dropped at the command timeout.
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/change_feed.h"
#include "store/node_registry.h"
#include "store/redis/layout.h"

namespace cloakroom::redis {

// Why 100 ms: a quiet feed costs a round trip per 100-200 ms (Redis ends
// the block on its next 100 ms timer tick) instead of one per 5 ms poll.
inline constexpr std::chrono::milliseconds kWaitBlock{100};
// Why 400 ms: kWaitBlock plus Redis's timer tick plus room for a busy
// Redis; past it, silence no longer counts as "nothing new".
inline constexpr std::chrono::milliseconds kAnswerWithin{400};

// How changed() waits: on `client` (a Client of its own, one connection:
// the XREAD keeps it busy), at most `slice` per call.
struct FeedWait {
  std::shared_ptr<Client> client;
  std::chrono::milliseconds slice{5};
};

class ChangeFeed final : public cloakroom::ChangeFeed {
 public:
  ChangeFeed(std::shared_ptr<Client> client, Keys keys, FeedWait wait);

  Result<void> append(const Change& change) override;
  Result<std::vector<FeedEntry>> read(long long position, std::size_t max) override;
  Result<FeedBounds> bounds() override;
  // Waits up to the slice for news: true when the counter moved since the
  // previous call; false when nothing came within the slice.
  Result<bool> changed() override;
  // Trims the entries written (by Redis's clock) before `before_ms`.
  Result<void> prune(long long before_ms) override;
  // The URL without credentials: every process that names the same Redis,
  // database and prefix gets the same name.
  const std::string& name() const override { return name_; }

 private:
  const ScriptRunner run_;
  FeedWait wait_;
  std::string name_;
  Script append_, bounds_;
  // The entry at `position` in `entry` is not the one seen there: the history was lost (logged once).
  bool differs_from_seen(long long position, const Fields& entry) const;
  void history_lost(std::string_view detail);

  long long seen_counter_ = -1;  // only the follower's thread calls changed()
  // The XREAD after wait_after_ and the GET of the counter, as changed() sends them.
  std::vector<Command> wait_commands_;
  long long wait_after_ = -1;
  std::mutex history_mu_;
  std::string origin_;  // the dataset's origin at the previous bounds()
  // The newest entry read() or bounds() saw, by position and content.
  struct Seen {
    long long position = 0;
    std::string fingerprint;
  };
  Seen seen_;
  bool lost_ = false;  // the history read so far is gone: bounds() reports it once
};

class NodeRegistry final : public cloakroom::NodeRegistry {
 public:
  NodeRegistry(std::shared_ptr<Client> client, Keys keys);

  Result<void> beat(const NodeRecord& node) override;
  Result<void> leave(const std::string& id) override;
  Result<std::vector<NodeRecord>> list() override;
  // Also forgets ids whose hash ran out by TTL.
  Result<void> prune(long long before_ms) override;

 private:
  // Redis's clock minus this host's, in ms (TIME, one round trip).
  Result<long long> clock_offset();

  const ScriptRunner run_;
  Script beat_, leave_, prune_;
};

}  // namespace cloakroom::redis
