#include "api/app.h"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include <unistd.h>

#include "api/auth_routes.h"
#include "api/health_routes.h"
#include "api/jwks_routes.h"
#include "api/page_routes.h"
#include "api/passkey_routes.h"
#include "api/password_routes.h"
#include "api/totp_routes.h"
#include "mfa/totp_key.h"
#include "mfa/totp_service.h"
#include "token/access_tokens.h"
#include "token/key_source.h"
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
#include "core/audit_log.h"
#include "core/clock.h"
#include "core/cpu_budget.h"
#include "core/log.h"
#include "core/random.h"
#include "core/freshness.h"
#include "core/work_pool.h"
#include "feed/feed_follower.h"
#include "http/client_address.h"
#include "http/server.h"
#include "password/password_hasher.h"
#include "config/public_url.h"

namespace cloakroom::api {

namespace {
// What decided the thread counts, logged once serving starts.
struct ThreadSizing {
  CpuBudget cpus;
  bool http_auto = false;  // http.threads was 0
  bool hash_auto = false;  // password.workers was 0
};

// http.threads and password.workers left at 0 follow the CPUs this process
// may use (affinity mask, cgroup quota), not the host's cores: pinned to one
// core, a second I/O thread only takes turns with the first, and every turn
// lands in the tail (wrk -c64 on one core: p99 4.4 ms with 2 threads, 0.9 ms
// with 1). Explicit settings win.
ThreadSizing size_thread_pools(Config& c, CpuBudget cpus) {
  ThreadSizing t{std::move(cpus), c.http.threads <= 0, c.password.workers <= 0};
  if (t.http_auto) c.http.threads = t.cpus.cpus;
  if (t.hash_auto) c.password.workers = t.cpus.cpus;
  return t;
}

void log_thread_sizing(const Config& c, const ThreadSizing& t) {
  char quota[32] = "none";
  if (t.cpus.quota) std::snprintf(quota, sizeof quota, "%g", *t.cpus.quota);
  log_line("info", "threads",
           {{"cpus", std::to_string(t.cpus.cpus)},
            {"from", t.cpus.from},
            {"affinity", std::to_string(t.cpus.affinity)},
            {"quota", quota},
            {"http_threads", std::to_string(c.http.threads)},
            {"http_threads_from", t.http_auto ? "cpus" : "http.threads"},
            {"hash_workers", std::to_string(c.password.workers)},
            {"hash_workers_from", t.hash_auto ? "cpus" : "password.workers"}});
}

// feeds.back() carries session and token revocations: checks fail closed
// feed.max_staleness after it goes unread. A users' feed on another backend
// carries only user changes: feed.users_max_staleness (see FeedFollower).
std::vector<std::chrono::milliseconds> staleness_bounds(const Config& c, const Stores& stores) {
  std::vector<std::chrono::milliseconds> bounds(stores.feeds.size(), c.feed.users_max_staleness);
  if (!bounds.empty()) bounds.back() = c.feed.max_staleness;
  return bounds;
}

// What authenticator apps show above the code: the issuer's host
// ("auth.example.com" of "https://auth.example.com/"), not a whole URL.
// The name an authenticator app shows above the code: the host (and port)
// people reach us at, so public_url's (derived from listen when unset), not
// jwt.issuer's, which stays http://127.0.0.1:8080 whatever listen says.
std::string totp_issuer(std::string_view issuer) {
  if (auto scheme = issuer.find("://"); scheme != std::string_view::npos) issuer.remove_prefix(scheme + 3);
  issuer = issuer.substr(0, issuer.find('/'));
  return issuer.empty() ? std::string("cloakroom") : std::string(issuer);
}

std::string host_name() {
  char name[256] = {};
  return ::gethostname(name, sizeof name - 1) == 0 ? std::string(name) : std::string("localhost");
}
constexpr int kStoreWorkers = 4;
constexpr int kStoreQueue = 256;
}  // namespace

// Members are destroyed in reverse order: the pool goes (finishing its jobs)
// before the server whose io_contexts those jobs post back to.
struct App::Parts {
  explicit Parts(const Config& c)
      : config(c), hasher({c.password.memory_kib, c.password.iterations}), freshness(c.feed.max_staleness) {}

  Config config;
  std::unique_ptr<AuditLog> audit;  // log.audit: security events, before everything that records them
  ThreadSizing threads;  // how config's thread counts were chosen
  SystemClock clock;
  OsRandom random;
  Stores stores;
  PasswordHasher hasher;
  std::unique_ptr<LoginThrottles> login_throttles;        // over stores.throttles
  std::unique_ptr<LoginThrottle> refresh_failures_by_ip;
  std::unique_ptr<LoginThrottle> passkey_options_by_ip;
  http::Router router;
  std::unique_ptr<Metrics> metrics;
  std::unique_ptr<http::Server> server;
  std::unique_ptr<WorkPool> hash_pool;   // Argon2id: CPU-bound, one worker per usable CPU
  std::unique_ptr<WorkPool> store_pool;  // store calls: they wait on disk or network, not CPU
  std::unique_ptr<UserDirectory> directory;
  std::unique_ptr<SessionService> sessions;
  RevocationList revocations;
  std::unique_ptr<KeySource> key_source;  // before tokens, which reloads through it
  std::unique_ptr<AccessTokens> tokens;
  std::unique_ptr<TokenService> token_service;
  std::unique_ptr<JwksApi> jwks;
  std::unique_ptr<Authenticator> authenticator;
  std::unique_ptr<CsrfGuard> csrf;
  std::unique_ptr<AccessPolicy> access;
  std::unique_ptr<RedirectGuard> redirects;
  std::unique_ptr<AuthApi> auth;
  std::unique_ptr<SessionApi> session_api;
  std::unique_ptr<PasswordApi> password_api;
  std::unique_ptr<PasskeyApi> passkey_api;
  std::unique_ptr<TotpService> totp;
  std::unique_ptr<TotpApi> totp_api;
  std::unique_ptr<TokenApi> token_api;
  std::unique_ptr<PagesApi> pages;
  std::unique_ptr<HealthApi> health;
  Freshness freshness;
  std::unique_ptr<FeedFollower> follower;

  // Background threads. One per change feed only follows that feed (the
  // users' also reloads keys, the sessions' also writes heartbeats), so a
  // revocation is applied within a poll interval whatever else is slow: a
  // hung PostgreSQL makes each users' feed poll and key reload wait out its
  // deadline (2 s), which on a shared thread delayed the sessions' feed past
  // feed.max_staleness and failed valid sessions closed. Housekeeping
  // writes: last-seen times, purges, feed pruning; sharing a thread with the
  // feeds, a large flush or purge delayed every revocation behind it.
  std::vector<std::thread> feed_threads;
  std::thread housekeeping_thread;
  std::mutex maintenance_mu;
  std::condition_variable maintenance_cv;
  bool maintenance_stop = false;
  // AccessTokens reloads on one thread at a time. Its periodic reload runs
  // on the users' feed thread, which also carries keys_changed (key sources
  // write to feeds.front(), store_url.h), so this is uncontended; it keeps
  // that true should another feed ever carry one.
  std::mutex keys_mu;
  // resync() replaces mirrored state wholesale from a snapshot; an entry
  // applied meanwhile on another feed's thread would be lost under it.
  // Two locks, not one: a revocation (sessions' feed) never waits behind a
  // user refresh stuck on a hung users' store.
  std::mutex directory_mu;    // UserDirectory refresh / reload
  std::mutex revocations_mu;  // RevocationList entries / load

  void reload_keys() {
    std::lock_guard lock(keys_mu);
    tokens->reload_if_changed();
  }

  void follow(std::size_t feed) {
    using namespace std::chrono;
    // feeds.front() is the users' feed and feeds.back() the sessions' (one
    // and the same with one store); the node registry lives beside the sessions'.
    const bool keys_here = feed == 0;
    const bool heartbeat_here = feed + 1 == follower->feeds();
    auto next_reload = steady_clock::now() + seconds(1);
    const auto tick = std::max(milliseconds(1), config.feed.poll_interval);
    auto polled = steady_clock::now();
    std::unique_lock lock(maintenance_mu);
    for (;;) {
      // Only what is left of the tick: a feed that waits for news (Redis)
      // has spent it in poll_feed() already, and sleeping a tick on top
      // would delay every change it wakes for by a tick. Nothing left: no
      // wait at all (a wait on a passed deadline still costs two futex calls).
      if (!maintenance_stop && steady_clock::now() < polled + tick)
        maintenance_cv.wait_until(lock, polled + tick, [&] { return maintenance_stop; });
      if (maintenance_stop) return;
      lock.unlock();
      polled = steady_clock::now();
      follower->poll_feed(feed);
      if (heartbeat_here) {
        follower->heartbeat();
        if (auto n = stores.counters->revocations_short_of_replicas.exchange(0, std::memory_order_relaxed))
          metrics->inc(Counter::revocations_short_of_replicas, n);
      }
      // Here, not in housekeeping: a file change or a retired key's end of
      // grace is noticed within a second without a feed entry. On the users'
      // feed's thread: the keys live in the users' store, and a hung one
      // delays only its own feed.
      if (auto now = steady_clock::now(); keys_here && now >= next_reload) {
        reload_keys();
        next_reload = now + seconds(1);
      }
      lock.lock();
    }
  }

  void housekeep() {
    using namespace std::chrono;
    // Purge often enough that an expired session leaves the database within
    // about half an idle timeout, and at least once a minute.
    const auto purge_every = std::clamp<milliseconds>(config.session.idle_timeout / 2, seconds(1), seconds(60));
    auto next_purge = steady_clock::now() + purge_every;
    std::unique_lock lock(maintenance_mu);
    for (;;) {
      maintenance_cv.wait_for(lock, seconds(1), [&] { return maintenance_stop; });
      bool stopping = maintenance_stop;
      lock.unlock();
      sessions->flush_touches();  // also the final flush on the way out
      if (auto now = steady_clock::now(); !stopping && now >= next_purge) {
        sessions->purge_expired();
        token_service->purge_expired();
        if (stores.challenges)
          if (auto r = stores.challenges->purge_expired(unix_millis(clock.now())); !r)
            log_line("warn", "challenge_purge_failed", {{"detail", std::string(r.error().text())}});
        // Why an hour: a process that was cut off longer than that resyncs instead of replaying.
        for (auto& feed : stores.feeds) (void)feed->prune(unix_millis(clock.now()) - 3'600'000);
        next_purge = now + purge_every;
      }
      lock.lock();
      if (stopping) return;
    }
  }

  // One change feed entry, applied to whatever this process holds in memory.
  Result<void> apply(const Change& c) {
    switch (c.kind) {
      case Change::Kind::session_revoked: sessions->evict(c.subject); return {};
      case Change::Kind::user_sessions_revoked: sessions->evict_user(c.subject); return {};
      case Change::Kind::family_revoked: {
        std::lock_guard lock(revocations_mu);
        revocations.add(Revocation{Revocation::Kind::family, c.subject, c.value});
        return {};
      }
      case Change::Kind::token_denied: {
        std::lock_guard lock(revocations_mu);
        revocations.add(Revocation{Revocation::Kind::token, c.subject, c.value});
        return {};
      }
      case Change::Kind::epoch_raised: {
        std::lock_guard lock(revocations_mu);
        revocations.raise_epoch(c.subject, c.value);
        return {};
      }
      case Change::Kind::user_changed: {
        std::lock_guard lock(directory_mu);
        return directory->refresh(c.subject);
      }
      case Change::Kind::keys_changed: reload_keys(); return {};
    }
    return {};
  }

  // What the heartbeat says of the signing keys: those in force, and
  // whether the last changed set was refused (see NodeRecord::keys).
  HeldKeys held_keys() const {
    if (!tokens) return {};
    std::vector<std::string> kids;
    for (const jose::Jwk& k : tokens->keys()->keys()) kids.push_back(k.kid());
    return HeldKeys::of(kids, tokens->reload_refused());
  }

  // The feed cannot be replayed: start over from the store.
  Result<void> resync() {
    sessions->evict_all();
    {
      std::lock_guard lock(directory_mu);
      if (auto r = directory->reload(); !r) return r;
    }
    // Again: a fill that ran between the two may have cached a session
    // holding a slot reload() just dropped, which no refresh would reach.
    sessions->evict_all();
    std::lock_guard lock(revocations_mu);
    return token_service->load();
  }

  double gauge(GaugeId id) const {
    switch (id) {
      case GaugeId::hash_queue_depth: return hash_pool->queue_depth();
      case GaugeId::hash_workers: return hash_pool->workers();
      case GaugeId::http_connections: return server->active_connections();
      case GaugeId::session_cache_entries: return static_cast<double>(sessions->cache_size());
      case GaugeId::denylist_entries: return static_cast<double>(revocations.denied());
      case GaugeId::feed_position: {
        double sum = 0;
        for (const auto& f : follower->status()) sum += static_cast<double>(f.position);
        return sum;
      }
      case GaugeId::feed_lag_entries: {
        long long lag = 0;
        for (const auto& f : follower->status()) lag = std::max(lag, f.last - f.position);
        return static_cast<double>(lag);
      }
      case GaugeId::feed_lag_seconds: {
        long long lag = 0;
        for (const auto& f : follower->status()) lag = std::max(lag, f.lag_ms);
        return static_cast<double>(lag) / 1000.0;
      }
      case GaugeId::feed_age_seconds: return static_cast<double>(follower->unanswered_ms()) / 1000.0;
      case GaugeId::heartbeat_age_seconds: return static_cast<double>(follower->heartbeat_age_ms()) / 1000.0;
      case GaugeId::keys_held: return static_cast<double>(tokens->keys()->keys().size());
      case GaugeId::keys_reload_refused: return tokens->reload_refused() ? 1 : 0;
      case GaugeId::count_: break;
    }
    return 0;
  }
};

App::App(std::unique_ptr<Parts> parts) : p_(std::move(parts)) {}
App::~App() = default;

Result<std::unique_ptr<App>> App::create_listening(const Config& config, Stores stores) {
  auto app = wire(config, std::move(stores), /*bind=*/true);
  if (!app) return app;
  Parts& p = *(*app)->p_;
  p.follower->join(NodeIdentity{host_name(), p.server->bound_address(), static_cast<long long>(::getpid())});
  return app;
}

Result<std::unique_ptr<App>> App::create(const Config& config, Stores stores) {
  return wire(config, std::move(stores), /*bind=*/false);
}

Result<std::unique_ptr<App>> App::wire(const Config& config, Stores stores, bool bind) {
  auto p = std::make_unique<Parts>(config);
  Parts* parts = p.get();
  const Config& c = p->config;
  p->threads = size_thread_pools(p->config, usable_cpus());
  p->stores = std::move(stores);
  set_log_threshold(c.log.level);
  auto audit = AuditLog::open(c.log.audit, c.data_dir, c.log.level);
  if (!audit) return audit.error();
  p->audit = std::move(*audit);

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
  r.add("POST", "/auth/login/second-factor", [parts](http::Request& q) { return parts->auth->second_factor(q); });
  r.add("POST", "/auth/totp/enroll", [parts](http::Request& q) { return parts->totp_api->enroll(q); });
  r.add("POST", "/auth/totp/confirm", [parts](http::Request& q) { return parts->totp_api->confirm(q); });
  r.add("DELETE", "/auth/totp", [parts](http::Request& q) { return parts->totp_api->disable(q); });
  r.add("POST", "/auth/totp/recovery-codes", [parts](http::Request& q) { return parts->totp_api->recovery_codes(q); });
  r.add("POST", "/auth/password", [parts](http::Request& q) { return parts->password_api->change(q); });
  r.add("POST", "/auth/password/reset", [parts](http::Request& q) { return parts->password_api->reset(q); });
  r.add("POST", "/auth/passkeys/register/options",
        [parts](http::Request& q) { return parts->passkey_api->register_options(q); });
  r.add("POST", "/auth/passkeys/register", [parts](http::Request& q) { return parts->passkey_api->register_passkey(q); });
  r.add("GET", "/auth/passkeys", [parts](http::Request& q) { return parts->passkey_api->list(q); });
  r.add("DELETE", "/auth/passkeys/{id}", [parts](http::Request& q) { return parts->passkey_api->remove(q); });
  r.add("POST", "/auth/passkeys/login/options", [parts](http::Request& q) { return parts->passkey_api->login_options(q); });
  r.add("POST", "/auth/passkeys/login", [parts](http::Request& q) { return parts->passkey_api->login(q); });
  r.add("POST", "/auth/logout-all", [parts](http::Request& q) { return parts->session_api->logout_all(q); });
  r.add("GET", "/auth/me", [parts](http::Request& q) { return parts->session_api->me(q); });
  r.add("GET", "/auth/sessions", [parts](http::Request& q) { return parts->session_api->list_sessions(q); });
  r.add("DELETE", "/auth/sessions/{id}", [parts](http::Request& q) { return parts->session_api->delete_session(q); });
  r.add("*", "/auth/verify", [parts](http::Request& q) { return parts->session_api->verify(q); });
  r.add("GET", "/login", [parts](http::Request& q) { return parts->pages->login(q); });
  r.add("GET", "/account", [parts](http::Request& q) { return parts->pages->account(q); });
  r.add("GET", "/reset", [parts](http::Request& q) { return parts->pages->reset(q); });
  r.add("GET", "/", [parts](http::Request& q) { return parts->pages->home(q); });
  r.add("GET", "/auth/assets/{name}", [parts](http::Request& q) { return parts->pages->asset(q); });
  r.add("GET", "/.well-known/jwks.json", [parts](http::Request& q) { return parts->jwks->jwks(q); });

  p->metrics = std::make_unique<Metrics>(r.route_names());
  p->server = std::make_unique<http::Server>(c.http, p->router, *p->metrics);
  // Bound before anything reads public_url: a derived one names the port
  // the kernel picked for a listen port of 0.
  if (bind) {
    if (auto b = p->server->bind(c.listen); !b) return b.error();
    const std::string bound = p->server->bound_address();
    if (c.public_url_derived) p->config.public_url = derive_public_url(c.listen, split_listen(bound).port);
    if (auto w = public_url_warning(c.public_url, c.public_url_derived, bound))
      log_line("warn", "public_url_mismatch", {{"public_url", c.public_url}, {"listen", bound}, {"detail", *w}});
  }
  for (const auto& block : http::wide_trusted_blocks(c.http.trusted_proxies))
    log_line("warn", "trusted_proxies_wide",
             {{"block", block}, {"detail", "every address in this block may set the client address it reports"}});
  p->hash_pool = std::make_unique<WorkPool>(c.password.workers, c.password.queue);
  // Why 4 workers and 256 queued: SQLite serialises writes anyway; a few
  // workers keep reads flowing beside one slow write, and the queue bound
  // turns a stuck store into fast 503s instead of piling up requests.
  p->store_pool = std::make_unique<WorkPool>(kStoreWorkers, kStoreQueue);
  p->directory = std::make_unique<UserDirectory>(*p->stores.users);
  p->sessions = std::make_unique<SessionService>(
      SessionDeps{c, *p->stores.sessions, *p->directory, p->clock, p->random, *p->metrics});
  if (!p->stores.throttles) return Error{ErrorCode::internal, "The stores came without throttle buckets."};
  p->login_throttles = std::make_unique<LoginThrottles>(c.throttle, *p->stores.throttles);
  p->refresh_failures_by_ip = std::make_unique<LoginThrottle>(
      ThrottleRule{"refresh_ip", c.throttle.per_ip, c.throttle.window}, *p->stores.throttles);
  // Why per_ip: each anonymous passkey options call keeps a challenge row;
  // an address gets as many as it gets login attempts.
  p->passkey_options_by_ip = std::make_unique<LoginThrottle>(
      ThrottleRule{"passkey_options_ip", c.throttle.per_ip, c.throttle.window}, *p->stores.throttles);
  p->follower = std::make_unique<FeedFollower>(
      FollowerDeps{p->stores.feeds, staleness_bounds(c, p->stores), *p->stores.nodes, p->clock, p->freshness,
                   [parts](const Change& change) { return parts->apply(change); }, [parts] { return parts->resync(); },
                   [parts] { return parts->held_keys(); }});
  // Before anything is loaded: an entry written meanwhile is replayed, not missed.
  if (auto started = p->follower->start(); !started) return started.error();
  // Users are few and every session check needs its user: all of them now.
  // Sessions are read on first use (SessionService is a near-cache).
  if (auto loaded = p->directory->load(); !loaded) return loaded.error();
  // The keys file, or the shared store's sealed set (which needs the
  // key-encryption key: without it, or with another, startup stops here).
  auto source = open_key_source(c, p->stores);
  if (!source) return source.error();
  p->key_source = std::move(*source);
  bool keys_created = false;
  auto keys = p->key_source->load_or_create(&keys_created);
  if (!keys) return keys.error();
  // A new key set beside existing users means the keys were lost: every
  // token signed before just stopped verifying. A first start stays quiet.
  if (keys_created) {
    auto users = p->stores.users->list();
    if (!users || !users->empty())
      log_line("warn", "keys_created",
               {{"keys", p->key_source->where()},
                {"kid", keys->active()->kid()},
                {"detail",
                 "The signing keys were missing although users exist, so a new signing key was generated: tokens "
                 "signed before no longer verify. If the keys were lost, stop cloakroom and restore them (moving "
                 "to a shared store, `cloakroom store migrate` takes the keys file along)."}});
  }
  p->tokens = std::make_unique<AccessTokens>(c, std::move(*keys), p->clock, p->random, p->revocations,
                                             p->key_source.get());
  p->token_service = std::make_unique<TokenService>(TokenDeps{c, *p->stores.tokens, *p->directory, *p->tokens,
                                                              p->revocations, p->clock, p->random, *p->metrics,
                                                              *p->audit});
  if (auto loaded = p->token_service->load(); !loaded) return loaded.error();
  p->jwks = std::make_unique<JwksApi>(*p->tokens);
  p->authenticator = std::make_unique<Authenticator>(cookie_names(c), *p->sessions, *p->tokens, *p->directory,
                                                     *p->store_pool, p->freshness);
  p->csrf = std::make_unique<CsrfGuard>(c.public_url, *p->metrics, *p->audit);
  // TOTP secrets are sealed under the KEK, or the data dir's totp.key
  // (refused with users in PostgreSQL and no KEK: mfa/totp_key.h).
  if (!p->stores.challenges) return Error{ErrorCode::internal, "The stores came without a challenge store."};
  auto totp_key = open_totp_key(c.jwt.key_encryption_key, c.jwt.previous_key_encryption_key, p->stores.keys != nullptr, c.data_dir, p->random);
  if (!totp_key) return totp_key.error();
  p->totp = std::make_unique<TotpService>(*p->stores.users, std::move(*totp_key), p->clock, p->random,
                                          totp_issuer(c.public_url.empty() ? c.jwt.issuer : c.public_url));
  p->auth = std::make_unique<AuthApi>(AuthDeps{c, *p->stores.users, p->hasher, *p->hash_pool, *p->store_pool,
                                               *p->login_throttles, *p->metrics, p->clock, p->random,
                                               *p->sessions, *p->token_service, *p->authenticator, *p->csrf,
                                               *p->audit, *p->totp, *p->stores.challenges});
  p->totp_api = std::make_unique<TotpApi>(TotpDeps{*p->stores.users, *p->totp, p->hasher, *p->hash_pool,
                                                   *p->store_pool, *p->login_throttles, p->clock,
                                                   *p->authenticator, *p->csrf, *p->audit});
  p->password_api = std::make_unique<PasswordApi>(
      PasswordDeps{c, *p->stores.users, p->hasher, *p->hash_pool, *p->store_pool, *p->login_throttles, p->clock,
                   *p->sessions, *p->token_service, *p->tokens, *p->authenticator, *p->csrf, *p->audit});
  p->passkey_api = std::make_unique<PasskeyApi>(
      PasskeyDeps{c, *p->stores.users, p->stores.challenges.get(), *p->store_pool, p->clock, p->random,
                  *p->authenticator, *p->csrf, *p->audit, *p->passkey_options_by_ip, *p->auth});
  p->access = std::make_unique<AccessPolicy>(c);
  p->redirects = std::make_unique<RedirectGuard>(c.public_url, c.forward_auth.allowed_redirect_domains);
  p->session_api = std::make_unique<SessionApi>(
      SessionApiDeps{c, *p->sessions, *p->token_service, *p->authenticator, *p->csrf, *p->stores.users, *p->access,
                     *p->tokens, *p->redirects, *p->store_pool, *p->audit, *p->totp});
  p->token_api = std::make_unique<TokenApi>(TokenApiDeps{c, *p->token_service, *p->authenticator, *p->csrf,
                                                         *p->refresh_failures_by_ip, p->clock, *p->metrics,
                                                         *p->store_pool});
  p->pages = std::make_unique<PagesApi>(PagesDeps{c, *p->authenticator, *p->redirects});
  // One feed: users and sessions share a store, whose writability readiness includes.
  UserStore* writable = p->stores.feeds.size() == 1 ? p->stores.users.get() : nullptr;
  p->health = std::make_unique<HealthApi>(writable, *p->store_pool, p->freshness, *p->metrics,
                                          [parts](GaugeId id) { return parts->gauge(id); });

  return std::unique_ptr<App>(new App(std::move(p)));
}

void App::run() {
  // Here, not in create(): a start that fails (port in use) stays one sentence.
  log_thread_sizing(p_->config, p_->threads);
  for (std::size_t i = 0; i < p_->follower->feeds(); ++i)
    p_->feed_threads.emplace_back([this, i] { p_->follow(i); });
  p_->housekeeping_thread = std::thread([this] { p_->housekeep(); });
  p_->server->run([this] {
    log_line("info", "listening", {{"address", p_->server->bound_address()}, {"public_url", p_->config.public_url}});
  });
  {
    std::lock_guard lock(p_->maintenance_mu);
    p_->maintenance_stop = true;
  }
  p_->maintenance_cv.notify_all();
  for (std::thread& t : p_->feed_threads) t.join();
  p_->housekeeping_thread.join();  // final flush of last-seen times
  p_->follower->leave();
  log_line("info", "stopped", {});
}

void App::stop() { p_->server->stop(); }

std::string App::bound_address() const { return p_->server->bound_address(); }

const http::Router& App::router() const { return p_->router; }

}  // namespace cloakroom::api
