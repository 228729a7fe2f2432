#include "identity/reset_link.h"

#include <gtest/gtest.h>

#include "core/random.h"

namespace cloakroom {
namespace {

// A link: 43 base64url characters of CSPRNG output, stored as the hex
// SHA-256 of exactly that text, expiring ttl from now.
TEST(ResetLink, TokenIsWellFormedAndStoredHashed) {
  OsRandom random;
  auto link = make_reset_link(random, "u1", 1'000, std::chrono::minutes(5));
  EXPECT_EQ(link.token.size(), kResetTokenChars);
  EXPECT_TRUE(well_formed_reset_token(link.token));
  EXPECT_EQ(link.record.user_id, "u1");
  EXPECT_EQ(link.record.expires_ms, 1'000 + 300'000);
  EXPECT_EQ(link.record.token_hash, reset_token_hash(link.token));
  EXPECT_EQ(link.record.token_hash.size(), 64u);
  EXPECT_EQ(link.record.token_hash.find(link.token), std::string::npos);
  EXPECT_NE(make_reset_link(random, "u1", 1'000, std::chrono::minutes(5)).token, link.token);
}

// SHA-256("abc"), the FIPS 180-2 example, in lower-case hex.
TEST(ResetLink, HashIsLowerHexSha256) {
  EXPECT_EQ(reset_token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// Anything but 43 base64url characters is refused before a store read.
TEST(ResetLink, RejectsMalformedTokens) {
  const std::string good(43, 'A');
  EXPECT_TRUE(well_formed_reset_token(good));
  EXPECT_FALSE(well_formed_reset_token(good.substr(1)));
  EXPECT_FALSE(well_formed_reset_token(good + "A"));
  EXPECT_FALSE(well_formed_reset_token(std::string(42, 'A') + "="));
  EXPECT_FALSE(well_formed_reset_token(std::string(42, 'A') + "+"));
  EXPECT_FALSE(well_formed_reset_token(""));
}

TEST(ResetLink, UrlIsOnPublicUrl) {
  EXPECT_EQ(reset_url("https://auth.example.com", "tok"), "https://auth.example.com/reset?token=tok");
}

}  // namespace
}  // namespace cloakroom
