#pragma once
// Token mode over HTTP: POST /auth/refresh, and the token-mode answer that
// login and refresh share (SPEC §2, "token + body" and "token + cookie").
//
//   TokenApi api({cfg, tokens, authenticator, csrf});
//   router.add("POST", "/auth/refresh", [&](http::Request& r) { return api.refresh(r); });
//
// The refresh token comes from the body {"refresh_token"} or the refresh
// cookie; the answer uses the transport it came by. A cookie refresh must be
// same-origin (CSRF), and a refused one clears the token cookies. Too many
// refused refreshes from one address answer 429 for a while.
#include "api/cookies.h"
#include "auth/authenticator.h"
#include "auth/csrf_guard.h"
#include "auth/login_throttle.h"
#include "config/config.h"
#include "core/work_pool.h"
#include "http/router.h"
#include "token/token_service.h"

namespace cloakroom::api {

struct TokenApiDeps {
  const Config& config;
  TokenService& tokens;
  const Authenticator& authenticator;
  const CsrfGuard& csrf;
  // Failed refreshes per client address (throttle.per_ip per throttle.window):
  // refresh tokens cannot be guessed, but each refused one costs us a store
  // read and possibly a chain walk.
  LoginThrottle& failures_by_ip;
  const Clock& clock;
  Metrics& metrics;
  WorkPool& store_pool;
};

class TokenApi {
 public:
  explicit TokenApi(TokenApiDeps deps) : d_(deps) {}

  http::Task refresh(http::Request& req);

 private:
  TokenApiDeps d_;
};

// 200 with {"user","token_type","expires_in","session"} plus, for the body
// transport, "access_token" and "refresh_token"; for the cookie transport,
// the access and refresh cookies instead.
http::Response token_response(const Config& cfg, const CookieNames& names, const IssuedTokens& issued,
                              bool cookie_transport);

}  // namespace cloakroom::api
