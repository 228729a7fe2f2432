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

long long LoginThrottle::wait_for_one(const Bucket& b) const {
  // Whole milliseconds first: floating-point noise (900000.0000001 ms) must
  // not add a second to Retry-After.
  const auto ms = static_cast<long long>(std::ceil((1.0 - b.tokens) / per_ms_ - 1e-6));
  return std::max<long long>(1, (ms + 999) / 1000);
}

std::optional<long long> LoginThrottle::try_acquire(const std::string& key, SystemTime now) {
  std::lock_guard lock(mu_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    // Why: a full table that cannot be pruned means a flood of distinct
    // keys; refusing is safer than forgetting who was throttled.
    if (buckets_.size() >= max_tracked_) {
      prune(now);
      if (buckets_.size() >= max_tracked_) return 1;
    }
    it = buckets_.emplace(key, Bucket{limit_, now}).first;
  }
  Bucket& b = it->second;
  refill(b, now);
  if (b.tokens < 1.0) return wait_for_one(b);
  b.tokens -= 1.0;
  return std::nullopt;
}

void LoginThrottle::refund(const std::string& key, SystemTime now) {
  std::lock_guard lock(mu_);
  // Absent: reset or pruned as full since the attempt, nothing to give back.
  auto it = buckets_.find(key);
  if (it == buckets_.end()) return;
  refill(it->second, now);
  it->second.tokens = std::min(limit_, it->second.tokens + 1.0);
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

LoginThrottles::LoginThrottles(const ThrottleConfig& c)
    : by_ip_(c.per_ip, c.window, c.max_tracked),
      by_account_ip_(c.per_account_ip, c.window, c.max_tracked),
      by_account_(c.per_account, c.window, c.max_tracked) {}

std::string LoginThrottles::pair_key(std::string_view ip, std::string_view account) {
  // Unambiguous: an address never contains a space, a username may.
  std::string k(ip);
  k += ' ';
  k += account;
  return k;
}

std::optional<long long> LoginThrottles::try_acquire(std::string_view ip, std::string_view account, SystemTime now) {
  const std::string ip_key(ip), account_key(account), both = pair_key(ip, account);
  struct Charge {
    LoginThrottle& throttle;
    const std::string& key;
    bool taken = false;
  };
  Charge charges[] = {{by_ip_, ip_key}, {by_account_ip_, both}, {by_account_, account_key}};
  // Every bucket is asked even after one refused, so Retry-After names the
  // longest wait rather than sending the client back into the next one.
  std::optional<long long> wait;
  for (Charge& c : charges) {
    auto w = c.throttle.try_acquire(c.key, now);
    c.taken = !w;
    if (w) wait = std::max(wait.value_or(0), *w);
  }
  if (wait)
    for (Charge& c : charges)
      if (c.taken) c.throttle.refund(c.key, now);
  return wait;
}

void LoginThrottles::refund(std::string_view ip, std::string_view account, SystemTime now) {
  by_ip_.refund(std::string(ip), now);
  by_account_ip_.refund(pair_key(ip, account), now);
  by_account_.refund(std::string(account), now);
}

void LoginThrottles::succeeded(std::string_view ip, std::string_view account, SystemTime now) {
  by_ip_.refund(std::string(ip), now);
  by_account_ip_.reset(pair_key(ip, account));
  by_account_.refund(std::string(account), now);
}

}  // namespace cloakroom
