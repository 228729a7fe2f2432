#include "token/refresh_token.h"

#include <gtest/gtest.h>

namespace cloakroom {
namespace {

const std::string kId(22, 'F');

TEST(RefreshToken, TextRoundTrips) {
  OsRandom rng;
  RefreshSecret s = random_refresh_secret(rng);
  std::string text = refresh_token_text(kId, 17, s);
  auto parsed = parse_refresh_token(text);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->family_id, kId);
  EXPECT_EQ(parsed->generation, 17);
  EXPECT_EQ(parsed->secret, s);
  EXPECT_EQ(text.size(), 22u + 1 + 2 + 1 + 43);
}

TEST(RefreshToken, RefusesEveryOtherShape) {
  OsRandom rng;
  std::string secret = refresh_token_text(kId, 0, random_refresh_secret(rng)).substr(25);
  ASSERT_EQ(secret.size(), 43u);
  for (const std::string& bad : {
           std::string(""), kId, kId + "." + secret, kId + ".0", kId + "..0." + secret,
           kId + ".00." + secret, kId + ".01." + secret, kId + ".-1." + secret, kId + ".+1." + secret,
           kId + ".1a." + secret, kId + ". 1." + secret, kId + ".1234567890123456." + secret,
           std::string(21, 'F') + ".0." + secret, std::string(23, 'F') + ".0." + secret,
           std::string(21, 'F') + "!.0." + secret, kId + ".0." + secret.substr(1), kId + ".0." + secret + "A",
           kId + ".0." + secret.substr(0, 42) + "=", kId + ".0." + secret.substr(0, 42) + "+",
           kId + ".0.0." + secret}) {
    EXPECT_FALSE(parse_refresh_token(bad)) << bad;
  }
  // Non-canonical base64url (trailing bits set) is not the same token.
  std::string last_bits = kId + ".0." + std::string(42, 'A') + "B";
  EXPECT_FALSE(parse_refresh_token(last_bits));
}

// The chain is deterministic per key and differs across keys: only the
// holder of the family's key can walk it.
TEST(RefreshToken, ChainIsKeyed) {
  RefreshSecret s{};
  s[0] = 1;
  std::string k1(32, 'a'), k2(32, 'b');
  EXPECT_EQ(next_refresh_secret(k1, s), next_refresh_secret(k1, s));
  EXPECT_NE(next_refresh_secret(k1, s), next_refresh_secret(k2, s));
  EXPECT_NE(next_refresh_secret(k1, s), s);
  EXPECT_NE(next_refresh_secret(k1, next_refresh_secret(k1, s)), next_refresh_secret(k1, s));
}

// The stored hash matches its own secret only, and never a hash of another length.
TEST(RefreshToken, SecretHashMatchesOnlyItsSecret) {
  RefreshSecret a{}, b{};
  a[0] = 1;
  b[0] = 2;
  std::string h = refresh_secret_hash(a);
  EXPECT_EQ(h.size(), 32u);
  EXPECT_TRUE(refresh_secret_matches(a, h));
  EXPECT_FALSE(refresh_secret_matches(b, h));
  EXPECT_FALSE(refresh_secret_matches(a, h.substr(0, 31)));
  EXPECT_FALSE(refresh_secret_matches(a, ""));
}

}  // namespace
}  // namespace cloakroom
