#include "auth/csrf_guard.h"

#include "config/public_url.h"
#include "core/ascii.h"
#include "core/ip_address.h"
#include "core/log.h"
#include "http/audit_context.h"

namespace cloakroom {
namespace {

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

}  // namespace

// Strict on purpose: anything a browser would not send is no origin at all.
// Before, "http://host:8080:80" lost its last ":80" as a default port and
// matched "http://host:8080".
std::optional<Origin> parse_origin(std::string_view text) {
  const std::string s = ascii_lower(text);  // schemes and hosts compare case-insensitively
  Origin o;
  std::string_view rest = s;
  if (rest.starts_with("https://")) {
    o.scheme = "https";
    o.port = 443;
  } else if (rest.starts_with("http://")) {
    o.scheme = "http";
    o.port = 80;
  } else {
    return std::nullopt;
  }
  rest.remove_prefix(o.scheme.size() + 3);
  std::size_t host_end = 0;
  if (rest.starts_with('[')) {  // an IPv6 literal
    host_end = rest.find(']');
    if (host_end == std::string_view::npos || host_end < 3) return std::nullopt;
    if (rest.substr(1, host_end - 1).find_first_not_of("0123456789abcdef:.") != std::string_view::npos)
      return std::nullopt;
    ++host_end;
  } else {
    while (host_end < rest.size() && is_host_char(rest[host_end])) ++host_end;
    if (host_end == 0) return std::nullopt;
  }
  o.host = std::string(rest.substr(0, host_end));
  rest.remove_prefix(host_end);
  if (rest.empty()) return o;
  // The only thing allowed after the host: one ":" and 1-5 digits, 1..65535.
  if (rest.front() != ':') return std::nullopt;
  rest.remove_prefix(1);
  if (rest.empty() || rest.size() > 5 || rest.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  int port = 0;
  for (char c : rest) port = port * 10 + (c - '0');
  if (port < 1 || port > 65535) return std::nullopt;
  o.port = port;
  return o;
}

bool is_unsafe_method(std::string_view m) { return m == "POST" || m == "PUT" || m == "PATCH" || m == "DELETE"; }

CsrfGuard::CsrfGuard(std::string public_url, Metrics& metrics, const AuditLog& audit)
    : expected_(std::move(public_url)),
      origin_(parse_origin(expected_)),
      loopback_(origin_ && is_loopback_host(origin_->host)),
      metrics_(metrics),
      audit_(audit) {}

bool CsrfGuard::is_our_origin(std::string_view origin) const {
  if (!origin_) return false;  // fail closed if public_url is no origin
  auto o = parse_origin(origin);
  if (!o) return false;
  if (*o == *origin_) return true;
  // Why only for a loopback public_url: then cloakroom is reached from this
  // machine, where localhost, 127.0.0.1 and [::1] at this port all lead to
  // it. A page on another site cannot claim a loopback Origin, and cookies
  // stay per host (SameSite still treats the aliases as other sites).
  return loopback_ && o->scheme == origin_->scheme && o->port == origin_->port && is_loopback_host(o->host);
}

Error CsrfGuard::refuse(std::string_view reason, const http::Request& req) const {
  metrics_.inc(Counter::csrf_rejected);
  // Bounded: these are client-chosen header values (the audit log escapes them).
  audit_.record(AuditEvent::csrf_refused, http::audit_context(req), "",
                {{"reason", reason}, {"origin", req.header("origin").substr(0, 256)},
                 {"sec_fetch_site", req.header("sec-fetch-site").substr(0, 64)}, {"expected", expected_}});
  return Error{ErrorCode::csrf_rejected}.because(reason);
}

Result<void> CsrfGuard::check(const http::Request& req, const Credential& credential) const {
  if (!credential.from_cookie() || !is_unsafe_method(req.method)) return {};
  return check_same_origin(req);
}

Result<void> CsrfGuard::check_same_origin(const http::Request& req) const {
  std::string_view origin = req.header("origin");
  if (is_our_origin(origin)) return {};  // "null", empty and malformed are not
  // Sec-Fetch-Site is set by the browser and cannot be forged by a page.
  if (origin.empty() && iequals_ascii(req.header("sec-fetch-site"), "same-origin")) return {};
  return refuse(origin.empty() ? "origin_missing" : "origin_foreign", req);
}

Result<void> CsrfGuard::check_foreign_origin(const http::Request& req) const {
  std::string_view origin = req.header("origin");
  if (origin.empty()) {
    std::string_view site = req.header("sec-fetch-site");
    if (site.empty() || iequals_ascii(site, "same-origin") || iequals_ascii(site, "none")) return {};
    return refuse("cross_site_fetch", req);
  }
  if (is_our_origin(origin)) return {};
  return refuse("origin_foreign", req);
}

std::optional<std::string> public_url_warning(std::string_view public_url, bool derived, std::string_view listen) {
  const auto url = parse_origin(public_url);
  const ListenAddress at = split_listen(listen);
  if (!url || at.port <= 0) return std::nullopt;
  const std::string direct = derive_public_url(listen);  // what a browser on this machine opens
  if (derived) {
    if (!at.wildcard) return std::nullopt;  // derived from that very address: they agree
    return "cloakroom listens on every interface (" + std::string(listen) + ") but public_url is not set, so it is " +
           std::string(public_url) + " and only browsers on this machine can sign in; set public_url (or "
           "--public-url) to the address browsers use.";
  }
  const bool url_loopback = is_loopback_host(url->host);
  const bool listen_host = url_loopback ? is_loopback_host(at.host) || at.wildcard
                                        : url->host == at.host || url->host == "[" + at.host + "]";
  if (listen_host && (url->port != at.port || url->scheme != "http"))
    return "public_url " + std::string(public_url) + " names this listener's host with " +
           (url->scheme != "http" ? std::string("https") : "port " + std::to_string(url->port)) +
           ", but cloakroom serves plain HTTP on " + std::string(listen) + ": browsers that open " + direct +
           " have sign-in refused. Unless a proxy or port mapping serves public_url, set public_url to " + direct + ".";
  if (url_loopback && !is_loopback_host(at.host) && !at.wildcard)
    return "public_url " + std::string(public_url) + " names this machine only, but cloakroom listens on " +
           std::string(listen) + ": browsers on other machines have sign-in refused; set public_url to the address "
           "they use (" + direct + " if they connect directly).";
  return std::nullopt;
}

}  // namespace cloakroom
