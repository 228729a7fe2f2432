#pragma once
// --help text, rendered from the command table (args.h): the same
// descriptions the parser checks against, so help cannot drift from it.
//
//   std::cout << overview_help(command_table(), "0.1.0");   // cloakroom --help
//   std::cout << group_help(command_table(), "user");       // cloakroom user --help
//   std::cout << command_help(*args->command);              // cloakroom user add --help
#include <span>
#include <string>
#include <string_view>

#include "cli/args.h"

namespace cloakroom::cli {

// Every command with its one-line summary, the global options, exit codes.
std::string overview_help(std::span<const CommandSpec> table, std::string_view version);
// The commands under one group word ("user").
std::string group_help(std::span<const CommandSpec> table, std::string_view group);
// Usage line, details, options, global options and examples of one command.
std::string command_help(const CommandSpec& command);

}  // namespace cloakroom::cli
