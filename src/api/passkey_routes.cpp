#include "api/passkey_routes.h"

#include "api/json_body.h"
#include "core/digest.h"
#include "core/ip_address.h"
#include "core/json.h"
#include "http/audit_context.h"
#include "http/offload.h"
#include "jose/base64url.h"
#include "webauthn/assertion.h"
#include "webauthn/client_data.h"
#include "webauthn/cose_key.h"
#include "webauthn/options.h"
#include "webauthn/registration.h"

namespace cloakroom::api {

using http::error_response;
using http::no_store;
using http::Response;

namespace {

constexpr std::string_view kRegisterKind = "passkey_register";
constexpr std::string_view kLoginKind = "passkey_login";
// Why 5 minutes: the options' timeout; a person with a security key in a
// drawer needs a minute or two, and an unused challenge is a row to purge.
constexpr long long kChallengeMs = 5 * 60'000;
// Why 64: a label the user reads in a list ("YubiKey 5", "Pixel 8").
constexpr std::size_t kMaxName = 64;

std::string hash_of(std::string_view challenge) {
  const Sha256 h = sha256(challenge);
  return std::string(reinterpret_cast<const char*>(h.data()), h.size());
}

// The binary members of a PublicKeyCredential's JSON, decoded. Shape
// errors are 400 invalid_field; whether the bytes mean anything is the
// verifier's business (a 401).
struct CredentialFields {
  std::string raw_id;
  std::string client_data_json;
  std::string attestation_object;  // registration
  std::string authenticator_data;  // sign-in
  std::string signature;           // sign-in
  std::string user_handle;         // sign-in; empty when null or absent
};

Error bad(std::string what) { return Error{ErrorCode::invalid_field, "credential" + std::move(what)}; }

Result<std::string> bytes_member(const json::Value& obj, std::string_view name, std::string_view where, bool required) {
  const json::Value* v = obj.find(name);
  if (!v || v->type == json::Type::null) {
    if (required) return bad(std::string(where) + "." + std::string(name) + " is missing.");
    return std::string();
  }
  if (!v->is_string()) return bad(std::string(where) + "." + std::string(name) + " must be a base64url string.");
  auto bytes = jose::base64url_decode(v->text);
  if (!bytes) return bad(std::string(where) + "." + std::string(name) + " must be base64url.");
  return std::move(*bytes);
}

Result<CredentialFields> read_credential(const json::Value& cred, webauthn::Ceremony ceremony) {
  const json::Value* type = cred.find("type");
  if (type && !(type->is_string() && type->text == "public-key")) return bad(".type must be \"public-key\".");
  const json::Value* response = cred.find("response");
  if (!response || !response->is_object()) return bad(".response must be an object.");
  CredentialFields f;
  auto raw = bytes_member(cred, cred.find("rawId") ? "rawId" : "id", "", true);
  if (!raw) return raw.error();
  f.raw_id = std::move(*raw);
  auto cdj = bytes_member(*response, "clientDataJSON", ".response", true);
  if (!cdj) return cdj.error();
  f.client_data_json = std::move(*cdj);
  if (ceremony == webauthn::Ceremony::create) {
    auto ao = bytes_member(*response, "attestationObject", ".response", true);
    if (!ao) return ao.error();
    f.attestation_object = std::move(*ao);
    return f;
  }
  auto ad = bytes_member(*response, "authenticatorData", ".response", true);
  if (!ad) return ad.error();
  auto sig = bytes_member(*response, "signature", ".response", true);
  if (!sig) return sig.error();
  auto uh = bytes_member(*response, "userHandle", ".response", false);
  if (!uh) return uh.error();
  f.authenticator_data = std::move(*ad);
  f.signature = std::move(*sig);
  f.user_handle = std::move(*uh);
  return f;
}

// The challenge the browser signed, read from clientDataJSON to find it in
// the store; check_client_data compares it again, in constant time, with
// the one the store gave back. nullopt: no readable challenge (a refusal).
std::optional<std::string> challenge_in(std::string_view client_data_json) {
  if (client_data_json.size() > webauthn::kMaxClientData) return std::nullopt;
  auto v = json::parse(client_data_json, {.max_bytes = webauthn::kMaxClientData, .max_depth = 4});
  if (!v || !v->is_object()) return std::nullopt;
  const json::Value* c = v->find("challenge");
  if (!c || !c->is_string()) return std::nullopt;
  return jose::base64url_decode(c->text);
}

// Takes the challenge out of the store: one attempt, then removed, so it
// answers exactly one response whatever the verdict. nullopt: unknown,
// expired, of another kind, or another request took it first.
Result<std::optional<PendingChallenge>> take_challenge(ChallengeStore& store, std::string_view challenge,
                                                       std::string_view kind, long long now_ms) {
  const std::string id_hash = hash_of(challenge);
  auto c = store.attempt(id_hash, kind, now_ms, 1);
  if (!c || !*c) return c;
  auto mine = store.consume(id_hash);
  if (!mine) return mine.error();
  if (!*mine) return std::optional<PendingChallenge>();
  return c;
}

void write_passkey(json::Writer& w, const Passkey& p) {
  w.begin_object();
  w.key("id"); w.string(jose::base64url_encode(p.credential_id));
  w.key("name"); w.string(p.name);
  w.key("created_at"); w.string(rfc3339(p.created_at * 1000));
  w.key("last_used_at");
  if (p.last_used_at) w.string(rfc3339(p.last_used_at * 1000));
  else w.null();
  w.key("user_verified"); w.boolean(p.user_verified);
  w.key("backed_up"); w.boolean(p.backed_up);
  w.key("flagged"); w.boolean(p.flagged);
  w.end_object();
}

// The register challenge's payload: whose ceremony it is and the WebAuthn
// user handle the options named (stored with the passkey).
std::string register_payload(std::string_view user_id, std::string_view user_handle) {
  json::Writer w;
  w.begin_object();
  w.key("user_id"); w.string(user_id);
  w.key("user_handle"); w.string(jose::base64url_encode(user_handle));
  w.end_object();
  return w.take();
}

}  // namespace

PasskeyApi::PasskeyApi(PasskeyDeps deps) : d_(deps) {
  if (auto rp = webauthn::RelyingParty::from_public_url(d_.config.public_url, "cloakroom")) rp_ = std::move(*rp);
}

http::Task PasskeyApi::register_options(http::Request& req) {
  auto who = co_await d_.authenticator.authenticate(req);
  if (!who) co_return http::refusal(who.error());
  if (auto r = d_.csrf.check(req, who->credential); !r) co_return http::refusal(r.error());
  if (!rp_ || !d_.challenges) co_return error_response(ErrorCode::passkeys_unavailable);
  const Principal& me = *who->principal;
  const std::string challenge = webauthn::new_challenge(d_.random);
  std::string handle;
  std::vector<std::string> exclude;
  // Each call keeps a row for five minutes: paid for per user, in the same
  // bucket size as the anonymous options per address, so one account cannot
  // fill the challenge store that logins' second steps need too.
  std::optional<long long> wait;
  auto stored = co_await http::on_pool(d_.store_pool, [&]() -> Result<void> {
    auto w = d_.options_by_ip.try_acquire("user:" + me.user_id, d_.clock.now());
    if (!w) return w.error();
    if (*w) {
      wait = *w;
      return {};
    }
    auto mine = d_.users.list_passkeys(me.user_id);
    if (!mine) return mine.error();
    // One handle per user: every passkey of theirs carries the same one.
    handle = mine->empty() ? webauthn::new_user_handle(d_.random) : mine->front().user_handle;
    for (const Passkey& p : *mine) exclude.push_back(p.credential_id);
    const long long now = unix_millis(d_.clock.now());
    return d_.challenges->put({.id_hash = hash_of(challenge), .kind = std::string(kRegisterKind),
                               .payload = register_payload(me.user_id, handle), .expires_ms = now + kChallengeMs},
                              now);
  });
  if (!stored) co_return error_response(stored.error());
  if (wait) co_return error_response(ErrorCode::too_many_attempts).retry_after(*wait);
  co_return no_store(http::json_response(
      200, webauthn::creation_options_json({.rp = *rp_, .challenge = challenge, .user_handle = handle,
                                            .user_name = me.username, .display_name = me.username,
                                            .exclude_credential_ids = std::move(exclude),
                                            .timeout_ms = kChallengeMs})));
}

http::Task PasskeyApi::register_passkey(http::Request& req) {
  auto who = co_await d_.authenticator.authenticate(req);
  if (!who) co_return http::refusal(who.error());
  if (auto r = d_.csrf.check(req, who->credential); !r) co_return http::refusal(r.error());
  if (!rp_ || !d_.challenges) co_return error_response(ErrorCode::passkeys_unavailable);
  auto body = read_json_object(req, {{"credential", json::Type::object, true}, {"name", json::Type::string, false}});
  if (!body) co_return error_response(body.error());
  const json::Value* name_field = body->find("name");
  const std::string name = name_field ? name_field->text : "Passkey";
  if (name.empty() || name.size() > kMaxName)
    co_return error_response(Error{ErrorCode::invalid_field, "name must be 1 to 64 bytes."});
  auto cred = read_credential(*body->find("credential"), webauthn::Ceremony::create);
  if (!cred) co_return error_response(cred.error());
  const std::string& user_id = who->principal->user_id;
  const AuditContext from = http::audit_context(req);
  auto refuse = [&](std::string_view reason) {
    d_.audit.record(AuditEvent::passkey_refused, from, user_id,
                    {{"ceremony", "register"}, {"reason", std::string(reason)}, {"passkey_id", ""}});
    return error_response(Error{ErrorCode::passkey_refused}.because(reason));
  };

  auto challenge = challenge_in(cred->client_data_json);
  if (!challenge) co_return refuse("client_data_malformed");
  const long long now_ms = unix_millis(d_.clock.now());
  auto taken = co_await http::on_pool(d_.store_pool, [&] {
    return take_challenge(*d_.challenges, *challenge, kRegisterKind, now_ms);
  });
  if (!taken) co_return error_response(taken.error());
  if (!*taken) co_return refuse("challenge_unknown");
  // Another user's ceremony (its options went to them): not this caller's to finish.
  auto payload = json::parse((*taken)->payload);
  const json::Value* owner = payload ? payload->find("user_id") : nullptr;
  const json::Value* handle_field = payload ? payload->find("user_handle") : nullptr;
  auto handle = handle_field ? jose::base64url_decode(handle_field->text) : std::nullopt;
  if (!owner || owner->text != user_id || !handle) co_return refuse("challenge_unknown");

  auto made = webauthn::verify_registration(
      {.client_data_json = cred->client_data_json, .attestation_object = cred->attestation_object,
       .expected_challenge = *challenge},
      *rp_);
  if (!made) co_return refuse(webauthn::reason_name(made.error()));

  Passkey p;
  p.credential_id = std::move(made->credential_id);
  p.user_id = user_id;
  p.user_handle = std::move(*handle);
  p.public_key = std::move(made->public_key);
  p.alg = static_cast<int>(made->alg);
  p.sign_count = made->sign_count;
  p.user_verified = made->user_verified;
  p.backup_eligible = made->backup_eligible;
  p.backed_up = made->backed_up;
  p.name = name;
  p.created_at = now_ms / 1000;
  auto added = co_await http::on_pool(d_.store_pool, [&] { return d_.users.add_passkey(p); });
  if (!added) {
    if (added.error().code == ErrorCode::conflict)
      co_return error_response(Error{ErrorCode::conflict, "This passkey is already registered."});
    co_return error_response(added.error());
  }
  const std::string id = jose::base64url_encode(p.credential_id);
  d_.audit.record(AuditEvent::passkey_added, from, user_id,
                  {{"passkey_id", id}, {"name", p.name}, {"user_verified", p.user_verified ? "true" : "false"}});
  json::Writer w;
  w.begin_object();
  w.key("passkey");
  write_passkey(w, p);
  w.end_object();
  co_return no_store(http::json_response(201, w.take()));
}

http::Task PasskeyApi::list(http::Request& req) {
  auto who = co_await d_.authenticator.authenticate(req);
  if (!who) co_return http::refusal(who.error());
  auto mine = co_await http::on_pool(d_.store_pool, [&] { return d_.users.list_passkeys(who->principal->user_id); });
  if (!mine) co_return error_response(mine.error());
  json::Writer w;
  w.begin_object();
  w.key("passkeys_available"); w.boolean(rp_ && d_.challenges);
  w.key("passkeys");
  w.begin_array();
  for (const Passkey& p : *mine) write_passkey(w, p);
  w.end_array();
  w.end_object();
  co_return no_store(http::json_response(200, w.take()));
}

http::Task PasskeyApi::remove(http::Request& req) {
  auto who = co_await d_.authenticator.authenticate(req);
  if (!who) co_return http::refusal(who.error());
  if (auto r = d_.csrf.check(req, who->credential); !r) co_return http::refusal(r.error());
  const std::string id(req.params.at(0));
  const Error none{ErrorCode::not_found, "You have no passkey with that id."};
  auto credential_id = jose::base64url_decode(id);
  if (!credential_id || credential_id->empty()) co_return error_response(none);
  const std::string& user_id = who->principal->user_id;
  auto removed = co_await http::on_pool(d_.store_pool, [&] { return d_.users.delete_passkey(user_id, *credential_id); });
  if (!removed) {
    // Why 404 for another user's passkey too: whether it exists is not the caller's business.
    if (removed.error().code == ErrorCode::not_found) co_return error_response(none);
    co_return error_response(removed.error());
  }
  d_.audit.record(AuditEvent::passkey_removed, http::audit_context(req), user_id, {{"passkey_id", id}});
  co_return no_store(http::json_response(200, R"({"status":"removed"})"));
}

http::Task PasskeyApi::login_options(http::Request& req) {
  if (auto r = d_.csrf.check_foreign_origin(req); !r) co_return error_response(r.error());
  if (!rp_ || !d_.challenges) co_return error_response(ErrorCode::passkeys_unavailable);
  const std::string challenge = webauthn::new_challenge(d_.random);
  const std::string network = client_network(req.remote_ip);
  // Each call keeps a row for five minutes: paid for per client network
  // before it is written (a sign-in that succeeds gives its token back).
  auto wait = co_await http::on_pool(d_.store_pool, [&]() -> Result<std::optional<long long>> {
    auto w = d_.options_by_ip.try_acquire(network, d_.clock.now());
    if (!w || *w) return w;
    const long long now = unix_millis(d_.clock.now());
    if (auto put = d_.challenges->put({.id_hash = hash_of(challenge), .kind = std::string(kLoginKind),
                                       .payload = "", .expires_ms = now + kChallengeMs},
                                      now);
        !put)
      return put.error();
    return std::optional<long long>();
  });
  if (!wait) co_return error_response(wait.error());
  if (*wait) co_return error_response(ErrorCode::too_many_attempts).retry_after(**wait);
  co_return no_store(http::json_response(
      200, webauthn::request_options_json({.rp = *rp_, .challenge = challenge, .timeout_ms = kChallengeMs})));
}

http::Task PasskeyApi::login(http::Request& req) {
  if (auto r = d_.csrf.check_foreign_origin(req); !r) co_return error_response(r.error());
  if (!rp_ || !d_.challenges) co_return error_response(ErrorCode::passkeys_unavailable);
  auto body = read_json_object(req, {{"credential", json::Type::object, true},
                                     {"mode", json::Type::string, false},
                                     {"transport", json::Type::string, false},
                                     {"remember", json::Type::boolean, false}});
  if (!body) co_return error_response(body.error());
  auto choice = read_login_choice(*body);
  if (!choice) co_return error_response(choice.error());
  auto cred = read_credential(*body->find("credential"), webauthn::Ceremony::get);
  if (!cred) co_return error_response(cred.error());
  const AuditContext from = http::audit_context(req);
  const std::string passkey_id = jose::base64url_encode(cred->raw_id);
  auto refuse = [&](std::string_view reason, const std::string& user_id) {
    d_.audit.record(AuditEvent::passkey_refused, from, user_id,
                    {{"ceremony", "login"}, {"reason", std::string(reason)}, {"passkey_id", passkey_id}});
    return error_response(Error{ErrorCode::passkey_refused}.because(reason));
  };

  auto challenge = challenge_in(cred->client_data_json);
  if (!challenge) co_return refuse("client_data_malformed", "");
  struct Found {
    bool challenge_ok = false;
    Result<Passkey> passkey = ErrorCode::internal;
  };
  auto found = co_await http::on_pool(d_.store_pool, [&]() -> Result<Found> {
    auto taken = take_challenge(*d_.challenges, *challenge, kLoginKind, unix_millis(d_.clock.now()));
    if (!taken) return taken.error();
    if (!*taken) return Found{};
    return Found{true, d_.users.find_passkey(cred->raw_id)};
  });
  if (!found) co_return error_response(found.error());
  if (!found->challenge_ok) co_return refuse("challenge_unknown", "");
  if (!found->passkey) {
    if (found->passkey.error().code == ErrorCode::not_found) co_return refuse("unknown_credential", "");
    co_return error_response(found->passkey.error());
  }
  const Passkey& stored = *found->passkey;
  // Usernameless sign-in: the authenticator names the account by the handle
  // it keeps with the credential, and it must be the one we stored.
  if (cred->user_handle.empty()) co_return refuse("user_handle_mismatch", stored.user_id);

  auto verified = webauthn::verify_assertion(
      {.credential_id = cred->raw_id, .client_data_json = cred->client_data_json,
       .authenticator_data = cred->authenticator_data, .signature = cred->signature,
       .user_handle = cred->user_handle, .expected_challenge = *challenge},
      *rp_,
      {.credential_id = stored.credential_id, .user_handle = stored.user_handle, .public_key = stored.public_key,
       .sign_count = static_cast<std::uint32_t>(stored.sign_count)});
  if (!verified) {
    if (verified.error() == webauthn::WebauthnError::sign_count_regressed) {
      // A valid signature with a counter that went back: a clone may be in use.
      (void)co_await http::on_pool(d_.store_pool, [&] { return d_.users.flag_passkey(stored.credential_id); });
      d_.audit.record(AuditEvent::passkey_counter_regressed, from, stored.user_id,
                      {{"passkey_id", passkey_id}, {"stored_count", std::to_string(stored.sign_count)}});
    }
    co_return refuse(webauthn::reason_name(verified.error()), stored.user_id);
  }

  // The user, and the use recorded while the counter is still the one we
  // checked against: of two sign-ins racing with one counter, one wins.
  const long long now_s = unix_seconds(d_.clock.now());
  bool needs_verification = false;
  auto admitted = co_await http::on_pool(d_.store_pool, [&]() -> Result<User> {
    auto user = d_.users.find_by_id(stored.user_id);
    if (!user || user->disabled) return user;
    // A user who turned on a second factor gets no one-factor way in: a
    // passkey that checked no PIN or biometric (a lost security key) is
    // refused for them, before its use is recorded.
    if (!verified->user_verified) {
      auto totp = d_.users.totp(user->id);
      if (!totp) return totp.error();
      if (!totp->secret.empty()) {
        needs_verification = true;
        return user;
      }
    }
    if (auto r = d_.users.record_passkey_use(stored.credential_id, stored.sign_count, verified->sign_count,
                                             verified->backed_up, now_s);
        !r)
      return r.error();
    return user;
  });
  if (!admitted) {
    const ErrorCode code = admitted.error().code;
    if (code == ErrorCode::conflict) co_return refuse("sign_count_raced", stored.user_id);
    if (code == ErrorCode::not_found) co_return refuse("unknown_credential", stored.user_id);
    co_return error_response(admitted.error());
  }
  if (needs_verification && !admitted->disabled) {
    d_.audit.record(AuditEvent::passkey_refused, from, stored.user_id,
                    {{"ceremony", "login"}, {"reason", "user_verification_required"}, {"passkey_id", passkey_id}});
    co_return error_response(Error{ErrorCode::passkey_refused,
                                   "This account has two-factor authentication on: use a passkey that checks a PIN "
                                   "or biometric, or sign in with the password and a code."}
                                 .because("user_verification_required"));
  }
  if (admitted->disabled) {
    d_.audit.record(AuditEvent::login_failed, from, admitted->id,
                    {{"username", admitted->username}, {"reason", "account_disabled"}});
    co_return error_response(ErrorCode::account_disabled);
  }
  d_.audit.record(AuditEvent::passkey_login, from, admitted->id,
                  {{"passkey_id", passkey_id}, {"user_verified", verified->user_verified ? "true" : "false"}});
  // Possession of the key; with UV the authenticator also checked a PIN or
  // biometric, a second kind of factor (core/auth_methods.h).
  AuthMethods amr = AuthMethods{}.with(AuthMethod::hwk);
  if (verified->user_verified) amr = amr.with(AuthMethod::user);
  const std::string network = client_network(req.remote_ip);
  co_return co_await d_.auth.complete_login(req, *admitted, *choice, amr, [&] {
    (void)d_.options_by_ip.refund(network, d_.clock.now());  // a sign-in, not a flood
  });
}

}  // namespace cloakroom::api
