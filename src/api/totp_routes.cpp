#include "api/totp_routes.h"

#include "api/json_body.h"
#include "core/ip_address.h"
#include "core/json.h"
#include "http/audit_context.h"
#include "http/offload.h"
#include "identity/credentials_policy.h"

namespace cloakroom::api {

using http::error_response;
using http::no_store;
using http::Response;

namespace {

Response refused_code(const AuditLog& audit, const AuditContext& from, const User& user, std::string_view step,
                      std::string_view reason) {
  audit.record(AuditEvent::second_factor_failed, from, user.id,
               {{"username", user.username}, {"step", std::string(step)}, {"reason", std::string(reason)}});
  return error_response(ErrorCode::invalid_code);
}

// 409 for a change to a factor that is off (the state, not the request, is wrong).
Error totp_is_off() { return Error{ErrorCode::conflict, "Two-factor authentication is off."}; }

}  // namespace

http::Task TotpApi::enroll(http::Request& req) {
  auto who = co_await d_.authenticator.authenticate(req);
  if (!who) co_return http::refusal(who.error());
  if (auto r = d_.csrf.check(req, who->credential); !r) co_return http::refusal(r.error());
  if (auto r = read_no_fields(req); !r) co_return error_response(r.error());
  const std::string user_id = who->principal->user_id;
  auto enrolled = co_await http::on_pool(d_.store_pool, [&]() -> Result<TotpEnrollment> {
    auto user = d_.users.find_by_id(user_id);
    if (!user) return user.error();
    return d_.totp.begin_enroll(*user);
  });
  if (!enrolled) co_return error_response(enrolled.error());  // 409 conflict while TOTP is on

  json::Writer w;
  w.begin_object();
  w.key("secret"); w.string(enrolled->secret);
  w.key("otpauth_uri"); w.string(enrolled->otpauth_uri);
  w.key("qr_svg"); w.string(enrolled->qr_svg);
  w.key("expires_in"); w.number(kTotpEnrollSeconds);
  w.end_object();
  // The secret is in this answer: no cache keeps it.
  co_return no_store(http::json_response(200, w.take()));
}

http::Task TotpApi::confirm(http::Request& req) {
  auto who = co_await d_.authenticator.authenticate(req);
  if (!who) co_return http::refusal(who.error());
  if (auto r = d_.csrf.check(req, who->credential); !r) co_return http::refusal(r.error());
  auto body = read_json_object(req, {{"code", json::Type::string, true}});
  if (!body) co_return error_response(body.error());
  const std::string& code = body->find("code")->text;
  if (auto r = check_field_length("code", code, kSecondFactorCodeMax); !r) co_return error_response(r.error());

  const std::string user_id = who->principal->user_id;
  const std::string ip = client_network(req.remote_ip);
  const std::string account = username_key(who->principal->username);
  struct Outcome {
    SignedInAttempt attempt;
    TotpConfirmation confirmation{TotpVerdict::wrong, {}};
  };
  auto done = co_await http::on_pool(d_.store_pool, [&]() -> Result<Outcome> {
    auto attempt = take_signed_in_attempt(d_.throttles, d_.users, d_.clock, ip, account, user_id);
    if (!attempt) return attempt.error();
    Outcome o{std::move(*attempt)};
    if (o.attempt.wait) return o;
    auto c = d_.totp.confirm(user_id, code);
    if (!c) {
      (void)d_.throttles.refund(ip, account, d_.clock.now());
      return c.error();
    }
    o.confirmation = std::move(*c);
    switch (o.confirmation.verdict) {
      case TotpVerdict::accepted: (void)d_.throttles.succeeded(ip, account, d_.clock.now()); break;
      case TotpVerdict::not_enrolled: (void)d_.throttles.refund(ip, account, d_.clock.now()); break;
      case TotpVerdict::wrong:
      case TotpVerdict::replayed: break;  // the attempt stays spent
    }
    return o;
  });
  if (!done) co_return error_response(done.error());
  if (done->attempt.wait) co_return error_response(ErrorCode::too_many_attempts).retry_after(*done->attempt.wait);
  const AuditContext from = http::audit_context(req);
  const User& user = done->attempt.user;
  switch (done->confirmation.verdict) {
    case TotpVerdict::accepted: break;
    case TotpVerdict::not_enrolled:
      co_return error_response(
          Error{ErrorCode::conflict, "No enrolment is pending (or it expired): start again with POST /auth/totp/enroll."});
    case TotpVerdict::wrong:
    case TotpVerdict::replayed:
      co_return refused_code(d_.audit, from, user, "confirm", to_string(done->confirmation.verdict));
  }
  d_.audit.record(AuditEvent::totp_enabled, from, user.id, {{"username", user.username}});

  json::Writer w;
  w.begin_object();
  w.key("status"); w.string("totp_enabled");
  w.key("recovery_codes");
  w.begin_array();
  for (const auto& c : done->confirmation.recovery_codes) w.string(c);
  w.end_array();
  w.end_object();
  co_return no_store(http::json_response(200, w.take()));
}

boost::asio::awaitable<TotpApi::Proof> TotpApi::change_with_proof(http::Request& req, std::string_view step,
                                                                  bool takes_recovery_code,
                                                                  const FactorChange& change) {
  Proof out;
  auto refuse = [&out](Response r) {
    out.refusal = std::move(r);
    return std::move(out);
  };
  auto who = co_await d_.authenticator.authenticate(req);
  if (!who) co_return refuse(http::refusal(who.error()));
  if (auto r = d_.csrf.check(req, who->credential); !r) co_return refuse(http::refusal(r.error()));
  auto body = takes_recovery_code ? read_json_object(req, {{"code", json::Type::string, false},
                                                           {"recovery_code", json::Type::string, false},
                                                           {"password", json::Type::string, false}})
                                  : read_json_object(req, {{"code", json::Type::string, false},
                                                           {"password", json::Type::string, false}});
  if (!body) co_return refuse(error_response(body.error()));
  const json::Value* code = body->find("code");
  const json::Value* recovery = body->find("recovery_code");
  const json::Value* password = body->find("password");
  if (int{code != nullptr} + int{recovery != nullptr} + int{password != nullptr} != 1) {
    const char* what = takes_recovery_code ? "Send exactly one of code, recovery_code and password."
                                           : "Send exactly one of code and password.";
    co_return refuse(error_response(Error{ErrorCode::invalid_field, what}));
  }
  out.via = code ? "code" : recovery ? "recovery_code" : "password";
  const std::string& proof = (code ? code : recovery ? recovery : password)->text;
  if (auto r = check_field_length(out.via, proof, password ? kPasswordMax : kSecondFactorCodeMax); !r)
    co_return refuse(error_response(r.error()));

  const std::string user_id = who->principal->user_id;
  const std::string ip = client_network(req.remote_ip);
  const std::string account = username_key(who->principal->username);
  // Codes are checked (and the change made when right) in one store trip;
  // a password first goes to the hashing pool.
  struct Outcome {
    SignedInAttempt attempt;
    TotpVerdict verdict = TotpVerdict::wrong;
  };
  auto done = co_await http::on_pool(d_.store_pool, [&]() -> Result<Outcome> {
    auto attempt = take_signed_in_attempt(d_.throttles, d_.users, d_.clock, ip, account, user_id);
    if (!attempt) return attempt.error();
    Outcome o{std::move(*attempt)};
    if (o.attempt.wait) return o;
    Result<TotpVerdict> verdict = TotpVerdict::accepted;  // a password: checked below
    if (code) verdict = d_.totp.verify(user_id, proof);
    else if (recovery) verdict = d_.totp.use_recovery_code(user_id, proof);
    else if (auto status = d_.totp.status(user_id); !status) verdict = status.error();
    else if (!status->enabled) verdict = TotpVerdict::not_enrolled;
    if (!verdict) {
      (void)d_.throttles.refund(ip, account, d_.clock.now());
      return verdict.error();
    }
    o.verdict = *verdict;
    if (o.verdict == TotpVerdict::not_enrolled) (void)d_.throttles.refund(ip, account, d_.clock.now());
    if (o.verdict == TotpVerdict::accepted && !password) {
      if (auto changed = change(user_id); !changed) return changed.error();
      (void)d_.throttles.succeeded(ip, account, d_.clock.now());
    }
    return o;
  });
  if (!done) co_return refuse(error_response(done.error()));
  if (done->attempt.wait)
    co_return refuse(error_response(ErrorCode::too_many_attempts).retry_after(*done->attempt.wait));
  const AuditContext from = http::audit_context(req);
  out.user = done->attempt.user;
  switch (done->verdict) {
    case TotpVerdict::accepted: break;
    case TotpVerdict::not_enrolled: co_return refuse(error_response(totp_is_off()));
    case TotpVerdict::wrong:
    case TotpVerdict::replayed:
      co_return refuse(refused_code(d_.audit, from, out.user, step, to_string(done->verdict)));
  }
  if (password) {
    bool ok = false;
    bool ran = co_await http::offload(d_.hash_pool,
                                      [&] { ok = d_.hasher.verify_or_dummy(&out.user.password_hash, proof); });
    if (!ran) {
      (void)co_await http::on_pool(d_.store_pool, [&] { return d_.throttles.refund(ip, account, d_.clock.now()); });
      co_return refuse(error_response(ErrorCode::overloaded));
    }
    if (!ok) {  // the attempt stays spent
      d_.audit.record(AuditEvent::second_factor_failed, from, out.user.id,
                      {{"username", out.user.username}, {"step", std::string(step)}, {"reason", "wrong_password"}});
      co_return refuse(error_response(Error{ErrorCode::invalid_credentials, "The password is incorrect."}));
    }
    auto changed = co_await http::on_pool(d_.store_pool, [&] {
      (void)d_.throttles.succeeded(ip, account, d_.clock.now());
      return change(user_id);
    });
    if (!changed) co_return refuse(error_response(changed.error()));
  }
  co_return out;
}

http::Task TotpApi::disable(http::Request& req) {
  const FactorChange turn_off = [&](const std::string& user_id) { return d_.totp.disable(user_id); };
  Proof p = co_await change_with_proof(req, "disable", true, turn_off);
  if (p.refusal) co_return std::move(*p.refusal);
  d_.audit.record(AuditEvent::totp_disabled, http::audit_context(req), p.user.id,
                  {{"username", p.user.username}, {"via", std::string(p.via)}});
  co_return no_store(http::json_response(200, R"({"status":"totp_disabled"})"));
}

http::Task TotpApi::recovery_codes(http::Request& req) {
  std::vector<std::string> codes;
  const FactorChange renew = [&](const std::string& user_id) -> Result<void> {
    auto renewed = d_.totp.renew_recovery_codes(user_id);
    if (!renewed) return renewed.error();
    if (renewed->verdict != TotpVerdict::accepted) return totp_is_off();  // turned off since the check
    codes = std::move(renewed->recovery_codes);
    return {};
  };
  Proof p = co_await change_with_proof(req, "recovery_codes", false, renew);
  if (p.refusal) co_return std::move(*p.refusal);
  d_.audit.record(AuditEvent::recovery_codes_renewed, http::audit_context(req), p.user.id,
                  {{"username", p.user.username}, {"via", std::string(p.via)}});

  json::Writer w;
  w.begin_object();
  w.key("recovery_codes");
  w.begin_array();
  for (const auto& c : codes) w.string(c);
  w.end_array();
  w.end_object();
  // The codes are in this answer: no cache keeps them.
  co_return no_store(http::json_response(200, w.take()));
}

}  // namespace cloakroom::api
