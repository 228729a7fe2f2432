#include "api/session_routes.h"

#include <gtest/gtest.h>

#include "support/app_under_test.h"

namespace cloakroom::api {
namespace {

using testing::cookie_pair;
using testing::expect_unavailable;

// One user logged in twice while the stores were up: a browser session
// (cookie) and a token-mode client (bearer access token).
class SessionRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(t.register_user("ann", "correct horse battery").status, 201);
    auto session = t.login("ann", "correct horse battery");
    ASSERT_EQ(session.status, 200) << session.body;
    sid = cookie_pair(session, "__Host-sid");
    session_id = testing::json_text(session, {"session", "id"});
    auto token = t.login("ann", "correct horse battery", R"(,"mode":"token","transport":"body")");
    ASSERT_EQ(token.status, 200) << token.body;
    bearer = "Bearer " + testing::json_text(token, {"access_token"});
    ASSERT_FALSE(sid.empty());
    ASSERT_NE(bearer, "Bearer ");
  }
  // Cookie-authenticated, with our Origin (unsafe methods need it).
  testing::TestRequest with_cookie(std::string method, std::string path) const {
    return {.method = std::move(method), .path = std::move(path), .headers = {{"Cookie", sid}, t.origin()}};
  }
  testing::TestRequest with_bearer(std::string method, std::string path) const {
    return {.method = std::move(method), .path = std::move(path), .headers = {{"Authorization", bearer}}};
  }

  testing::AppUnderTest t;
  std::string sid;         // "__Host-sid=..."
  std::string session_id;  // its public id
  std::string bearer;      // "Bearer <access token>"
};

// Ending a session or a refresh family must reach the store; when it cannot,
// the answer is 503 and the cookie stays (the client still holds a live credential).
TEST_F(SessionRoutes, LogoutAnswers503WhenTheStoresFail) {
  t.backing.fail(true);
  {
    SCOPED_TRACE("session cookie");
    expect_unavailable(t.send(with_cookie("POST", "/auth/logout")));
  }
  {
    SCOPED_TRACE("bearer token");
    expect_unavailable(t.send(with_bearer("POST", "/auth/logout")));
  }
}

TEST_F(SessionRoutes, LogoutAllAnswers503WhenTheStoresFail) {
  t.backing.fail(true);
  {
    SCOPED_TRACE("session cookie");
    expect_unavailable(t.send(with_cookie("POST", "/auth/logout-all")));
  }
  {
    SCOPED_TRACE("bearer token");
    expect_unavailable(t.send(with_bearer("POST", "/auth/logout-all")));
  }
}

TEST_F(SessionRoutes, ListSessionsAnswers503WhenTheStoresFail) {
  auto listed = t.send(with_cookie("GET", "/auth/sessions"));
  EXPECT_EQ(listed.status, 200) << listed.body;  // both credentials listed while up
  EXPECT_NE(listed.body.find(session_id), std::string::npos) << listed.body;
  t.backing.fail(true);
  expect_unavailable(t.send(with_cookie("GET", "/auth/sessions")));
}

TEST_F(SessionRoutes, DeleteSessionAnswers503WhenTheStoresFail) {
  t.backing.fail(true);
  {
    SCOPED_TRACE("the caller's own session");
    expect_unavailable(t.send(with_cookie("DELETE", "/auth/sessions/" + session_id)));
  }
  {
    SCOPED_TRACE("an id the caller does not own");
    expect_unavailable(t.send(with_bearer("DELETE", "/auth/sessions/AAAAAAAAAAAAAAAAAAAAAA")));
  }
}

// The checks a request makes on every call are served from memory: a store
// outage does not log anybody out of /auth/me or the forward-auth check.
TEST_F(SessionRoutes, MeAndVerifyAnswerFromMemoryWhileTheStoresFail) {
  t.backing.fail(true);
  for (const auto& path : {"/auth/me", "/auth/verify"}) {
    SCOPED_TRACE(path);
    auto by_cookie = t.send({.path = path, .headers = {{"Cookie", sid}}});
    EXPECT_EQ(by_cookie.status, 200) << by_cookie.body;
    auto by_bearer = t.send(with_bearer("GET", path));
    EXPECT_EQ(by_bearer.status, 200) << by_bearer.body;
  }
  auto verified = t.send({.path = "/auth/verify", .headers = {{"Cookie", sid}}});
  EXPECT_EQ(testing::header_values(verified, "X-Auth-User"), std::vector<std::string>{"ann"});
}

// A user without roles gets X-Auth-Roles present and empty, by cookie and by
// bearer alike (api.md): a proxy that copies the answer over the request
// (Caddy 2.6, Traefik) then overwrites a client's forged X-Auth-Roles.
TEST_F(SessionRoutes, VerifySendsAnEmptyRolesHeaderForAUserWithoutRoles) {
  for (const auto& request : {testing::TestRequest{.path = "/auth/verify", .headers = {{"Cookie", sid}}},
                              with_bearer("GET", "/auth/verify")}) {
    auto verified = t.send(request);
    ASSERT_EQ(verified.status, 200) << verified.body;
    EXPECT_EQ(testing::header_values(verified, "X-Auth-Roles"), std::vector<std::string>{""});
  }
}

}  // namespace
}  // namespace cloakroom::api
