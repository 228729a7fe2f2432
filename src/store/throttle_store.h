#pragma once
// Attempt budgets (token buckets) by key, kept beside the sessions: in
// process for sqlite:// and memory:// (store/memory/throttle_store.h), in
// Redis for redis:// (store/redis/throttle_store.h), so a limit holds across
// every node that shares the Redis. auth/login_throttle.h decides which
// buckets an attempt is charged to; this keeps the charges.
//
//   const ThrottleRule per_ip{"ip", 20, std::chrono::minutes(15)};
//   std::vector<Bucket> charge{{&per_ip, "198.51.100.7"}, {&per_pair, "198.51.100.7 alice"}};
//   auto wait = store.take(charge, now_ms);     // Result<optional<long long>>
//   if (!wait) -> 503 (fail closed)   if (*wait) -> 429, Retry-After: **wait (nothing taken)
//   store.settle(charge, {}, now_ms);           // no password was checked: one attempt back to each
//   store.settle({ip}, {pair}, now_ms);         // right password: the address's back, the pair forgotten
//
// A bucket holds `limit` attempts and regains them evenly over `window`
// (one per window / limit); a bucket never charged, or not charged for a
// whole window, is full. Times are the caller's clock in ms. Thread-safe;
// calls may wait on the network (Redis): never from an I/O thread.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace cloakroom {

// One kind of key and its budget.
struct ThrottleRule {
  std::string name;  // "ip", "account": keys of different rules never meet
  int limit = 1;     // attempts per window (at least 1)
  std::chrono::milliseconds window{1};
};

// The bucket of one key under one rule. The rule outlives the call.
struct Bucket {
  const ThrottleRule* rule;
  std::string key;
};

class ThrottleStore {
 public:
  virtual ~ThrottleStore() = default;

  // One attempt from every bucket, or from none, in one step: however many
  // callers ask at once (on however many nodes share the store), no bucket
  // grants more than it holds. nullopt when taken; otherwise the seconds
  // (≥ 1) until every bucket that refused has an attempt again.
  virtual Result<std::optional<long long>> take(const std::vector<Bucket>& buckets, long long now_ms) = 0;
  // Gives one attempt back to each of `refund` (never beyond its limit;
  // nothing to a bucket that is full or forgotten) and forgets each of
  // `clear` (full again), in one step.
  virtual Result<void> settle(const std::vector<Bucket>& refund, const std::vector<Bucket>& clear, long long now_ms) = 0;
};

}  // namespace cloakroom
