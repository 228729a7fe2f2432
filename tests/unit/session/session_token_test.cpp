#include "session/session_token.h"

#include <gtest/gtest.h>

namespace cloakroom {
namespace {

// Generated tokens are id.secret with 128-bit ids and 256-bit secrets.
TEST(SessionToken, GeneratedShape) {
  OsRandom rng;
  SessionToken t = SessionToken::generate(rng);
  EXPECT_EQ(t.text().size(), 22u + 1 + 43);
  EXPECT_EQ(t.id().size(), 22u);
  EXPECT_EQ(t.secret().size(), 43u);
  auto parsed = parse_session_token(t.text());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->id, t.id());
  EXPECT_EQ(parsed->secret, t.secret());
  EXPECT_EQ(sha256(parsed->secret), t.secret_hash());
}

// Anything but exactly that shape is refused before any lookup.
TEST(SessionToken, ParseIsExact) {
  OsRandom rng;
  std::string good = SessionToken::generate(rng).text();
  EXPECT_FALSE(parse_session_token(""));
  EXPECT_FALSE(parse_session_token(good.substr(1)));
  EXPECT_FALSE(parse_session_token(good + "A"));
  std::string dot = good;
  dot[22] = '-';
  EXPECT_FALSE(parse_session_token(dot));
  std::string plus = good;
  plus[5] = '+';
  EXPECT_FALSE(parse_session_token(plus));
  std::string pad = good;
  pad.back() = '=';
  EXPECT_FALSE(parse_session_token(pad));
}

// SHA-256 test vector (FIPS 180-2 "abc").
TEST(Sha256, KnownVector) {
  Sha256 h = sha256("abc");
  EXPECT_EQ(h[0], 0xba);
  EXPECT_EQ(h[1], 0x78);
  EXPECT_EQ(h[31], 0xad);
  EXPECT_TRUE(constant_time_equal(h, sha256("abc")));
  EXPECT_FALSE(constant_time_equal(h, sha256("abd")));
}

}  // namespace
}  // namespace cloakroom
