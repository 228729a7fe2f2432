#include "api/token_routes.h"

#include <gtest/gtest.h>

#include "support/app_under_test.h"

namespace cloakroom::api {
namespace {

using testing::cookie_pair;
using testing::expect_unavailable;

constexpr const char* kPassword = "correct horse battery";

// A refresh token (in the body) and the refresh cookie of a second login.
class TokenRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(t.register_user("ann", kPassword).status, 201);
    auto body = t.login("ann", kPassword, R"(,"mode":"token","transport":"body")");
    ASSERT_EQ(body.status, 200) << body.body;
    refresh_token = testing::json_text(body, {"refresh_token"});
    auto cookie = t.login("ann", kPassword, R"(,"mode":"token")");
    ASSERT_EQ(cookie.status, 200) << cookie.body;
    refresh_cookie = cookie_pair(cookie, "__Secure-rt");
    ASSERT_FALSE(refresh_token.empty());
    ASSERT_FALSE(refresh_cookie.empty());
  }
  testing::TestRequest by_body() const {
    return t.post_json("/auth/refresh", R"({"refresh_token":")" + refresh_token + "\"}");
  }
  testing::TestRequest by_cookie() const {
    return {.method = "POST", .path = "/auth/refresh", .headers = {{"Cookie", refresh_cookie}, t.origin()}};
  }

  testing::AppUnderTest t;
  std::string refresh_token;
  std::string refresh_cookie;  // "__Secure-rt=..."
};

// With the stores up both transports rotate: a new pair comes back the way the old one came.
TEST_F(TokenRoutes, RefreshRotatesByBodyAndByCookie) {
  auto body = t.send(by_body());
  EXPECT_EQ(body.status, 200) << body.body;
  EXPECT_FALSE(testing::json_text(body, {"refresh_token"}).empty());
  auto cookie = t.send(by_cookie());
  EXPECT_EQ(cookie.status, 200) << cookie.body;
  EXPECT_FALSE(cookie_pair(cookie, "__Secure-rt").empty());
  EXPECT_FALSE(cookie_pair(cookie, "__Host-at").empty());
}

// An outage is no verdict on the token: 503, and the refresh cookie is not
// cleared (expect_unavailable: no Set-Cookie), so the client retries with it.
TEST_F(TokenRoutes, RefreshAnswers503AndKeepsTheCookieWhenTheStoresFail) {
  t.backing.fail(true);
  {
    SCOPED_TRACE("token in the body");
    expect_unavailable(t.send(by_body()));
  }
  {
    SCOPED_TRACE("token in the cookie");
    expect_unavailable(t.send(by_cookie()));
  }
  // And the same tokens still work once the store is back.
  t.backing.fail(false);
  EXPECT_EQ(t.send(by_body()).status, 200);
  EXPECT_EQ(t.send(by_cookie()).status, 200);
}

// The throttle buckets alone cannot be reached (Redis down, the token store
// up): 503 with the cookie kept, never a refresh read without the throttle.
TEST_F(TokenRoutes, RefreshAnswers503WhenOnlyTheThrottleStoreFails) {
  t.backing.failing.throttles = true;
  expect_unavailable(t.send(by_body()));
  expect_unavailable(t.send(by_cookie()));
  t.backing.failing.throttles = false;
  EXPECT_EQ(t.send(by_body()).status, 200);
}

}  // namespace
}  // namespace cloakroom::api
