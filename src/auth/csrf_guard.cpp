#include "auth/csrf_guard.h"

#include "core/ascii.h"
#include "core/log.h"

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

CsrfGuard::CsrfGuard(std::string public_url, Metrics& metrics)
    : expected_(std::move(public_url)), origin_(parse_origin(expected_)), metrics_(metrics) {}

bool CsrfGuard::is_our_origin(std::string_view origin) const {
  if (!origin_) return false;  // fail closed if public_url is no origin
  auto o = parse_origin(origin);
  return o && *o == *origin_;
}

Error CsrfGuard::refuse(std::string_view reason, const http::Request& req) const {
  metrics_.inc(Counter::csrf_rejected);
  // Bounded: these are client-chosen header values (log_line escapes them).
  log_line("warn", "csrf_refused",
           {{"reason", reason}, {"origin", req.header("origin").substr(0, 256)},
            {"sec_fetch_site", req.header("sec-fetch-site").substr(0, 64)}, {"expected", expected_},
            {"request_id", req.request_id}});
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

}  // namespace cloakroom
