#pragma once
// The running server: stores, hasher, pool, throttles, metrics, routes and
// the HTTP listener, wired from one Config.
//
//   auto app = App::create(cfg);        // opens stores, binds the port
//   if (!app) { print(app.error()); return 1; }
//   (*app)->run();                      // until SIGTERM/SIGINT
#include <memory>

#include "config/config.h"
#include "core/result.h"

namespace cloakroom::api {

class App {
 public:
  static Result<std::unique_ptr<App>> create(const Config& config);
  ~App();
  void run();
  void stop();
  std::string bound_address() const;

 private:
  struct Parts;
  explicit App(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> p_;
};

}  // namespace cloakroom::api
