#include "api/session_routes.h"

#include <optional>

#include "api/auth_routes.h"
#include "api/cookies.h"
#include "auth/cookie.h"
#include "core/json.h"
#include "core/log.h"
#include "identity/credential_info.h"
#include "http/audit_context.h"
#include "session/session_service.h"
#include "http/offload.h"

namespace cloakroom::api {

using http::error_response;
using http::no_store;
using http::refusal;
using http::Response;

namespace {

// One entry of GET /auth/sessions: a session or a refresh family. A
// session also says how long it may go unused (its idle bound: plain or
// "keep me signed in"); a family slides on jwt.refresh_ttl with each refresh.
void write_entry(json::Writer& w, const CredentialInfo& c, bool current, const IdleBounds& idle) {
  w.begin_object();
  w.key("id"); w.string(c.id);
  w.key("mode"); w.string(mode_name(c.mode));
  w.key("created_at"); w.string(rfc3339(c.created_ms));
  w.key("last_seen_at"); w.string(rfc3339(c.last_seen_ms));
  w.key("expires_at"); w.string(rfc3339(c.expires_ms));
  w.key("ip"); w.string(c.ip);
  w.key("user_agent"); w.string(c.user_agent);
  w.key("current"); w.boolean(current);
  w.key("remember"); w.boolean(c.remember);
  if (c.mode == CredentialInfo::Mode::session) {
    w.key("idle_timeout_seconds"); w.number(idle.of(c.remember) / 1000);
  }
  w.end_object();
}

Response with_cookies(Response r, std::vector<std::string> cookies) {
  for (auto& c : cookies) r.headers.emplace_back("Set-Cookie", std::move(c));
  return r;
}

}  // namespace

namespace {

// The client sees only the generic access_denied (or no `rd`); what the proxy
// sent goes to the log for the operator.
void log_refused_original(const http::Request& req, const OriginalRequestError& e) {
  log_line("warn", "forward_auth_refused", {{"request_id", req.request_id}, {"reason", problem_name(e.problem)},
                                            {"seen", e.seen}, {"other", e.other}});
}

}  // namespace

// Our login page, carrying the original URL when it is a safe place to
// return to (X-Original-URL from nginx, or X-Forwarded-* from Traefik and
// Caddy), percent-encoded. When the proxy's headers disagree there is no
// `rd`: a browser lands on /login. `step_up`: the user is signed in, and
// the page is to ask for the factor a rule wants (step_up=1).
std::string SessionApi::login_url(const http::Request& req, bool step_up) const {
  std::string location = d_.config.public_url + "/login";
  auto original = original_url(req);
  if (!original) log_refused_original(req, original.error());
  else if (!original->empty() && d_.redirects.is_safe(*original)) location += "?rd=" + url_encode(*original);
  if (step_up) location += location.find('?') == std::string::npos ? "?step_up=1" : "&step_up=1";
  return location;
}

boost::asio::awaitable<Result<Authenticated>> SessionApi::authorize(const http::Request& req) const {
  auto who = co_await d_.authenticator.authenticate(req);
  if (!who) co_return who.error();
  if (auto r = d_.csrf.check(req, who->credential); !r) co_return r.error();
  co_return who;
}

http::Task SessionApi::logout(http::Request& req) {
  auto who = co_await authorize(req);
  if (!who) co_return refusal(who.error());
  auto done = co_await http::on_pool(d_.store_pool, [&]() -> Result<void> {
    if (const VerifiedAccessToken* token = who->token()) return d_.token_service.logout(token->claims);
    if (auto revoked = d_.sessions.revoke(std::string(who->session_id_view())); !revoked) return revoked.error();
    return {};
  });
  if (!done) co_return error_response(done.error());
  d_.audit.record(AuditEvent::logout, http::audit_context(req), who->principal->user_id,
                  {{"mode", who->is_session() ? "session" : "token"}, {"credential_id", who->session_id_view()}});
  co_return with_cookies(no_store(http::json_response(200, R"({"status":"logged_out"})")),
                         clear_cookies(d_.config, d_.authenticator.names(),
                                       who->is_session() ? CookieSet::session : CookieSet::tokens));
}

http::Task SessionApi::logout_all(http::Request& req) {
  auto who = co_await authorize(req);
  if (!who) co_return refusal(who.error());
  const std::string& user_id = who->principal->user_id;
  struct Ended { std::size_t families, sessions; };
  auto ended = co_await http::on_pool(d_.store_pool, [&]() -> Result<Ended> {
    // Tokens first: the epoch rise ends every access token even if the
    // session store then fails.
    auto families = d_.token_service.revoke_user(user_id);
    if (!families) return families.error();
    auto sessions = d_.sessions.revoke_user(user_id);
    if (!sessions) return sessions.error();
    return Ended{*families, *sessions};
  });
  if (!ended) co_return error_response(ended.error());
  d_.audit.record(AuditEvent::logout_all, http::audit_context(req), user_id,
                  {{"sessions", std::to_string(ended->sessions)}, {"families", std::to_string(ended->families)}});
  json::Writer w;
  w.begin_object();
  w.key("status"); w.string("logged_out");
  w.key("sessions_revoked"); w.number(static_cast<long long>(ended->sessions));
  w.key("refresh_families_revoked"); w.number(static_cast<long long>(ended->families));
  w.end_object();
  co_return with_cookies(no_store(http::json_response(200, w.take())),
                         clear_cookies(d_.config, d_.authenticator.names(), CookieSet::all));
}

http::Task SessionApi::me(http::Request& req) {
  auto who = co_await d_.authenticator.authenticate(req);
  if (!who) co_return refusal(who.error());
  const Principal& p = *who->principal;
  // Whether TOTP is on lives in the store, not in the cached user: read only
  // when asked for (the account page), so the plain answer stays a check
  // that reads no store. A store error fails the request, never a guess.
  std::optional<TotpStatus> totp;
  if (query_param(req.target, "factors") == "1") {
    const std::string& user_id = p.user_id;
    auto status = co_await http::on_pool(d_.store_pool, [&] { return d_.totp.status(user_id); });
    if (!status) co_return error_response(status.error());
    totp = *status;
  }
  json::Writer w;
  w.begin_object();
  w.key("user");
  write_user(w, p.user_id, p.username, p.roles);
  if (totp) {
    w.key("factors");
    w.begin_object();
    w.key("totp"); w.boolean(totp->enabled);
    w.key("recovery_codes_left"); w.number(static_cast<long long>(totp->recovery_codes_left));
    w.end_object();
  }
  w.key("auth");
  w.begin_object();
  w.key("mode"); w.string(who->is_session() ? "session" : "token");
  if (!who->session_id_view().empty()) { w.key("session_id"); w.string(who->session_id_view()); }
  w.key("expires_at"); w.string(rfc3339(who->expires_ms));
  // How and when the user signed in (RFC 8176 names, "mfa" when two kinds of
  // factor); an access token that carries none shows [] and no auth_time.
  w.key("amr");
  w.begin_array();
  for (std::string_view m : who->amr.names()) w.string(m);
  w.end_array();
  if (who->auth_time_ms > 0) { w.key("auth_time"); w.string(rfc3339(who->auth_time_ms)); }
  w.end_object();
  w.end_object();
  co_return no_store(http::json_response(200, w.take()));
}

http::Task SessionApi::list_sessions(http::Request& req) {
  auto who = co_await d_.authenticator.authenticate(req);
  if (!who) co_return refusal(who.error());
  const std::string& user_id = who->principal->user_id;
  auto listed = co_await http::on_pool(d_.store_pool, [&]() -> Result<std::vector<CredentialInfo>> {
    auto sessions = d_.sessions.list_user(user_id);
    if (!sessions) return sessions.error();
    auto families = d_.token_service.list_user(user_id);
    if (!families) return families.error();
    return oldest_first(std::move(*sessions), std::move(*families));
  });
  if (!listed) co_return error_response(listed.error());
  json::Writer w;
  w.begin_array();
  const IdleBounds idle = idle_bounds(d_.config);
  for (const auto& c : *listed) write_entry(w, c, c.id == who->session_id_view(), idle);
  w.end_array();
  co_return no_store(http::json_response(200, w.take()));
}

http::Task SessionApi::delete_session(http::Request& req) {
  auto who = co_await authorize(req);
  if (!who) co_return refusal(who.error());
  std::string id(req.params.at(0));
  const std::string& user_id = who->principal->user_id;
  enum class Kind { none, session, family };
  auto revoked = co_await http::on_pool(d_.store_pool, [&]() -> Result<Kind> {
    // Each acts only on a live session or family of this user (the stores check the owner).
    auto session = d_.sessions.revoke(id, user_id);
    if (!session) return session.error();
    if (*session) return Kind::session;
    auto family = d_.token_service.revoke_family(id, user_id);
    if (!family) return family.error();
    return *family ? Kind::family : Kind::none;
  });
  if (!revoked) co_return error_response(revoked.error());
  // Why 404 and not 403: whether someone else's session id exists is not our caller's business.
  if (*revoked == Kind::none) co_return error_response(Error{ErrorCode::not_found, "You have no session with that id."});
  const bool is_session = *revoked == Kind::session;
  d_.audit.record(is_session ? AuditEvent::session_revoked : AuditEvent::family_revoked, http::audit_context(req),
                  user_id, {{is_session ? "session_id" : "family_id", id}, {"reason", "user_request"}});
  Response r = no_store(http::json_response(200, R"({"status":"revoked"})"));
  if (id == who->session_id_view())
    r = with_cookies(std::move(r), clear_cookies(d_.config, d_.authenticator.names(),
                                                 is_session ? CookieSet::session : CookieSet::tokens));
  co_return r;
}

http::Task SessionApi::verify(http::Request& req) {
  auto who = co_await d_.authenticator.authenticate(req);
  const bool browser = req.header("accept").find("text/html") != std::string_view::npos;
  // Proxies that relay a 302 (Traefik, Caddy, Envoy) send a browser to our login page.
  auto to_login = [&](std::string_view status_body, bool step_up, std::string_view reason) {
    Response r = http::json_response(302, std::string(status_body));
    r.headers.emplace_back("Location", login_url(req, step_up));
    r.headers.emplace_back("Cache-Control", "no-store");
    r.log_reason = reason;
    return r;
  };
  // nginx's auth_request relays only 2xx, 401 and 403: it redirects a
  // browser on its own, to this (it cannot percent-encode an rd itself).
  auto naming_login = [&](Response r, bool step_up) {
    r.headers.emplace_back("X-Auth-Login-URL", login_url(req, step_up));
    return r;
  };
  if (!who) {
    // Only a denial sends a browser to log in; an outage is a 503, never a redirect.
    if (who.error().code != ErrorCode::unauthenticated || !browser) co_return refusal(who.error());
    if (d_.config.forward_auth.login_redirect)
      co_return to_login(R"({"status":"login_required"})", false, {});
    co_return naming_login(refusal(who.error()), false);
  }
  const Principal& p = *who->principal;
  // Checked with or without rules: disagreeing sources mean a proxy lets
  // client headers through, and that must not wait until a rule is added.
  auto original = original_request(req);
  if (!original) {
    log_refused_original(req, original.error());
    co_return refusal(Error{ErrorCode::access_denied}.because(problem_name(original.error().problem)));
  }
  if (d_.access.has_rules() || d_.config.access.deny_unmatched) {
    // Rules judge the original request, which only the proxy knows.
    auto path = original->path();
    if (!path) {
      log_refused_original(req, path.error());
      co_return refusal(Error{ErrorCode::access_denied}.because(problem_name(path.error().problem)));
    }
    switch (d_.access.decide(*path, original->method, p, who->amr)) {
      case Access::allowed:
        break;
      case Access::denied:
        co_return refusal(Error{ErrorCode::access_denied}.because("rule_denied"));
      case Access::second_factor_required: {
        // Judged from the credential's cached record or its claims: no store read.
        if (browser && d_.config.forward_auth.login_redirect)
          co_return to_login(R"({"status":"second_factor_required"})", true, "second_factor_required");
        Response r = refusal(Error{ErrorCode::second_factor_required}.because("second_factor_required"));
        if (browser) r = naming_login(std::move(r), true);  // step up behind nginx, as the 401 signs in
        co_return r;
      }
    }
  }
  Response r = http::json_response(200, R"({"status":"ok"})");
  r.headers.reserve(4);
  r.headers.emplace_back("X-Auth-User", p.username);
  r.headers.emplace_back("X-Auth-User-Id", p.user_id);
  r.headers.emplace_back("X-Auth-Roles", p.roles_header);
  r.headers.emplace_back("Cache-Control", "no-store");
  if (d_.config.forward_auth.identity_token) {
    auto token = d_.tokens.identity_token(p.user_id, p.username, p.roles, p.roles_header);
    if (!token) co_return error_response(Error{ErrorCode::internal, "The identity token could not be signed."});
    r.headers.emplace_back("X-Auth-Token", *token);
  }
  co_return r;
}

}  // namespace cloakroom::api
