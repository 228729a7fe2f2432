#include "jose/base64url.h"

#include <gtest/gtest.h>

#include <cctype>

namespace cloakroom::jose {
namespace {

// Round trip of every length class.
TEST(Base64Url, RoundTrips) {
  for (std::string s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\x00\xff\xfe", 3)})
    EXPECT_EQ(base64url_decode(base64url_encode(s)), s);
}

// Only the canonical form is accepted: no padding, no '+' '/', no stray bits.
TEST(Base64Url, RejectsNonCanonical) {
  EXPECT_EQ(base64url_decode("Zg"), "f");
  EXPECT_FALSE(base64url_decode("Zh"));     // low bits set: "Zg" is the canonical "f"
  EXPECT_FALSE(base64url_decode("Zm9="));   // padding
  EXPECT_FALSE(base64url_decode("Zg=="));
  EXPECT_FALSE(base64url_decode("Z"));      // 1 mod 4
  EXPECT_FALSE(base64url_decode("a+b/"));   // standard alphabet
  EXPECT_FALSE(base64url_decode("Zm 9v"));
  EXPECT_FALSE(base64url_decode("Zm9v\n"));
}

// is_base64url checks the alphabet only: every one of the 64 characters, nothing else.
TEST(Base64Url, IsBase64UrlAlphabet) {
  EXPECT_TRUE(is_base64url("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"));
  EXPECT_TRUE(is_base64url(""));
  EXPECT_TRUE(is_base64url("Zh"));  // not canonical as an encoding, but every character is in the alphabet
  for (int c = 0; c < 256; ++c) {
    bool in_alphabet = std::isalnum(c) || c == '-' || c == '_';
    EXPECT_EQ(is_base64url(std::string(1, static_cast<char>(c))), in_alphabet) << c;
  }
  EXPECT_FALSE(is_base64url(std::string("ab\0cd", 5)));
}

}  // namespace
}  // namespace cloakroom::jose
