#include "auth/login_throttle.h"

#include <algorithm>
#include <cmath>

namespace cloakroom {

LoginThrottle::LoginThrottle(int limit, std::chrono::milliseconds window, std::size_t max_tracked)
    : limit_(limit), per_ms_(static_cast<double>(limit) / static_cast<double>(std::max<long long>(1, window.count()))),
      max_tracked_(max_tracked) {}

void LoginThrottle::refill(Bucket& b, SystemTime now) const {
  double ms = std::chrono::duration<double, std::milli>(now - b.updated).count();
  if (ms > 0) {
    b.tokens = std::min(limit_, b.tokens + ms * per_ms_);
    b.updated = now;
  }
}

std::optional<long long> LoginThrottle::blocked(const std::string& key, SystemTime now) {
  std::lock_guard lock(mu_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    // Why: a full table that cannot be pruned means a flood of distinct
    // keys; refusing is safer than forgetting who was throttled.
    if (buckets_.size() >= max_tracked_) {
      prune(now);
      if (buckets_.size() >= max_tracked_) return 1;
    }
    return std::nullopt;
  }
  refill(it->second, now);
  if (it->second.tokens >= 1.0) return std::nullopt;
  double ms_to_one = (1.0 - it->second.tokens) / per_ms_;
  return std::max<long long>(1, static_cast<long long>(std::ceil(ms_to_one / 1000.0)));
}

void LoginThrottle::record_failure(const std::string& key, SystemTime now) {
  std::lock_guard lock(mu_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_tracked_) prune(now);
    if (buckets_.size() >= max_tracked_) return;
    it = buckets_.emplace(key, Bucket{limit_, now}).first;
  }
  refill(it->second, now);
  it->second.tokens = std::max(0.0, it->second.tokens - 1.0);
}

void LoginThrottle::reset(const std::string& key) {
  std::lock_guard lock(mu_);
  buckets_.erase(key);
}

std::size_t LoginThrottle::tracked() {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

void LoginThrottle::prune(SystemTime now) {
  // Why: a full scan is O(n); once a second at most keeps a flood of new keys
  // from turning every request into a scan.
  if (now - last_prune_ < std::chrono::seconds(1)) return;
  last_prune_ = now;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    refill(it->second, now);
    it = it->second.tokens >= limit_ ? buckets_.erase(it) : std::next(it);
  }
}

}  // namespace cloakroom
