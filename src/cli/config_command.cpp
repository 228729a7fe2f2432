#include <iostream>

#include "cli/commands.h"

namespace cloakroom::cli {

// `config check`: loads the configuration exactly as `serve` would (file,
// CLOAKROOM_* environment, flags), refuses it with the same sentence serve
// would print, or prints every effective setting with secrets masked.
// `config example`: every key commented out at its default (the file the
// package installs as /etc/cloakroom/cloakroom.toml).
int config_command(const Args& args) {
  constexpr const char* kUsage = "usage: cloakroom config check [--config FILE] | config example";
  if (args.positional.size() != 2) return fail(kExitUsage, kUsage);
  const std::string& sub = args.positional[1];
  if (sub == "example") {
    if (auto r = args.only({}); !r) return fail(kExitUsage, r.error().text());
    std::cout << config_example_toml();
    return kExitOk;
  }
  if (sub != "check") return fail(kExitUsage, kUsage);
  if (auto r = args.only({"config", "data-dir", "listen"}); !r) return fail(kExitUsage, r.error().text());
  auto config = config_from(args);
  if (!config) return fail(kExitUsage, config.error().text());
  std::cout << "# the configuration is valid; the settings serve would run with:\n" << config_effective_toml(*config);
  return kExitOk;
}

}  // namespace cloakroom::cli
