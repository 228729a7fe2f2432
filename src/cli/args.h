#pragma once
// The command line, parsed against one description of every command: the
// same CommandSpec drives parsing, validation, --help text and the "did you
// mean" in errors (command_table.cpp holds cloakroom's).
//
//   auto args = parse_args(command_table(), argc, argv);
//   if (!args) -> exit 2 with args.error().text()   // unknown command/option, missing NAME...
//   args->command->path == "user add";  args->operands == {"alice"}
//   args->all("role") == {"admin", "ops"};   args->has("password-stdin")
//   // global options (--config, --data-dir, --store-users, ..., -h/--help, --version) go before or after the command
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/result.h"

namespace cloakroom::cli {

struct Args;

// One --option of a command (or a global one).
struct OptionSpec {
  std::string_view name;   // without the dashes: "role"
  std::string_view value;  // what it takes, for help: "ROLE"; empty: a switch that takes none;
                           // "DURATION" is checked by the parser (parse_duration)
  std::string_view help;   // one line
  bool repeat = false;     // may be given more than once (each value is kept)
  bool required = false;
  char short_name = 0;     // 'h' for -h; everything else is long only
};

// One command: the words that name it, what follows them, and its help.
struct CommandSpec {
  std::string_view path;      // "user add"
  // The operands, as help shows them: "NAME", "[ID]", "[COMMAND...]". Their
  // count follows from it: a bracketed one is optional, "..." repeats.
  std::string_view operands;
  std::string_view summary;   // one line, for the command list
  std::vector<OptionSpec> options;
  std::string_view details;   // paragraphs for --help (may be empty)
  std::vector<std::string_view> examples;  // whole command lines; "  # ..." comments allowed
  int (*run)(const Args&) = nullptr;
};

// -h/--help, --version, --config FILE, --data-dir DIR, --store-users URL,
// --store-sessions URL: accepted with any command.
std::span<const OptionSpec> global_options();

struct Args {
  // The command named, or null when the words stop at a group ("user") or
  // none were given; `path` is the words given either way ("user", "").
  const CommandSpec* command = nullptr;
  std::string path;
  std::vector<std::string> operands;
  std::multimap<std::string, std::string> flags;  // name without "--"; switches map to ""

  bool has(const std::string& name) const { return flags.count(name) > 0; }
  std::optional<std::string> get(const std::string& name) const;
  std::vector<std::string> all(const std::string& name) const;
  // The last word of the command's path: "add" for "user add".
  std::string_view verb() const;
};

// Parses argv against `table`. Options are checked against the command's
// own and the global ones; operand counts and required options too. With
// -h/--help only the command words are checked (help is shown whatever
// else is wrong), and `command` may stay null for a group or the root.
// A word beginning with "-" is an option, except "-" alone (stdin) and a
// longer single-dash word where an operand may stand (an id such as
// "-Xb3k..."); after "--" every word is an operand.
// Errors: invalid_field, one sentence naming the word and, when one is
// close, what was probably meant.
Result<Args> parse_args(std::span<const CommandSpec> table, int argc, const char* const* argv);

// The candidates closest to `word` (a typo: an edit or a swap away, or
// `word` is a beginning of them), best first; empty when none is close.
std::vector<std::string_view> closest(std::string_view word, std::span<const std::string_view> candidates);

// "cloakroom user add NAME [--role ROLE]... [--password-stdin]"
std::string usage_line(const CommandSpec& command);

// Config for any command: --config/CLOAKROOM_CONFIG file, environment, and
// the --data-dir / --store-users / --store-sessions / --listen / --public-url
// flags (the last two: serve and config check only).
Result<Config> config_from(const Args& args);

// Exit codes fixed by the SPEC.
inline constexpr int kExitOk = 0;
inline constexpr int kExitNo = 1;
inline constexpr int kExitUsage = 2;

// kExitUsage for a configuration error found only once the server or a
// command opens what the config names (jwt.signing_kid naming no key, a
// keys file in another format, a listen address that cannot be bound),
// kExitNo for anything else: config errors exit 2 wherever they surface.
int exit_code_for(const Error& e);

// Prints "cloakroom: <sentence>" to stderr and returns `code`.
int fail(int code, std::string_view sentence);
// The same for stores that could not be opened: kExitUsage when they refuse
// the configuration (config_invalid: a Redis that may evict keys), else
// kExitNo (unreachable, a wrong password).
int stores_failure(const Error& e);
// The same for an error: exit 2 for a configuration error (config_invalid), else 1.
int fail(const Error& error);

}  // namespace cloakroom::cli
