#include "api/app.h"
#include "cli/commands.h"
#include "config/store_urls.h"
#include "core/log.h"

namespace cloakroom::cli {

int serve_command(const Args& args) {
  if (args.positional.size() > 1) return fail(kExitUsage, "serve takes no arguments, only options");
  if (auto r = args.only({"listen", "public-url"}); !r) return fail(kExitUsage, r.error().text());
  auto config = config_from(args);
  if (!config) return fail(kExitUsage, config.error().text());
  auto stores = open_stores(store_urls(*config));
  if (!stores) return stores_failure(stores.error());
  auto app = api::App::create_listening(*config, std::move(*stores));
  if (!app) return fail(exit_code_for(app.error()), app.error().text());
  (*app)->run();
  return kExitOk;
}

}  // namespace cloakroom::cli
