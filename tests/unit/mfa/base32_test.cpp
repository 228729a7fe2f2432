#include "mfa/base32.h"

#include <gtest/gtest.h>

namespace cloakroom {
namespace {

std::span<const unsigned char> bytes(std::string_view s) {
  return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

// RFC 4648 §10 test vectors, with the '=' padding left off.
TEST(Base32, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},         {"f", "MY"},           {"fo", "MZXQ"},           {"foo", "MZXW6"},
      {"foob", "MZXW6YQ"}, {"fooba", "MZXW6YTB"}, {"foobar", "MZXW6YTBOI"},
  };
  for (auto [plain, encoded] : vectors) {
    EXPECT_EQ(base32_encode(bytes(plain)), encoded) << plain;
    EXPECT_EQ(base32_decode(encoded), std::string(plain)) << encoded;
  }
}

// A 20-byte TOTP secret is 32 characters; lower case decodes too.
TEST(Base32, SecretRoundTrip) {
  const std::string secret = "12345678901234567890";
  EXPECT_EQ(base32_encode(bytes(secret)), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  EXPECT_EQ(base32_decode("gezdgnbvgy3tqojqgezdgnbvgy3tqojq"), secret);
}

// Padding, foreign characters, impossible lengths and stray low bits are refused.
TEST(Base32, RefusesWhatNoEncoderWrites) {
  EXPECT_EQ(base32_decode("MY======"), std::nullopt);
  EXPECT_EQ(base32_decode("MZ1Q"), std::nullopt);
  EXPECT_EQ(base32_decode("M"), std::nullopt);
  EXPECT_EQ(base32_decode("MZX"), std::nullopt);
  EXPECT_EQ(base32_decode("MZ"), std::nullopt);  // "f" is MY: the last 2 bits of Z are not zero
}

}  // namespace
}  // namespace cloakroom
