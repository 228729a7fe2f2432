#pragma once
// TOTP for a signed-in user (issue 17): POST /auth/totp/enroll, POST
// /auth/totp/confirm, DELETE /auth/totp. The login's second step is
// AuthApi::second_factor (api/auth_routes.h).
//
//   TotpApi api(deps);
//   router.add("POST", "/auth/totp/enroll", [&](http::Request& r) { return api.enroll(r); });
//   router.add("POST", "/auth/totp/confirm", [&](http::Request& r) { return api.confirm(r); });
//   router.add("DELETE", "/auth/totp", [&](http::Request& r) { return api.disable(r); });
//   router.add("POST", "/auth/totp/recovery-codes", [&](http::Request& r) { return api.recovery_codes(r); });
//
// Each: authenticate (session or access token) → CSRF rule for cookie
// credentials → body. enroll: a pending secret, {"secret", "otpauth_uri",
// "qr_svg"} (no-store), 409 conflict while TOTP is on. confirm {"code"}:
// the first right code turns it on and answers the ten recovery codes
// once. DELETE {"code" | "recovery_code" | "password"}: turns it off.
// recovery-codes {"code" | "password"}: ten new recovery codes, once; the
// old ones void.
// Wrong codes and passwords are guesses like wrong logins: one attempt
// from the login throttle's buckets of the account and address is paid
// before each check (429 past the limit), given back when nothing was
// checked, and the failures cleared by a right one, as POST /auth/password
// does. Confirming is not a sign-in: the caller's credential keeps its amr.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "auth/authenticator.h"
#include "auth/csrf_guard.h"
#include "auth/login_throttle.h"
#include "config/config.h"
#include "core/audit_log.h"
#include "core/clock.h"
#include "core/work_pool.h"
#include "http/router.h"
#include "mfa/totp_service.h"
#include "password/password_hasher.h"
#include "store/user_store.h"

namespace cloakroom::api {

struct TotpDeps {
  UserStore& users;
  TotpService& totp;
  const PasswordHasher& hasher;
  WorkPool& hash_pool;
  WorkPool& store_pool;
  LoginThrottles& throttles;
  const Clock& clock;
  const Authenticator& authenticator;
  const CsrfGuard& csrf;
  const AuditLog& audit;
};

class TotpApi {
 public:
  explicit TotpApi(TotpDeps deps) : d_(deps) {}

  http::Task enroll(http::Request& req);
  http::Task confirm(http::Request& req);
  http::Task disable(http::Request& req);
  http::Task recovery_codes(http::Request& req);

 private:
  // A change to the caller's second factor, made once they proved it is
  // theirs; the user id is the caller's.
  using FactorChange = std::function<Result<void>(const std::string& user_id)>;
  struct Proof {
    std::optional<http::Response> refusal;  // set: answer it, nothing changed
    User user;                              // the caller, when proven
    std::string_view via;                   // "code", "recovery_code" or "password"
  };
  // Authenticates, applies the CSRF rule, reads exactly one of code,
  // recovery_code (only when `takes_recovery_code`) and password, pays one
  // throttle attempt and checks it; when right, runs `change` (a code: in
  // the same store trip) and clears the failures. 409 while TOTP is off;
  // a wrong proof is audited as second_factor_failed with `step`.
  boost::asio::awaitable<Proof> change_with_proof(http::Request& req, std::string_view step, bool takes_recovery_code,
                                                 const FactorChange& change);

  TotpDeps d_;
};

}  // namespace cloakroom::api
