#pragma once
// POST /auth/register and POST /auth/login.
//
//   AuthApi api(deps);
//   router.add("POST", "/auth/login", [&](http::Request& r) { return api.login(r); });
//
// Login order of work (cheap checks first, the hash last): body → throttle
// (one attempt taken from the address, (username, address) and username
// buckets, in process or in Redis; given back when no password gets checked
// or when it was right; a throttle store that cannot answer is a 503) →
// user lookup (on the store pool in one trip with the throttle) → one Argon2id verify on the hashing pool (a dummy hash for
// unknown users, so both answers take the same
// time) → rehash when parameters changed → a new session, or in token mode a
// new refresh family with its first access token (any session the request
// already carried is revoked: a login never keeps an old id). Store calls run
// on the store pool, hashes on the hashing pool: never on the I/O thread.
//
// A user with TOTP on does not get the credential for the password alone:
// the right password puts a login challenge (api/login_challenge.h: 5
// minutes, 5 attempts, bound to this client) and answers 401
// second_factor_required with its id and the methods that complete it;
// POST /auth/login/second-factor {"challenge", "code" | "recovery_code"}
// then ends in complete_login with the login's own mode and transport.
// The account's throttle buckets are given back for the right password
// but its failures are not cleared until the second step succeeds: wrong
// codes count like wrong passwords (a stolen password buys no free
// guesses), and every wrong code spends one of the challenge's attempts.
//
// complete_login is the one end of every way in (the password, a second
// factor's step, a passkey): it makes the session or the refresh family with
// the methods proved (`amr`), ends the credential the client had and the
// oldest beyond session.max_per_user, and answers as the login would have.
// A credential won with a password stands only if that password is still
// the user's once the credential exists: a password change (or reset) that
// committed after the login's check ends it again (revoked, and the
// login's refusal for a changed password).
#include <functional>

#include "auth/authenticator.h"
#include "auth/csrf_guard.h"
#include "auth/login_throttle.h"
#include "core/audit_log.h"
#include "core/json.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/random.h"
#include "http/router.h"
#include "metrics/metrics.h"
#include "core/work_pool.h"
#include "mfa/totp_service.h"
#include "store/challenge_store.h"
#include "password/password_hasher.h"
#include "session/session_service.h"
#include "store/user_store.h"
#include "token/token_service.h"

namespace cloakroom::api {

struct AuthDeps {
  const Config& config;
  UserStore& users;
  const PasswordHasher& hasher;
  WorkPool& hash_pool;
  WorkPool& store_pool;
  LoginThrottles& throttles;
  Metrics& metrics;
  const Clock& clock;
  Random& random;
  SessionService& sessions;
  TokenService& tokens;
  const Authenticator& authenticator;
  const CsrfGuard& csrf;
  const AuditLog& audit;
  TotpService& totp;
  ChallengeStore& challenges;
};

// What the first step of a login asked for; a second step carries it over.
struct LoginChoice {
  bool token_mode = false;       // "mode":"token": a refresh family and an access token
  bool cookie_transport = true;  // "transport":"cookie" (the default), else in the body
  bool remember = false;
};

// The optional "mode", "transport" and "remember" of a login body (the
// caller declared them: string, string, boolean); invalid_field for a value
// outside session|token or cookie|body.
Result<LoginChoice> read_login_choice(const json::Value& body);

class AuthApi {
 public:
  explicit AuthApi(AuthDeps deps) : d_(deps) {}

  http::Task register_user(http::Request& req);
  http::Task login(http::Request& req);
  // POST /auth/login/second-factor: the second step of a login that answered second_factor_required.
  http::Task second_factor(http::Request& req);

  // The user proved `amr` (the caller checked it, and that the account is
  // not disabled): answer as a login does. `on_store_pool` runs first, in
  // the same store-pool trip (throttle settlement, a challenge's use).
  // When `amr` holds a password, `user.password_hash` (read after
  // on_store_pool) is the hash it was checked against: if the store holds
  // another once the credential is made, the credential is revoked and the
  // answer is `password_changed`.
  http::Task complete_login(http::Request& req, const User& user, LoginChoice choice, AuthMethods amr,
                            std::function<void()> on_store_pool = {},
                            ErrorCode password_changed = ErrorCode::invalid_credentials);

 private:
  // The right password of a user with TOTP on: a challenge instead of a credential.
  http::Task ask_second_factor(http::Request& req, const User& user, LoginChoice choice,
                               std::function<void()> on_store_pool);
  AuthDeps d_;
};

// {"id","username","roles"}: the public shape of a user (never the hash).
void write_user(json::Writer& w, std::string_view id, std::string_view username, const std::vector<std::string>& roles);
inline void write_user(json::Writer& w, const User& u) { write_user(w, u.id, u.username, u.roles); }

// Creates a user with a fresh random id; shared by the API and the CLI.
Result<User> make_user(Random& random, const Clock& clock, std::string username, std::string password_hash,
                       std::vector<std::string> roles);

}  // namespace cloakroom::api
