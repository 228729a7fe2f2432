#pragma once
// Forward-auth authorisation: which roles a request to a path needs, judged on
// the original request as the proxy describes it.
//
//   AccessPolicy policy(cfg);                       // rules from [[access.rule]], first match wins
//   auto original = original_request(req);          // X-Forwarded-Uri/-Method, X-Original-URI/-Method
//   if (!original) -> 403 (sources disagree, a header sent twice, '#'); log original.error()
//   auto path = original->path();                   // "/a//b/../admin;x=1?q" -> "/admin", or an error
//   switch (policy.decide(*path, original->method, principal, amr)) -> 200, 403 access_denied,
//                                                        or 403 second_factor_required
//
// Paths are normalised before matching so the usual bypasses land on the
// rule they try to dodge: duplicate slashes, dot segments, percent-encoded
// characters, ";" path parameters, backslashes. What cannot be normalised
// safely (encoded "/" or "\", NUL, ".." above the root) is refused.
// Prefixes and methods match ASCII case-insensitively: an upstream that
// ignores case must not turn "/ADMIN" or "post" into a bypass.
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/auth_methods.h"
#include "core/result.h"
#include "http/request.h"
#include "identity/principal.h"

namespace cloakroom {

// The path of a request-target ("/p/a/t/h?query"), normalised for matching.
Result<std::string> normalize_request_path(std::string_view target);

// Why the proxy's description of the original request cannot be judged.
// Every one is answered 403 access_denied with the generic message; the
// reason and the values go to the log.
enum class OriginalRequestProblem {
  uri_conflict,     // X-Forwarded-Uri and X-Original-URI differ, or one of them is sent twice
  method_conflict,  // X-Forwarded-Method and X-Original-Method differ, or one is sent twice
  url_conflict,     // X-Original-URL, X-Forwarded-Proto/-Host and the URI disagree, or one is sent twice
  uri_fragment,     // a '#' in the URI or URL: never part of a request-target, so client text got through
  uri_missing,      // rules exist but the proxy named no URI
  uri_unreadable,   // normalize_request_path refused the URI
};
std::string_view problem_name(OriginalRequestProblem p);

struct OriginalRequestError {
  OriginalRequestProblem problem;
  // Safe to log: the query is cut off (it may carry secrets), bytes outside
  // printable ASCII are %-escaped, each is bounded. For a conflict the two
  // values at odds; for uri_unreadable the URI and why.
  std::string seen, other;
};

// What the proxy says about the request it asks about, once every source
// agrees. Views into the request: valid while it is.
struct OriginalRequest {
  std::string_view uri;     // request-target as forwarded; "" when the proxy sent none
  std::string_view method;  // as forwarded; "" when the proxy sent none

  // The normalised path for AccessPolicy::allows; uri_missing or uri_unreadable.
  Result<std::string, OriginalRequestError> path() const;
};

// Reads X-Forwarded-Uri / X-Original-URI and X-Forwarded-Method /
// X-Original-Method. A proxy that sets these replaces what the client sent; one
// that lets a client's copy through shows up as a second, different source or
// a repeated header, and we refuse rather than pick one. Does not check that
// any was sent (see path()).
Result<OriginalRequest, OriginalRequestError> original_request(const http::Request& req);

// The full original URL, for the login page's `rd`: X-Original-URL, or
// X-Forwarded-Proto "://" X-Forwarded-Host and the URI; "" when neither is
// sent. Every source that is sent must agree with the others.
// Does not check that the URL is a safe place to return to (RedirectGuard).
Result<std::string, OriginalRequestError> original_url(const http::Request& req);

// What a rule says of one request.
enum class Access {
  allowed,
  denied,                  // the matching rule wants a role the user lacks, or none matched and access.default = deny
  second_factor_required,  // the roles are there, but the rule wants a multi-factor sign-in
};

class AccessPolicy {
 public:
  explicit AccessPolicy(const Config& cfg);

  // `method` may be empty when the proxy did not say; a rule limited to
  // methods then still applies (the stricter reading). `amr`: how the
  // credential signed in. Roles are judged first: a user without them has
  // no use for a second factor.
  Access decide(std::string_view normalized_path, std::string_view method, const Principal& who,
                AuthMethods amr) const;
  bool has_rules() const { return !rules_.empty(); }

 private:
  std::vector<AccessRule> rules_;  // prefixes lower-cased
  bool deny_unmatched_;
};

}  // namespace cloakroom
