#include "cli/commands.h"

#include <gtest/gtest.h>

#include <set>

namespace cloakroom::cli {
namespace {

// The words of the cloakroom command line inside an example: from
// "cloakroom" to a "  #" comment or a closing ")", split on spaces outside quotes.
std::vector<std::string> words_of(std::string_view example) {
  example.remove_prefix(example.find("cloakroom "));
  example = example.substr(0, example.find("  #"));
  if (example.ends_with(')')) example.remove_suffix(1);
  std::vector<std::string> out;
  std::string word;
  char quote = 0;
  bool in_word = false;
  for (char c : example) {
    if (quote) {
      if (c == quote) quote = 0;
      else word += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == ' ') {
      if (in_word) out.push_back(word);
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) out.push_back(word);
  return out;
}

// Every command has a summary, an example and a function to run; its
// options are named once and never shadow a global option.
TEST(CommandTable, EveryCommandIsDescribed) {
  std::set<std::string_view> paths;
  for (const CommandSpec& c : command_table()) {
    SCOPED_TRACE(std::string(c.path));
    EXPECT_TRUE(paths.insert(c.path).second);
    EXPECT_FALSE(c.summary.empty());
    EXPECT_FALSE(c.examples.empty());
    EXPECT_NE(c.run, nullptr);
    std::set<std::string_view> names;
    for (const OptionSpec& o : c.options) {
      EXPECT_TRUE(names.insert(o.name).second) << o.name;
      EXPECT_FALSE(o.help.empty()) << o.name;
      for (const OptionSpec& g : global_options()) EXPECT_NE(o.name, g.name);
    }
  }
}

// Every example is a command line the parser accepts, for the command it illustrates.
TEST(CommandTable, EveryExampleParses) {
  for (const CommandSpec& c : command_table())
    for (std::string_view example : c.examples) {
      SCOPED_TRACE(std::string(example));
      std::vector<std::string> words = words_of(example);
      std::vector<const char*> argv;
      for (const std::string& w : words) argv.push_back(w.c_str());
      auto args = parse_args(command_table(), static_cast<int>(argv.size()), argv.data());
      ASSERT_TRUE(args) << args.error().text();
      ASSERT_NE(args->command, nullptr);
      EXPECT_EQ(args->command->path, c.path);
    }
}

}  // namespace
}  // namespace cloakroom::cli
