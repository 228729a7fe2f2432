#include "api/password_routes.h"

#include "http/audit_context.h"

#include "api/cookies.h"
#include "api/json_body.h"
#include "core/ip_address.h"
#include "core/json.h"
#include "core/log.h"
#include "http/audit_context.h"
#include "http/offload.h"
#include "identity/credentials_policy.h"
#include "identity/password_change.h"
#include "identity/reset_link.h"

namespace cloakroom::api {

using http::error_response;
using http::no_store;
using http::Response;

namespace {

// The services' way to end credentials: their caches change at once, their
// stores record the feed entries other processes follow.
CredentialEnds service_ends(TokenService& tokens, SessionService& sessions) {
  return CredentialEnds{
      [&tokens](const std::string& user_id, const std::string& keep) { return tokens.revoke_user(user_id, keep); },
      [&sessions](const std::string& user_id, const std::string& keep) { return sessions.revoke_user(user_id, keep); }};
}

void write_ended(json::Writer& w, const EndedCredentials& ended) {
  w.key("sessions_ended"); w.number(static_cast<long long>(ended.sessions));
  w.key("refresh_families_ended"); w.number(static_cast<long long>(ended.families));
}

}  // namespace

http::Task PasswordApi::change(http::Request& req) {
  auto who = co_await d_.authenticator.authenticate(req);
  if (!who) co_return http::refusal(who.error());
  if (auto r = d_.csrf.check(req, who->credential); !r) co_return http::refusal(r.error());
  auto body = read_json_object(req, {{"current_password", json::Type::string, true},
                                     {"new_password", json::Type::string, true}});
  if (!body) co_return error_response(body.error());
  const std::string& current = body->find("current_password")->text;
  const std::string& next = body->find("new_password")->text;
  // Why the bound: nobody makes us hash megabytes.
  if (current.empty() || current.size() > kPasswordMax)
    co_return error_response(Error{ErrorCode::invalid_field, "current_password must be 1 to 1024 bytes."});
  if (auto r = check_password(next, d_.config.auth.password_min); !r)
    co_return error_response(Error{ErrorCode::invalid_field, "new_" + std::string(r.error().message)});

  const std::string user_id = who->principal->user_id;
  const std::string ip = client_network(req.remote_ip);
  const std::string account = username_key(who->principal->username);
  // As a login: the attempt is paid before the hash, in the same buckets,
  // so guessing through this endpoint is no cheaper than through /auth/login.
  auto admitted = co_await http::on_pool(d_.store_pool, [&] {
    return take_signed_in_attempt(d_.throttles, d_.users, d_.clock, ip, account, user_id);
  });
  if (!admitted) co_return error_response(admitted.error());
  if (admitted->wait) co_return error_response(ErrorCode::too_many_attempts).retry_after(*admitted->wait);
  const User& user = admitted->user;

  bool ok = false;
  Result<std::string> hash = Error{ErrorCode::internal};
  bool ran = co_await http::offload(d_.hash_pool, [&] {
    ok = d_.hasher.verify_or_dummy(&user.password_hash, current);
    if (ok) hash = d_.hasher.hash(next);
  });
  if (!ran) {
    (void)co_await http::on_pool(d_.store_pool, [&] { return d_.throttles.refund(ip, account, d_.clock.now()); });
    co_return error_response(ErrorCode::overloaded);
  }
  if (!ok) {
    d_.audit.record(AuditEvent::password_change_refused, http::audit_context(req), user_id,
                    {{"username", user.username}});
    // The attempt stays spent. No username was sent: say which password was wrong.
    co_return error_response(Error{ErrorCode::invalid_credentials, "The current password is incorrect."});
  }
  if (!hash) co_return error_response(hash.error());

  // Kept: the credential this request came with. An access token without a
  // family (none is issued so today) keeps nothing.
  KeepCredential keep;
  const std::string current_id(who->session_id_view());
  if (who->is_session()) keep.session_id = current_id;
  else keep.family_id = current_id;
  auto ended = co_await http::on_pool(d_.store_pool, [&]() -> Result<EndedCredentials> {
    (void)d_.throttles.succeeded(ip, account, d_.clock.now());
    return change_password(d_.users, service_ends(d_.tokens, d_.sessions), user_id, *hash, keep);
  });
  if (!ended) co_return error_response(ended.error());
  d_.audit.record(AuditEvent::user_password_changed, http::audit_context(req), user_id,
                  {{"username", user.username}, {"via", "password_change"}});
  d_.audit.record(AuditEvent::logout_all, http::audit_context(req), user_id,
                  {{"sessions", std::to_string(ended->sessions)}, {"families", std::to_string(ended->families)}});

  json::Writer w;
  w.begin_object();
  w.key("status"); w.string("password_changed");
  write_ended(w, *ended);
  // The epoch rose: the caller's access token died with the others. Its
  // family lives on; a fresh token at the new epoch saves it a refresh.
  std::optional<std::string> fresh;
  if (!who->is_session() && !keep.family_id.empty()) {
    const Principal& p = *who->principal;
    auto minted = d_.access.mint_access(p.user_id, p.username, p.roles, keep.family_id, who->amr, who->auth_time_ms);
    if (minted) fresh = std::move(*minted);
  }
  const bool cookie = who->credential.source == Credential::Source::access_cookie;
  if (fresh && !cookie) {
    w.key("access_token"); w.string(*fresh);
    w.key("token_type"); w.string("Bearer");
    w.key("expires_in");
    w.number(static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(d_.config.jwt.access_ttl).count()));
  }
  w.end_object();
  Response res = no_store(http::json_response(200, w.take()));
  if (fresh && cookie)
    res.headers.emplace_back("Set-Cookie", access_cookie(d_.config, d_.authenticator.names(), *fresh));
  co_return res;
}

http::Task PasswordApi::reset(http::Request& req) {
  // No credential is needed, but a page on another origin must not post here.
  if (auto r = d_.csrf.check_foreign_origin(req); !r) co_return error_response(r.error());
  auto body = read_json_object(req, {{"token", json::Type::string, true}, {"new_password", json::Type::string, true}});
  if (!body) co_return error_response(body.error());
  const std::string& token = body->find("token")->text;
  const std::string& next = body->find("new_password")->text;
  if (auto r = check_password(next, d_.config.auth.password_min); !r)
    co_return error_response(Error{ErrorCode::invalid_field, "new_" + std::string(r.error().message)});
  if (!well_formed_reset_token(token)) co_return error_response(ErrorCode::invalid_reset_token);

  const std::string token_hash = reset_token_hash(token);
  auto user_id = co_await http::on_pool(d_.store_pool, [&] {
    return d_.users.use_password_reset(token_hash, unix_millis(d_.clock.now()));
  });
  if (!user_id) {
    if (user_id.error().code == ErrorCode::not_found) co_return error_response(ErrorCode::invalid_reset_token);
    co_return error_response(user_id.error());
  }
  Result<std::string> hash = Error{ErrorCode::internal};
  bool ran = co_await http::offload(d_.hash_pool, [&] { hash = d_.hasher.hash(next); });
  // The link is spent either way: the operator makes a new one.
  if (!ran) co_return error_response(ErrorCode::overloaded);
  if (!hash) co_return error_response(hash.error());
  std::string username;  // for the audit line only: the link names the account by id
  auto ended = co_await http::on_pool(d_.store_pool, [&] {
    auto e = change_password(d_.users, service_ends(d_.tokens, d_.sessions), *user_id, *hash);
    if (auto u = d_.users.find_by_id(*user_id); e && u) username = u->username;
    return e;
  });
  if (!ended) co_return error_response(ended.error());
  d_.audit.record(AuditEvent::user_password_changed, http::audit_context(req), *user_id,
                  {{"username", username}, {"via", "reset_link"}});
  d_.audit.record(AuditEvent::logout_all, http::audit_context(req), *user_id,
                  {{"sessions", std::to_string(ended->sessions)}, {"families", std::to_string(ended->families)}});

  json::Writer w;
  w.begin_object();
  w.key("status"); w.string("password_reset");
  write_ended(w, *ended);
  w.end_object();
  Response res = no_store(http::json_response(200, w.take()));
  // Whatever this browser held for the account has just ended.
  for (auto& c : clear_cookies(d_.config, d_.authenticator.names(), CookieSet::all))
    res.headers.emplace_back("Set-Cookie", std::move(c));
  co_return res;
}

}  // namespace cloakroom::api
