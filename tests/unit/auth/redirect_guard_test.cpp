#include "auth/redirect_guard.h"

#include <gtest/gtest.h>

namespace cloakroom {
namespace {

RedirectGuard guard() { return RedirectGuard("https://auth.example.com", {"app.example.com", ".apps.example.com"}); }

// Our origin, local paths and allowed domains are safe.
TEST(RedirectGuard, AllowsOwnOriginAndAllowedDomains) {
  for (std::string_view ok : {"/", "/account", "/a?b=c#d", "https://auth.example.com/x", "HTTPS://AUTH.EXAMPLE.COM/x",
                              "https://app.example.com/", "https://app.example.com:8443/x", "https://a.apps.example.com/x",
                              "http://app.example.com/x"})
    EXPECT_TRUE(guard().is_safe(ok)) << ok;
}

// The usual open-redirect bypasses are refused.
TEST(RedirectGuard, RefusesBypasses) {
  for (std::string_view bad : {"//evil.com", "///evil.com", "/\\evil.com", "\\\\evil.com", "https:evil.com", "https:/evil.com",
                               "https://evil.com", "https://auth.example.com@evil.com", "https://evil.com@auth.example.com",
                               "https://auth.example.com.evil.com/", "https://evilapp.example.com", "https://apps.example.com",
                               "https://auth.example.com%2f@evil.com", "https://evil%2ecom", "javascript:alert(1)",
                               "data:text/html,x", "ftp://auth.example.com", "https://auth.example.com\\@evil.com",
                               "https://auth.example.com /x", "https://auth.example.com\t/x", "", " /x",
                               "https://auth.example.com:443.evil.com", "//auth.example.com"})
    EXPECT_FALSE(guard().is_safe(bad)) << bad;
}

// A port must be digits: "host:443.evil.com" is not the allowed host.
TEST(RedirectGuard, PortMustBeDigits) {
  RedirectGuard g("https://auth.example.com", {"app.example.com"});
  EXPECT_TRUE(g.is_safe("https://app.example.com:8443/"));
  EXPECT_FALSE(g.is_safe("https://app.example.com:443.evil.com/"));
  EXPECT_FALSE(g.is_safe("https://app.example.com:/"));
  EXPECT_FALSE(g.is_safe("https://app.example.com:99999999/"));
}

// rd values are percent-encoded whole.
TEST(UrlEncode, EncodesReserved) {
  EXPECT_EQ(url_encode("https://a.b/c?d=e&f"), "https%3A%2F%2Fa.b%2Fc%3Fd%3De%26f");
  EXPECT_EQ(url_encode("az09-._~"), "az09-._~");
}

}  // namespace
}  // namespace cloakroom

namespace cloakroom {
namespace {

// rd and friends from a request target: percent- and plus-decoded; malformed
// encodings are absent, not guessed at.
TEST(QueryParam, DecodesAndRefusesMalformed) {
  EXPECT_EQ(query_param("/login?rd=%2Fdocs%3Fa%3D1", "rd"), "/docs?a=1");
  EXPECT_EQ(query_param("/login?x=1&rd=a+b&rd=second", "rd"), "a b");
  EXPECT_EQ(query_param("/login?rd=", "rd"), "");
  EXPECT_EQ(query_param("/login?rd", "rd"), "");
  EXPECT_EQ(query_param("/login?rd=x#frag", "rd"), "x");
  EXPECT_FALSE(query_param("/login", "rd"));
  EXPECT_FALSE(query_param("/login?ard=1", "rd"));
  for (const char* bad : {"/login?rd=%", "/login?rd=%2", "/login?rd=%zz", "/login?rd=a%G1"})
    EXPECT_FALSE(query_param(bad, "rd")) << bad;
  EXPECT_EQ(query_param("/login?rd=%00", "rd"), std::string(1, '\0'));  // decoded; RedirectGuard refuses it
}

}  // namespace
}  // namespace cloakroom
