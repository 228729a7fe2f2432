#include "api/app.h"
#include "cli/commands.h"
#include "cli/data_dir.h"
#include "config/store_urls.h"
#include "core/log.h"

namespace cloakroom::cli {

int serve_command(const Args& args) {
  auto config = config_from(args);
  if (!config) return fail(kExitUsage, config.error().text());
  for (const auto& w : config->warnings)
    log_line("warn", "config_value_clamped", {{"key", w.key}, {"given", w.given}, {"used", w.used}, {"detail", w.sentence()}});
  // serve may create the data dir (the first start); it logs where.
  DataDirWatch watch(*config);
  auto stores = open_stores(store_urls(*config));
  if (!stores) return stores_failure(stores.error());
  auto app = api::App::create_listening(*config, std::move(*stores));
  // Why not on failure too: then stderr is the one sentence of the error.
  if (!app) return fail(app.error());
  if (watch.created()) log_line("info", "data_dir_created", {{"path", watch.where()}});
  (*app)->run();
  return kExitOk;
}

}  // namespace cloakroom::cli
