#pragma once
// The session endpoints of SPEC §2, for both modes: logout, logout-all, me,
// the list of sessions and refresh families and their revocation, and
// forward auth (/auth/verify).
//
//   SessionApi api({cfg, sessions, token_service, authenticator, csrf, users, access, tokens, redirects,
//                   store_pool, audit, totp});
//   router.add("POST", "/auth/logout", [&](http::Request& r) { return api.logout(r); });
//
// Every handler authenticates first, then applies the CSRF rule to
// cookie-authenticated unsafe methods; every refusal is rendered by
// http::refusal (401 + WWW-Authenticate, 403, or 503 + Retry-After).
#include "auth/access_rules.h"
#include "auth/authenticator.h"
#include "auth/csrf_guard.h"
#include "auth/redirect_guard.h"
#include "config/config.h"
#include "core/audit_log.h"
#include "core/work_pool.h"
#include "http/router.h"
#include "mfa/totp_service.h"
#include "session/session_service.h"
#include "store/user_store.h"
#include "token/token_service.h"

namespace cloakroom::api {

struct SessionApiDeps {
  const Config& config;
  SessionService& sessions;
  TokenService& token_service;
  const Authenticator& authenticator;
  const CsrfGuard& csrf;
  UserStore& users;
  const AccessPolicy& access;
  AccessTokens& tokens;
  const RedirectGuard& redirects;
  WorkPool& store_pool;
  const AuditLog& audit;
  TotpService& totp;  // /auth/me?factors=1 only: the checks never read it
};

class SessionApi {
 public:
  explicit SessionApi(SessionApiDeps deps) : d_(deps) {}

  http::Task logout(http::Request& req);
  http::Task logout_all(http::Request& req);
  // The user and how they signed in, from memory; with ?factors=1 also
  // the second factors set up (one store read).
  http::Task me(http::Request& req);
  http::Task list_sessions(http::Request& req);
  http::Task delete_session(http::Request& req);
  http::Task verify(http::Request& req);

 private:
  // Authenticates and, for unsafe methods, applies the CSRF rule.
  boost::asio::awaitable<Result<Authenticated>> authorize(const http::Request& req) const;
  // public_url/login, with ?rd=<the original URL> when that is a safe place to return to.
  std::string login_url(const http::Request& req, bool step_up = false) const;
  SessionApiDeps d_;
};

}  // namespace cloakroom::api
