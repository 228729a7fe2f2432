#include "api/auth_routes.h"

#include "api/cookies.h"
#include "api/json_body.h"
#include "api/login_challenge.h"
#include "api/session_routes.h"
#include "api/token_routes.h"
#include "core/digest.h"
#include "core/ip_address.h"
#include "core/log.h"
#include "http/audit_context.h"
#include "http/offload.h"
#include "identity/credential_info.h"
#include "identity/credentials_policy.h"

namespace cloakroom::api {

using http::error_response;
using http::no_store;
using http::Response;

namespace {

Result<void> check_choice(const json::Value& body, std::string_view field, std::initializer_list<std::string_view> allowed) {
  const json::Value* v = body.find(field);
  if (!v) return {};
  for (auto a : allowed)
    if (v->text == a) return {};
  std::string list;
  for (auto a : allowed) list += (list.empty() ? "\"" : " or \"") + std::string(a) + "\"";
  return Error{ErrorCode::invalid_field, std::string(field) + " must be " + list + "."};
}

// session.max_per_user counts sessions and refresh families together: the
// oldest beyond it end, never `keep` (the credential just created). A failed
// listing leaves the new login standing; the next login catches up.
void end_oldest_beyond_cap(SessionService& sessions, TokenService& tokens, const std::string& user_id,
                           std::string_view keep, int max, const AuditLog& audit, const AuditContext& from) {
  if (max <= 0) return;
  auto mine = sessions.list_user(user_id);
  auto families = tokens.list_user(user_id);
  if (!mine || !families) return;
  const auto all = oldest_first(std::move(*mine), std::move(*families));
  if (all.size() <= static_cast<std::size_t>(max)) return;
  // The oldest beyond the cap end; `keep` stays even if its time ties an older one.
  std::size_t excess = all.size() - static_cast<std::size_t>(max);
  for (const CredentialInfo& c : all) {
    if (excess == 0) break;
    if (c.id == keep) continue;
    switch (c.mode) {
      case CredentialInfo::Mode::session:
        if (auto r = sessions.revoke(c.id); r && *r)
          audit.record(AuditEvent::session_revoked, from, user_id, {{"session_id", c.id}, {"reason", "max_per_user"}});
        break;
      case CredentialInfo::Mode::token:
        if (auto r = tokens.revoke_family(c.id); r && *r)
          audit.record(AuditEvent::family_revoked, from, user_id, {{"family_id", c.id}, {"reason", "max_per_user"}});
        break;
    }
    --excess;
  }
}

}  // namespace

Result<LoginChoice> read_login_choice(const json::Value& body) {
  if (auto r = check_choice(body, "mode", {"session", "token"}); !r) return r.error();
  if (auto r = check_choice(body, "transport", {"cookie", "body"}); !r) return r.error();
  const json::Value* mode = body.find("mode");
  const json::Value* transport = body.find("transport");
  const json::Value* remember = body.find("remember");
  return LoginChoice{mode && mode->text == "token", !transport || transport->text == "cookie",
                     remember && remember->boolean};
}

void write_user(json::Writer& w, std::string_view id, std::string_view username, const std::vector<std::string>& roles) {
  w.begin_object();
  w.key("id"); w.string(id);
  w.key("username"); w.string(username);
  w.key("roles");
  w.begin_array();
  for (const auto& r : roles) w.string(r);
  w.end_array();
  w.end_object();
}

Result<User> make_user(Random& random, const Clock& clock, std::string username, std::string password_hash,
                       std::vector<std::string> roles) {
  if (auto r = check_username(username); !r) return r.error();
  for (const auto& role : roles)
    if (auto r = check_role(role); !r) return r.error();
  User u;
  u.id = random_token(random, 16);
  u.username = canonical_username(username);  // NFC: one spelling per name, stored and shown
  u.password_hash = std::move(password_hash);
  u.roles = std::move(roles);
  u.created_at = unix_seconds(clock.now());
  return u;
}

http::Task AuthApi::register_user(http::Request& req) {
  if (!d_.config.auth.registration) co_return error_response(ErrorCode::registration_closed);
  if (auto r = d_.csrf.check_foreign_origin(req); !r) co_return error_response(r.error());
  auto body = read_json_object(req, {{"username", json::Type::string, true}, {"password", json::Type::string, true}});
  if (!body) co_return error_response(body.error());
  const std::string& username = body->find("username")->text;
  const std::string& password = body->find("password")->text;
  if (auto r = check_username(username); !r) co_return error_response(r.error());
  if (auto r = check_password(password, d_.config.auth.password_min); !r) co_return error_response(r.error());

  // Fail fast on a taken name before spending a hash on it.
  auto existing = co_await http::on_pool(d_.store_pool, [&] { return d_.users.find_by_name(username); });
  if (existing) co_return error_response(ErrorCode::username_taken);
  if (existing.error().code != ErrorCode::not_found) co_return error_response(existing.error());

  Result<std::string> hash = Error{ErrorCode::internal};
  bool ran = co_await http::offload(d_.hash_pool, [&] { hash = d_.hasher.hash(password); });
  if (!ran) co_return error_response(ErrorCode::overloaded);
  if (!hash) co_return error_response(hash.error());

  auto user = make_user(d_.random, d_.clock, username, std::move(*hash), {});
  if (!user) co_return error_response(user.error());
  if (auto r = co_await http::on_pool(d_.store_pool, [&] { return d_.users.create(*user); }); !r)
    co_return error_response(r.error());
  d_.metrics.inc(Counter::users_registered);
  d_.audit.record(AuditEvent::user_created, http::audit_context(req), user->id, {{"username", user->username}});

  json::Writer w;
  w.begin_object();
  w.key("user");
  write_user(w, *user);
  w.end_object();
  co_return no_store(http::json_response(201, w.take()));
}

http::Task AuthApi::login(http::Request& req) {
  if (auto r = d_.csrf.check_foreign_origin(req); !r) co_return error_response(r.error());
  auto body = read_json_object(req, {{"username", json::Type::string, true},
                                     {"password", json::Type::string, true},
                                     {"mode", json::Type::string, false},
                                     {"transport", json::Type::string, false},
                                     {"remember", json::Type::boolean, false}});
  if (!body) co_return error_response(body.error());
  auto choice = read_login_choice(*body);
  if (!choice) co_return error_response(choice.error());
  const std::string& username = body->find("username")->text;
  const std::string& password = body->find("password")->text;
  // Size bounds only: a too-short password is simply wrong, but both fields
  // are capped so nobody can make us hash megabytes.
  if (username.empty() || username.size() > kUsernameMax)
    co_return error_response(Error{ErrorCode::invalid_field, "username must be 1 to 128 bytes."});
  if (password.empty() || password.size() > kPasswordMax)
    co_return error_response(Error{ErrorCode::invalid_field, "password must be 1 to 1024 bytes."});

  const SystemTime now = d_.clock.now();
  // Throttled per network a client controls: an IPv6 /64, not one address of it.
  const std::string ip = client_network(req.remote_ip);
  const std::string account = username_key(username);
  // One trip to the store pool (the buckets may live in Redis: never on this
  // I/O thread) pays for the attempt before the hash, in one step, so
  // parallel guesses cannot all pass a check that is charged only after
  // their hashes; then reads the user. A throttle store that cannot answer
  // fails the login closed (503): never a login without the check.
  struct Admission {
    std::optional<long long> wait;  // throttled: seconds until an attempt is free
    Result<User> user = ErrorCode::internal;
  };
  auto admitted = co_await http::on_pool(d_.store_pool, [&]() -> Result<Admission> {
    auto wait = d_.throttles.try_acquire(ip, account, now);
    if (!wait) return wait.error();
    if (*wait) return Admission{*wait};
    Admission a{std::nullopt, d_.users.find_by_name(username)};
    if (!a.user && a.user.error().code != ErrorCode::not_found)
      (void)d_.throttles.refund(ip, account, d_.clock.now());  // no password was checked
    return a;
  });
  if (!admitted) {
    d_.metrics.inc(admitted.error().code == ErrorCode::overloaded ? Counter::login_overloaded
                                                                  : Counter::login_store_error);
    co_return error_response(admitted.error());  // fail closed
  }
  const AuditContext from = http::audit_context(req);
  if (admitted->wait) {
    d_.metrics.inc(Counter::login_throttled);
    d_.audit.record(AuditEvent::login_throttled, from, "",
                    {{"username", username}, {"retry_after", std::to_string(*admitted->wait)}});
    co_return error_response(ErrorCode::too_many_attempts).retry_after(*admitted->wait);
  }
  Result<User>& user = admitted->user;
  if (!user && user.error().code != ErrorCode::not_found) {
    d_.metrics.inc(Counter::login_store_error);
    co_return error_response(user.error());  // fail closed
  }

  bool ok = false;
  std::optional<std::string> rehashed;
  const std::string* stored = user ? &user->password_hash : nullptr;
  bool ran = co_await http::offload(d_.hash_pool, [&] {
    ok = d_.hasher.verify_or_dummy(stored, password);
    if (ok && d_.hasher.needs_rehash(*stored))
      if (auto h = d_.hasher.hash(password)) rehashed = std::move(*h);
  });
  if (!ran) {
    // No password was checked: the account's tokens go back, the address's stay
    // spent (login_throttle.h). A full store pool keeps them all spent: the safe side.
    (void)co_await http::on_pool(d_.store_pool, [&] { return d_.throttles.overloaded(ip, account, d_.clock.now()); });
    d_.metrics.inc(Counter::login_overloaded);
    co_return error_response(ErrorCode::overloaded);
  }
  d_.metrics.inc(Counter::password_checks);
  if (!ok) {
    d_.metrics.inc(Counter::login_invalid);  // the attempt stays spent
    // The attempted name only when it names an account: an unknown "name"
    // is often a password typed into the wrong field.
    if (user)
      d_.audit.record(AuditEvent::login_failed, from, user->id, {{"username", username}, {"reason", "wrong_password"}});
    else
      d_.audit.record(AuditEvent::login_failed, from, {}, {{"reason", "unknown_user"}});
    co_return error_response(ErrorCode::invalid_credentials);
  }
  // A right password was no guess, even for a disabled account: settled on
  // the store pool, with the login's other writes when it goes on.
  auto settle_success = [&] { (void)d_.throttles.succeeded(ip, account, d_.clock.now()); };
  if (user->disabled) {
    (void)co_await http::on_pool(d_.store_pool, [&]() -> Result<void> {
      settle_success();
      return {};
    });
    d_.metrics.inc(Counter::login_disabled);
    d_.audit.record(AuditEvent::login_failed, from, user->id, {{"username", username}, {"reason", "account_disabled"}});
    co_return error_response(ErrorCode::account_disabled);
  }
  // A failed upgrade is not a failed login: the old hash still verifies.
  // `user` keeps the hash this login knows the store holds: a second step is
  // bound to it and the post-create re-check compares with it. Why a
  // compare-and-set (a trip of its own, once per user): a password change
  // that landed since the read must not be overwritten by a hash of the old
  // password. When the write does not apply, the stored hash is checked
  // against the typed password: it verifies when another login of the same
  // password upgraded first (that login's hash is kept; both go on), not
  // after a change to another password (`user` keeps the hash this login
  // verified, so the re-check sees the change and refuses it). Accepting
  // "the hash it verified or the hash it wrote" could not tell those apart.
  if (rehashed) {
    std::optional<std::string> instead;  // the hash the store holds when ours did not apply
    (void)co_await http::on_pool(d_.store_pool, [&]() -> Result<void> {
      auto written = d_.users.set_password_hash_if(user->id, user->password_hash, *rehashed);
      if (!written) return written.error();
      if (*written) {
        user->password_hash = std::move(*rehashed);
        d_.metrics.inc(Counter::password_rehashed);
        return {};
      }
      auto now_there = d_.users.find_by_id(user->id);
      if (!now_there) return now_there.error();
      instead = std::move(now_there->password_hash);
      return {};
    });
    if (instead) {
      bool same_password = false;
      bool checked = co_await http::offload(d_.hash_pool, [&] { same_password = d_.hasher.verify(*instead, password); });
      if (checked && same_password) user->password_hash = std::move(*instead);
    }
  }
  auto totp = co_await http::on_pool(d_.store_pool, [&] { return d_.users.totp(user->id); });
  if (!totp) {
    (void)co_await http::on_pool(d_.store_pool, [&] { return d_.throttles.refund(ip, account, d_.clock.now()); });
    d_.metrics.inc(Counter::login_store_error);
    co_return error_response(totp.error());  // fail closed: never a login that skipped its second factor
  }
  if (!totp->secret.empty())
    // The address's and the pair's tokens go back, but the (account,
    // address) failures stay until the second step succeeds (wrong codes
    // add to them), and the account's token stays spent: each challenge
    // costs one (LoginThrottles::challenged).
    co_return co_await ask_second_factor(req, *user, *choice, [&] {
      (void)d_.throttles.challenged(ip, account, d_.clock.now());
    });
  // This login proved a password; a second step (TOTP, a passkey) adds its own method.
  co_return co_await complete_login(req, *user, *choice, AuthMethods::password(), [&] { settle_success(); });
}

http::Task AuthApi::ask_second_factor(http::Request& req, const User& user, LoginChoice choice,
                                      std::function<void()> on_store_pool) {
  const std::string id = random_token(d_.random, 32);
  bool passkeys = false;
  auto put = co_await http::on_pool(d_.store_pool, [&]() -> Result<void> {
    on_store_pool();
    const LoginChallenge challenge{user.id, choice.token_mode, choice.cookie_transport, choice.remember,
                                   client_binding(client_network(req.remote_ip), req.header("user-agent")),
                                   password_fingerprint(user.password_hash)};
    const long long now = unix_millis(d_.clock.now());
    if (auto keys = d_.users.list_passkeys(user.id); keys) passkeys = !keys->empty();
    return d_.challenges.put(PendingChallenge{challenge_hash(id, challenge.client), std::string(kLoginChallengeKind), encode(challenge),
                                              now + kLoginChallengeMs},
                             now);
  });
  if (!put) {
    d_.metrics.inc(Counter::login_store_error);
    co_return error_response(put.error());
  }
  const WireError& wire = wire_error(ErrorCode::second_factor_required);
  json::Writer w;
  w.begin_object();
  w.key("error"); w.string(wire.code);
  w.key("message"); w.string("The password is right; finish signing in with a second factor.");
  w.key("challenge"); w.string(id);
  w.key("expires_in"); w.number(kLoginChallengeMs / 1000);
  w.key("methods");
  w.begin_array();
  w.string("totp");
  w.string("recovery_code");
  if (passkeys) w.string("passkey");
  w.end_array();
  w.end_object();
  // 401, not the 403 forward auth gives this code: nobody is signed in yet.
  co_return no_store(http::json_response(401, w.take()));
}

http::Task AuthApi::second_factor(http::Request& req) {
  if (auto r = d_.csrf.check_foreign_origin(req); !r) co_return error_response(r.error());
  auto body = read_json_object(req, {{"challenge", json::Type::string, true},
                                     {"code", json::Type::string, false},
                                     {"recovery_code", json::Type::string, false}});
  if (!body) co_return error_response(body.error());
  const json::Value* code = body->find("code");
  const json::Value* recovery = body->find("recovery_code");
  if ((code == nullptr) == (recovery == nullptr))
    co_return error_response(Error{ErrorCode::invalid_field, "Send exactly one of code and recovery_code."});
  const std::string& given = code ? code->text : recovery->text;
  if (auto r = check_field_length(code ? "code" : "recovery_code", given, kSecondFactorCodeMax); !r)
    co_return error_response(r.error());
  const std::string& id = body->find("challenge")->text;
  const std::string ip = client_network(req.remote_ip);
  const std::string binding = client_binding(ip, req.header("user-agent"));

  // One store trip: the challenge's attempt (counted first, so racing
  // guesses cannot pass max_attempts), the binding, the user, the
  // account's throttle, the code, and the challenge's use when it was right.
  struct Step {
    std::optional<LoginChallenge> challenge;  // nullopt: the one answer for unknown, expired, used, other client
    User user;
    std::string account;
    std::optional<long long> wait;
    TotpVerdict verdict = TotpVerdict::wrong;
  };
  auto step = co_await http::on_pool(d_.store_pool, [&]() -> Result<Step> {
    const SystemTime now = d_.clock.now();
    Step s;
    auto pending = d_.challenges.attempt(challenge_hash(id, binding), kLoginChallengeKind, unix_millis(now),
                                         kLoginChallengeAttempts);
    if (!pending) return pending.error();
    if (!*pending) return s;
    auto c = decode_login_challenge((*pending)->payload);
    if (!c || c->client != binding) return s;
    auto user = d_.users.find_by_id(c->user_id);
    if (!user) {
      if (user.error().code == ErrorCode::not_found) return s;
      return user.error();
    }
    if (!constant_time_equal(c->password, password_fingerprint(user->password_hash))) {
      // The password changed since the first step: that step is void for good.
      (void)d_.challenges.consume(challenge_hash(id, binding));
      return s;
    }
    s.user = std::move(*user);
    s.challenge = std::move(c);
    if (s.user.disabled) return s;
    s.account = username_key(s.user.username);
    auto wait = d_.throttles.try_acquire(ip, s.account, now);
    if (!wait) return wait.error();
    if (*wait) {
      s.wait = *wait;
      return s;
    }
    auto verdict = code ? d_.totp.verify(s.user.id, given) : d_.totp.use_recovery_code(s.user.id, given);
    if (!verdict) {
      (void)d_.throttles.refund(ip, s.account, d_.clock.now());  // no code was checked
      return verdict.error();
    }
    s.verdict = *verdict;
    if (s.verdict == TotpVerdict::accepted) {
      auto used = d_.challenges.consume(challenge_hash(id, binding));
      if (!used) return used.error();
      if (!*used) s.challenge.reset();  // a racing request with another right code used it first
    } else if (s.verdict == TotpVerdict::not_enrolled) {
      // TOTP was turned off since the first step: that step is void for
      // good (turning it on again must not revive it), and no code was checked.
      (void)d_.challenges.consume(challenge_hash(id, binding));
      (void)d_.throttles.refund(ip, s.account, d_.clock.now());
    }
    return s;
  });
  if (!step) {
    d_.metrics.inc(Counter::login_store_error);
    co_return error_response(step.error());  // fail closed
  }
  const AuditContext from = http::audit_context(req);
  if (!step->challenge) co_return error_response(ErrorCode::invalid_challenge);
  const User& user = step->user;
  if (user.disabled) {
    d_.metrics.inc(Counter::login_disabled);
    d_.audit.record(AuditEvent::login_failed, from, user.id, {{"username", user.username}, {"reason", "account_disabled"}});
    co_return error_response(ErrorCode::account_disabled);
  }
  if (step->wait) {
    d_.metrics.inc(Counter::login_throttled);
    d_.audit.record(AuditEvent::login_throttled, from, user.id,
                    {{"username", user.username}, {"retry_after", std::to_string(*step->wait)}});
    co_return error_response(ErrorCode::too_many_attempts).retry_after(*step->wait);
  }
  switch (step->verdict) {
    case TotpVerdict::accepted: break;
    case TotpVerdict::not_enrolled:  // turned off since the first step: that step is void
      co_return error_response(ErrorCode::invalid_challenge);
    case TotpVerdict::wrong:
    case TotpVerdict::replayed:
      d_.metrics.inc(Counter::login_invalid);  // the attempt stays spent
      d_.audit.record(AuditEvent::second_factor_failed, from, user.id,
                      {{"username", user.username}, {"step", "login"}, {"reason", std::string(to_string(step->verdict))}});
      co_return error_response(ErrorCode::invalid_code);
  }
  // A recovery code is a one-time password too (RFC 8176 `otp`): both
  // factors were proved, so the credential is multi-factor either way.
  const LoginChallenge& c = *step->challenge;
  const std::string account = step->account;
  // A password changed since the first step voids it here too, with the
  // same answer as the fingerprint check above.
  co_return co_await complete_login(req, user, LoginChoice{c.token_mode, c.cookie_transport, c.remember},
                                    AuthMethods::password().with(AuthMethod::otp),
                                    // By reference, as login's: GCC double-destroys a temporary
                                    // lambda with owning captures inside co_await.
                                    [&] { (void)d_.throttles.succeeded(ip, account, d_.clock.now()); },
                                    ErrorCode::invalid_challenge);
}

http::Task AuthApi::complete_login(http::Request& req, const User& user, LoginChoice choice, AuthMethods amr,
                                   std::function<void()> on_store_pool, ErrorCode password_changed) {
  const AuditContext from = http::audit_context(req);
  // The session or refresh family this client had before (if any) ends
  // here: one login, one id. Checked now (a session not cached here costs a
  // store read), ended with the rest.
  auto previous = co_await d_.authenticator.authenticate(req);
  const std::string_view user_agent = req.header("user-agent");
  // Everything below touches the store: one trip to the store pool, which
  // brackets creating the new credential (`create`, returning a Result) with
  // the throttle settlement before it and, after it,
  // the password's re-check (`revoke_new` ends the credential when it
  // fails), the ends of the credential the client had and of the oldest
  // beyond session.max_per_user.
  bool password_went = false;  // the re-check refused: the password changed since the login's check
  auto store_trip = [&](auto create, auto id_of, auto revoke_new) {
    return http::on_pool(d_.store_pool, [&, create, id_of, revoke_new] {
      if (on_store_pool) on_store_pool();
      auto made = create();
      if (!made) return made;
      if (amr.has(AuthMethod::pwd)) {
        // Why the hash is read again after the create, not only checked
        // before it: a password change (or reset) that commits between the
        // login's check and the create ends the user's credentials before
        // this one exists, and nothing would end it after. Now either this
        // read sees the new hash (the credential is revoked here, through
        // the service, so the change feed carries it), or the change writes
        // its hash after this read, so after the create, and its ends find
        // the credential. A re-read rather than a create conditional on a
        // credentials epoch: no new column in every backend's session and
        // token stores. A refused login's token never reaches the client.
        auto current = d_.users.find_by_id(user.id);
        if (!current || !constant_time_equal(current->password_hash, user.password_hash)) {
          (void)revoke_new(std::string(id_of(*made)));
          d_.audit.record(AuditEvent::login_failed, from, user.id,
                          {{"username", user.username}, {"reason", "password_changed"}});
          if (!current && current.error().code != ErrorCode::not_found)
            return decltype(made)(current.error());  // fail closed: the credential is ended all the same
          password_went = true;
          return decltype(made)(Error{password_changed});
        }
      }
      const std::string old_id(previous ? previous->session_id_view() : std::string_view());
      if (previous && previous->is_session()) {
        if (auto r = d_.sessions.revoke(old_id); r && *r)
          d_.audit.record(AuditEvent::session_revoked, from, previous->principal->user_id,
                          {{"session_id", old_id}, {"reason", "login_replaced"}});
      } else if (previous && !old_id.empty()) {
        if (auto r = d_.tokens.revoke_family(old_id); r && *r)
          d_.audit.record(AuditEvent::family_revoked, from, previous->principal->user_id,
                          {{"family_id", old_id}, {"reason", "login_replaced"}});
      }
      end_oldest_beyond_cap(d_.sessions, d_.tokens, user.id, id_of(*made), d_.config.session.max_per_user, d_.audit,
                            from);
      return made;
    });
  };
  if (choice.token_mode) {
    auto issued = co_await store_trip([&] { return d_.tokens.issue(user, req.remote_ip, user_agent, choice.remember, amr); },
                                      [](const IssuedTokens& t) -> std::string_view { return t.family.id; },
                                      [&](const std::string& id) { return d_.tokens.revoke_family(id); });
    if (!issued) {
      d_.metrics.inc(password_went ? Counter::login_invalid : Counter::login_store_error);
      co_return error_response(issued.error());
    }
    d_.metrics.inc(Counter::login_success);
    d_.audit.record(AuditEvent::login_succeeded, from, user.id, {{"mode", "token"}, {"credential_id", issued->family.id}});
    co_return token_response(d_.config, d_.authenticator.names(), *issued, choice.cookie_transport);
  }
  auto session = co_await store_trip([&] { return d_.sessions.create(user, req.remote_ip, user_agent, choice.remember, amr); },
                                     [](const NewSession& n) -> std::string_view { return n.info.id; },
                                     [&](const std::string& id) { return d_.sessions.revoke(id); });
  if (!session) {
    d_.metrics.inc(password_went ? Counter::login_invalid : Counter::login_store_error);
    co_return error_response(session.error());
  }
  d_.metrics.inc(Counter::login_success);
  d_.audit.record(AuditEvent::login_succeeded, from, user.id, {{"mode", "session"}, {"credential_id", session->info.id}});

  json::Writer w;
  w.begin_object();
  w.key("user");
  write_user(w, user);
  w.key("session");
  w.begin_object();
  w.key("id"); w.string(session->info.id);
  w.key("expires_at"); w.string(rfc3339(session->info.expires_ms));
  w.end_object();
  if (!choice.cookie_transport) {
    w.key("session_token");
    w.string(session->token);
  }
  w.end_object();
  Response res = no_store(http::json_response(200, w.take()));
  if (choice.cookie_transport)
    res.headers.emplace_back("Set-Cookie", session_cookie(d_.config, d_.authenticator.names(), session->token, choice.remember));
  co_return res;
}

}  // namespace cloakroom::api
