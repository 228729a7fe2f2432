#include "cli/args.h"

#include <gtest/gtest.h>

namespace cloakroom::cli {
namespace {

Result<Args> parse(std::vector<const char*> words) {
  words.insert(words.begin(), "cloakroom");
  return parse_args(static_cast<int>(words.size()), words.data());
}

// Global options are accepted before or after the command.
TEST(ParseArgs, GlobalsAnywhere) {
  auto a = parse({"--data-dir", "D", "user", "list"});
  auto b = parse({"user", "list", "--data-dir=D"});
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->positional, b->positional);
  EXPECT_EQ(a->get("data-dir"), "D");
  EXPECT_EQ(b->get("data-dir"), "D");
}

// Repeated flags keep every value; boolean flags take none.
TEST(ParseArgs, RepeatedAndBooleanFlags) {
  auto a = parse({"user", "add", "alice", "--role", "admin", "--password-stdin", "--role", "ops"});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->positional, (std::vector<std::string>{"user", "add", "alice"}));
  EXPECT_EQ(a->all("role"), (std::vector<std::string>{"admin", "ops"}));
  EXPECT_TRUE(a->has("password-stdin"));
}

// --no-wait takes no value: it neither swallows the next word nor needs one at the end.
TEST(ParseArgs, NoWaitIsBoolean) {
  auto a = parse({"session", "revoke", "ID", "--no-wait", "--data-dir", "D"});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->positional, (std::vector<std::string>{"session", "revoke", "ID"}));
  EXPECT_TRUE(a->has("no-wait"));
  EXPECT_EQ(a->get("data-dir"), "D");
  auto b = parse({"user", "disable", "alice", "--no-wait"});
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->has("no-wait"));
}

// A value flag at the end without its value, or an unknown flag, is a usage error.
TEST(ParseArgs, UsageErrors) {
  EXPECT_FALSE(parse({"serve", "--listen"}));
  auto a = parse({"user", "list", "--bogus", "x"});
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->only({}));
  EXPECT_TRUE(a->only({"bogus"}));
}

// After "--" everything is positional (a user named "--weird").
TEST(ParseArgs, DoubleDashEndsOptions) {
  auto a = parse({"user", "add", "--", "--weird"});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->positional.back(), "--weird");
}

}  // namespace
}  // namespace cloakroom::cli
