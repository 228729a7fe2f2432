#pragma once
// Attempt budgets: a token bucket per key (a client address, a username, a
// pair of both), and the three of them that a password login is charged to.
//
//   LoginThrottles throttles(config.throttle);
//   if (auto wait = throttles.try_acquire(ip, account, now)) -> 429, Retry-After: *wait
//   ... no password checked (503, store error) ...  throttles.refund(ip, account, now);
//   ... password wrong ...                          nothing: the attempt stays spent
//   ... password right ...                          throttles.succeeded(ip, account, now);
//
// An attempt takes its token *before* the hash starts, in one locked step, so
// however many guesses arrive at once, no more passwords are checked than
// the buckets hold (checking first and charging after the hash let a burst
// of 60 parallel guesses all through). Thread-safe.
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "config/config.h"
#include "core/clock.h"

namespace cloakroom {

// One kind of key: `limit` attempts, refilled evenly over `window`. Memory is
// bounded by `max_tracked` keys; when full, fully refilled buckets are
// dropped, and if none can be, new keys are refused (fail closed under a
// flood of distinct keys).
class LoginThrottle {
 public:
  LoginThrottle(int limit, std::chrono::milliseconds window, std::size_t max_tracked);

  // Takes one attempt from the key's bucket: nullopt when taken; otherwise
  // the seconds (≥ 1) until one is available, and nothing is taken.
  std::optional<long long> try_acquire(const std::string& key, SystemTime now);
  // Gives back one attempt taken by try_acquire (never beyond the limit).
  void refund(const std::string& key, SystemTime now);
  // Forgets the key: a full bucket again.
  void reset(const std::string& key);
  std::size_t tracked();

 private:
  struct Bucket {
    double tokens;
    SystemTime updated;
  };
  void refill(Bucket& b, SystemTime now) const;
  long long wait_for_one(const Bucket& b) const;
  void prune(SystemTime now);

  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  SystemTime last_prune_{};
  const double limit_;
  const double per_ms_;  // tokens regained per millisecond
  const std::size_t max_tracked_;
};

// The buckets of a password login (OWASP "Blocking Brute Force Attacks"):
//   - per (account, address), strict (throttle.per_account_ip): one address
//     guessing one account; the owner's own typos count only here;
//   - per account, loose (throttle.per_account): guessing one account from
//     many addresses; loose so that an attacker elsewhere cannot easily lock
//     the owner out;
//   - per address (throttle.per_ip): one address spraying many accounts.
// Unknown usernames are throttled exactly like real ones.
class LoginThrottles {
 public:
  explicit LoginThrottles(const ThrottleConfig& c);

  // One attempt from all three buckets, or from none: nullopt when taken;
  // otherwise the longest wait among the buckets that refused.
  std::optional<long long> try_acquire(std::string_view ip, std::string_view account, SystemTime now);
  // The attempt checked no password: every token goes back.
  void refund(std::string_view ip, std::string_view account, SystemTime now);
  // The password was right, so the attempt was no guess: the address and
  // account tokens go back and the (account, address) failures are cleared.
  // Other addresses' failures against the account stay.
  void succeeded(std::string_view ip, std::string_view account, SystemTime now);

 private:
  static std::string pair_key(std::string_view ip, std::string_view account);

  LoginThrottle by_ip_;
  LoginThrottle by_account_ip_;
  LoginThrottle by_account_;
};

}  // namespace cloakroom
