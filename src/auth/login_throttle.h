#pragma once
// Attempt budgets: the buckets a password login is charged to, and a single
// kind of bucket (refused refreshes per address), over a ThrottleStore that
// keeps them in this process or in Redis (shared by every node).
//
//   LoginThrottles throttles(config.throttle, *stores.throttles);
//   auto wait = throttles.try_acquire(ip, account, now);   // on the store pool: may be a Redis call
//   if (!wait)  -> 503 store_unavailable: never an unthrottled login
//   if (*wait)  -> 429, Retry-After: **wait
//   ... no password checked (503, store error) ...  throttles.refund(ip, account, now);
//   ... no password checked (503, hash pool full) ... throttles.overloaded(ip, account, now);
//   ... password wrong ...                          nothing: the attempt stays spent
//   ... password right ...                          throttles.succeeded(ip, account, now);
//   ... password right, second step asked for ...   throttles.challenged(ip, account, now);
//
// An attempt takes its tokens *before* the hash starts, in one step, so
// however many guesses arrive at once, no more passwords are checked than
// the buckets hold (checking first and charging after the hash let a burst
// of 60 parallel guesses all through). Thread-safe.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/result.h"
#include "store/throttle_store.h"
#include "store/user_store.h"

namespace cloakroom {

// One kind of key: `rule.limit` attempts, refilled evenly over `rule.window`.
class LoginThrottle {
 public:
  LoginThrottle(ThrottleRule rule, ThrottleStore& store);

  // Takes one attempt from the key's bucket: nullopt when taken; otherwise
  // the seconds (≥ 1) until one is available, and nothing is taken.
  Result<std::optional<long long>> try_acquire(const std::string& key, SystemTime now);
  // Gives back one attempt taken by try_acquire (never beyond the limit).
  Result<void> refund(const std::string& key, SystemTime now);
  // Forgets the key: a full bucket again.
  Result<void> reset(const std::string& key, SystemTime now);

 private:
  Bucket bucket(const std::string& key) const { return Bucket{&rule_, key}; }

  const ThrottleRule rule_;
  ThrottleStore& store_;
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
  LoginThrottles(const ThrottleConfig& c, ThrottleStore& store);

  // One attempt from all three buckets, or from none: nullopt when taken;
  // otherwise the longest wait among the buckets that refused.
  Result<std::optional<long long>> try_acquire(std::string_view ip, std::string_view account, SystemTime now);
  // The attempt checked no password: every token goes back.
  Result<void> refund(std::string_view ip, std::string_view account, SystemTime now);
  // No password was checked because the hash pool was full: the account's
  // tokens go back (its owner did not cause the load), the address's stay
  // spent, so one address flooding logins pays for the flood and reaches
  // its 429 instead of keeping the workers busy for free.
  Result<void> overloaded(std::string_view ip, std::string_view account, SystemTime now);
  // The password was right, so the attempt was no guess: the address and
  // account tokens go back and the (account, address) failures are cleared.
  // Other addresses' failures against the account stay.
  Result<void> succeeded(std::string_view ip, std::string_view account, SystemTime now);
  // The password was right and a second step was asked for: the address's
  // and the pair's tokens go back, the account's stays spent until the
  // window refills it. Why: each such login leaves a challenge in the shared
  // store, and a right password is otherwise free, so one account could
  // fill the store's bound for login challenges and lock every TOTP user
  // out; this caps it at throttle.per_account challenges per window.
  Result<void> challenged(std::string_view ip, std::string_view account, SystemTime now);

 private:
  Bucket by_ip(std::string_view ip) const { return Bucket{&by_ip_, std::string(ip)}; }
  Bucket by_account(std::string_view account) const { return Bucket{&by_account_, std::string(account)}; }
  Bucket by_account_ip(std::string_view ip, std::string_view account) const;

  const ThrottleRule by_ip_, by_account_ip_, by_account_;
  ThrottleStore& store_;
};

// A signed-in user's guess (a current password, a TOTP code) is paid like a
// login's: one attempt from the account's and address's buckets, then the
// user as stored. The attempt goes back when the user cannot be read:
// nothing was checked. Calls the stores: run it on the store pool.
struct SignedInAttempt {
  std::optional<long long> wait;  // throttled: seconds until an attempt is free
  User user;
};
Result<SignedInAttempt> take_signed_in_attempt(LoginThrottles& throttles, UserStore& users, const Clock& clock,
                                               const std::string& ip, const std::string& account,
                                               const std::string& user_id);

}  // namespace cloakroom
