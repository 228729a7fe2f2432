#include "mfa/totp.h"

#include <gtest/gtest.h>

#include "support/fake_random.h"

namespace cloakroom {
namespace {

std::span<const unsigned char> bytes(std::string_view s) {
  return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

const std::string kSeed20 = "12345678901234567890";
const std::string kSeed32 = "12345678901234567890123456789012";
const std::string kSeed64 = "1234567890123456789012345678901234567890123456789012345678901234";

// RFC 6238 Appendix B: every time, every digest, 8 digits.
TEST(Totp, Rfc6238AppendixB) {
  struct Vector {
    long long time;
    const char *sha1, *sha256, *sha512;
  };
  const Vector vectors[] = {
      {59, "94287082", "46119246", "90693936"},
      {1111111109, "07081804", "68084774", "25091201"},
      {1111111111, "14050471", "67062674", "99943326"},
      {1234567890, "89005924", "91819424", "93441116"},
      {2000000000, "69279037", "90698825", "38618901"},
      {20000000000, "65353130", "77737706", "47863826"},
  };
  for (const Vector& v : vectors) {
    const long long step = totp_step(v.time);
    EXPECT_EQ(totp_code(bytes(kSeed20), step, 8, TotpDigest::sha1), v.sha1) << v.time;
    EXPECT_EQ(totp_code(bytes(kSeed32), step, 8, TotpDigest::sha256), v.sha256) << v.time;
    EXPECT_EQ(totp_code(bytes(kSeed64), step, 8, TotpDigest::sha512), v.sha512) << v.time;
  }
}

// The 6-digit code is the last six of the 8-digit one (same truncated value, mod 10^6).
TEST(Totp, SixDigitsByDefault) {
  EXPECT_EQ(totp_code(bytes(kSeed20), totp_step(59)), "287082");
  EXPECT_EQ(totp_code(bytes(kSeed20), totp_step(1111111109)), "081804");  // leading zero kept
}

// Steps are floor(t / 30), also before the epoch.
TEST(Totp, StepIsFloor) {
  EXPECT_EQ(totp_step(0), 0);
  EXPECT_EQ(totp_step(29), 0);
  EXPECT_EQ(totp_step(30), 1);
  EXPECT_EQ(totp_step(-1), -1);
  EXPECT_EQ(totp_step(-30), -1);
  EXPECT_EQ(totp_step(-31), -2);
}

// A code is matched to its step within ±1 step of now, and not beyond.
TEST(Totp, MatchesWithinOneStep) {
  const long long now = 1111111111;  // step 37037037
  const long long step = totp_step(now);
  for (long long s = step - 1; s <= step + 1; ++s)
    EXPECT_EQ(match_totp(bytes(kSeed20), totp_code(bytes(kSeed20), s), now), s) << s;
  EXPECT_EQ(match_totp(bytes(kSeed20), totp_code(bytes(kSeed20), step - 2), now), std::nullopt);
  EXPECT_EQ(match_totp(bytes(kSeed20), totp_code(bytes(kSeed20), step + 2), now), std::nullopt);
}

// Anything but exactly six ASCII digits is no match, without computing anything.
TEST(Totp, RefusesMalformedCodes) {
  const long long now = 59;
  const std::string right = totp_code(bytes(kSeed20), totp_step(now));
  ASSERT_EQ(match_totp(bytes(kSeed20), right, now), totp_step(now));
  for (const std::string& bad : {std::string(""), right + "0", right.substr(1), " " + right.substr(1),
                                 std::string("28708\xd9", 6), std::string("28708\0", 6), std::string("2870-2")})
    EXPECT_EQ(match_totp(bytes(kSeed20), bad, now), std::nullopt) << bad;
  // Another secret's code for the same step is not a match (the codes differ here).
  const std::string other = "abcdefghijabcdefghij";
  ASSERT_NE(totp_code(bytes(other), totp_step(now)), right);
  EXPECT_EQ(match_totp(bytes(other), right, now), std::nullopt);
}

// The URI names the issuer twice (label and parameter), percent-encodes both
// parts of the label, and carries the defaults explicitly.
TEST(Totp, OtpauthUri) {
  EXPECT_EQ(otpauth_uri(bytes(kSeed20), "cloakroom", "alice"),
            "otpauth://totp/cloakroom:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=cloakroom"
            "&algorithm=SHA1&digits=6&period=30");
  EXPECT_EQ(otpauth_uri(bytes(kSeed20), "Acme Corp", "b:o&b=caf\xc3\xa9"),
            "otpauth://totp/Acme%20Corp:b%3Ao%26b%3Dcaf%C3%A9?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
            "&issuer=Acme%20Corp&algorithm=SHA1&digits=6&period=30");
}

// Secrets are 20 bytes taken from the Random it is given.
TEST(Totp, NewSecretComesFromRandom) {
  testing::FakeRandom a, b;
  const TotpSecret first = new_totp_secret(a);
  EXPECT_EQ(first, new_totp_secret(b));
  EXPECT_NE(first, new_totp_secret(a));
}

}  // namespace
}  // namespace cloakroom
