#include "cli/help.h"

#include <gtest/gtest.h>

namespace cloakroom::cli {
namespace {

int run_nothing(const Args&) { return 0; }

const std::vector<CommandSpec>& table() {
  static const std::vector<CommandSpec> kTable = {
      {"serve", "", "run the server", {{"listen", "HOST:PORT", "address to listen on"}}, "", {"cloakroom serve"}, run_nothing},
      {"user add", "NAME", "create a user",
       {{"role", "ROLE", "a role to grant", true}, {"password-stdin", "", "read the password from stdin"}},
       "Creates the data dir when there is none.",
       {"cloakroom user add alice --role ops"}, run_nothing},
      {"user list", "", "list the users", {}, "", {"cloakroom user list"}, run_nothing},
  };
  return kTable;
}

// A command's help: usage line, summary as a sentence, details, its options, the globals, examples.
TEST(CommandHelp, RendersEveryPart) {
  const std::string help = command_help(table()[1]);
  EXPECT_EQ(help.substr(0, help.find("global options:")),
            "usage: cloakroom user add NAME [--role ROLE]... [--password-stdin]\n\n"
            "Create a user.\n\n"
            "Creates the data dir when there is none.\n\n"
            "options:\n"
            "  --role ROLE       a role to grant (repeatable)\n"
            "  --password-stdin  read the password from stdin\n\n");
  EXPECT_NE(help.find("  -h, --help "), std::string::npos);
  EXPECT_TRUE(help.ends_with("examples:\n  cloakroom user add alice --role ops\n"));
}

// The overview lists every command with its operands; a group lists only its own.
TEST(OverviewHelp, ListsCommandsAndGroups) {
  const std::string all = overview_help(table(), "9.9.9");
  EXPECT_TRUE(all.starts_with("cloakroom 9.9.9 "));
  EXPECT_NE(all.find("  serve          run the server\n  user add NAME  create a user\n  user list      list the users\n"),
            std::string::npos);
  const std::string user = group_help(table(), "user");
  EXPECT_TRUE(user.starts_with("usage: cloakroom user COMMAND"));
  EXPECT_NE(user.find("  user add NAME  create a user\n"), std::string::npos);
  EXPECT_EQ(user.find("serve"), std::string::npos);
}

}  // namespace
}  // namespace cloakroom::cli
