#pragma once
// Every Set-Cookie cloakroom sends (SPEC §2), from one builder, so the
// attributes of a cookie and of its deletion never drift apart.
//
//   res.header("Set-Cookie", session_cookie(cfg, names, token, remember));
//   for (auto& c : clear_cookies(cfg, names, CookieSet::tokens)) res.header("Set-Cookie", c);
//
//   __Host-sid   Path=/              SameSite=cookie.same_site  Max-Age only when `remember`
//   __Host-at    Path=/              SameSite=cookie.same_site  Max-Age = jwt.access_ttl
//   __Secure-rt  Path=/auth/refresh  SameSite=Strict            Max-Age only when `remember`
// All HttpOnly; Secure unless cookie.secure = false (then without prefixes).
#include <string>
#include <vector>

#include "auth/credential_extractor.h"
#include "config/config.h"

namespace cloakroom::api {

inline constexpr const char* kRefreshCookiePath = "/auth/refresh";

std::string session_cookie(const Config& cfg, const CookieNames& names, const std::string& token, bool remember);
std::string access_cookie(const Config& cfg, const CookieNames& names, const std::string& jwt);
std::string refresh_cookie(const Config& cfg, const CookieNames& names, const std::string& token, bool remember);

enum class CookieSet { session, tokens, all };
// Set-Cookie values that delete the cookies of a mode (or of both).
std::vector<std::string> clear_cookies(const Config& cfg, const CookieNames& names, CookieSet which);

}  // namespace cloakroom::api
