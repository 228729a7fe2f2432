#include "config/config.h"

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <sys/stat.h>

#include "config/config_keys.h"
#include "config/public_url.h"
#include "core/ascii.h"
#include "core/edit_distance.h"
#include "core/ip_address.h"
#include "core/key_encryption.h"
#include "core/url_userinfo.h"
#include "store/store_url_check.h"

extern char** environ;

namespace cloakroom {

std::string mask_url_password(std::string value);  // below, beside config_effective_toml

namespace {

using config_detail::RawValue;
using Typed = std::variant<std::string, long long, bool, Millis, std::vector<std::string>>;

enum class Kind { string, integer, boolean, duration, string_list };

struct KeySpec {
  std::string_view section;
  std::string_view name;
  Kind kind;
  long long min = 0, max = 0;     // integer range
  std::string_view help;
  // Validates and stores an already-typed value; the message names no key
  // (the caller adds it).
  Result<void> (*set)(Config&, const Typed&);
  std::string (*show)(const Config&);  // current value, for docs
  bool environment_only = false;       // a secret: never from a file or a flag
};

Error invalid(std::string message) { return Error{ErrorCode::config_invalid, std::move(message)}; }

Result<void> check_listen(const std::string& v) {
  auto colon = v.rfind(':');
  if (colon == std::string::npos || colon == 0) return invalid("must be HOST:PORT, like 127.0.0.1:8080");
  std::string_view port = std::string_view(v).substr(colon + 1);
  int p = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc{} || end != port.data() + port.size() || p < 0 || p > 65535)
    return invalid("must end with a port number from 0 to 65535");
  return {};
}

Result<void> check_origin_url(const std::string& v) {
  if (!(v.starts_with("http://") || v.starts_with("https://")))
    return invalid("must be an http:// or https:// URL");
  std::string_view rest = std::string_view(v).substr(v.find("//") + 2);
  if (rest.empty() || rest.find_first_of("/?#@ ") != std::string_view::npos)
    return invalid("must be an origin like https://auth.example.com (no path, query or user info)");
  return {};
}

// The store backends' own table decides, so the message lists what this build has.
Result<void> check_users_url(const std::string& v) { return check_store_url(v, StoreSlot::users); }
Result<void> check_sessions_url(const std::string& v) { return check_store_url(v, StoreSlot::sessions); }

Result<void> check_positive(Millis d) {
  if (d.count() <= 0) return invalid("must be longer than zero");
  return {};
}

std::string show_bool(bool b) { return b ? "true" : "false"; }
std::string show_list(const std::vector<std::string>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", \"" : "\"") + v[i] + "\"";
  return out + "]";
}

#define STRING_KEY(SEC, NAME, FIELD, CHECK, HELP)                                             \
  KeySpec{SEC, NAME, Kind::string, 0, 0, HELP,                                                \
          [](Config& c, const Typed& t) -> Result<void> {                                    \
            const auto& text_ = std::get<std::string>(t);                                    \
            if (auto r = CHECK(text_); !r) return r;                                          \
            c.FIELD = text_;                                                                  \
            return {};                                                                        \
          },                                                                                  \
          [](const Config& c) { return "\"" + c.FIELD + "\""; }}
#define INT_KEY(SEC, NAME, FIELD, MIN, MAX, HELP)                                             \
  KeySpec{SEC, NAME, Kind::integer, MIN, MAX, HELP,                                           \
          [](Config& c, const Typed& t) -> Result<void> {                                    \
            c.FIELD = static_cast<decltype(c.FIELD)>(std::get<long long>(t));                 \
            return {};                                                                        \
          },                                                                                  \
          [](const Config& c) { return std::to_string(c.FIELD); }}
#define BOOL_KEY(SEC, NAME, FIELD, HELP)                                                      \
  KeySpec{SEC, NAME, Kind::boolean, 0, 0, HELP,                                               \
          [](Config& c, const Typed& t) -> Result<void> {                                    \
            c.FIELD = std::get<bool>(t);                                                      \
            return {};                                                                        \
          },                                                                                  \
          [](const Config& c) { return show_bool(c.FIELD); }}
#define DURATION_KEY(SEC, NAME, FIELD, HELP)                                                  \
  KeySpec{SEC, NAME, Kind::duration, 0, 0, HELP,                                              \
          [](Config& c, const Typed& t) -> Result<void> {                                    \
            Millis d = std::get<Millis>(t);                                                   \
            if (auto r = check_positive(d); !r) return r;                                     \
            c.FIELD = d;                                                                      \
            return {};                                                                        \
          },                                                                                  \
          [](const Config& c) { return "\"" + format_duration(c.FIELD) + "\""; }}

// A duration that may be zero, up to `MAX_MS`.
#define BOUNDED_DURATION_KEY(SEC, NAME, FIELD, MAX_MS, HELP)                                   \
  KeySpec{SEC, NAME, Kind::duration, 0, 0, HELP,                                              \
          [](Config& c, const Typed& t) -> Result<void> {                                    \
            Millis d = std::get<Millis>(t);                                                   \
            if (d.count() > (MAX_MS)) return invalid("must be at most " + format_duration(Millis(MAX_MS))); \
            c.FIELD = d;                                                                      \
            return {};                                                                        \
          },                                                                                  \
          [](const Config& c) { return "\"" + format_duration(c.FIELD) + "\""; }}

// Every config key. Order is the order of docs/configuration.md.
const std::vector<KeySpec>& keys() {
  static const std::vector<KeySpec> k = {
      STRING_KEY("", "listen", listen, check_listen, "Address and port to listen on."),
      STRING_KEY("", "data_dir", data_dir, [](const std::string& s) -> Result<void> {
        if (s.empty()) return invalid("must not be empty");
        return {};
      }, "Directory for the SQLite database and generated keys."),
      KeySpec{"", "public_url", Kind::string, 0, 0,
              "Origin users reach cloakroom at (scheme://host[:port], a trailing / is dropped): redirects, Origin "
              "checks and the default issuer. Not set: http://<listen> (127.0.0.1 for a wildcard listen), where a "
              "browser may also name this machine localhost, 127.0.0.1 or [::1].",
              [](Config& c, const Typed& t) -> Result<void> {
                std::string url = std::get<std::string>(t);
                if (url.ends_with('/')) url.pop_back();  // what a browser shows; the origin has no path
                if (auto r = check_origin_url(url); !r) return r;
                c.public_url = std::move(url);
                return {};
              },
              [](const Config& c) { return "\"" + c.public_url + "\""; }},
      STRING_KEY("store", "users", store.users, check_users_url,
                 "User store: sqlite://PATH, memory:// or postgres://USER:PASSWORD@HOST:PORT/DB?sslmode=..., a libpq "
                 "connection URI in which every libpq option works (scale-out.md) (default sqlite://<data_dir>/cloakroom.db)."),
      STRING_KEY("store", "sessions", store.sessions, check_sessions_url,
                 "Session store (sessions, token state, node registry): sqlite://PATH, memory:// or "
                 "redis://[USER:PASSWORD@]HOST:PORT/DB[?prefix=P] (default sqlite://<data_dir>/cloakroom.db)."),
      INT_KEY("store", "redis_wait_replicas", store.redis_wait_replicas, 0, 100,
              "redis:// only: after each revocation, wait until this many Redis replicas hold it (WAIT), so a "
              "failover to a replica cannot bring a revoked credential back (0 = do not wait)."),
      // Why at most 5s: each revocation holds a store worker while it waits.
      KeySpec{"store", "redis_wait_timeout", Kind::duration, 0, 0,
              "How long a revocation waits for store.redis_wait_replicas; fewer in time: it stands on the "
              "primary, logged and counted (Redis checks at its hz, so up to 100 ms more).",
              [](Config& c, const Typed& t) -> Result<void> {
                Millis d = std::get<Millis>(t);
                if (auto r = check_positive(d); !r) return r;
                if (d > Millis(5000)) return invalid("must be at most " + format_duration(Millis(5000)));
                c.store.redis_wait_timeout = d;
                return {};
              },
              [](const Config& c) { return "\"" + format_duration(c.store.redis_wait_timeout) + "\""; }},
      BOOL_KEY("auth", "registration", auth.registration, "Whether POST /auth/register is open."),
      INT_KEY("auth", "password_min", auth.password_min, 1, 1024, "Minimum password length in bytes (max is 1024)."),
      DURATION_KEY("session", "idle_timeout", session.idle_timeout, "A session unused this long ends."),
      DURATION_KEY("session", "absolute_timeout", session.absolute_timeout, "A session ends this long after login."),
      DURATION_KEY("session", "remember_idle_timeout", session.remember_idle_timeout,
                   "A session signed in with \"keep me signed in\" ends when unused this long (never sooner "
                   "than session.idle_timeout, at the latest session.absolute_timeout after login)."),
      INT_KEY("session", "max_per_user", session.max_per_user, 0, 1'000'000,
              "Sessions and refresh families per user, counted together; a login beyond it ends the oldest (0 = unlimited)."),
      // 0 or at least 1000: 0 turns the near-cache off (every check reads the store), so the
      // per-request-lookup design can be measured beside ours; a small nonzero cache only thrashes.
      KeySpec{"session", "cache_entries", Kind::integer, 0, 100'000'000,
              "Sessions this process keeps in memory (~150 bytes each); others are read from the store on use. "
              "At least 1000: split over 16 shards, fewer would push busy sessions out and every check to the store. "
              "0 = no cache, every check reads the store: for comparison only (bench/scaleout.sh), never in production.",
              [](Config& c, const Typed& t) -> Result<void> {
                const long long n = std::get<long long>(t);
                if (n != 0 && n < 1000) return invalid("must be 0 (no cache, for comparison only) or at least 1000");
                c.session.cache_entries = static_cast<std::size_t>(n);
                return {};
              },
              [](const Config& c) { return std::to_string(c.session.cache_entries); }},
      BOOL_KEY("cookie", "secure", cookie.secure, "Secure cookies with __Host-/__Secure- prefixes."),
      KeySpec{"cookie", "same_site", Kind::string, 0, 0, "SameSite attribute: Strict, Lax or None (any case).",
              [](Config& c, const Typed& t) -> Result<void> {
                const auto& s = std::get<std::string>(t);
                if (iequals_ascii(s, "Strict")) c.cookie.same_site = SameSite::strict;
                else if (iequals_ascii(s, "Lax")) c.cookie.same_site = SameSite::lax;
                else if (iequals_ascii(s, "None")) c.cookie.same_site = SameSite::none;
                else return invalid("must be Strict, Lax or None");
                return {};
              },
              [](const Config& c) -> std::string {
                switch (c.cookie.same_site) {
                  case SameSite::strict: return "\"Strict\"";
                  case SameSite::lax: return "\"Lax\"";
                  case SameSite::none: return "\"None\"";
                }
                return "";
              }},
      STRING_KEY("jwt", "keys", jwt.keys, [](const std::string& s) -> Result<void> {
        if (s.empty()) return invalid("must not be empty");
        return {};
      }, "JWKS file with private keys (default <data_dir>/keys.jwks.json)."),
      STRING_KEY("jwt", "signing_kid", jwt.signing_kid, [](const std::string&) -> Result<void> { return {}; },
                 "kid of the signing key (default: first key in the file)."),
      STRING_KEY("jwt", "issuer", jwt.issuer, [](const std::string& s) -> Result<void> {
        if (s.empty()) return invalid("must not be empty");
        return {};
      }, "iss claim of issued tokens (default: public_url when set, else http://127.0.0.1:8080 whatever listen says, "
         "so every process and CLI command agree)."),
      KeySpec{"jwt", "audience", Kind::string_list, 0, 0, "aud claim: a string or a list of strings.",
              [](Config& c, const Typed& t) -> Result<void> {
                const auto& v = std::get<std::vector<std::string>>(t);
                if (v.empty() || std::any_of(v.begin(), v.end(), [](auto& s) { return s.empty(); }))
                  return invalid("must be a non-empty string or list of non-empty strings");
                c.jwt.audience = v;
                return {};
              },
              [](const Config& c) { return show_list(c.jwt.audience); }},
      DURATION_KEY("jwt", "access_ttl", jwt.access_ttl, "Lifetime of access tokens."),
      DURATION_KEY("jwt", "refresh_ttl", jwt.refresh_ttl, "A refresh token family ends this long after its last refresh (sliding)."),
      BOUNDED_DURATION_KEY("jwt", "leeway", jwt.leeway, 3'600'000, "Clock skew allowed on exp, nbf and iat."),
      BOUNDED_DURATION_KEY("jwt", "refresh_grace", jwt.refresh_grace, 300'000,
                           "A refresh token used again this soon after its rotation gets the same new token "
                           "instead of tripping reuse detection (concurrent tabs, retries); \"0s\" disables."),
      INT_KEY("jwt", "refresh_repeats", jwt.refresh_repeats, 0, 1000,
              "Repeats answered per rotation within jwt.refresh_grace; one more revokes the family as reuse "
              "(bounds what a thief replaying the previous token gets)."),
      KeySpec{"jwt", "key_encryption_key_file", Kind::string, 0, 0,
              "File holding the key-encryption key (32 random bytes, base64url; mode 0600, kept apart from the "
              "data) that seals private signing keys in a shared store. Or set CLOAKROOM_JWT_KEY_ENCRYPTION_KEY.",
              [](Config& c, const Typed& t) -> Result<void> {
                const auto& s = std::get<std::string>(t);
                if (s.empty()) return invalid("must not be empty");
                c.jwt.key_encryption_key_file = s;
                return {};
              },
              [](const Config& c) -> std::string {
                return c.jwt.key_encryption_key_file.empty() ? "(none)" : "\"" + c.jwt.key_encryption_key_file + "\"";
              }},
      KeySpec{"jwt", "key_encryption_key", Kind::string, 0, 0,
              "The key-encryption key itself, from the environment only (never a file beside the data): "
              "32 random bytes, base64url.",
              [](Config& c, const Typed& t) -> Result<void> {
                const auto& s = std::get<std::string>(t);
                if (auto kek = KeyEncryptionKey::parse(s); !kek) return kek.error();
                c.jwt.key_encryption_key = s;
                return {};
              },
              [](const Config&) -> std::string { return "(none)"; }, /*environment_only=*/true},
      KeySpec{"jwt", "previous_key_encryption_key_file", Kind::string, 0, 0,
              "While rotating the key-encryption key: file holding the one before (same rules). What was sealed "
              "under it still opens; new seals use the current one; `cloakroom key rewrap` reseals the rest. Or "
              "set CLOAKROOM_JWT_PREVIOUS_KEY_ENCRYPTION_KEY.",
              [](Config& c, const Typed& t) -> Result<void> {
                const auto& s = std::get<std::string>(t);
                if (s.empty()) return invalid("must not be empty");
                c.jwt.previous_key_encryption_key_file = s;
                return {};
              },
              [](const Config& c) -> std::string {
                return c.jwt.previous_key_encryption_key_file.empty()
                           ? "(none)"
                           : "\"" + c.jwt.previous_key_encryption_key_file + "\"";
              }},
      KeySpec{"jwt", "previous_key_encryption_key", Kind::string, 0, 0,
              "The previous key-encryption key itself, from the environment only: 32 random bytes, base64url.",
              [](Config& c, const Typed& t) -> Result<void> {
                const auto& s = std::get<std::string>(t);
                if (auto kek = KeyEncryptionKey::parse(s); !kek) return kek.error();
                c.jwt.previous_key_encryption_key = s;
                return {};
              },
              [](const Config&) -> std::string { return "(none)"; }, /*environment_only=*/true},
      KeySpec{"access", "default", Kind::string, 0, 0,
              "Forward auth when no [[access.rule]] matches: \"authenticated\" (any valid credential) or \"deny\" "
              "(any case).",
              [](Config& c, const Typed& t) -> Result<void> {
                const auto& s = std::get<std::string>(t);
                const bool deny = iequals_ascii(s, "deny");
                if (!deny && !iequals_ascii(s, "authenticated")) return invalid("must be \"authenticated\" or \"deny\"");
                c.access.deny_unmatched = deny;
                return {};
              },
              [](const Config& c) -> std::string { return c.access.deny_unmatched ? "\"deny\"" : "\"authenticated\""; }},
      BOOL_KEY("forward_auth", "identity_token", forward_auth.identity_token,
               "/auth/verify also returns X-Auth-Token: a short-lived JWT for the upstream."),
      STRING_KEY("forward_auth", "identity_audience", forward_auth.identity_audience,
                 [](const std::string& s) -> Result<void> {
                   if (s.empty()) return invalid("must not be empty");
                   return {};
                 }, "aud of identity tokens (must differ from jwt.audience)."),
      DURATION_KEY("forward_auth", "identity_ttl", forward_auth.identity_ttl, "Lifetime of identity tokens."),
      BOOL_KEY("forward_auth", "login_redirect", forward_auth.login_redirect,
               "Unauthenticated browsers (Accept: text/html) get 302 to public_url/login?rd=<original URL>."),
      KeySpec{"forward_auth", "allowed_redirect_domains", Kind::string_list, 0, 0,
              "Hosts rd may point to besides public_url (\".example.com\" allows subdomains).",
              [](Config& c, const Typed& t) -> Result<void> {
                const auto& v = std::get<std::vector<std::string>>(t);
                for (const auto& d : v)
                  if (d.empty() || d == "." || d.find_first_of("/:@ ") != std::string::npos)
                    return invalid("must list host names like \"app.example.com\" or \".example.com\"");
                c.forward_auth.allowed_redirect_domains = v;
                return {};
              },
              [](const Config& c) { return show_list(c.forward_auth.allowed_redirect_domains); }},
      INT_KEY("http", "threads", http.threads, 0, 256,
              "I/O threads (0 = one per CPU this process may use: its affinity mask, capped by its cgroup CPU quota)."),
      INT_KEY("http", "max_connections", http.max_connections, 1, 1'000'000,
              "Open connections beyond this get 503 and are closed; lowered at startup to fit the open-files limit."),
      // Why at most kLargestHeaderLimit (65535): Beast's parser keeps each
      // field's length in 16 bits and throws on a longer one.
      INT_KEY("http", "max_header_bytes", http.max_header_bytes, 1024,
              static_cast<long long>(kLargestHeaderLimit),
              "Request line plus headers, at most 65535 (also bounds a chunked body's size lines and trailer); larger get 431."),
      INT_KEY("http", "max_body_bytes", http.max_body_bytes, 256, 16 * 1024 * 1024,
              "Request body; larger requests get 413."),
      DURATION_KEY("http", "read_timeout", http.read_timeout,
                   "A request's headers, then its body, must each arrive within this."),
      DURATION_KEY("http", "idle_timeout", http.idle_timeout, "A keep-alive connection with no request is closed."),
      DURATION_KEY("http", "shutdown_timeout", http.shutdown_timeout,
                   "On SIGTERM, in-flight requests get this long to finish."),
      BOOL_KEY("http", "access_log", http.access_log, "One JSON line per request on stderr."),
      KeySpec{"http", "trusted_proxies", Kind::string_list, 0, 0,
              "Proxies whose X-Forwarded-For names the client (for throttling and session ip): addresses or CIDR "
              "blocks, like [\"127.0.0.1\", \"172.18.0.0/16\", \"fd12:3456:789a::/48\"]; a /0 is refused and a block wider "
              "than /8 (IPv4) or /32 (IPv6) is logged at startup as trusted_proxies_wide.",
              [](Config& c, const Typed& t) -> Result<void> {
                const auto& v = std::get<std::vector<std::string>>(t);
                for (const auto& a : v) {
                  auto n = IpNetwork::parse(a);
                  if (!n) return invalid("must list IP addresses or CIDR blocks; " + std::string(n.error().text()));
                  // Why refused: a /0 trusts every peer, so any client could name its own
                  // address in X-Forwarded-For and walk past the per-address throttles.
                  if (n->prefix() == 0)
                    return invalid("must not hold \"" + a + "\", which trusts every client to name its own address; "
                                   "list the proxies' addresses or their network");
                }
                c.http.trusted_proxies = v;
                return {};
              },
              [](const Config& c) { return show_list(c.http.trusted_proxies); }},
      KeySpec{"log", "level", Kind::string, 0, 0,
              "The least severe operational log line written (audit events are always written): \"debug\", \"info\", \"warn\" or "
              "\"error\" (any case).",
              [](Config& c, const Typed& t) -> Result<void> {
                auto l = parse_log_level(std::get<std::string>(t));
                if (!l) return invalid("must be \"debug\", \"info\", \"warn\" or \"error\"");
                c.log.level = *l;
                return {};
              },
              [](const Config& c) { return "\"" + std::string(level_name(c.log.level)) + "\""; }},
      STRING_KEY("log", "audit", log.audit, [](const std::string& s) -> Result<void> {
        if (s.empty()) return invalid("must be \"stderr\" or a file path");
        return {};
      }, "Where audit events go (docs/operations.md): \"stderr\" (each line tagged \"log\":\"audit\") or a file "
         "appended to (created 0600)."),
      INT_KEY("password", "memory_kib", password.memory_kib, 8, 4 * 1024 * 1024,
              "Argon2id memory in KiB (OWASP: 19456)."),
      INT_KEY("password", "iterations", password.iterations, 1, 100, "Argon2id passes (OWASP: 2)."),
      INT_KEY("password", "workers", password.workers, 0, 256,
              "Hashing threads (0 = one per CPU this process may use, as for http.threads)."),
      INT_KEY("password", "queue", password.queue, 0, 100'000,
              "Hashes waiting beyond the workers before login answers 503."),
      INT_KEY("throttle", "per_account_ip", throttle.per_account_ip, 1, 1'000'000,
              "Failed logins per username from one client address per window before 429 (the strict limit)."),
      INT_KEY("throttle", "per_account", throttle.per_account, 1, 1'000'000,
              "Failed logins per username from all addresses together per window before 429 (distributed "
              "guessing; also how many failures lock the owner out, so keep it well above per_account_ip). "
              "Each right password that asks for a second step counts too."),
      INT_KEY("throttle", "per_ip", throttle.per_ip, 1, 1'000'000,
              "Failed logins (and, in a separate bucket, refused refreshes) per client address per window before 429."),
      DURATION_KEY("throttle", "window", throttle.window, "Window over which failed logins are counted."),
      INT_KEY("throttle", "max_tracked", throttle.max_tracked, 100, 100'000'000,
              "Keys (addresses, usernames, username-address pairs) remembered per table (memory bound)."),
      // Why at most 1s: a revocation reaches other processes within about one interval.
      BOUNDED_DURATION_KEY("feed", "poll_interval", feed.poll_interval, 1000,
                           "How often each process checks the change feed for other processes' changes "
                           "(a cheap check; the feed is read only when something changed)."),
      DURATION_KEY("feed", "max_staleness", feed.max_staleness,
                   "A process that could not read the change feed for this long answers checks with 503 and "
                   "is not ready, instead of trusting credentials that may have been revoked elsewhere."),
      DURATION_KEY("feed", "users_max_staleness", feed.users_max_staleness,
                   "The same for the change feed of a users store on another backend than the sessions "
                   "(PostgreSQL users beside Redis sessions): it carries only user changes, which nobody can make "
                   "while that store is down, so checks ride out its restarts and failovers this long."),
  };
  return k;
}

#undef STRING_KEY
#undef INT_KEY
#undef BOOL_KEY
#undef DURATION_KEY

std::string dotted(std::string_view section, std::string_view name) {
  return section.empty() ? std::string(name) : std::string(section) + "." + std::string(name);
}

std::string env_name(std::string_view section, std::string_view name) {
  std::string out = "CLOAKROOM_";
  for (char c : dotted(section, name)) out += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// " (did you mean session.idle_timeout?)" for a typo of a real key, else "".
// `name` is dotted ("session.idle_timout") or an env name, as `spell` spells keys.
std::string suggestion(std::string_view name, std::string (*spell)(std::string_view, std::string_view)) {
  if (name.size() > 64) return {};
  std::string best;
  std::size_t best_distance = name.size() >= 12 ? 4 : 3;  // at most three (two for short names) edits away
  for (const auto& k : keys()) {
    std::string candidate = spell(k.section, k.name);
    std::size_t d = edit_distance(name, candidate);
    if (d < best_distance) best_distance = d, best = candidate;
  }
  return best.empty() ? std::string() : " (did you mean " + best + "?)";
}

// Secrets, and store URLs (a malformed one may hide its password where the
// masking does not look): never echoed in an error.
bool value_may_hold_secret(const KeySpec& k) {
  return k.environment_only || (k.section == "store" && (k.name == "users" || k.name == "sessions"));
}

// A bad value as an error message shows it: quoted, passwords in URLs
// masked, cut at 60 characters (why: one line, however long the input).
std::string shown_value(const RawValue& raw) {
  auto quoted = [](std::string s) {
    s = mask_url_password(std::move(s));
    if (s.size() > 60) s = s.substr(0, 57) + "...";
    std::string out = "\"";
    for (char ch : s) out += static_cast<unsigned char>(ch) < 0x20 ? '?' : ch;  // no control bytes on the terminal
    return out + "\"";
  };
  if (const auto* text = std::get_if<std::string>(&raw)) return quoted(*text);
  if (const auto* n = std::get_if<long long>(&raw)) return std::to_string(*n);
  if (const auto* b = std::get_if<bool>(&raw)) return show_bool(*b);
  std::string out = "[";
  for (const auto& item : std::get<std::vector<std::string>>(raw)) {
    if (out.size() > 60) return out + "...]";
    out += (out.size() > 1 ? ", " : "") + quoted(item);
  }
  return out + "]";
}

const KeySpec* find_key(std::string_view section, std::string_view name) {
  for (const auto& k : keys())
    if (k.section == section && k.name == name) return &k;
  return nullptr;
}

// How an environment variable spells a list, for the messages that refuse one.
std::string list_example(const KeySpec& k) { return env_name(k.section, k.name) + "=a,b"; }

// A list from an environment variable: "a,b" or "a, b" (spaces around items
// are dropped), or the TOML array a user pasted from a file, ["a", "b"]
// (basic or literal strings, no escapes). "" is the empty list; an empty
// item ("a,,b", "a,") is refused, never kept as "". The error says why,
// without the value (the caller shows it).
Result<std::vector<std::string>, std::string> split_list_text(std::string_view text) {
  std::vector<std::string> out;
  std::string_view rest = trim_ascii(text);
  if (rest.empty()) return out;
  if (rest.front() != '[') {
    for (std::size_t start = 0;;) {
      const std::size_t comma = rest.find(',', start);
      std::string_view item = trim_ascii(rest.substr(start, comma == std::string_view::npos ? rest.npos : comma - start));
      if (item.empty()) return std::string("item " + std::to_string(out.size() + 1) + " is empty");
      out.emplace_back(item);
      if (comma == std::string_view::npos) return out;
      start = comma + 1;
    }
  }
  // The TOML form: [ "a" , 'b' ,] with nothing after the ']'.
  rest.remove_prefix(1);
  for (;;) {
    rest = trim_ascii(rest);
    if (rest.starts_with(']')) break;
    if (rest.empty() || (rest.front() != '"' && rest.front() != '\''))
      return std::string("the [...] form needs quoted items like [\"a\", \"b\"]");
    const char quote = rest.front();
    const std::size_t close = rest.find(quote, 1);
    if (close == std::string_view::npos) return std::string("a quoted item is not closed");
    std::string_view item = rest.substr(1, close - 1);
    if (quote == '"' && item.find('\\') != std::string_view::npos)
      return std::string("the [...] form takes no escapes");
    if (item.empty()) return std::string("item " + std::to_string(out.size() + 1) + " is empty");
    out.emplace_back(item);
    rest = trim_ascii(rest.substr(close + 1));
    if (rest.starts_with(',')) rest.remove_prefix(1);
    else if (!rest.starts_with(']')) return std::string("items in the [...] form are separated by commas");
  }
  if (!trim_ascii(rest.substr(1)).empty()) return std::string("there is text after the closing ]");
  return out;
}

// Gives a source's raw value the key's type. Environment variables and flags
// arrive as strings and are parsed here; TOML values must already match.
Result<Typed> to_typed(const KeySpec& k, const RawValue& raw) {
  const std::string* text = std::get_if<std::string>(&raw);
  switch (k.kind) {
    case Kind::string:
      if (!text) return invalid("must be a string");
      return Typed{*text};
    case Kind::integer: {
      long long n = 0;
      if (auto* i = std::get_if<long long>(&raw)) n = *i;
      else if (text) {
        auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
        if (text->empty() || ec != std::errc{} || end != text->data() + text->size()) return invalid("must be an integer");
      } else return invalid("must be an integer");
      if (n < k.min || n > k.max)
        return invalid("must be between " + std::to_string(k.min) + " and " + std::to_string(k.max));
      return Typed{n};
    }
    case Kind::boolean:
      if (auto* b = std::get_if<bool>(&raw)) return Typed{*b};
      if (text && (iequals_ascii(*text, "true") || *text == "1")) return Typed{true};
      if (text && (iequals_ascii(*text, "false") || *text == "0")) return Typed{false};
      return invalid("must be true or false");
    case Kind::duration: {
      if (!text) return invalid("must be a duration string like \"15m\"");
      auto d = parse_duration(*text);
      // Not parse_duration's own sentence: this one follows "Config key K".
      if (!d)
        return invalid("must be a duration under 100 years: a whole number with a unit ms, s, m, h or d, like \"15m\"");
      return Typed{*d};
    }
    case Kind::string_list:
      if (auto* v = std::get_if<std::vector<std::string>>(&raw)) return Typed{*v};
      if (text) {
        auto items = split_list_text(*text);
        if (!items) return invalid("must be a comma-separated list, e.g. " + list_example(k) + " (" + items.error() + ")");
        return Typed{std::move(*items)};
      }
      return invalid("must be a string or a list of strings");
  }
  return invalid("has an unsupported type");
}

// True when the existing file `path` lies under `dir` once both are made
// canonical (symlinks resolved, "." and ".." removed). `dir` need not exist.
bool is_inside(const std::string& path, const std::string& dir) {
  std::error_code ec;
  const auto file = std::filesystem::canonical(path, ec);
  if (ec) return false;
  auto base = std::filesystem::weakly_canonical(dir, ec);
  if (ec || base.empty()) return false;
  if (!base.has_filename()) base = base.parent_path();  // "/data/" as "/data"
  // Component by component: "/data2/k" is not inside "/data".
  auto f = file.begin();
  for (auto b = base.begin(); b != base.end(); ++b, ++f)
    if (f == file.end() || *f != *b) return false;
  return true;
}

// A key-encryption key file (jwt.key_encryption_key_file, or the previous
// one's) into its key (`key`), checked like the environment variable; one
// source only. `what` names it in messages ("key-encryption key", "previous
// key-encryption key"), `name` is its config key without "_file". Messages
// never show the key.
Result<void> read_key_encryption_key(const Config& c, const std::string& path, std::string& key,
                                     const std::string& what, const std::string& name) {
  if (path.empty()) return {};
  const std::string file_key = "jwt." + name + "_file";
  if (!key.empty())
    return invalid("Set the " + what + " once: " + env_name("jwt", name) + " or " + file_key + ", not both.");
  const std::string named = "The " + what + " file " + path + " (" + file_key + ") ";
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return invalid(named + "cannot be read: " + std::strerror(errno) + ".");
  // Why: the key opens every private key in the store; as strict as the keys file.
  if ((st.st_mode & 077) != 0) return invalid(named + "is readable by other users; run chmod 600 on it.");
  // Why: the key must never sit beside the data it opens; a copy or backup of
  // the data dir would then carry both. Canonical paths, so "..", symlinks
  // and a relative data_dir cannot hide it; the data dir may not exist yet.
  if (is_inside(path, c.data_dir))
    return invalid(named + "is inside the data dir " + c.data_dir +
                   "; keep it outside, so a copy of the data never carries the key that opens it.");
  std::ifstream in(path, std::ios::binary);
  std::string text(257, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return invalid(named + "cannot be read.");
  text.resize(static_cast<std::size_t>(in.gcount()));
  auto kek = KeyEncryptionKey::parse(text);
  if (!kek) return invalid("The " + what + " in " + path + " (" + file_key + ") " + std::string(kek.error().text()) + ".");
  key = text;
  return {};
}

// Both key-encryption keys. A previous one alone would seal nothing new and
// leave the server without the key it seals under: refused.
Result<void> read_key_encryption_keys(Config& c) {
  auto& jwt = c.jwt;
  if (auto r = read_key_encryption_key(c, jwt.key_encryption_key_file, jwt.key_encryption_key, "key-encryption key",
                                       "key_encryption_key");
      !r)
    return r;
  if (auto r = read_key_encryption_key(c, jwt.previous_key_encryption_key_file, jwt.previous_key_encryption_key,
                                       "previous key-encryption key", "previous_key_encryption_key");
      !r)
    return r;
  if (!jwt.previous_key_encryption_key.empty() && jwt.key_encryption_key.empty())
    return invalid("A previous key-encryption key is set without a current one: set jwt.key_encryption_key_file or "
                   "CLOAKROOM_JWT_KEY_ENCRYPTION_KEY to the key that seals from now on.");
  return {};
}

// Timeouts bounded by another key: each one not in force as given is a
// warning (not an error: the server runs, with the bound).
std::vector<ConfigWarning> clamp_warnings(const Config& c) {
  std::vector<ConfigWarning> out;
  auto warn = [&](std::string key, Millis given, Millis used, std::string why) {
    out.push_back({std::move(key), format_duration(given), format_duration(used), std::move(why)});
  };
  const auto& s = c.session;
  // Why absolute wins: a session's deadline is the earlier of the two.
  if (s.idle_timeout > s.absolute_timeout)
    warn("session.idle_timeout", s.idle_timeout, s.absolute_timeout,
         "it is longer than session.absolute_timeout, which ends every session first");
  const Millis remember = remember_idle_in_force(c);
  if (remember != s.remember_idle_timeout)
    warn("session.remember_idle_timeout", s.remember_idle_timeout, remember,
         s.remember_idle_timeout < s.idle_timeout
             ? "it is shorter than session.idle_timeout (a remembered session never ends sooner than another)"
             : "it is longer than session.absolute_timeout, which ends every session first");
  return out;
}

// Fills the defaults that depend on other keys, then checks cross-key rules.
Result<void> finish(Config& c) {
  // Both default to one file: one connection serves users and sessions.
  const std::string default_store = "sqlite://" + c.data_dir + "/cloakroom.db";
  if (c.store.users.empty()) c.store.users = default_store;
  if (c.store.sessions.empty()) c.store.sessions = default_store;
  if (c.store.redis_wait_replicas > 0 && !c.store.sessions.starts_with("redis://"))
    return invalid("Config key store.redis_wait_replicas = " + std::to_string(c.store.redis_wait_replicas) +
                   " applies to a redis:// store.sessions only (0 elsewhere).");
  if (c.jwt.keys.empty()) c.jwt.keys = c.data_dir + "/keys.jwks.json";
  if (c.public_url.empty()) {
    c.public_url = derive_public_url(c.listen);
    c.public_url_derived = true;
  }
  if (c.jwt.issuer.empty()) c.jwt.issuer = c.public_url_derived ? std::string(kDefaultIssuer) : c.public_url;
  // Why: an identity token must not be usable as an access token to cloakroom itself.
  for (const auto& a : c.jwt.audience)
    if (a == c.forward_auth.identity_audience)
      return invalid("Config key forward_auth.identity_audience = \"" + a + "\" must differ from every jwt.audience value.");
  if (auto r = read_key_encryption_keys(c); !r) return r;
  if (c.cookie.same_site == SameSite::none && !c.cookie.secure)
    return invalid("Config key cookie.same_site = \"None\" requires cookie.secure = true (browsers reject it otherwise).");
  c.warnings = clamp_warnings(c);
  return {};
}

}  // namespace

namespace config_detail {

Result<void> apply_key(Config& cfg, std::string_view section, std::string_view key, const RawValue& value,
                       std::string_view origin, Source source) {
  const KeySpec* k = find_key(section, key);
  if (!k) {
    std::string typo = dotted(section, key);
    std::string hint = suggestion(typo, dotted);
    return invalid("Unknown config key " + typo + " in " + std::string(origin) + hint + ".");
  }
  if (k->environment_only && source != Source::environment)
    return invalid("Config key " + dotted(section, key) + " (" + std::string(origin) +
                   ") is a secret and is read from the environment only: set " + env_name(section, key) +
                   (k->name.ends_with("key_encryption_key") ? " or point " + dotted(section, key) + "_file at a file" : "") + ".");
  // "Config key K = VALUE (origin) must be ...": the key, what was given (never
  // a secret's value) and what is allowed, in one sentence.
  auto named = [&](const Error& e) {
    const std::string given = value_may_hold_secret(*k) ? "" : " = " + shown_value(value);
    return invalid("Config key " + dotted(section, key) + given + " (" + std::string(origin) + ") " +
                   std::string(e.text()) + ".");
  };
  auto typed = to_typed(*k, value);
  if (!typed) return named(typed.error());
  if (auto r = k->set(cfg, *typed); !r) {
    // Why: a list typed into an environment variable is most often wrong in
    // its spelling (spaces, quotes), so the message shows the one that works.
    if (k->kind == Kind::string_list && std::holds_alternative<std::string>(value))
      return named(invalid(std::string(r.error().text()) + "; the environment takes a comma-separated list, e.g. " +
                           list_example(*k)));
    return named(r.error());
  }
  return {};
}

Result<AccessRule> make_access_rule(const std::string& prefix, std::vector<std::string> methods,
                                    std::vector<std::string> roles, std::string_view origin) {
  auto bad = [&](const std::string& why) {
    return invalid("Config key access.rule (" + std::string(origin) + ") " + why + ".");
  };
  if (!prefix.starts_with("/")) return bad("needs a prefix that starts with '/'");
  for (auto& m : methods) {
    for (char& ch : m) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (m.empty() || m.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos)
      return bad("has the method \"" + m.substr(0, 20) + "\", which is not an HTTP method name like GET or POST");
  }
  for (auto& r : roles)
    if (r.empty()) return bad("has an empty role name");
  return AccessRule{prefix, std::move(methods), std::move(roles)};
}

}  // namespace config_detail

std::string ConfigWarning::sentence() const {
  return key + " = \"" + given + "\" is used as \"" + used + "\": " + why + ".";
}

Millis remember_idle_in_force(const Config& c) {
  const Millis plain = c.session.idle_timeout;
  return std::clamp(c.session.remember_idle_timeout, plain, std::max(plain, c.session.absolute_timeout));
}

std::vector<std::pair<std::string, std::string>> cloakroom_environment() {
  std::vector<std::pair<std::string, std::string>> out;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    if (!kv.starts_with("CLOAKROOM_")) continue;
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    out.emplace_back(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return out;
}

Result<Config> load_config(const ConfigSources& sources) {
  Config cfg;
  if (sources.file) {
    std::ifstream in(*sources.file, std::ios::binary);
    if (!in) return invalid("Cannot read the config file " + *sources.file + ": " + std::strerror(errno) + ".");
    // Why: a config file is small; a multi-megabyte one is a mistake.
    std::string text;
    text.resize(1024 * 1024 + 1);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > 1024 * 1024) return invalid("The config file " + *sources.file + " is larger than 1 MiB.");
    if (auto r = apply_toml(cfg, text, *sources.file); !r) return r.error();
  }
  for (const auto& [name, value] : sources.env) {
    if (name == "CLOAKROOM_CONFIG") continue;  // names the file, handled by the caller
    const KeySpec* match = nullptr;
    for (const auto& k : keys())
      if (env_name(k.section, k.name) == name) match = &k;
    if (!match) {
      std::string hint = suggestion(name, env_name);
      return invalid("Unknown environment variable " + name + " (" + (hint.empty() ? "no such config key" : hint.substr(2, hint.size() - 3)) + ").");
    }
    if (auto r = config_detail::apply_key(cfg, match->section, match->name, value, "environment variable " + name,
                                             config_detail::Source::environment);
        !r)
      return r.error();
    cfg.origins[dotted(match->section, match->name)] = "environment variable " + name;
  }
  for (const auto& [name, value] : sources.flags) {
    // "store.users" is key users of [store], given as --store-users.
    const auto dot = name.find('.');
    const std::string section = dot == std::string::npos ? "" : name.substr(0, dot);
    const std::string key = dot == std::string::npos ? name : name.substr(dot + 1);
    std::string flag = name;
    std::replace(flag.begin(), flag.end(), '_', '-');
    std::replace(flag.begin(), flag.end(), '.', '-');
    if (auto r = config_detail::apply_key(cfg, section, key, value, "flag --" + flag, config_detail::Source::flag); !r)
      return r.error();
    cfg.origins[dotted(section, key)] = "flag --" + flag;
  }
  if (auto r = finish(cfg); !r) return r.error();
  return cfg;
}

std::string config_reference_markdown() {
  Config defaults;
  std::string out = "| key | environment variable | default | meaning |\n|---|---|---|---|\n";
  for (const auto& k : keys()) {
    std::string def = k.show(defaults);
    if (def == "\"\"") def = "(derived)";
    out += "| `" + dotted(k.section, k.name) + "` | `" + env_name(k.section, k.name) + "` | `" + def + "` | " +
           std::string(k.help) + " |\n";
  }
  return out;
}

namespace {

// `text` as TOML comment lines of at most ~90 columns.
std::string comment_lines(std::string_view text) {
  std::string out, line = "#";
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view word = text.substr(start, end - start);
    if (line.size() > 1 && line.size() + 1 + word.size() > 90) {
      out += line + "\n";
      line = "#";
    }
    line += " ";
    line += word;
    start = end + 1;
  }
  return out + line + "\n";
}

}  // namespace

// A URL's secrets as "***": the userinfo password (up to the URL's last
// '@': see core/url_userinfo.h) and any password-like query
// parameter (libpq takes ?password= and ?sslpassword=).
std::string mask_url_password(std::string value) {
  if (value.find("://") == std::string::npos) return value;
  if (auto span = url_password_span(value)) value.replace(span->first, span->second - span->first, "***");
  for (std::size_t q = value.find('?'); q != std::string::npos && q < value.size();) {
    const std::size_t start = q + 1, eq = value.find('=', start), end = value.find('&', start);
    if (eq != std::string::npos && (end == std::string::npos || eq < end)) {
      std::string name = value.substr(start, eq - start);
      for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (name.find("password") != std::string::npos || name.find("pass%") != std::string::npos)
        value.replace(eq + 1, (end == std::string::npos ? value.size() - (value.ends_with('"') ? 1 : 0) : end) - eq - 1,
                      "***");
    }
    q = value.find('&', start);
  }
  return value;
}

namespace {
// A key `config check` shows but serve does not read with this
// configuration: with the users in PostgreSQL the signing keys are kept
// there, sealed under the KEK, and jwt.keys is never opened.
std::string unused_note(const Config& c, std::string_view section, std::string_view name) {
  const bool users_in_postgres = c.store.users.starts_with("postgres://") || c.store.users.starts_with("postgresql://");
  if (users_in_postgres && section == "jwt" && name == "keys") return "  # not used: the signing keys are in PostgreSQL";
  return "";
}
}  // namespace

std::string config_effective_toml(const Config& c) {
  std::string out;
  std::string_view section = "\x01";
  for (const auto& k : keys()) {
    if (k.section != section) {
      section = k.section;
      out += section.empty() ? "" : "\n[" + std::string(section) + "]\n";
    }
    if (k.environment_only) {
      const bool set = std::getenv(env_name(k.section, k.name).c_str()) != nullptr;
      out += "# " + std::string(k.name) + ": " + (set ? "set" : "not set") + " (environment only, never shown)\n";
      continue;
    }
    const std::string value = k.show(c);
    // Where a value that overrides the file came from: a flag or the environment.
    const auto origin = c.origins.find(dotted(k.section, k.name));
    const std::string from = origin == c.origins.end() ? "" : "  # from " + origin->second;
    if (value == "(none)") out += "# " + std::string(k.name) + ": not set\n";
    else
      out += std::string(k.name) + " = " + mask_url_password(value) + from + unused_note(c, k.section, k.name) + "\n";
  }
  // The rules too, in the order they are judged: a check of a step-up or
  // role rule should show the rule.
  out += c.access_rules.empty() ? "\n# no [[access.rule]]: access.default decides every request\n" : "";
  for (const AccessRule& r : c.access_rules) {
    out += "\n[[access.rule]]\nprefix = \"" + r.prefix + "\"\n";
    if (!r.methods.empty()) out += "methods = " + show_list(r.methods) + "\n";
    if (!r.roles.empty()) out += "roles = " + show_list(r.roles) + "\n";
    if (r.second_factor) out += "second_factor = true\n";
  }
  return out;
}

std::string config_example_toml() {
  Config defaults;
  std::string out =
      "# cloakroom configuration: every key, commented out at its default (generated from the\n"
      "# program's own key table; docs/configuration.md explains each). Uncomment what you change.\n"
      "# Each key can also be set as CLOAKROOM_<SECTION>_<KEY> in the environment, which wins over\n"
      "# this file; the flags (--data-dir, --store-users, --store-sessions, and serve's --listen and\n"
      "# --public-url) win over both. Check with\n"
      "# `cloakroom config check --config FILE` before restarting.\n"
      "# Durations: \"500ms\", \"30s\", \"15m\", \"12h\", \"7d\".\n";
  std::string_view section = "\x01";  // no section has this name: the first key opens one
  for (const auto& k : keys()) {
    if (k.section != section) {
      section = k.section;
      out += section.empty() ? "\n" : "\n[" + std::string(section) + "]\n";
    }
    out += comment_lines(k.help);
    if (k.environment_only) {
      out += "# (a secret: from the environment only, as " + env_name(k.section, k.name) + ")\n";
      continue;
    }
    std::string value = k.show(defaults);
    if (value == "(none)") {
      out += "#" + std::string(k.name) + " = \"...\"  # not set by default\n";
    } else if (value == "\"\"") {
      out += "#" + std::string(k.name) + " = \"\"  # empty: derived at startup\n";
    } else {
      out += "#" + std::string(k.name) + " = " + value + "\n";
    }
  }
  out +=
      "\n# Forward-auth rules for /auth/verify, judged in order, first match wins (none: access.default\n"
      "# decides). A rule matches a path prefix and, if given, methods; every listed role is required,\n"
      "# and second_factor = true also requires a multi-factor sign-in (else 403 second_factor_required).\n"
      "# An example, not a default (there is none):\n"
      "# [[access.rule]]\n"
      "# prefix = \"/admin\"\n"
      "# methods = [\"POST\", \"DELETE\"]  # absent: any method\n"
      "# roles = [\"admin\"]\n"
      "# second_factor = true\n";
  return out;
}

}  // namespace cloakroom
