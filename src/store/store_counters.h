#pragma once
// Events the stores count for /metrics. Metrics lives above the stores, so
// a store counts here and App moves the counts into its Metrics each
// maintenance tick (App::maintain).
//
//   auto counters = std::make_shared<StoreCounters>();       // one per open_stores call
//   counters->revocations_short_of_replicas.fetch_add(1);    // a store
//   metrics.inc(Counter::x, counters->revocations_short_of_replicas.exchange(0));  // App
#include <atomic>
#include <cstdint>

namespace cloakroom {

struct StoreCounters {
  // Revocations that fewer Redis replicas than store.redis_wait_replicas
  // acknowledged within store.redis_wait_timeout (they stand on the primary).
  std::atomic<std::uint64_t> revocations_short_of_replicas{0};
};

}  // namespace cloakroom
