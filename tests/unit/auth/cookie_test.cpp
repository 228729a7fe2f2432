#include "auth/cookie.h"

#include <gtest/gtest.h>

namespace cloakroom {
namespace {

// The SPEC's session cookie, attribute for attribute.
TEST(BuildSetCookie, HostSessionCookieMatchesSpec) {
  auto h = build_set_cookie({.name = "__Host-sid", .value = "abc.def", .secure = true, .same_site = SameSite::lax});
  ASSERT_TRUE(h);
  EXPECT_EQ(*h, "__Host-sid=abc.def; Path=/; HttpOnly; Secure; SameSite=Lax");
}

// Max-Age appears only when set; a negative one is clamped to 0 (delete).
TEST(BuildSetCookie, MaxAge) {
  EXPECT_EQ(*build_set_cookie({.name = "a", .value = "b", .max_age = 3600}),
            "a=b; Path=/; Max-Age=3600; HttpOnly; Secure; SameSite=Lax");
  EXPECT_NE(build_set_cookie({.name = "a", .value = "", .max_age = -5})->find("Max-Age=0"), std::string::npos);
}

// The __Host- and __Secure- prefix rules are enforced when building.
TEST(BuildSetCookie, PrefixRules) {
  EXPECT_FALSE(build_set_cookie({.name = "__Host-sid", .value = "v", .secure = false}));
  EXPECT_FALSE(build_set_cookie({.name = "__Host-sid", .value = "v", .path = "/auth"}));
  EXPECT_FALSE(build_set_cookie({.name = "__Secure-rt", .value = "v", .secure = false}));
  EXPECT_TRUE(build_set_cookie({.name = "__Secure-rt", .value = "v", .path = "/auth/refresh"}));
  EXPECT_FALSE(build_set_cookie({.name = "x", .value = "v", .secure = false, .same_site = SameSite::none}));
}

// Names must be tokens and values cookie-octets; 4 KiB at most.
TEST(BuildSetCookie, RejectsBadNamesAndValues) {
  for (std::string_view bad : {"", "a b", "a;b", "a=b", "a,b", "é"})
    EXPECT_FALSE(build_set_cookie({.name = std::string(bad), .value = "v"})) << bad;
  for (std::string_view bad : {"a b", "a;b", "a\"b", "a,b", "a\\b", "a\nb"})
    EXPECT_FALSE(build_set_cookie({.name = "n", .value = std::string(bad)})) << bad;
  EXPECT_TRUE(build_set_cookie({.name = "n", .value = std::string(4095, 'x')}));
  EXPECT_FALSE(build_set_cookie({.name = "n", .value = std::string(4096, 'x')}));
  EXPECT_FALSE(build_set_cookie({.name = "n", .value = "v", .path = "/a;b"}));
}

// What browsers send: pairs separated by "; ".
TEST(ParseCookieHeader, ReadsBrowserHeader) {
  auto pairs = parse_cookie_header("a=1; b=2; __Host-sid=tok.en");
  ASSERT_EQ(pairs.size(), 3u);
  EXPECT_EQ(pairs[2].name, "__Host-sid");
  EXPECT_EQ(pairs[2].value, "tok.en");
}

// Quotes are removed, stray spaces and semicolons are tolerated, empty values kept.
TEST(ParseCookieHeader, TrickyButValid) {
  EXPECT_EQ(find_cookie("a=\"quoted\"", "a"), "quoted");
  EXPECT_EQ(find_cookie(" ;; a = 1 ;b=2;", "a"), "1");
  EXPECT_EQ(find_cookie(";;;b=2", "b"), "2");
  EXPECT_EQ(find_cookie("a=; b=2", "a"), "");
  EXPECT_EQ(find_cookie("a=x=y", "a"), "x=y");
  EXPECT_EQ(find_cookie("\ta=1\t", "a"), "1");
}

// Duplicates: the first wins (browsers send the most specific first).
TEST(ParseCookieHeader, FirstDuplicateWins) {
  EXPECT_EQ(find_cookie("sid=first; sid=second", "sid"), "first");
  EXPECT_EQ(parse_cookie_header("sid=first; sid=second").size(), 2u);
}

// Malformed pairs are skipped without losing the rest of the header.
TEST(ParseCookieHeader, SkipsMalformedPairs) {
  EXPECT_EQ(find_cookie("novalue; =x; a b=1; c\x01=2; d=\x01; ok=yes", "ok"), "yes");
  EXPECT_EQ(parse_cookie_header("novalue; =x; a b=1; ok=yes").size(), 1u);
  EXPECT_FALSE(find_cookie("d=bad\x7f", "d"));
}

// Names are case-sensitive, as in browsers.
TEST(ParseCookieHeader, NamesAreCaseSensitive) {
  EXPECT_FALSE(find_cookie("SID=1", "sid"));
  EXPECT_FALSE(find_cookie("__host-sid=1", "__Host-sid"));
}

// Non-ASCII bytes in values are passed through (never decoded), over-long pairs dropped.
TEST(ParseCookieHeader, NonAsciiAndOversize) {
  EXPECT_EQ(find_cookie("a=caf\xc3\xa9", "a"), "caf\xc3\xa9");
  std::string big = "big=" + std::string(5000, 'x') + "; small=1";
  EXPECT_FALSE(find_cookie(big, "big"));
  EXPECT_EQ(find_cookie(big, "small"), "1");
}

// Very many cookies are read without trouble; the one we want is found.
TEST(ParseCookieHeader, VeryManyCookies) {
  std::string h;
  for (int i = 0; i < 2000; ++i) h += "c" + std::to_string(i) + "=" + std::to_string(i) + "; ";
  h += "__Host-sid=found";
  EXPECT_EQ(parse_cookie_header(h).size(), 2001u);
  EXPECT_EQ(find_cookie(h, "__Host-sid"), "found");
  EXPECT_FALSE(find_cookie(h, "absent"));
}

}  // namespace
}  // namespace cloakroom
