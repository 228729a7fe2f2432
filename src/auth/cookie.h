#pragma once
// Cookies per RFC 6265bis: a strict Set-Cookie builder and a lenient Cookie
// header reader (browsers send what they send; we take what is well-formed).
//
//   auto header = build_set_cookie({.name = "__Host-sid", .value = token, .secure = true,
//                                   .http_only = true, .same_site = SameSite::lax});
//   if (!header) ...   // the prefix rules or a bad character refused it
//   std::optional<std::string_view> sid = find_cookie(req.header("cookie"), "__Host-sid");
//
// The reader never allocates: find_cookie scans the header in place.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/result.h"

namespace cloakroom {

// Why: browsers cap a cookie at 4096 bytes of name + value (RFC 6265bis §5.7);
// anything longer was not set by us.
inline constexpr std::size_t kMaxCookieBytes = 4096;

struct SetCookie {
  std::string name;
  std::string value;
  std::string path = "/";
  std::optional<long long> max_age;  // seconds; 0 deletes; absent = session cookie
  bool secure = true;
  bool http_only = true;
  SameSite same_site = SameSite::lax;
};

// The Set-Cookie header value. Refuses (invalid_field) a name that is not a
// token, a value with characters outside cookie-octet, more than 4096 bytes,
// __Host- without Secure or with Path other than "/", __Secure- without
// Secure, and SameSite=None without Secure.
Result<std::string> build_set_cookie(const SetCookie& cookie);

struct CookiePair {
  std::string_view name;
  std::string_view value;  // surrounding double quotes removed
};

// Every well-formed pair of a Cookie header, in order. Pairs without '=',
// with an empty or non-token name, with control characters, or over 4096
// bytes are skipped; the rest of the header is still read.
std::vector<CookiePair> parse_cookie_header(std::string_view header);

// The first well-formed cookie named `name` (case-sensitive, as browsers are).
std::optional<std::string_view> find_cookie(std::string_view header, std::string_view name);

}  // namespace cloakroom
