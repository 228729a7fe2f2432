#include "core/random.h"

#include <gtest/gtest.h>

#include <set>

namespace cloakroom {
namespace {

// RFC 4648 §10 test vectors, in the unpadded URL-safe alphabet.
TEST(Base64Url, MatchesRfc4648Vectors) {
  auto enc = [](std::string_view s) {
    return base64url_encode({reinterpret_cast<const unsigned char*>(s.data()), s.size()});
  };
  EXPECT_EQ(enc(""), "");
  EXPECT_EQ(enc("f"), "Zg");
  EXPECT_EQ(enc("fo"), "Zm8");
  EXPECT_EQ(enc("foo"), "Zm9v");
  EXPECT_EQ(enc("foob"), "Zm9vYg");
  EXPECT_EQ(enc("fooba"), "Zm9vYmE");
  EXPECT_EQ(enc("foobar"), "Zm9vYmFy");
  const unsigned char high[] = {0xfb, 0xff};
  EXPECT_EQ(base64url_encode(high), "-_8");
}

// Tokens from the OS CSPRNG have the expected length and do not repeat.
TEST(RandomToken, LengthAndUniqueness) {
  OsRandom rng;
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string t = random_token(rng, 32);
    EXPECT_EQ(t.size(), 43u);
    EXPECT_TRUE(seen.insert(t).second);
  }
}

}  // namespace
}  // namespace cloakroom
