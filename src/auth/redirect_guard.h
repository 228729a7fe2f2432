#pragma once
// Which URLs cloakroom will send a browser back to after login (the `rd`
// parameter): no open redirects.
//
//   RedirectGuard guard(cfg.public_url, cfg.forward_auth.allowed_redirect_domains);
//   if (guard.is_safe(rd)) -> redirect there, else -> the default page
//
// Safe: a path on our own origin ("/x", not "//x" or "/\\x"); or an absolute
// http(s) URL whose origin is public_url's, or whose host is an allowed domain
// (".example.com" allows its subdomains). Refused: scheme-relative URLs, a
// missing "//", user info ("@"), backslashes, control characters, spaces,
// "%" in the host, and anything else that browsers and parsers read
// differently.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ascii.h"  // url_encode

namespace cloakroom {

class RedirectGuard {
 public:
  RedirectGuard(std::string public_url, std::vector<std::string> allowed_domains);
  bool is_safe(std::string_view url) const;

 private:
  std::string origin_;                 // lower-case scheme://host[:port]
  std::vector<std::string> allowed_;   // lower-case hosts; leading '.' = subdomains
};

// The decoded value of `name` in a request target's query string
// (application/x-www-form-urlencoded: %XX and '+'); nullopt when absent or
// when its percent-encoding is malformed.
std::optional<std::string> query_param(std::string_view target, std::string_view name);

}  // namespace cloakroom
