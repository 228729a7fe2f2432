#include "auth/csrf_guard.h"

#include <gtest/gtest.h>

namespace cloakroom {
namespace {

http::Request request(std::string_view method, std::vector<std::pair<std::string_view, std::string_view>> headers) {
  http::Request r;
  r.method = method;
  r.headers = std::move(headers);
  return r;
}

const Credential kCookie{Credential::Source::session_cookie, "t"};
const Credential kHeader{Credential::Source::session_header, "t"};
Metrics metrics({"unmatched"});

// A cookie-authenticated POST needs our Origin.
TEST(CsrfGuard, CookiePostNeedsMatchingOrigin) {
  CsrfGuard g("https://auth.example.com", metrics);
  EXPECT_TRUE(g.check(request("POST", {{"Origin", "https://auth.example.com"}}), kCookie));
  EXPECT_TRUE(g.check(request("POST", {{"Origin", "HTTPS://Auth.Example.com:443"}}), kCookie));
  EXPECT_EQ(g.check(request("POST", {{"Origin", "https://evil.example"}}), kCookie).error().code, ErrorCode::csrf_rejected);
  EXPECT_FALSE(g.check(request("POST", {{"Origin", "https://auth.example.com.evil"}}), kCookie));
  EXPECT_FALSE(g.check(request("POST", {{"Origin", "http://auth.example.com"}}), kCookie));
  EXPECT_FALSE(g.check(request("POST", {{"Origin", "null"}}), kCookie));
  EXPECT_FALSE(g.check(request("DELETE", {}), kCookie));
  EXPECT_GE(metrics.get(Counter::csrf_rejected), 5u);
}

// Sec-Fetch-Site: same-origin is accepted when there is no Origin.
TEST(CsrfGuard, SecFetchSiteSameOrigin) {
  CsrfGuard g("http://127.0.0.1:8080", metrics);
  EXPECT_TRUE(g.check(request("POST", {{"Sec-Fetch-Site", "same-origin"}}), kCookie));
  EXPECT_FALSE(g.check(request("POST", {{"Sec-Fetch-Site", "cross-site"}}), kCookie));
  EXPECT_FALSE(g.check(request("POST", {{"Sec-Fetch-Site", "same-site"}}), kCookie));
}

// Safe methods and header-authenticated requests are exempt.
TEST(CsrfGuard, ExemptCases) {
  CsrfGuard g("https://auth.example.com", metrics);
  EXPECT_TRUE(g.check(request("GET", {{"Origin", "https://evil.example"}}), kCookie));
  EXPECT_TRUE(g.check(request("POST", {{"Origin", "https://evil.example"}}), kHeader));
}

// Login CSRF: a foreign Origin is refused, no Origin (curl) is fine.
TEST(CsrfGuard, ForeignOriginOnLogin) {
  CsrfGuard g("https://auth.example.com", metrics);
  EXPECT_TRUE(g.check_foreign_origin(request("POST", {})));
  EXPECT_TRUE(g.check_foreign_origin(request("POST", {{"Origin", "https://auth.example.com"}})));
  EXPECT_FALSE(g.check_foreign_origin(request("POST", {{"Origin", "https://evil.example"}})));
  EXPECT_FALSE(g.check_foreign_origin(request("POST", {{"Sec-Fetch-Site", "cross-site"}})));
}

}  // namespace
}  // namespace cloakroom
