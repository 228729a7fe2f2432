#include <iostream>

#include "cli/commands.h"
#include "core/audit_log.h"

namespace cloakroom::cli {

// `config check`: loads the configuration exactly as `serve` would (file,
// CLOAKROOM_* environment, flags), refuses it with the same sentence serve
// would print, or prints every effective setting with secrets masked (and,
// on stderr, one line per value another key clamps).
// `config example`: every key commented out at its default (the file the
// package installs as /etc/cloakroom/cloakroom.toml). Options and operands
// were checked against command_table.cpp.
int config_command(const Args& args) {
  if (args.verb() == "example") {
    std::cout << config_example_toml();
    return kExitOk;
  }
  auto config = config_from(args);
  if (!config) return fail(kExitUsage, config.error().text());
  // The file rules serve applies when it opens log.audit (nothing is created here).
  if (auto audit = check_audit_target(config->log.audit, config->data_dir); !audit)
    return fail(kExitUsage, audit.error().text());
  // On stderr: stdout stays the effective settings, a file one can keep.
  for (const auto& w : config->warnings) std::cerr << "cloakroom: warning: " << w.sentence() << "\n";
  std::cout << "# the configuration is valid; the settings serve would run with:\n" << config_effective_toml(*config);
  return kExitOk;
}

}  // namespace cloakroom::cli
