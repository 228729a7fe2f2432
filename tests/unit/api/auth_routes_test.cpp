#include "api/auth_routes.h"

#include <gtest/gtest.h>

#include "support/app_under_test.h"

namespace cloakroom::api {
namespace {

using testing::AppUnderTest;
using testing::cookie_pair;
using testing::expect_unavailable;
using testing::header_values;

constexpr const char* kPassword = "correct horse battery";

// With the stores up, the browser flow works end to end through the routes:
// register, log in (a session cookie), see who I am, log out (the cookie is
// cleared and no longer authenticates).
TEST(AuthRoutes, RegisterLoginMeLogoutThroughTheRoutes) {
  AppUnderTest t;
  auto registered = t.register_user("ann", kPassword);
  EXPECT_EQ(registered.status, 201) << registered.body;
  EXPECT_EQ(testing::json_text(registered, {"user", "username"}), "ann");

  auto login = t.login("ann", kPassword);
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string sid = cookie_pair(login, "__Host-sid");
  ASSERT_FALSE(sid.empty());

  auto me = t.send({.path = "/auth/me", .headers = {{"Cookie", sid}}});
  EXPECT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(testing::json_text(me, {"user", "username"}), "ann");
  EXPECT_EQ(testing::json_text(me, {"auth", "mode"}), "session");

  auto logout = t.send({.method = "POST", .path = "/auth/logout", .headers = {{"Cookie", sid}, t.origin()}});
  EXPECT_EQ(logout.status, 200) << logout.body;
  EXPECT_EQ(cookie_pair(logout, "__Host-sid"), "__Host-sid=");  // cleared

  auto after = t.send({.path = "/auth/me", .headers = {{"Cookie", sid}}});
  EXPECT_EQ(after.status, 401) << after.body;
  EXPECT_EQ(header_values(after, "WWW-Authenticate").size(), 1u);
}

// An outage during registration is a 503, not a "name taken" or a 500.
TEST(AuthRoutes, RegisterAnswers503WhenTheStoresFail) {
  AppUnderTest t;
  t.backing.fail(true);
  expect_unavailable(t.register_user("ann", kPassword));
}

// A login that cannot read the user is a 503 in both modes (fail closed),
// never a 401 that would read as a wrong password.
TEST(AuthRoutes, LoginAnswers503InBothModesWhenTheStoresFail) {
  AppUnderTest t;
  ASSERT_EQ(t.register_user("ann", kPassword).status, 201);
  t.backing.fail(true);
  {
    SCOPED_TRACE("session mode");
    expect_unavailable(t.login("ann", kPassword));
  }
  {
    SCOPED_TRACE("token mode");
    expect_unavailable(t.login("ann", kPassword, R"(,"mode":"token")"));
  }
}

// A login whose password checks out but whose new session cannot be stored
// is a 503 too: the user store answers, the session and token stores do not.
TEST(AuthRoutes, LoginAnswers503WhenOnlyTheSessionSideFails) {
  AppUnderTest t;
  ASSERT_EQ(t.register_user("ann", kPassword).status, 201);
  t.backing.failing.sessions = true;
  t.backing.failing.tokens = true;
  {
    SCOPED_TRACE("session mode");
    expect_unavailable(t.login("ann", kPassword));
  }
  {
    SCOPED_TRACE("token mode");
    expect_unavailable(t.login("ann", kPassword, R"(,"mode":"token")"));
  }
}

// The value of a metric line "name value" in GET /metrics, or -1.
long long metric(const AppUnderTest& t, std::string_view name) {
  auto r = t.send({.path = "/metrics"});
  auto at = r.body.find("\n" + std::string(name) + " ");
  return at == std::string::npos ? -1 : std::stoll(r.body.substr(at + name.size() + 2));
}

// The throttle buckets cannot be reached (Redis down) while the users can:
// the login fails closed, 503 store_unavailable with Retry-After in both
// modes, and no password is checked, so guesses cannot go on unthrottled
// during the outage. Logins work again once the buckets answer.
TEST(AuthRoutes, LoginFailsClosedWhenTheThrottleStoreFails) {
  AppUnderTest t;
  ASSERT_EQ(t.register_user("ann", kPassword).status, 201);
  t.backing.failing.throttles = true;
  for (const char* password : {kPassword, "a wrong guess"}) {
    SCOPED_TRACE(password);
    expect_unavailable(t.login("ann", password));
    expect_unavailable(t.login("ann", password, R"(,"mode":"token")"));
  }
  EXPECT_EQ(metric(t, "cloakroom_password_checks_total"), 0);
  EXPECT_EQ(metric(t, "cloakroom_logins_total{outcome=\"store_unavailable\"}"), 4);
  t.backing.failing.throttles = false;
  EXPECT_EQ(t.login("ann", kPassword).status, 200);
  EXPECT_EQ(metric(t, "cloakroom_password_checks_total"), 1);
}

// throttle.per_account_ip failures from one address: the next attempt is
// 429 with the wait until one attempt is back, before any hash; the right
// password from that address waits too.
TEST(AuthRoutes, LoginIsThrottledPerAccountAndAddress) {
  AppUnderTest t;
  ASSERT_EQ(t.register_user("ann", kPassword).status, 201);
  for (int i = 0; i < t.config.throttle.per_account_ip; ++i) EXPECT_EQ(t.login("ann", "a wrong guess").status, 401) << i;
  auto refused = t.login("ann", kPassword);
  EXPECT_EQ(refused.status, 429) << refused.body;
  EXPECT_EQ(testing::header_values(refused, "Retry-After"), std::vector<std::string>{"180"});  // 15 min / 5
  EXPECT_EQ(metric(t, "cloakroom_password_checks_total"), t.config.throttle.per_account_ip);
}

}  // namespace
}  // namespace cloakroom::api
