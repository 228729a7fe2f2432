#pragma once
// Passkeys over HTTP (WebAuthn Level 2): register and manage them signed in,
// sign in with one anonymously (a discoverable credential: no username).
//
//   PasskeyApi api(deps);
//   router.add("POST", "/auth/passkeys/login/options", [&](http::Request& r) { return api.login_options(r); });
//   router.add("POST", "/auth/passkeys/login", [&](http::Request& r) { return api.login(r); });
//   ... register/options, register, GET /auth/passkeys, DELETE /auth/passkeys/{id} likewise
//
// Each ceremony is two requests: options (a fresh 32-byte challenge, kept
// in the challenge store under its SHA-256 for 5 minutes, of kind
// "passkey_register" bound to the user, or "passkey_login"), then the
// browser's answer. The answer names its challenge inside clientDataJSON;
// it is taken from the store and used up before any verification, so a
// challenge serves one answer, right or wrong. The rpId and origin come
// from public_url (webauthn/relying_party.h); with an IP literal there,
// every passkey endpoint answers 409 passkeys_unavailable.
// The anonymous options endpoint writes a store row per call: it is
// throttled per client network (429), so a flood cannot fill the store.
// A sign-in ends in AuthApi::complete_login with amr hwk, plus user when the
// authenticator verified the user (which makes it multi-factor).
#include <optional>

#include "api/auth_routes.h"
#include "auth/authenticator.h"
#include "auth/csrf_guard.h"
#include "auth/login_throttle.h"
#include "config/config.h"
#include "core/audit_log.h"
#include "core/clock.h"
#include "core/random.h"
#include "core/work_pool.h"
#include "http/router.h"
#include "store/challenge_store.h"
#include "store/user_store.h"
#include "webauthn/relying_party.h"

namespace cloakroom::api {

struct PasskeyDeps {
  const Config& config;  // public_url, read once by the constructor
  UserStore& users;
  ChallengeStore* challenges;  // nullptr: passkeys unavailable
  WorkPool& store_pool;
  const Clock& clock;
  Random& random;
  const Authenticator& authenticator;
  const CsrfGuard& csrf;
  const AuditLog& audit;
  LoginThrottle& options_by_ip;  // anonymous options per client network
  AuthApi& auth;                 // complete_login: the one end of every way in
};

class PasskeyApi {
 public:
  explicit PasskeyApi(PasskeyDeps deps);

  http::Task register_options(http::Request& req);
  http::Task register_passkey(http::Request& req);
  http::Task list(http::Request& req);
  http::Task remove(http::Request& req);
  http::Task login_options(http::Request& req);
  http::Task login(http::Request& req);

 private:
  PasskeyDeps d_;
  std::optional<webauthn::RelyingParty> rp_;  // nullopt: public_url names no host name
};

}  // namespace cloakroom::api
