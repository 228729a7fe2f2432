#pragma once
// Throttle buckets in this process (sqlite:// and memory:// session stores):
// a table per rule behind one mutex, gone at exit. Each node counts alone.
//
//   memory::ThrottleStore throttles(config.throttle.max_tracked);
//   auto wait = throttles.take({{&per_ip, ip}, {&per_pair, pair}}, now_ms);
//
// Memory is bounded: each rule's table holds at most `max_tracked` keys.
// When one is full, buckets that have refilled are dropped (a scan at most
// once a second); if none can be, a new key is refused (wait 1 s) rather
// than anyone throttled forgotten: fail closed under a flood of distinct keys.
#include <mutex>
#include <string>
#include <unordered_map>

#include "store/throttle_store.h"

namespace cloakroom::memory {

class ThrottleStore final : public cloakroom::ThrottleStore {
 public:
  explicit ThrottleStore(std::size_t max_tracked);

  Result<std::optional<long long>> take(const std::vector<Bucket>& buckets, long long now_ms) override;
  Result<void> settle(const std::vector<Bucket>& refund, const std::vector<Bucket>& clear, long long now_ms) override;

  // Keys held for `rule` (for tests of the bound).
  std::size_t tracked(const std::string& rule);

 private:
  struct State {
    double tokens;
    long long updated_ms;
  };
  struct Table {
    std::unordered_map<std::string, State> buckets;
    long long last_prune_ms = 0;
  };
  // Drops `table`'s refilled buckets, at most once a second.
  void prune(Table& table, const ThrottleRule& rule, long long now_ms);

  const std::size_t max_tracked_;
  std::mutex mu_;
  std::unordered_map<std::string, Table> tables_;  // by rule name
};

}  // namespace cloakroom::memory
