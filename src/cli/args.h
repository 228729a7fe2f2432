#pragma once
// Command-line words: positionals and --flags, with global flags accepted
// anywhere (`cloakroom --data-dir D user list` == `cloakroom user list --data-dir D`).
//
//   auto args = parse_args(argc, argv);
//   if (!args) -> exit 2 with args.error().text()
//   args->positional  == {"user", "add", "alice"}
//   args->all("role") == {"admin", "ops"};   args->has("password-stdin")
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/result.h"

namespace cloakroom::cli {

struct Args {
  std::vector<std::string> positional;
  std::multimap<std::string, std::string> flags;  // name without "--"; booleans map to ""

  bool has(const std::string& name) const { return flags.count(name) > 0; }
  std::optional<std::string> get(const std::string& name) const;
  std::vector<std::string> all(const std::string& name) const;
  // Usage error naming the first flag not in `allowed` (globals are always allowed).
  Result<void> only(std::initializer_list<std::string_view> allowed) const;
};

Result<Args> parse_args(int argc, const char* const* argv);

// Config for any command: --config/CLOAKROOM_CONFIG file, environment, and
// the --data-dir / --listen / --public-url flags (the last two: serve only).
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

}  // namespace cloakroom::cli
