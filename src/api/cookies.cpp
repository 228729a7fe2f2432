#include "api/cookies.h"

#include "auth/cookie.h"

namespace cloakroom::api {
namespace {

long long seconds(Millis d) { return std::chrono::duration_cast<std::chrono::seconds>(d).count(); }

std::string build(const Config& cfg, const std::string& name, const std::string& value, const char* path,
                  std::optional<long long> max_age, SameSite same_site) {
  auto header = build_set_cookie(SetCookie{.name = name, .value = value, .path = path, .max_age = max_age,
                                           .secure = cfg.cookie.secure, .same_site = same_site});
  return header ? *header : std::string();  // our own names and base64url/JWS values always build
}

std::optional<long long> if_remembered(bool remember, Millis lifetime) {
  return remember ? std::optional<long long>(seconds(lifetime)) : std::nullopt;
}

}  // namespace

std::string session_cookie(const Config& cfg, const CookieNames& names, const std::string& token, bool remember) {
  return build(cfg, names.session, token, "/", if_remembered(remember, cfg.session.absolute_timeout),
               cfg.cookie.same_site);
}

std::string access_cookie(const Config& cfg, const CookieNames& names, const std::string& jwt) {
  // Why a Max-Age: the browser drops the cookie when the token expires
  // instead of sending a dead token on every request.
  return build(cfg, names.access, jwt, "/", seconds(cfg.jwt.access_ttl), cfg.cookie.same_site);
}

std::string refresh_cookie(const Config& cfg, const CookieNames& names, const std::string& token, bool remember) {
  // Strict and scoped to the refresh endpoint: it is never sent anywhere else.
  return build(cfg, names.refresh, token, kRefreshCookiePath, if_remembered(remember, cfg.jwt.refresh_ttl),
               SameSite::strict);
}

std::vector<std::string> clear_cookies(const Config& cfg, const CookieNames& names, CookieSet which) {
  std::vector<std::string> out;
  if (which != CookieSet::tokens) out.push_back(build(cfg, names.session, "", "/", 0, cfg.cookie.same_site));
  if (which != CookieSet::session) {
    out.push_back(build(cfg, names.access, "", "/", 0, cfg.cookie.same_site));
    out.push_back(build(cfg, names.refresh, "", kRefreshCookiePath, 0, SameSite::strict));
  }
  return out;
}

}  // namespace cloakroom::api
