#pragma once
// Process metrics, exported in Prometheus text format at /metrics.
//
//   metrics.inc(Counter::login_success);
//   metrics.observe_request(route_index, 200, elapsed);
//   std::string text = metrics.prometheus([&](GaugeId g) { return ...; });
//
// Every counter and gauge is declared once, in CLOAKROOM_COUNTERS and
// CLOAKROOM_GAUGES below: the lists generate the enums, the exported names
// and help, and the docs table (checked by tests/unit/docs_test.cpp).
// Lock-free: relaxed atomics, readers may see a slightly stale mix.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cloakroom {

// X(enum name, metric family, label set, help)
#define CLOAKROOM_COUNTERS(X)                                                                          \
  X(login_success, "cloakroom_logins_total", "outcome=\"success\"", "Login attempts by outcome.")     \
  X(login_invalid, "cloakroom_logins_total", "outcome=\"invalid_credentials\"", "")                    \
  X(login_disabled, "cloakroom_logins_total", "outcome=\"disabled\"", "")                              \
  X(login_throttled, "cloakroom_logins_total", "outcome=\"throttled\"", "")                            \
  X(login_overloaded, "cloakroom_logins_total", "outcome=\"overloaded\"", "")                          \
  X(login_store_error, "cloakroom_logins_total", "outcome=\"store_unavailable\"", "")                  \
  X(password_rehashed, "cloakroom_password_rehashes_total", "",                                        \
    "Stored hashes upgraded at login because the Argon2id parameters changed.")                        \
  X(password_checks, "cloakroom_password_checks_total", "",                                            \
    "Passwords verified at login (Argon2id; an unknown user against the dummy hash).")                \
  X(users_registered, "cloakroom_users_registered_total", "", "Users created through /auth/register.") \
  X(connections_rejected, "cloakroom_connections_rejected_total", "",                                  \
    "Connections refused because http.max_connections was reached.")                                  \
  X(requests_timed_out, "cloakroom_requests_timed_out_total", "",                                      \
    "Connections closed because a request did not arrive within http.read_timeout.")                  \
  X(sessions_created, "cloakroom_sessions_created_total", "", "Sessions created at login.")            \
  X(sessions_revoked, "cloakroom_sessions_revoked_total", "",                                          \
    "Sessions this process ended by logout or revocation (the CLI's are not counted).")               \
  X(sessions_expired, "cloakroom_sessions_expired_total", "",                                          \
    "Expired sessions this process's purge deleted from the store.")                                  \
  X(session_cache_hits, "cloakroom_session_cache_hits_total", "",                                      \
    "Session checks answered from this process's cache.")                                             \
  X(session_cache_misses, "cloakroom_session_cache_misses_total", "",                                  \
    "Session checks that read the store: the session was not cached here (or looked idle).")          \
  X(session_cache_negative_hits, "cloakroom_session_cache_negative_hits_total", "",                    \
    "Unknown session ids answered from the short-lived cache of store misses, without a store read.") \
  X(session_cache_evictions, "cloakroom_session_cache_evictions_total", "",                            \
    "Cached sessions dropped to stay within session.cache_entries (they stay valid in the store).")   \
  X(csrf_rejected, "cloakroom_csrf_rejected_total", "",                                                \
    "Cookie-authenticated state-changing requests refused for a missing or foreign Origin.")         \
  X(access_tokens_issued, "cloakroom_access_tokens_issued_total", "",                                 \
    "Access JWTs issued at token-mode login and refresh.")                                            \
  X(refresh_rotated, "cloakroom_refreshes_total", "outcome=\"rotated\"",                               \
    "POST /auth/refresh by outcome.")                                                                 \
  X(refresh_repeated, "cloakroom_refreshes_total", "outcome=\"repeated_in_grace\"", "")                \
  X(refresh_reused, "cloakroom_refreshes_total", "outcome=\"reuse_detected\"", "")                     \
  X(refresh_invalid, "cloakroom_refreshes_total", "outcome=\"invalid\"", "")                           \
  X(refresh_disabled, "cloakroom_refreshes_total", "outcome=\"disabled\"", "")                         \
  X(refresh_throttled, "cloakroom_refreshes_total", "outcome=\"throttled\"", "")                       \
  X(revoked_access_token, "cloakroom_token_revocations_total", "what=\"access_token\"",                \
    "Token-mode revocations: one access token (logout), a refresh family, every token of a user.")    \
  X(revoked_family, "cloakroom_token_revocations_total", "what=\"refresh_family\"", "")                \
  X(revoked_user_tokens, "cloakroom_token_revocations_total", "what=\"user_epoch\"", "")               \
  X(revocations_short_of_replicas, "cloakroom_revocations_short_of_replicas_total", "",               \
    "Revocations fewer Redis replicas than store.redis_wait_replicas acknowledged in time (they stand " \
    "on the primary; a failover now could lose them).")

// X(enum name, metric name, help). Values are read at scrape time from
// whoever owns them (see App), through a GaugeReader.
#define CLOAKROOM_GAUGES(X)                                                                     \
  X(hash_queue_depth, "cloakroom_hash_queue_depth", "Password hashes waiting for a worker.")   \
  X(hash_workers, "cloakroom_hash_workers", "Password hashing threads.")                       \
  X(http_connections, "cloakroom_http_connections", "Open client connections.")                \
  X(session_cache_entries, "cloakroom_session_cache_entries",                                   \
    "Sessions in this process's cache: the recently used ones, at most session.cache_entries.") \
  X(denylist_entries, "cloakroom_denylist_entries", "Access tokens and refresh families on the in-process denylist.") \
  X(feed_position, "cloakroom_feed_applied_position", "Change feed position this process has applied (the sum over its feeds).") \
  X(feed_lag_entries, "cloakroom_feed_lag_entries", "Change feed entries written but not yet applied here, at the last check (the largest over its feeds).") \
  X(feed_lag_seconds, "cloakroom_feed_lag_seconds", "Age of the newest change feed entry when this process applied it: how late revocations arrive.") \
  X(feed_age_seconds, "cloakroom_feed_age_seconds", "Time since the change feed that has gone longest unread was last read; past its staleness bound checks answer 503.") \
  X(heartbeat_age_seconds, "cloakroom_node_heartbeat_age_seconds", "Time since this process last wrote its heartbeat to the node registry.") \
  X(keys_held, "cloakroom_keys_held", "Signing keys this process verifies with (the node registry reports their kids; `cloakroom node list` the count).") \
  X(keys_reload_refused, "cloakroom_keys_reload_refused", "1 while this process runs with an older signing key set than the one kept, because it refused the newer one (logged as keys_reload_failed); key commands do not count it as holding the new keys.")

enum class GaugeId {
#define CLOAKROOM_ENUM(name, metric, help) name,
  CLOAKROOM_GAUGES(CLOAKROOM_ENUM)
#undef CLOAKROOM_ENUM
      count_
};

using GaugeReader = std::function<double(GaugeId)>;

enum class Counter {
#define CLOAKROOM_ENUM(name, family, labels, help) name,
  CLOAKROOM_COUNTERS(CLOAKROOM_ENUM)
#undef CLOAKROOM_ENUM
      count_
};

class Metrics {
 public:
  static constexpr std::size_t kMaxRoutes = 32;  // routes are registered once at startup
  static constexpr std::array<double, 14> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                      0.025,  0.05,    0.1,    0.25,  0.5,   1.0,   2.5};

  // `route_names[i]` labels route index i; the last index is "unmatched".
  explicit Metrics(std::vector<std::string> route_names);

  void inc(Counter c, std::uint64_t n = 1) {
    counters_[static_cast<std::size_t>(c)].fetch_add(n, std::memory_order_relaxed);
  }
  std::uint64_t get(Counter c) const { return counters_[static_cast<std::size_t>(c)].load(std::memory_order_relaxed); }
  void observe_request(std::size_t route, int status, std::chrono::nanoseconds elapsed);
  std::uint64_t requests(std::size_t route, int status) const;

  std::string prometheus(const GaugeReader& gauges) const;

  // Markdown table of every metric (for docs/operations.md).
  static std::string reference_markdown();

 private:
  struct RouteStats {
    std::array<std::atomic<std::uint64_t>, 600> by_status{};   // index = HTTP status
    std::array<std::atomic<std::uint64_t>, kBuckets.size() + 1> buckets{};
    std::atomic<std::uint64_t> sum_ns{0};
    std::atomic<std::uint64_t> count{0};
  };
  std::vector<std::string> route_names_;
  std::unique_ptr<RouteStats[]> routes_;
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Counter::count_)> counters_{};
};

}  // namespace cloakroom
