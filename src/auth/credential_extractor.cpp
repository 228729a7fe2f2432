#include "auth/credential_extractor.h"

#include "auth/cookie.h"
#include "core/ascii.h"

namespace cloakroom {

CookieNames cookie_names(const Config& cfg) {
  // Browsers refuse __Host-/__Secure- cookies without Secure, so plain-http
  // development drops the prefixes (SPEC §2).
  if (cfg.cookie.secure) return {"__Host-sid", "__Host-at", "__Secure-rt"};
  return {"sid", "at", "rt"};
}

std::optional<std::string_view> request_cookie(const http::Request& req, std::string_view name) {
  for (const auto& [k, v] : req.headers) {
    if (!iequals_ascii(k, "cookie")) continue;
    if (auto found = find_cookie(v, name)) return found;
  }
  return std::nullopt;
}

Credential extract_credential(const http::Request& req, const CookieNames& names) {
  std::string_view auth = req.header("authorization");
  // RFC 9110 §11.1: the scheme name is case-insensitive.
  if (auth.size() > 7 && iequals_ascii(auth.substr(0, 7), "bearer ")) {
    std::string_view token = auth.substr(7);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    return {Credential::Source::bearer, token};
  }
  if (std::string_view sid = req.header("x-session-id"); !sid.empty()) return {Credential::Source::session_header, sid};
  if (auto c = request_cookie(req, names.session)) return {Credential::Source::session_cookie, *c};
  if (auto c = request_cookie(req, names.access)) return {Credential::Source::access_cookie, *c};
  return {};
}

}  // namespace cloakroom
