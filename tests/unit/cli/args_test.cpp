#include "cli/args.h"

#include <gtest/gtest.h>

namespace cloakroom::cli {
namespace {

// A small table of the shapes cloakroom's has: a group, operands, required,
// repeatable and switch options.
const std::vector<CommandSpec>& table() {
  static const std::vector<CommandSpec> kTable = {
      {"serve", "", "run", {{"listen", "HOST:PORT", "address"}}},
      {"user add", "NAME", "create", {{"role", "ROLE", "grant", true}, {"password-stdin", "", "stdin"}}},
      {"user list", "", "list"},
      {"user roles", "NAME", "set roles", {{"set", "ROLES", "roles", false, true}}},
      {"session revoke", "[ID]", "revoke", {{"user", "NAME", "all of"}, {"wait", "DURATION", "wait"}, {"no-wait", "", "no"}}},
      {"help", "[COMMAND...]", "help"},
  };
  return kTable;
}

Result<Args> parse(std::vector<const char*> words) {
  words.insert(words.begin(), "cloakroom");
  return parse_args(table(), static_cast<int>(words.size()), words.data());
}

std::string error_of(std::vector<const char*> words) {
  auto r = parse(std::move(words));
  return r ? "(parsed)" : std::string(r.error().text());
}

// A DURATION option is checked by the parser, before any command runs and
// writes: a bad --wait is a usage error naming the option and the value.
TEST(ParseArgs, DurationCheckedBeforeTheCommandRuns) {
  EXPECT_EQ(error_of({"session", "revoke", "abc", "--wait", "5x"}),
            "option --wait takes a duration, not \"5x\"; a duration is a whole number with a unit ms, s, m, h or d, "
            "like \"15m\"");
  EXPECT_EQ(error_of({"session", "revoke", "abc", "--wait=-1s"}),
            "option --wait takes a duration, not \"-1s\"; a duration is a whole number with a unit ms, s, m, h or d, "
            "like \"15m\"");
  auto ok = parse({"session", "revoke", "abc", "--wait", "250ms"});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->get("wait"), "250ms");
}

// Global options are accepted before or after the command.
TEST(ParseArgs, GlobalsAnywhere) {
  auto a = parse({"--data-dir", "D", "user", "list"});
  auto b = parse({"user", "list", "--data-dir=D"});
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->command, b->command);
  EXPECT_EQ(a->command->path, "user list");
  EXPECT_EQ(a->get("data-dir"), "D");
  EXPECT_EQ(b->get("data-dir"), "D");
}

// The store URLs are global options too, and config_from takes them as the
// keys store.users and store.sessions.
TEST(ParseArgs, StoreUrlFlagsAreGlobal) {
  auto a = parse({"--store-users", "memory://", "user", "list", "--store-sessions=sqlite:///tmp/s.db"});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->get("store-users"), "memory://");
  EXPECT_EQ(a->get("store-sessions"), "sqlite:///tmp/s.db");
  auto config = config_from(*a);
  ASSERT_TRUE(config) << config.error().text();
  EXPECT_EQ(config->store.users, "memory://");
  EXPECT_EQ(config->store.sessions, "sqlite:///tmp/s.db");
  EXPECT_EQ(config->origins.at("store.users"), "flag --store-users");
}

// Repeated options keep every value; switches take none; operands are apart from the command words.
TEST(ParseArgs, RepeatedAndSwitchOptions) {
  auto a = parse({"user", "add", "alice", "--role", "admin", "--password-stdin", "--role", "ops"});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->verb(), "add");
  EXPECT_EQ(a->operands, (std::vector<std::string>{"alice"}));
  EXPECT_EQ(a->all("role"), (std::vector<std::string>{"admin", "ops"}));
  EXPECT_TRUE(a->has("password-stdin"));
}

// --no-wait takes no value: it neither swallows the next word nor needs one at the end.
TEST(ParseArgs, SwitchTakesNoValue) {
  auto a = parse({"session", "revoke", "ID", "--no-wait", "--data-dir", "D"});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->operands, (std::vector<std::string>{"ID"}));
  EXPECT_TRUE(a->has("no-wait"));
  EXPECT_EQ(a->get("data-dir"), "D");
  EXPECT_EQ(error_of({"session", "revoke", "--no-wait=yes"}), "option --no-wait takes no value");
}

// After "--" everything is an operand (a user named "--weird"); "-" alone is one too (stdin).
TEST(ParseArgs, DoubleDashEndsOptions) {
  auto a = parse({"user", "add", "--", "--weird"});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->operands, (std::vector<std::string>{"--weird"}));
  auto b = parse({"user", "add", "-"});
  ASSERT_TRUE(b);
  EXPECT_EQ(b->operands, (std::vector<std::string>{"-"}));
}

// Ids are base64url and may begin with '-': where an operand may stand, such a word is one.
TEST(ParseArgs, DashWordWhereAnOperandMayStand) {
  auto a = parse({"session", "revoke", "-Xb3kP0qL9mZ2vR7tYw1aNc", "--no-wait"});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->operands, (std::vector<std::string>{"-Xb3kP0qL9mZ2vR7tYw1aNc"}));
  EXPECT_EQ(error_of({"session", "revoke", "ID", "-Xb3k"}),
            "unknown option -Xb3k for \"session revoke\"; cloakroom session revoke --help lists its options");
  EXPECT_TRUE(parse({"session", "revoke", "-h"})->has("help"));
  // Two dashes too: a word no option could be (an upper-case letter, a digit or '_').
  auto b = parse({"session", "revoke", "--b3kP0qL9mZ2vR7tYw1aNc"});
  ASSERT_TRUE(b);
  EXPECT_EQ(b->operands, (std::vector<std::string>{"--b3kP0qL9mZ2vR7tYw1aNc"}));
  auto k = parse({"session", "revoke", "--_x-abcdefghijklmnopqrstu", "--no-wait"});
  ASSERT_TRUE(k) << k.error().text();
  EXPECT_EQ(k->operands, (std::vector<std::string>{"--_x-abcdefghijklmnopqrstu"}));
  EXPECT_TRUE(k->has("no-wait"));
  // Only where the operand is an id: elsewhere a capitalised typo is still an unknown option.
  EXPECT_EQ(error_of({"user", "add", "--Password-stdin"}).rfind("unknown option --Password-stdin", 0), 0u);
  // Lower-case words stay options, so a typo is still named as one.
  EXPECT_EQ(error_of({"session", "revoke", "--no-wiat"}).rfind("unknown option --no-wiat", 0), 0u);
}

// A misspelt command names what was probably meant; one with nothing close lists the choices.
TEST(ParseArgs, UnknownCommands) {
  EXPECT_EQ(error_of({"usr", "list"}), "unknown command \"usr\" (did you mean \"user\"?); cloakroom --help lists the commands");
  EXPECT_EQ(error_of({"user", "lsit"}),
            "unknown command \"user lsit\" (did you mean \"user list\"?); cloakroom user --help lists the user commands");
  EXPECT_EQ(error_of({"user", "frobnicate", "x"}),
            "unknown command \"user frobnicate\"; the user commands are add, list and roles");
  EXPECT_EQ(error_of({"frobnicate"}), "unknown command \"frobnicate\"; cloakroom --help lists the commands");
  EXPECT_EQ(error_of({"user"}), "\"user\" needs a command: add, list or roles (cloakroom user --help tells more)");
}

// A misspelt or unknown option, long or short, names the command and what was probably meant.
TEST(ParseArgs, UnknownOptions) {
  EXPECT_EQ(error_of({"user", "add", "bob", "--pasword-stdin"}),
            "unknown option --pasword-stdin for \"user add\" (did you mean --password-stdin?); "
            "cloakroom user add --help lists its options");
  EXPECT_EQ(error_of({"serve", "-l", "x"}),
            "unknown option -l for \"serve\" (did you mean --listen?); cloakroom serve --help lists its options");
  EXPECT_EQ(error_of({"user", "list", "--bogus", "x"}),
            "unknown option --bogus for \"user list\"; cloakroom user list --help lists its options");
  EXPECT_EQ(error_of({"--data-dri", "D", "user", "list"}),
            "unknown option --data-dri (did you mean --data-dir?); cloakroom --help lists the commands");
  EXPECT_EQ(error_of({"--role", "admin", "user", "add", "bob"}),
            "unknown option --role before a command; a command's options go after its name, as in "
            "cloakroom user add NAME [--role ROLE]... [--password-stdin]");
}

// Operand counts, required options, values and repeats come from the table.
TEST(ParseArgs, OperandsAndRequiredOptions) {
  EXPECT_EQ(error_of({"user", "add"}), "\"user add\" needs NAME; usage: cloakroom user add NAME [--role ROLE]... [--password-stdin]");
  EXPECT_EQ(error_of({"serve", "x"}),
            "unexpected argument \"x\" for \"serve\", which takes none; usage: cloakroom serve [--listen HOST:PORT]");
  EXPECT_EQ(error_of({"user", "add", "a", "b"}),
            "unexpected argument \"b\" for \"user add\"; usage: cloakroom user add NAME [--role ROLE]... [--password-stdin]");
  EXPECT_EQ(error_of({"user", "roles", "alice"}), "\"user roles\" needs --set ROLES; usage: cloakroom user roles NAME --set ROLES");
  EXPECT_EQ(error_of({"serve", "--listen"}), "option --listen needs a value (HOST:PORT)");
  EXPECT_EQ(error_of({"serve", "--listen", "a", "--listen", "b"}), "option --listen is given twice; give it once");
  EXPECT_TRUE(parse({"session", "revoke"}));  // [ID] is optional
  auto h = parse({"help", "user", "add"});
  ASSERT_TRUE(h);
  EXPECT_EQ(h->operands, (std::vector<std::string>{"user", "add"}));
}

// With --help only the command words are checked: the help of what was named is shown.
TEST(ParseArgs, HelpIsLenient) {
  auto a = parse({"user", "roles", "--help"});  // no NAME, no --set
  ASSERT_TRUE(a);
  EXPECT_EQ(a->command->path, "user roles");
  EXPECT_TRUE(a->has("help"));
  auto group = parse({"user", "-h", "--bogus"});
  ASSERT_TRUE(group);
  EXPECT_EQ(group->command, nullptr);
  EXPECT_EQ(group->path, "user");
  EXPECT_EQ(error_of({"usr", "--help"}), "unknown command \"usr\" (did you mean \"user\"?); cloakroom --help lists the commands");
  auto root = parse({"--version"});
  ASSERT_TRUE(root);
  EXPECT_TRUE(root->has("version"));
}

// Suggestions: one edit or swap away, or a beginning of the word; nothing far off.
TEST(Closest, TyposAndBeginnings) {
  const std::vector<std::string_view> words = {"list", "generate", "rotate", "retire", "activate"};
  EXPECT_EQ(closest("lsit", words), (std::vector<std::string_view>{"list"}));
  EXPECT_EQ(closest("gen", words), (std::vector<std::string_view>{"generate"}));
  EXPECT_EQ(closest("r", words), (std::vector<std::string_view>{"rotate", "retire"}));
  EXPECT_TRUE(closest("frobnicate", words).empty());
  EXPECT_TRUE(closest("ls", words).empty());  // two edits from a four-letter word: too far to guess
}

}  // namespace
}  // namespace cloakroom::cli
