#pragma once
// Whether this process's view of shared state is recent enough to answer
// a check from. The change feed's follower confirms after every poll that
// reached the store; the request path asks fresh() before it says 200, so a
// process cut off from the feed fails closed instead of honouring a
// credential that may have been revoked elsewhere.
//
//   Freshness freshness(std::chrono::seconds(2));
//   freshness.confirm();               // follower: the feed answered just now
//   freshness.confirm_until(deadline);  // or: good until then (several feeds, several bounds)
//   if (!freshness.fresh()) -> 503     // request path: a few ns, no lock
//
// Why a coarse monotonic clock: it costs a few nanoseconds (no syscall) and
// its few-millisecond resolution is nothing next to a bound of seconds.
#include <time.h>

#include <atomic>
#include <chrono>

#include "core/error.h"

namespace cloakroom {

// What a check answers while not fresh: 503 + Retry-After (never a 401,
// which would make an app drop its user for our failure).
inline Error feed_stale_error() {
  return Error{ErrorCode::store_unavailable,
               "This server cannot confirm recent revocations (the change feed is unreadable); try again shortly."}
      .because("feed_stale");
}

class Freshness {
 public:
  explicit Freshness(std::chrono::milliseconds bound) : bound_ms_(bound.count()), until_ms_(now_ms() + bound_ms_) {}

  void confirm() { confirm_until(now_ms() + bound_ms_); }
  // Fresh until `deadline` (on now_ms()'s clock), which may be sooner than now + bound.
  void confirm_until(long long deadline) { until_ms_.store(deadline, std::memory_order_relaxed); }
  bool fresh() const { return now_ms() <= until_ms_.load(std::memory_order_relaxed); }
  long long bound_ms() const { return bound_ms_; }
  // The deadline last confirmed, on now_ms()'s clock.
  long long fresh_until_ms() const { return until_ms_.load(std::memory_order_relaxed); }

  static long long now_ms() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
  }

 private:
  const long long bound_ms_;
  std::atomic<long long> until_ms_;
};

}  // namespace cloakroom
