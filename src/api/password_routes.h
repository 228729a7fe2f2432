#pragma once
// POST /auth/password (change, signed in) and POST /auth/password/reset (a
// reset link's token).
//
//   PasswordApi api(deps);
//   router.add("POST", "/auth/password", [&](http::Request& r) { return api.change(r); });
//   router.add("POST", "/auth/password/reset", [&](http::Request& r) { return api.reset(r); });
//
// change: authenticate → CSRF rule (cookie credentials) → body and the new
// password's policy (as register) → one attempt from the login throttle's
// buckets of the account and address (wrong current passwords are guesses
// like wrong logins: 429 past the limit) → Argon2id verify of the current
// password, and the new hash, on the hashing pool → change_password
// (identity/password_change.h) keeping the caller's own session or refresh
// family. The epoch rise ends every access token the user holds, the
// caller's too: in token mode the answer carries a fresh one for the kept
// family (a cookie when it came in a cookie).
// reset: the token's form → the link used up in one store step (unknown,
// used and expired are one answer: 400 invalid_reset_token) → the new hash
// → change_password keeping nothing. The link is used before the hash so a
// made-up token costs no Argon2id.
#include "auth/authenticator.h"
#include "auth/csrf_guard.h"
#include "auth/login_throttle.h"
#include "config/config.h"
#include "core/audit_log.h"
#include "core/clock.h"
#include "core/work_pool.h"
#include "http/router.h"
#include "metrics/metrics.h"
#include "password/password_hasher.h"
#include "session/session_service.h"
#include "store/user_store.h"
#include "token/access_tokens.h"
#include "token/token_service.h"

namespace cloakroom::api {

struct PasswordDeps {
  const Config& config;
  UserStore& users;
  const PasswordHasher& hasher;
  WorkPool& hash_pool;
  WorkPool& store_pool;
  LoginThrottles& throttles;
  const Clock& clock;
  SessionService& sessions;
  TokenService& tokens;
  AccessTokens& access;
  const Authenticator& authenticator;
  const CsrfGuard& csrf;
  const AuditLog& audit;
};

class PasswordApi {
 public:
  explicit PasswordApi(PasswordDeps deps) : d_(deps) {}

  http::Task change(http::Request& req);
  http::Task reset(http::Request& req);

 private:
  PasswordDeps d_;
};

}  // namespace cloakroom::api
