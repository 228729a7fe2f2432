#pragma once
// The whole configuration, built once at startup and then shared read-only.
//
//   ConfigSources src{.file = "cloakroom.toml", .env = environment(), .flags = {{"listen", "0.0.0.0:8080"}}};
//   // a key in a section: .flags = {{"store.users", "postgres://..."}} (named --store-users in messages)
//   Result<Config> cfg = load_config(src);
//   if (!cfg) { std::cerr << cfg.error().text() << "\n"; return 2; }
//
// Precedence: flag > env (CLOAKROOM_<SECTION>_<KEY>) > file (TOML) > default.
// Every key lives in one table (config.cpp, kKeys) that drives the file, the
// environment and docs/configuration.md alike; an unknown key or a bad value
// is an error whose message names the key.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/duration.h"
#include "core/log.h"
#include "core/result.h"

namespace cloakroom {

enum class SameSite { strict, lax, none };

struct AccessRule {
  std::string prefix;                 // path prefix, starts with '/'
  std::vector<std::string> methods;   // empty: any method
  std::vector<std::string> roles;     // all required
  bool second_factor = false;         // also required: a multi-factor sign-in (core/auth_methods.h)
};

// The largest header limit Beast's parser supports: its fields keep offsets
// and lengths in 16 bits and throw on a longer field. http.max_header_bytes
// stops here.
inline constexpr std::size_t kLargestHeaderLimit = 65535;

struct HttpConfig {
  int threads = 0;                       // 0: one per usable CPU (core/cpu_budget.h)
  int max_connections = 10'000;
  std::size_t max_header_bytes = 8 * 1024;
  std::size_t max_body_bytes = 64 * 1024;
  Millis read_timeout{10'000};           // a request's headers and body must arrive within this
  Millis idle_timeout{60'000};           // keep-alive connection with no request
  Millis shutdown_timeout{10'000};       // in-flight requests get this long on SIGTERM
  bool access_log = true;
  std::vector<std::string> trusted_proxies;  // peers whose X-Forwarded-For is believed
};

struct PasswordConfig {
  std::uint64_t memory_kib = 19 * 1024;  // OWASP Argon2id: m=19 MiB
  std::uint64_t iterations = 2;          // t=2 (p=1 is fixed by libsodium)
  int workers = 0;                       // 0: one per usable CPU (core/cpu_budget.h)
  int queue = 64;                        // pending hashes beyond workers before 503
};

struct ThrottleConfig {
  int per_account_ip = 5;                // failed logins per window per (username, client address)
  int per_account = 100;                 // failed logins per window per username, all addresses together
  int per_ip = 20;                       // failed logins per window per client address
  Millis window{900'000};                // 15m
  std::size_t max_tracked = 100'000;     // keys remembered per table (memory bound)
};

// A value load_config took but that is not in force as given: another key
// bounds it (session.remember_idle_timeout lies between session.idle_timeout
// and session.absolute_timeout). `serve` logs it as config_value_clamped,
// `config check` prints sentence() on stderr.
struct ConfigWarning {
  std::string key;    // "session.remember_idle_timeout"
  std::string given;  // as written: "10m"
  std::string used;   // what the server goes by: "30m"
  std::string why;    // "it is shorter than session.idle_timeout"
  // session.remember_idle_timeout = "10m" is used as "30m": it is shorter than session.idle_timeout.
  std::string sentence() const;
};

struct Config {
  std::string listen = "127.0.0.1:8080";
  std::string data_dir = "./cloakroom-data";
  // The origin browsers reach cloakroom at. Not set: load_config derives it
  // from `listen` (config/public_url.h) and sets public_url_derived; the
  // server then puts in the port it bound for a listen port of 0.
  std::string public_url;
  bool public_url_derived = false;
  struct {
    std::string users;     // default derived from data_dir
    std::string sessions;
    int redis_wait_replicas = 0;        // after a revocation, WAIT for this many replicas (0: do not)
    Millis redis_wait_timeout{100};     // ... at most this long
  } store;
  struct {
    bool registration = true;
    std::size_t password_min = 8;
  } auth;
  struct {
    Millis idle_timeout{30 * 60'000};
    Millis absolute_timeout{7LL * 86'400'000};
    // Idle bound of a session signed in with "keep me signed in" (remember);
    // in force between idle_timeout and absolute_timeout (remember_idle_in_force()).
    Millis remember_idle_timeout{7LL * 86'400'000};
    int max_per_user = 0;
    std::size_t cache_entries = 1'000'000;  // sessions one process keeps in memory (a near-cache over the store)
  } session;
  struct {
    bool secure = true;
    SameSite same_site = SameSite::lax;
  } cookie;
  struct {
    std::string keys;        // default derived from data_dir
    std::string signing_kid;
    std::string issuer;      // default public_url when set, else kDefaultIssuer
    std::vector<std::string> audience{"cloakroom"};
    Millis access_ttl{15 * 60'000};
    Millis refresh_ttl{30LL * 86'400'000};
    Millis leeway{60'000};
    Millis refresh_grace{10'000};  // a repeat of the same refresh this soon is idempotent
    int refresh_repeats = 3;       // repeats answered per rotation within refresh_grace; one more is reuse
    // The key-encryption key (base64url of 32 bytes) that seals private keys
    // kept in a shared store: from CLOAKROOM_JWT_KEY_ENCRYPTION_KEY, or read
    // from key_encryption_key_file by load_config. Never logged or shown;
    // parse it with KeyEncryptionKey::parse (already checked). Empty: none.
    std::string key_encryption_key;
    std::string key_encryption_key_file;
    // While the KEK is rotated: the one before, which only opens (never
    // seals); same sources and rules. Empty: none.
    std::string previous_key_encryption_key;
    std::string previous_key_encryption_key_file;
  } jwt;
  std::vector<AccessRule> access_rules;
  struct {
    bool deny_unmatched = false;  // access.default = "deny": no rule, no entry
  } access;
  struct {
    bool identity_token = false;         // /auth/verify adds X-Auth-Token (a JWT for the upstream)
    std::string identity_audience = "upstream";
    Millis identity_ttl{60'000};
    bool login_redirect = false;               // unauthenticated browsers get 302 to /login?rd=...
    std::vector<std::string> allowed_redirect_domains;  // besides public_url's origin
  } forward_auth;
  HttpConfig http;
  PasswordConfig password;
  ThrottleConfig throttle;
  struct {
    Millis poll_interval{5};     // how often the change feed is checked
    Millis max_staleness{2000};  // unread this long: checks fail closed (503)
    Millis users_max_staleness{300'000};  // the same for a users' feed on its own backend
  } feed;
  struct {
    LogLevel level = LogLevel::info;  // the least severe line written, operational and audit alike
    std::string audit = "stderr";     // where audit events go: "stderr" or a file path
  } log;
  // Filled by load_config: values bounded by others (a timeout clamped).
  std::vector<ConfigWarning> warnings;
  // Filled by load_config: where each key set by a flag or the environment
  // came from ("store.users" -> "flag --store-users"), for `config check`.
  // Keys from the file or at their default are not listed.
  std::map<std::string, std::string> origins;
};

// The idle bound of a remembered session: session.remember_idle_timeout,
// clamped to at least session.idle_timeout and at most the longer of
// idle_timeout and absolute_timeout. SessionService and load_config's
// warnings both use it, so a warning names the value actually in force.
Millis remember_idle_in_force(const Config& c);

// jwt.issuer when neither it nor public_url is set. Fixed rather than
// derived from `listen`, so every process and CLI command (and a server
// moved to another port) agree on the issuer of the same tokens.
inline constexpr std::string_view kDefaultIssuer = "http://127.0.0.1:8080";

// The maximum password length the SPEC fixes (bytes).
inline constexpr std::size_t kPasswordMax = 1024;

struct ConfigSources {
  std::optional<std::string> file;                       // TOML path
  std::vector<std::pair<std::string, std::string>> env;  // CLOAKROOM_* variables
  // Flag values by key: "listen", "data_dir", "store.users" (flag --store-users).
  std::map<std::string, std::string> flags;
};

Result<Config> load_config(const ConfigSources& sources);

// Parses TOML text (the file source) on top of `cfg`. Exposed for tests.
Result<void> apply_toml(Config& cfg, std::string_view toml_text, std::string_view origin);

// The process environment's CLOAKROOM_* variables.
std::vector<std::pair<std::string, std::string>> cloakroom_environment();

// Markdown table of every key with its env name and default (for docs).
std::string config_reference_markdown();
// A TOML file of every key, each commented out at its default with its help
// text (packaging/cloakroom.toml, installed as /etc/cloakroom/cloakroom.toml).
std::string config_example_toml();
// Every key at its value in `c`, as TOML, for `cloakroom config check`: the
// passwords in store URLs are masked, and secrets read from the environment
// only are said to be set or not, never shown.
std::string config_effective_toml(const Config& c);

}  // namespace cloakroom
