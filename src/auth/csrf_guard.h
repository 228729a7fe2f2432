#pragma once
// The CSRF rule for cookie-authenticated requests (SPEC §2): a request that
// changes state (POST, PUT, PATCH, DELETE) and was authenticated by a cookie
// must come from our own origin: `Origin` the same origin as public_url
// (parsed strictly, then scheme, host and effective port compared), or
// `Sec-Fetch-Site: same-origin`. Header-authenticated requests are exempt
// (a browser cannot add those headers cross-site). When public_url's host is
// itself a loopback name (localhost, 127.0.0.0/8, [::1]), an Origin with any
// loopback host and the same scheme and port is ours too: a browser on this
// machine may name it either way. A non-loopback public_url gets no alias.
//
//   CsrfGuard guard(cfg.public_url, metrics, audit);   // counts refusals, records csrf_refused
//   if (auto r = guard.check(req, credential); !r) -> 403 csrf_rejected
//   if (auto w = public_url_warning(cfg.public_url, cfg.public_url_derived, bound)) -> log it at startup
#include <optional>
#include <string>
#include <string_view>

#include "auth/credential_extractor.h"
#include "core/audit_log.h"
#include "core/result.h"
#include "http/request.h"
#include "metrics/metrics.h"

namespace cloakroom {

// An origin (RFC 6454) as browsers serialise it in the Origin header.
struct Origin {
  std::string scheme;  // "http" or "https"
  std::string host;    // lower case; an IPv6 literal keeps its brackets
  int port = 0;        // effective: 80 or 443 when the text names none
  bool operator==(const Origin&) const = default;
};

// Exactly scheme "://" host [":" port], compared case-insensitively: http or
// https, a host of letters, digits, '.', '-', '_' (or a bracketed IPv6
// literal), a port of 1-5 digits in 1..65535. Anything else (user info, a
// path or "/", a query, a second port, spaces, "null") is nullopt.
std::optional<Origin> parse_origin(std::string_view text);

class CsrfGuard {
 public:
  CsrfGuard(std::string public_url, Metrics& metrics, const AuditLog& audit);
  Result<void> check(const http::Request& req, const Credential& credential) const;
  // The same-origin rule alone, for a request known to carry a cookie
  // credential that is not an authenticating one (the refresh cookie).
  Result<void> check_same_origin(const http::Request& req) const;
  // For endpoints that set cookies without being cookie-authenticated (login,
  // register): a browser request from another origin is refused (login CSRF);
  // requests without Origin (curl, servers) pass.
  Result<void> check_foreign_origin(const http::Request& req) const;

 private:
  // Counts the refusal and records it (audit event csrf_refused: the reason, the Origin and
  // Sec-Fetch-Site seen, the origin expected), since from a browser a
  // refusal is what a public_url that does not match the address bar looks like.
  Error refuse(std::string_view reason, const http::Request& req) const;
  bool is_our_origin(std::string_view origin) const;
  std::string expected_;          // public_url as configured, for the log
  std::optional<Origin> origin_;  // nullopt when public_url is not an origin
  bool loopback_ = false;         // origin_'s host is a loopback name: its aliases pass too
  Metrics& metrics_;
  const AuditLog& audit_;
};

bool is_unsafe_method(std::string_view method);

// One sentence for the operator when browsers that open the listener would
// have sign-in refused by this guard, else nullopt: public_url was derived
// from a wildcard `listen` (only this machine's browsers pass); it names
// the listener's host (or this machine, for a loopback or wildcard
// listener) with another port or https (cloakroom serves plain HTTP); or
// it names this machine while cloakroom listens on another address. A
// public_url on another host (a proxy in front) says nothing. `listen` is
// the address the server bound, HOST:PORT.
std::optional<std::string> public_url_warning(std::string_view public_url, bool derived, std::string_view listen);

}  // namespace cloakroom
