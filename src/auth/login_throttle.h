#pragma once
// Counts failed logins per key (a client address, or a username) and says
// when a key must wait. One instance per key kind.
//
//   LoginThrottle by_ip(20, 15min, 100000);
//   if (auto wait = by_ip.blocked(ip, now)) -> 429, Retry-After: *wait
//   ... password wrong ...  by_ip.record_failure(ip, now);
//   ... password right ...  by_account.reset(username_key);
//
// A token bucket per key: `limit` failures, refilled evenly over `window`.
// Memory is bounded by `max_tracked` keys; when full, fully refilled buckets
// are dropped, and if none can be, new keys are refused (fail closed under a
// flood). Thread-safe.
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/clock.h"

namespace cloakroom {

class LoginThrottle {
 public:
  LoginThrottle(int limit, std::chrono::milliseconds window, std::size_t max_tracked);

  // Seconds to wait (≥ 1) when the key may not try now; nullopt when it may.
  std::optional<long long> blocked(const std::string& key, SystemTime now);
  void record_failure(const std::string& key, SystemTime now);
  void reset(const std::string& key);
  std::size_t tracked();

 private:
  struct Bucket {
    double tokens;
    SystemTime updated;
  };
  void refill(Bucket& b, SystemTime now) const;
  void prune(SystemTime now);

  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  SystemTime last_prune_{};
  const double limit_;
  const double per_ms_;  // tokens regained per millisecond
  const std::size_t max_tracked_;
};

}  // namespace cloakroom
