#include "auth/login_throttle.h"

namespace cloakroom {

LoginThrottle::LoginThrottle(ThrottleRule rule, ThrottleStore& store) : rule_(std::move(rule)), store_(store) {}

Result<std::optional<long long>> LoginThrottle::try_acquire(const std::string& key, SystemTime now) {
  return store_.take({bucket(key)}, unix_millis(now));
}

Result<void> LoginThrottle::refund(const std::string& key, SystemTime now) {
  return store_.settle({bucket(key)}, {}, unix_millis(now));
}

Result<void> LoginThrottle::reset(const std::string& key, SystemTime now) {
  return store_.settle({}, {bucket(key)}, unix_millis(now));
}

LoginThrottles::LoginThrottles(const ThrottleConfig& c, ThrottleStore& store)
    : by_ip_{"ip", c.per_ip, c.window},
      by_account_ip_{"account_ip", c.per_account_ip, c.window},
      by_account_{"account", c.per_account, c.window},
      store_(store) {}

Bucket LoginThrottles::by_account_ip(std::string_view ip, std::string_view account) const {
  // Unambiguous: an address never contains a space, a username may.
  std::string k(ip);
  k += ' ';
  k += account;
  return Bucket{&by_account_ip_, std::move(k)};
}

Result<std::optional<long long>> LoginThrottles::try_acquire(std::string_view ip, std::string_view account,
                                                              SystemTime now) {
  return store_.take({by_ip(ip), by_account_ip(ip, account), by_account(account)}, unix_millis(now));
}

Result<void> LoginThrottles::refund(std::string_view ip, std::string_view account, SystemTime now) {
  return store_.settle({by_ip(ip), by_account_ip(ip, account), by_account(account)}, {}, unix_millis(now));
}

Result<void> LoginThrottles::overloaded(std::string_view ip, std::string_view account, SystemTime now) {
  return store_.settle({by_account_ip(ip, account), by_account(account)}, {}, unix_millis(now));
}

Result<void> LoginThrottles::challenged(std::string_view ip, std::string_view account, SystemTime now) {
  return store_.settle({by_ip(ip), by_account_ip(ip, account)}, {}, unix_millis(now));
}

Result<void> LoginThrottles::succeeded(std::string_view ip, std::string_view account, SystemTime now) {
  return store_.settle({by_ip(ip), by_account(account)}, {by_account_ip(ip, account)}, unix_millis(now));
}

Result<SignedInAttempt> take_signed_in_attempt(LoginThrottles& throttles, UserStore& users, const Clock& clock,
                                               const std::string& ip, const std::string& account,
                                               const std::string& user_id) {
  auto wait = throttles.try_acquire(ip, account, clock.now());
  if (!wait) return wait.error();
  if (*wait) return SignedInAttempt{*wait, {}};
  auto user = users.find_by_id(user_id);
  if (!user) {
    (void)throttles.refund(ip, account, clock.now());
    return user.error();
  }
  return SignedInAttempt{std::nullopt, std::move(*user)};
}

}  // namespace cloakroom
