#include "auth/credential_extractor.h"

#include <gtest/gtest.h>

namespace cloakroom {
namespace {

const CookieNames kNames{"__Host-sid", "__Host-at", "__Secure-rt"};

Credential extract(std::vector<std::pair<std::string_view, std::string_view>> headers) {
  http::Request r;
  r.headers = std::move(headers);
  return extract_credential(r, kNames);
}

// SPEC order: Bearer, X-Session-ID, __Host-sid, __Host-at.
TEST(ExtractCredential, FollowsSpecOrder) {
  auto all = extract({{"Cookie", "__Host-at=jwt; __Host-sid=sess"}, {"X-Session-ID", "hdr"}, {"Authorization", "Bearer b"}});
  EXPECT_EQ(all.source, Credential::Source::bearer);
  EXPECT_EQ(all.value, "b");
  EXPECT_EQ(extract({{"Cookie", "__Host-at=jwt; __Host-sid=sess"}, {"X-Session-ID", "hdr"}}).source,
            Credential::Source::session_header);
  auto cookie = extract({{"Cookie", "__Host-at=jwt; __Host-sid=sess"}});
  EXPECT_EQ(cookie.source, Credential::Source::session_cookie);
  EXPECT_EQ(cookie.value, "sess");
  EXPECT_TRUE(cookie.from_cookie());
  EXPECT_EQ(extract({{"Cookie", "__Host-at=jwt"}}).source, Credential::Source::access_cookie);
  EXPECT_EQ(extract({}).source, Credential::Source::none);
}

// The Bearer scheme name is case-insensitive (RFC 9110).
TEST(ExtractCredential, BearerSchemeIsCaseInsensitive) {
  EXPECT_EQ(extract({{"Authorization", "bEaReR tok"}}).value, "tok");
  EXPECT_EQ(extract({{"Authorization", "Basic dXNlcjpwdw=="}}).source, Credential::Source::none);
}

// Without Secure, the cookie names drop their prefixes.
TEST(CookieNames, PrefixesFollowSecure) {
  Config c;
  EXPECT_EQ(cookie_names(c).session, "__Host-sid");
  EXPECT_EQ(cookie_names(c).refresh, "__Secure-rt");
  c.cookie.secure = false;
  EXPECT_EQ(cookie_names(c).session, "sid");
}

// A second Cookie header is read too.
TEST(ExtractCredential, ReadsEveryCookieHeader) {
  auto c = extract({{"Cookie", "a=1"}, {"cookie", "__Host-sid=x"}});
  EXPECT_EQ(c.source, Credential::Source::session_cookie);
  EXPECT_EQ(c.value, "x");
}

}  // namespace
}  // namespace cloakroom
