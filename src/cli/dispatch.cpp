#include <iostream>
#include <vector>

#include "cli/commands.h"
#include "cli/help.h"

namespace cloakroom::cli {
namespace {

// CMake's project version (CMakeLists.txt sets it for this file only).
constexpr std::string_view kVersion = CLOAKROOM_VERSION;

// The help of what `args` names: a command, a group ("user") or everything.
int show_help(const Args& args) {
  if (args.command) std::cout << command_help(*args.command);
  else if (!args.path.empty()) std::cout << group_help(command_table(), args.path);
  else std::cout << overview_help(command_table(), kVersion);
  return kExitOk;
}

}  // namespace

int version_command(const Args&) {
  std::cout << "cloakroom " << kVersion << "\n";
  return kExitOk;
}

// `help user add` is `user add --help`: the words are parsed as a command line.
int help_command(const Args& args) {
  std::vector<const char*> words{"cloakroom"};
  for (const std::string& w : args.operands) words.push_back(w.c_str());
  words.push_back("--help");
  auto named = parse_args(command_table(), static_cast<int>(words.size()), words.data());
  if (!named) return fail(kExitUsage, named.error().text());
  return show_help(*named);
}

int run(int argc, const char* const* argv) {
  auto args = parse_args(command_table(), argc, argv);
  if (!args) return fail(kExitUsage, args.error().text());
  if (args->has("help")) return show_help(*args);
  if (args->has("version")) return version_command(*args);
  if (!args->command) {
    // Nothing named: the overview, on stderr since nothing was done.
    std::cerr << overview_help(command_table(), kVersion);
    return kExitUsage;
  }
  return args->command->run(*args);
}

}  // namespace cloakroom::cli
