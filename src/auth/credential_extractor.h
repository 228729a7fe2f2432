#pragma once
// Finds the credential on a request, in the SPEC's order:
// Authorization: Bearer, X-Session-ID, the session cookie, the access-token cookie.
//
//   CookieNames names = cookie_names(cfg);          // __Host-sid, or sid when cookie.secure = false
//   Credential c = extract_credential(req, names);
//   if (c.source == Credential::Source::none) -> 401
//   if (c.from_cookie()) -> CSRF rules apply
//
// It only finds; it does not judge. A token in the query string is never read.
#include <string>
#include <string_view>

#include "config/config.h"
#include "http/request.h"

namespace cloakroom {

struct CookieNames {
  std::string session;  // __Host-sid
  std::string access;   // __Host-at
  std::string refresh;  // __Secure-rt
};

CookieNames cookie_names(const Config& cfg);

struct Credential {
  enum class Source { none, bearer, session_header, session_cookie, access_cookie };
  Source source = Source::none;
  std::string_view value;
  bool from_cookie() const { return source == Source::session_cookie || source == Source::access_cookie; }
  bool is_session() const { return source == Source::session_header || source == Source::session_cookie; }
};

Credential extract_credential(const http::Request& req, const CookieNames& names);

// The first cookie named `name` across every Cookie header of the request.
std::optional<std::string_view> request_cookie(const http::Request& req, std::string_view name);

}  // namespace cloakroom
