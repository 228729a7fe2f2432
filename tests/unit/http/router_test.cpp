#include "http/router.h"

#include <gtest/gtest.h>

namespace cloakroom::http {
namespace {

Handler ok() {
  return [](Request&) -> Task { co_return json_response(200, "{}"); };
}

Router sample() {
  Router r;
  r.add("GET", "/healthz", ok());
  r.add("POST", "/auth/login", ok());
  r.add("GET", "/auth/sessions", ok());
  r.add("DELETE", "/auth/sessions/{id}", ok());
  r.add("*", "/auth/verify", ok());
  return r;
}

// Exact paths match their method; GET routes also answer HEAD.
TEST(Router, MatchesMethodAndPath) {
  Router r = sample();
  EXPECT_EQ(r.match("GET", "/healthz").kind, RouteMatch::Kind::found);
  EXPECT_EQ(r.match("HEAD", "/healthz").kind, RouteMatch::Kind::found);
  EXPECT_EQ(r.match("POST", "/auth/login").kind, RouteMatch::Kind::found);
  EXPECT_EQ(r.match("PATCH", "/auth/verify").kind, RouteMatch::Kind::found);
}

// A known path with another method is 405 with the Allow list.
TEST(Router, MethodNotAllowedListsAllow) {
  RouteMatch m = sample().match("DELETE", "/healthz");
  EXPECT_EQ(m.kind, RouteMatch::Kind::method_not_allowed);
  EXPECT_EQ(m.allow, "GET, HEAD");
  EXPECT_EQ(sample().match("GET", "/auth/login").allow, "POST");
}

// Unknown paths, near misses and trailing slashes are 404 (no prefix matching).
TEST(Router, UnknownPathsAreNotFound) {
  Router r = sample();
  for (std::string_view p : {"/", "/healthz/", "/healthzz", "/HEALTHZ", "/auth", "/auth/sessions/", "//healthz"})
    EXPECT_EQ(r.match("GET", p).kind, RouteMatch::Kind::not_found) << p;
  EXPECT_EQ(r.match("GET", "/nope").route, r.unmatched_route());
}

// {id} captures one non-empty segment.
TEST(Router, CapturesParameters) {
  RouteMatch m = sample().match("DELETE", "/auth/sessions/abc123");
  ASSERT_EQ(m.kind, RouteMatch::Kind::found);
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0], "abc123");
  EXPECT_EQ(sample().match("DELETE", "/auth/sessions/a/b").kind, RouteMatch::Kind::not_found);
  EXPECT_EQ(sample().match("GET", "/auth/sessions/abc").kind, RouteMatch::Kind::method_not_allowed);
}

// A literal route tried after a parameterised one that half-matched gets no
// stale parameters (literal patterns are compared whole, without the parser).
TEST(Router, LiteralRoutesCarryNoParameters) {
  Router r;
  r.add("GET", "/a/{x}/c", ok());
  r.add("GET", "/a/b/d", ok());
  RouteMatch m = r.match("GET", "/a/b/d");
  ASSERT_EQ(m.kind, RouteMatch::Kind::found);
  EXPECT_TRUE(m.params.empty());
  EXPECT_EQ(m.route, 1u);
}

// Metrics labels: one per pattern, then "unmatched".
TEST(Router, RouteNamesForMetrics) {
  auto names = sample().route_names();
  ASSERT_EQ(names.size(), 6u);
  EXPECT_EQ(names.front(), "/healthz");
  EXPECT_EQ(names.back(), "unmatched");
}

}  // namespace
}  // namespace cloakroom::http
