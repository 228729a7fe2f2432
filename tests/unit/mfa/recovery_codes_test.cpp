#include "mfa/recovery_codes.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "core/digest.h"

namespace cloakroom {
namespace {

// Ten distinct codes, "xxxx-xxxx-xxxx" from the unambiguous alphabet. (The
// OS CSPRNG: FakeRandom's counter repeats every 32 characters mod 32.)
TEST(RecoveryCodes, TenWellFormedDistinctCodes) {
  OsRandom random;
  auto codes = new_recovery_codes(random);
  ASSERT_EQ(codes.size(), 10u);
  const std::regex shape("[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}");
  for (const auto& c : codes) EXPECT_TRUE(std::regex_match(c, shape)) << c;
  EXPECT_EQ(std::set<std::string>(codes.begin(), codes.end()).size(), 10u);
}

// The hash is SHA-256 of user id, NUL and the 12 characters.
TEST(RecoveryCodes, HashIsSha256OfUserAndCode) {
  const Sha256 expected = sha256(std::string("u1\0", 3) + "7kq4m2xd9hzc");
  auto h = recovery_code_hash("u1", "7kq4-m2xd-9hzc");
  ASSERT_TRUE(h);
  EXPECT_EQ(*h, std::string(reinterpret_cast<const char*>(expected.data()), expected.size()));
  // Another user's hash of the same code differs: one guess tests one account.
  EXPECT_NE(*recovery_code_hash("u2", "7kq4-m2xd-9hzc"), *h);
}

// Case, dashes, spaces and Crockford's look-alikes do not matter.
TEST(RecoveryCodes, TypingVariantsHashAlike) {
  const auto h = *recovery_code_hash("u", "1kq0-m2xd-9hzc");
  for (const char* typed : {"1KQ0-M2XD-9HZC", "1kq0m2xd9hzc", " 1kq0 m2xd 9hzc ", "ikqo-m2xd-9hzc", "Lkq0-m2xd-9hzc"})
    EXPECT_EQ(recovery_code_hash("u", typed), h) << typed;
}

// Wrong lengths and characters outside the alphabet are no code at all.
TEST(RecoveryCodes, RefusesNonCodes) {
  for (const char* typed : {"", "1kq0-m2xd-9hz", "1kq0-m2xd-9hzcc", "1kq0-m2xd-9hzu", "1kq0_m2xd_9hzc",
                            "123456"})
    EXPECT_EQ(recovery_code_hash("u", typed), std::nullopt) << typed;
  EXPECT_EQ(recovery_code_hash("u", std::string(100, '-') + "1kq0m2xd9hzc"), std::nullopt);
}

}  // namespace
}  // namespace cloakroom
