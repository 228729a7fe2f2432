#include "api/app.h"

#include <thread>

#include "api/auth_routes.h"
#include "api/health_routes.h"
#include "auth/login_throttle.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/random.h"
#include "http/server.h"
#include "password/hash_pool.h"
#include "password/password_hasher.h"
#include "store/store_url.h"

namespace cloakroom::api {

namespace {
int cores() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }
}  // namespace

// Members are destroyed in reverse order: the pool goes (finishing its jobs)
// before the server whose io_contexts those jobs post back to.
struct App::Parts {
  explicit Parts(const Config& c)
      : config(c),
        hasher({c.password.memory_kib, c.password.iterations}),
        throttle_by_ip(c.throttle.per_ip, c.throttle.window, c.throttle.max_tracked),
        throttle_by_account(c.throttle.per_account, c.throttle.window, c.throttle.max_tracked) {}

  Config config;
  SystemClock clock;
  OsRandom random;
  Stores stores;
  PasswordHasher hasher;
  LoginThrottle throttle_by_ip;
  LoginThrottle throttle_by_account;
  http::Router router;
  std::unique_ptr<Metrics> metrics;
  std::unique_ptr<http::Server> server;
  std::unique_ptr<HashPool> pool;
  std::unique_ptr<AuthApi> auth;
  std::unique_ptr<HealthApi> health;

  double gauge(GaugeId id) const {
    switch (id) {
      case GaugeId::hash_queue_depth: return pool->queue_depth();
      case GaugeId::hash_workers: return pool->workers();
      case GaugeId::http_connections: return server->active_connections();
      case GaugeId::count_: break;
    }
    return 0;
  }
};

App::App(std::unique_ptr<Parts> parts) : p_(std::move(parts)) {}
App::~App() = default;

Result<std::unique_ptr<App>> App::create(const Config& config) {
  auto p = std::make_unique<Parts>(config);
  Parts* parts = p.get();
  const Config& c = p->config;

  auto stores = open_stores(c);
  if (!stores) return stores.error();
  p->stores = std::move(*stores);

  // Routes first: metrics are labelled by route pattern. Handlers reach the
  // APIs through `parts`, which outlives the server.
  auto& r = p->router;
  r.add("GET", "/healthz", [parts](http::Request& q) { return parts->health->healthz(q); });
  r.add("GET", "/readyz", [parts](http::Request& q) { return parts->health->readyz(q); });
  r.add("GET", "/metrics", [parts](http::Request& q) { return parts->health->metrics(q); });
  r.add("POST", "/auth/register", [parts](http::Request& q) { return parts->auth->register_user(q); });
  r.add("POST", "/auth/login", [parts](http::Request& q) { return parts->auth->login(q); });

  p->metrics = std::make_unique<Metrics>(r.route_names());
  p->server = std::make_unique<http::Server>(c.http, p->router, *p->metrics);
  p->pool = std::make_unique<HashPool>(c.password.workers > 0 ? c.password.workers : cores(), c.password.queue);
  p->auth = std::make_unique<AuthApi>(AuthDeps{c, *p->stores.users, p->hasher, *p->pool, p->throttle_by_ip,
                                               p->throttle_by_account, *p->metrics, p->clock, p->random});
  p->health = std::make_unique<HealthApi>(*p->stores.users, *p->metrics, [parts](GaugeId id) { return parts->gauge(id); });

  if (auto b = p->server->bind(c.listen); !b) return b.error();
  return std::unique_ptr<App>(new App(std::move(p)));
}

void App::run() {
  p_->server->run([this] {
    log_line("info", "listening", {{"address", p_->server->bound_address()}, {"public_url", p_->config.public_url}});
  });
  log_line("info", "stopped", {});
}

void App::stop() { p_->server->stop(); }

std::string App::bound_address() const { return p_->server->bound_address(); }

}  // namespace cloakroom::api
