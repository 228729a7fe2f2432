#include "api/app.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "api/auth_routes.h"
#include "api/health_routes.h"
#include "api/jwks_routes.h"
#include "api/page_routes.h"
#include "jose/keys_file.h"
#include "token/access_tokens.h"
#include "api/session_routes.h"
#include "api/token_routes.h"
#include "token/revocation_list.h"
#include "token/token_service.h"
#include "auth/access_rules.h"
#include "auth/authenticator.h"
#include "auth/redirect_guard.h"
#include "auth/csrf_guard.h"
#include "identity/user_directory.h"
#include "session/session_service.h"
#include "auth/login_throttle.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/random.h"
#include "core/work_pool.h"
#include "http/server.h"
#include "password/password_hasher.h"
#include "store/store_url.h"

namespace cloakroom::api {

namespace {
int cores() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }
constexpr int kStoreWorkers = 4;
constexpr int kStoreQueue = 256;
}  // namespace

// Members are destroyed in reverse order: the pool goes (finishing its jobs)
// before the server whose io_contexts those jobs post back to.
struct App::Parts {
  explicit Parts(const Config& c)
      : config(c),
        hasher({c.password.memory_kib, c.password.iterations}),
        login_throttles(c.throttle),
        refresh_failures_by_ip(c.throttle.per_ip, c.throttle.window, c.throttle.max_tracked) {}

  Config config;
  SystemClock clock;
  OsRandom random;
  Stores stores;
  PasswordHasher hasher;
  LoginThrottles login_throttles;
  LoginThrottle refresh_failures_by_ip;
  http::Router router;
  std::unique_ptr<Metrics> metrics;
  std::unique_ptr<http::Server> server;
  std::unique_ptr<WorkPool> hash_pool;   // Argon2id: CPU-bound, one worker per core
  std::unique_ptr<WorkPool> store_pool;  // store calls: they wait on disk or network, not CPU
  std::unique_ptr<UserDirectory> directory;
  std::unique_ptr<SessionService> sessions;
  RevocationList revocations;
  std::unique_ptr<AccessTokens> tokens;
  std::unique_ptr<TokenService> token_service;
  std::unique_ptr<JwksApi> jwks;
  std::unique_ptr<Authenticator> authenticator;
  std::unique_ptr<CsrfGuard> csrf;
  std::unique_ptr<AccessPolicy> access;
  std::unique_ptr<RedirectGuard> redirects;
  std::unique_ptr<AuthApi> auth;
  std::unique_ptr<SessionApi> session_api;
  std::unique_ptr<TokenApi> token_api;
  std::unique_ptr<PagesApi> pages;
  std::unique_ptr<HealthApi> health;

  // Maintenance: replay out-of-process changes, flush last-seen times, purge.
  std::thread maintenance;
  std::mutex maintenance_mu;
  std::condition_variable maintenance_cv;
  bool maintenance_stop = false;
  long long event_seq = 0;

  void maintain() {
    using namespace std::chrono;
    auto next_flush = steady_clock::now() + seconds(1);
    // Purge often enough that an expired session leaves the database within
    // about half an idle timeout, and at least once a minute.
    const auto purge_every = std::clamp<milliseconds>(config.session.idle_timeout / 2, seconds(1), seconds(60));
    auto next_purge = steady_clock::now() + purge_every;
    // The event log is read when the store says someone else committed (a
    // cheap check every 10 ms, so a CLI revocation reaches this server within
    // a few milliseconds), and otherwise at next_replay: 200 ms after a read
    // or change that failed (not every tick: the store may be down), a second
    // after one that worked.
    auto next_replay = steady_clock::now();
    std::unique_lock lock(maintenance_mu);
    for (;;) {
      maintenance_cv.wait_for(lock, milliseconds(10), [&] { return maintenance_stop; });
      bool stopping = maintenance_stop;
      lock.unlock();
      auto changed = stores.events->changed();
      if ((changed && *changed) || steady_clock::now() >= next_replay) {
        const bool applied = replay_events();
        next_replay = steady_clock::now() + (applied ? milliseconds(1000) : milliseconds(200));
      }
      auto now = steady_clock::now();
      if (stopping || now >= next_flush) {
        sessions->flush_touches();
        tokens->reload_if_changed();
        next_flush = now + seconds(1);
      }
      if (now >= next_purge) {
        sessions->purge_expired();
        token_service->purge_expired();
        (void)stores.events->prune(unix_millis(clock.now()) - 3'600'000);
        next_purge = now + purge_every;
      }
      lock.lock();
      if (stopping) return;
    }
  }

  // Applies what other processes appended since the last time; false when
  // something could not be read or applied yet (retried on the next tick).
  bool replay_events() {
    auto events = stores.events->since(event_seq);
    if (!events) return false;
    for (const auto& e : *events) {
      if (!sessions->apply(e) || !token_service->apply(e)) return false;
      event_seq = e.seq;
    }
    return true;
  }

  double gauge(GaugeId id) const {
    switch (id) {
      case GaugeId::hash_queue_depth: return hash_pool->queue_depth();
      case GaugeId::hash_workers: return hash_pool->workers();
      case GaugeId::http_connections: return server->active_connections();
      case GaugeId::sessions_active: return static_cast<double>(sessions->active());
      case GaugeId::denylist_entries: return static_cast<double>(revocations.denied());
      case GaugeId::count_: break;
    }
    return 0;
  }
};

App::App(std::unique_ptr<Parts> parts) : p_(std::move(parts)) {}
App::~App() = default;

Result<std::unique_ptr<App>> App::create(const Config& config) {
  auto stores = open_stores({config.store.users, config.store.sessions, config.data_dir});
  if (!stores) return stores.error();
  auto app = create(config, std::move(*stores));
  if (!app) return app;
  if (auto b = (*app)->p_->server->bind(config.listen); !b) return b.error();
  return app;
}

Result<std::unique_ptr<App>> App::create(const Config& config, Stores stores) {
  auto p = std::make_unique<Parts>(config);
  Parts* parts = p.get();
  const Config& c = p->config;
  p->stores = std::move(stores);

  // Routes first: metrics are labelled by route pattern. Handlers reach the
  // APIs through `parts`, which outlives the server.
  auto& r = p->router;
  r.add("GET", "/healthz", [parts](http::Request& q) { return parts->health->healthz(q); });
  r.add("GET", "/readyz", [parts](http::Request& q) { return parts->health->readyz(q); });
  r.add("GET", "/metrics", [parts](http::Request& q) { return parts->health->metrics(q); });
  r.add("POST", "/auth/register", [parts](http::Request& q) { return parts->auth->register_user(q); });
  r.add("POST", "/auth/login", [parts](http::Request& q) { return parts->auth->login(q); });
  r.add("POST", "/auth/logout", [parts](http::Request& q) { return parts->session_api->logout(q); });
  r.add("POST", "/auth/refresh", [parts](http::Request& q) { return parts->token_api->refresh(q); });
  r.add("POST", "/auth/logout-all", [parts](http::Request& q) { return parts->session_api->logout_all(q); });
  r.add("GET", "/auth/me", [parts](http::Request& q) { return parts->session_api->me(q); });
  r.add("GET", "/auth/sessions", [parts](http::Request& q) { return parts->session_api->list_sessions(q); });
  r.add("DELETE", "/auth/sessions/{id}", [parts](http::Request& q) { return parts->session_api->delete_session(q); });
  r.add("*", "/auth/verify", [parts](http::Request& q) { return parts->session_api->verify(q); });
  r.add("GET", "/login", [parts](http::Request& q) { return parts->pages->login(q); });
  r.add("GET", "/account", [parts](http::Request& q) { return parts->pages->account(q); });
  r.add("GET", "/auth/assets/{name}", [parts](http::Request& q) { return parts->pages->asset(q); });
  r.add("GET", "/.well-known/jwks.json", [parts](http::Request& q) { return parts->jwks->jwks(q); });

  p->metrics = std::make_unique<Metrics>(r.route_names());
  p->server = std::make_unique<http::Server>(c.http, p->router, *p->metrics);
  p->hash_pool = std::make_unique<WorkPool>(c.password.workers > 0 ? c.password.workers : cores(), c.password.queue);
  // Why 4 workers and 256 queued: SQLite serialises writes anyway; a few
  // workers keep reads flowing beside one slow write, and the queue bound
  // turns a stuck store into fast 503s instead of piling up requests.
  p->store_pool = std::make_unique<WorkPool>(kStoreWorkers, kStoreQueue);
  p->directory = std::make_unique<UserDirectory>(*p->stores.users);
  p->sessions = std::make_unique<SessionService>(
      SessionDeps{c, *p->stores.sessions, *p->directory, p->clock, p->random, *p->metrics});
  auto last_event = p->stores.events->last_seq();
  if (!last_event) return last_event.error();
  p->event_seq = *last_event;  // the state loaded next already includes older events
  if (auto loaded = p->sessions->load(); !loaded) return loaded.error();
  bool keys_created = false;
  auto keys = jose::load_or_create_keys(c.jwt.keys, c.jwt.signing_kid, &keys_created);
  if (!keys) return keys.error();
  // A new key set beside existing users means the keys file was lost: every
  // token signed before just stopped verifying. A first start stays quiet.
  if (keys_created) {
    auto users = p->stores.users->list();
    if (!users || !users->empty())
      log_line("warn", "keys_created",
               {{"path", c.jwt.keys},
                {"kid", keys->active()->kid()},
                {"detail",
                 "The keys file was missing although users exist, so a new signing key was generated: tokens "
                 "signed before no longer verify. If the file was lost, stop cloakroom and restore it."}});
  }
  p->tokens = std::make_unique<AccessTokens>(c, std::move(*keys), p->clock, p->random, p->revocations);
  p->token_service = std::make_unique<TokenService>(TokenDeps{c, *p->stores.tokens, *p->directory, *p->tokens,
                                                              p->revocations, p->clock, p->random, *p->metrics});
  if (auto loaded = p->token_service->load(); !loaded) return loaded.error();
  p->jwks = std::make_unique<JwksApi>(*p->tokens);
  p->authenticator = std::make_unique<Authenticator>(cookie_names(c), *p->sessions, *p->tokens, *p->directory);
  p->csrf = std::make_unique<CsrfGuard>(c.public_url, *p->metrics);
  p->auth = std::make_unique<AuthApi>(AuthDeps{c, *p->stores.users, p->hasher, *p->hash_pool, *p->store_pool,
                                               p->login_throttles, *p->metrics, p->clock, p->random,
                                               *p->sessions, *p->token_service, *p->authenticator, *p->csrf});
  p->access = std::make_unique<AccessPolicy>(c);
  p->redirects = std::make_unique<RedirectGuard>(c.public_url, c.forward_auth.allowed_redirect_domains);
  p->session_api = std::make_unique<SessionApi>(
      SessionApiDeps{c, *p->sessions, *p->token_service, *p->authenticator, *p->csrf, *p->stores.users, *p->access,
                     *p->tokens, *p->redirects, *p->store_pool});
  p->token_api = std::make_unique<TokenApi>(TokenApiDeps{c, *p->token_service, *p->authenticator, *p->csrf,
                                                         p->refresh_failures_by_ip, p->clock, *p->metrics,
                                                         *p->store_pool});
  p->pages = std::make_unique<PagesApi>(PagesDeps{c, *p->authenticator, *p->redirects});
  p->health = std::make_unique<HealthApi>(*p->stores.users, *p->store_pool, *p->metrics, [parts](GaugeId id) { return parts->gauge(id); });

  return std::unique_ptr<App>(new App(std::move(p)));
}

void App::run() {
  p_->maintenance = std::thread([this] { p_->maintain(); });
  p_->server->run([this] {
    log_line("info", "listening", {{"address", p_->server->bound_address()}, {"public_url", p_->config.public_url}});
  });
  {
    std::lock_guard lock(p_->maintenance_mu);
    p_->maintenance_stop = true;
  }
  p_->maintenance_cv.notify_all();
  p_->maintenance.join();  // final flush of last-seen times
  log_line("info", "stopped", {});
}

void App::stop() { p_->server->stop(); }

std::string App::bound_address() const { return p_->server->bound_address(); }

const http::Router& App::router() const { return p_->router; }

}  // namespace cloakroom::api
