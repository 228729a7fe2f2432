#pragma once
// Where a URL's userinfo password sits, for every mask and derived name
// (config messages, the PostgreSQL URL's redaction and its log name).
//
//   url_password_span("postgres://bob:s3cr?et@h:5432/db");  // {15, 22}: "s3cr?et"
//   url_password_span("redis://h:6379/0");                  // nullopt: no '@'
//
// Wider than any parser on purpose: the userinfo ends at the LAST '@' of the
// whole URL, so a password holding '/', '?', '#' or '@' unescaped is still
// covered whole (libpq ends it at the first '@' before the first '/', Redis's
// parser at the last '@' before the query). The cost: an '@' after the host
// (a query value) masks more than the password, never less.
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace cloakroom {

// [begin, end) of the password between "://USER:" and the last '@'; nullopt
// when the URL has no scheme, no '@' after it, or no ':' before that '@'.
inline std::optional<std::pair<std::size_t, std::size_t>> url_password_span(std::string_view url) {
  const std::size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::nullopt;
  const std::size_t start = scheme + 3;
  const std::size_t at = url.rfind('@');
  if (at == std::string_view::npos || at < start) return std::nullopt;
  const std::size_t colon = url.substr(0, at).find(':', start);
  if (colon == std::string_view::npos) return std::nullopt;
  return std::pair{colon + 1, at};
}

}  // namespace cloakroom
