#pragma once
// The running server: stores, hasher, pool, throttles, metrics, routes and
// the HTTP listener, wired from one Config.
//
//   auto stores = open_stores(store_urls(cfg));        // the caller opens them (and says why not)
//   auto app = App::create_listening(cfg, std::move(*stores));   // binds the port
//   if (!app) { print(app.error()); return 1; }
//   (*app)->run();                      // until SIGTERM/SIGINT
//
//   auto wired = App::create(cfg, std::move(stores));  // tests: the same wiring, no port
//   (*wired)->router().match("GET", "/readyz");
#include <memory>

#include "config/config.h"
#include "core/result.h"
#include "http/router.h"
#include "store/store_url.h"

namespace cloakroom::api {

class App {
 public:
  // Wires everything over the stores the config names (opened by the
  // caller, which maps their refusal to an exit code) and binds the port.
  static Result<std::unique_ptr<App>> create_listening(const Config& config, Stores stores);
  // The same wiring over stores the caller opened; binds nothing, so run()
  // must not be called. Tests reach the handlers through router().
  static Result<std::unique_ptr<App>> create(const Config& config, Stores stores);
  ~App();
  void run();
  void stop();
  std::string bound_address() const;
  const http::Router& router() const;

 private:
  struct Parts;
  explicit App(std::unique_ptr<Parts> parts);
  // Both create()s: binds the port first when `bind`, so a derived
  // public_url can name the port actually bound.
  static Result<std::unique_ptr<App>> wire(const Config& config, Stores stores, bool bind);
  std::unique_ptr<Parts> p_;
};

}  // namespace cloakroom::api
