#pragma once
// The CSRF rule for cookie-authenticated requests (SPEC §2): a request that
// changes state (POST, PUT, PATCH, DELETE) and was authenticated by a cookie
// must come from our own origin: `Origin` equal to public_url's origin, or
// `Sec-Fetch-Site: same-origin`. Header-authenticated requests are exempt
// (a browser cannot add those headers cross-site).
//
//   CsrfGuard guard(cfg.public_url, metrics);   // counts refusals
//   if (auto r = guard.check(req, credential); !r) -> 403 csrf_rejected
#include <string>

#include "auth/credential_extractor.h"
#include "core/result.h"
#include "http/request.h"
#include "metrics/metrics.h"

namespace cloakroom {

class CsrfGuard {
 public:
  CsrfGuard(std::string public_url, Metrics& metrics);
  Result<void> check(const http::Request& req, const Credential& credential) const;
  // The same-origin rule alone, for a request known to carry a cookie
  // credential that is not an authenticating one (the refresh cookie).
  Result<void> check_same_origin(const http::Request& req) const;
  // For endpoints that set cookies without being cookie-authenticated (login,
  // register): a browser request from another origin is refused (login CSRF);
  // requests without Origin (curl, servers) pass.
  Result<void> check_foreign_origin(const http::Request& req) const;

 private:
  Error refuse() const;
  std::string origin_;  // lower-case scheme://host[:port]
  Metrics& metrics_;
};

bool is_unsafe_method(std::string_view method);

}  // namespace cloakroom
