#pragma once
// Forward-auth authorisation: which roles a request to a path needs.
//
//   AccessPolicy policy(cfg);                              // rules from [[access.rule]], first match wins
//   auto path = normalize_request_path("/a//b/../admin;x=1?q");   // "/admin" or an error
//   if (policy.allows(*path, "GET", principal)) -> 200 else -> 403
//
// Paths are normalised before matching so the usual bypasses land on the
// rule they try to dodge: duplicate slashes, dot segments, percent-encoded
// characters, ";" path parameters, backslashes. What cannot be normalised
// safely (encoded "/" or "\", NUL, ".." above the root) is refused.
// Prefixes match ASCII case-insensitively: an upstream that ignores case must
// not turn "/ADMIN" into a bypass.
#include <string>
#include <string_view>
#include <vector>

#include "auth/principal.h"
#include "config/config.h"
#include "core/result.h"

namespace cloakroom {

// The path of a request-target ("/p/a/t/h?query"), normalised for matching.
Result<std::string> normalize_request_path(std::string_view target);

class AccessPolicy {
 public:
  explicit AccessPolicy(const Config& cfg);

  // `method` may be empty when the proxy did not say; a rule limited to
  // methods then still applies (the stricter reading).
  bool allows(std::string_view normalized_path, std::string_view method, const Principal& who) const;
  bool has_rules() const { return !rules_.empty(); }

 private:
  std::vector<AccessRule> rules_;  // prefixes lower-cased
  bool deny_unmatched_;
};

}  // namespace cloakroom
