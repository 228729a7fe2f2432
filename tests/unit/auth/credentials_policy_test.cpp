#include "auth/credentials_policy.h"

#include <gtest/gtest.h>

namespace cloakroom {
namespace {

// Names people use are accepted, including e-mail addresses and non-ASCII.
TEST(CheckUsername, AcceptsOrdinaryNames) {
  for (std::string_view ok : {"alice", "a", "alice@example.com", "Zoë", "o'brien", "with space"})
    EXPECT_TRUE(check_username(ok)) << ok;
  EXPECT_TRUE(check_username(std::string(128, 'a')));
}

// Empty, too long, control characters, invalid UTF-8 and edge spaces are refused.
TEST(CheckUsername, RejectsBadNames) {
  for (std::string_view bad : {"", " alice", "alice ", "a\tb", "a\nb", "a\x7f", "\xff\xfe", "\xc3"})
    EXPECT_EQ(check_username(bad).error().code, ErrorCode::invalid_field) << bad;
  EXPECT_FALSE(check_username(std::string(129, 'a')));
}

// Password length: at least the configured minimum, at most 1024 bytes.
TEST(CheckPassword, EnforcesLengthBounds) {
  EXPECT_FALSE(check_password("1234567", 8));
  EXPECT_TRUE(check_password("12345678", 8));
  EXPECT_TRUE(check_password(std::string(1024, 'x'), 8));
  EXPECT_FALSE(check_password(std::string(1025, 'x'), 8));
  EXPECT_NE(check_password("short", 8).error().text().find("at least 8"), std::string_view::npos);
}

// Roles are short identifiers so they survive comma lists and headers.
TEST(CheckRole, AllowsIdentifiersOnly) {
  EXPECT_TRUE(check_role("admin"));
  EXPECT_TRUE(check_role("team:ops-1.read_only"));
  for (std::string_view bad : {std::string_view(""), std::string_view("a,b"), std::string_view("a b"), std::string_view("é"), std::string_view("x\0y", 3)})
    EXPECT_FALSE(check_role(bad)) << bad;
  EXPECT_FALSE(check_role(std::string(65, 'a')));
}

}  // namespace
}  // namespace cloakroom
