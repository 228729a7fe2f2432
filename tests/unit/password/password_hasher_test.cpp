#include "password/password_hasher.h"

#include <gtest/gtest.h>

namespace cloakroom {
namespace {

// Small parameters keep the unit tests fast; the format is the same.
const Argon2Params kFast{64, 1};

// Hashes are PHC strings with our parameters and a random salt.
TEST(PasswordHasher, ProducesArgon2idPhcStrings) {
  PasswordHasher h(kFast);
  auto a = h.hash("secret password");
  auto b = h.hash("secret password");
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(a->starts_with("$argon2id$v=19$m=64,t=1,p=1$")) << *a;
  EXPECT_NE(*a, *b);
}

// The right password verifies; a wrong one, a near miss and garbage do not.
TEST(PasswordHasher, VerifiesOnlyTheRightPassword) {
  PasswordHasher h(kFast);
  std::string phc = *h.hash("secret password");
  EXPECT_TRUE(h.verify(phc, "secret password"));
  EXPECT_FALSE(h.verify(phc, "secret passwore"));
  EXPECT_FALSE(h.verify(phc, ""));
  EXPECT_FALSE(h.verify("not a hash", "secret password"));
  EXPECT_FALSE(h.verify(std::string(1000, '$'), "secret password"));
}

// Unknown users verify against the dummy hash: always false.
TEST(PasswordHasher, DummyNeverVerifies) {
  PasswordHasher h(kFast);
  EXPECT_FALSE(h.verify_or_dummy(nullptr, "anything"));
  std::string phc = *h.hash("x");
  EXPECT_TRUE(h.verify_or_dummy(&phc, "x"));
}

// A hash made with other parameters asks to be rehashed.
TEST(PasswordHasher, NeedsRehashWhenParametersChange) {
  PasswordHasher old_params(kFast);
  PasswordHasher new_params({128, 1});
  std::string phc = *old_params.hash("pw");
  EXPECT_FALSE(old_params.needs_rehash(phc));
  EXPECT_TRUE(new_params.needs_rehash(phc));
  EXPECT_TRUE(new_params.needs_rehash("garbage"));
  EXPECT_TRUE(new_params.verify(phc, "pw"));  // still verifies with its own parameters
}

}  // namespace
}  // namespace cloakroom
