#pragma once
// redis:// change feed (a Stream) and node registry (a hash per node and a
// set of ids), on a Client of their own: the follower polls every few
// milliseconds and must not queue behind the stores' calls.
//
//   redis::ChangeFeed feed(follower_client, keys);
//   bool moved = *feed.changed();             // GET of the counter: one tiny round trip
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
// applied: bounds().last < position, and the follower resyncs. A random
// origin key, set once per dataset, catches the case where new writes
// carried the counter past a reader's position before it looked: when the
// origin changed since this object's previous bounds(), bounds() reports
// everything before an unreachable `first` as gone, which makes a reader
// resync instead of replaying.
//
// changed() polls the counter. XREAD BLOCK on a connection of its own would
// wake the follower without polling; it is the natural next step.
#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "store/change_feed.h"
#include "store/node_registry.h"
#include "store/redis/layout.h"

namespace cloakroom::redis {

class ChangeFeed final : public cloakroom::ChangeFeed {
 public:
  ChangeFeed(std::shared_ptr<Client> client, Keys keys);

  Result<void> append(const Change& change) override;
  Result<std::vector<FeedEntry>> read(long long position, std::size_t max) override;
  Result<FeedBounds> bounds() override;
  Result<bool> changed() override;
  // Trims the entries written (by Redis's clock) before `before_ms`.
  Result<void> prune(long long before_ms) override;
  // The URL without credentials: every process that names the same Redis,
  // database and prefix gets the same name.
  const std::string& name() const override { return name_; }

 private:
  std::shared_ptr<Client> client_;
  Keys keys_;
  std::string name_;
  Script append_, bounds_;
  std::atomic<long long> seen_counter_{-1};
  std::mutex origin_mu_;
  std::string origin_;  // the dataset's origin at the previous bounds()
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
  Result<Reply> run(const Script& script, std::vector<std::string> keys, std::vector<std::string> args) {
    return run_script(*client_, keys_, script, std::move(keys), std::move(args));
  }
  std::shared_ptr<Client> client_;
  Keys keys_;
  Script beat_, leave_, prune_;
};

}  // namespace cloakroom::redis
