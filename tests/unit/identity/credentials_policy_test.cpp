#include "identity/credentials_policy.h"

#include <gtest/gtest.h>

namespace cloakroom {
namespace {

// Names people use are accepted, including e-mail addresses and non-ASCII
// names in one script (or Latin with Han and kana, or Latin with one other
// script that does not look like it).
TEST(CheckUsername, AcceptsOrdinaryNames) {
  for (std::string_view ok :
       {"alice", "a", "alice@example.com", "Zo\xc3\xab", "o'brien", "with space", "user_1-x.y+z", "bob2",
        "caf\xc3\xa9", "cafe\xcc\x81",                   // café, NFC and NFD (stored as NFC)
        "\xd0\xb0\xd0\xbb\xd0\xb8\xd1\x81\xd0\xb0",           // алиса: Cyrillic only
        "\xce\x94\xce\xb7\xce\xbc\xce\xae\xcf\x84\xcf\x81\xce\xb7\xcf\x82",  // Δημήτρης: Greek only
        "\xe5\xb1\xb1\xe7\x94\xb0\xe3\x81\x95\xe3\x82\x93",   // 山田さん: Han + Hiragana
        "taro\xe5\xb1\xb1\xe7\x94\xb0",                   // Latin + Han
        "\xd7\xa9\xd7\xa8\xd7\x94 sara"})                   // Hebrew + Latin
    EXPECT_TRUE(check_username(ok)) << ok;
  EXPECT_TRUE(check_username(std::string(128, 'a')));
}

std::string username_error(std::string_view name) {
  auto r = check_username(name);
  if (r) return "accepted";
  EXPECT_EQ(r.error().code, ErrorCode::invalid_field) << name;
  return std::string(r.error().text());
}

// The review's look-alikes each get a 400 invalid_field naming the rule they break.
TEST(CheckUsername, RejectsLookAlikes) {
  // Cyrillic а (U+0430) among Latin letters.
  EXPECT_EQ(username_error("\xd0\xb0lice"),
            "username must not mix scripts that look alike (such as Latin with Cyrillic or Greek).");
  EXPECT_EQ(username_error("p\xce\xb1ypal"),  // Greek alpha
            "username must not mix scripts that look alike (such as Latin with Cyrillic or Greek).");
  EXPECT_EQ(username_error("alice\xc2\xa0"), "username must not contain spaces other than U+0020 (U+00A0).");
  EXPECT_EQ(username_error("a\xe2\x80\x83" "b"), "username must not contain spaces other than U+0020 (U+2003).");
  EXPECT_EQ(username_error("a\xe2\x80\xa8" "b"), "username must not contain spaces other than U+0020 (U+2028).");
  EXPECT_EQ(username_error("ali\xe2\x80\x8b" "ce"),
            "username must not contain invisible or formatting characters (U+200B).");
  EXPECT_EQ(username_error("ali\xc2\xad" "ce"),  // soft hyphen
            "username must not contain invisible or formatting characters (U+00AD).");
  EXPECT_EQ(username_error("x\xe3\x85\xa4y"),  // Hangul filler: a letter, but default-ignorable
            "username must not contain invisible or formatting characters (U+3164).");
  EXPECT_EQ(username_error("a\xf3\xa0\x80\x81"),  // language tag
            "username must not contain invisible or formatting characters (U+E0001).");
  EXPECT_EQ(username_error("\xe2\x80\xae" "ecila"), "username must not contain bidirectional controls (U+202E).");
  EXPECT_EQ(username_error("a\xe2\x80\x8f"), "username must not contain bidirectional controls (U+200F).");
  EXPECT_EQ(username_error("a\xc2\x85" "b"), "username must not contain control characters (U+0085).");
  EXPECT_EQ(username_error("a\tb"), "username must not contain control characters (U+0009).");
  EXPECT_EQ(username_error("\xee\x80\x80"),
            "username must not contain unassigned, noncharacter or private-use code points (U+E000).");
  EXPECT_EQ(username_error("a\xcd\xb8"),  // U+0378: unassigned
            "username must not contain unassigned, noncharacter or private-use code points (U+0378).");
  EXPECT_EQ(username_error("a\xef\xb7\x90"),
            "username must not contain unassigned, noncharacter or private-use code points (U+FDD0).");
  EXPECT_EQ(username_error("1\xd9\xa1"),  // ASCII 1 and ARABIC-INDIC DIGIT ONE
            "username must not mix digits from different numbering systems.");
}

// Empty, too long (also once in NFC), control characters, invalid UTF-8 and edge spaces are refused.
TEST(CheckUsername, RejectsBadNames) {
  for (std::string_view bad : {"", " alice", "alice ", "a\tb", "a\nb", "a\x7f", "\xff\xfe", "\xc3"})
    EXPECT_EQ(check_username(bad).error().code, ErrorCode::invalid_field) << bad;
  EXPECT_FALSE(check_username(std::string(129, 'a')));
  // U+FB2C (3 bytes) is 6 bytes in NFC: 40 of them fit in 128 bytes only before.
  std::string grows;
  for (int i = 0; i < 40; ++i) grows += "\xef\xac\xac";
  EXPECT_EQ(username_error(grows), "username must be at most 128 bytes.");
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
