#include "api/session_routes.h"

#include "api/auth_routes.h"
#include "auth/cookie.h"
#include "core/json.h"

namespace cloakroom::api {

using http::error_response;
using http::Response;

std::string session_cookie(const Config& cfg, const CookieNames& names, const std::string& token, bool remember) {
  SetCookie c{.name = names.session, .value = token, .secure = cfg.cookie.secure, .same_site = cfg.cookie.same_site};
  if (remember) c.max_age = std::chrono::duration_cast<std::chrono::seconds>(cfg.session.absolute_timeout).count();
  auto header = build_set_cookie(c);
  return header ? *header : std::string();  // our own names and base64url values always build
}

std::string clear_session_cookie(const Config& cfg, const CookieNames& names) {
  SetCookie c{.name = names.session, .value = "", .max_age = 0, .secure = cfg.cookie.secure,
              .same_site = cfg.cookie.same_site};
  auto header = build_set_cookie(c);
  return header ? *header : std::string();
}

Response unauthenticated_response(const Error& error) {
  return error_response(error).header("WWW-Authenticate", "Bearer realm=\"cloakroom\"");
}

Response refusal(const Error& error) {
  return error.code == ErrorCode::unauthenticated ? unauthenticated_response(error) : error_response(error);
}

namespace {

Response no_store(Response r) {
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

void write_session(json::Writer& w, const SessionInfo& s, bool current) {
  w.begin_object();
  w.key("id"); w.string(s.id);
  w.key("mode"); w.string("session");
  w.key("created_at"); w.string(rfc3339(s.created_ms));
  w.key("last_seen_at"); w.string(rfc3339(s.last_seen_ms));
  w.key("expires_at"); w.string(rfc3339(s.expires_ms));
  w.key("ip"); w.string(s.ip);
  w.key("user_agent"); w.string(s.user_agent);
  w.key("current"); w.boolean(current);
  w.end_object();
}

}  // namespace

// 302 to our login page, carrying the original URL when it is a safe place
// to return to (X-Original-URL from nginx, or Traefik's X-Forwarded-*).
http::Response SessionApi::login_redirect(const http::Request& req) const {
  std::string original(req.header("x-original-url"));
  if (original.empty()) {
    std::string_view proto = req.header("x-forwarded-proto"), host = req.header("x-forwarded-host"),
                     uri = req.header("x-forwarded-uri");
    if (!proto.empty() && !host.empty()) original = std::string(proto) + "://" + std::string(host) + std::string(uri);
  }
  std::string location = d_.config.public_url + "/login";
  if (!original.empty() && d_.redirects.is_safe(original)) location += "?rd=" + url_encode(original);
  http::Response r = http::json_response(302, R"({"status":"login_required"})");
  r.headers.emplace_back("Location", location);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

Result<Authenticated> SessionApi::authorize(const http::Request& req) const {
  auto who = d_.authenticator.authenticate(req);
  if (!who) return who.error();
  if (auto r = d_.csrf.check(req, who->credential); !r) return r.error();
  return who;
}

http::Task SessionApi::logout(http::Request& req) {
  auto who = authorize(req);
  if (!who) co_return refusal(who.error());
  if (!who->is_session())
    co_return error_response(Error{ErrorCode::not_implemented, "Logging out an access token needs token mode, not in this build yet."});
  auto revoked = d_.sessions.revoke(std::string(who->session_id_view()));
  if (!revoked) co_return error_response(revoked.error());
  co_return no_store(http::json_response(200, R"({"status":"logged_out"})"))
      .header("Set-Cookie", clear_session_cookie(d_.config, d_.authenticator.names()));
}

http::Task SessionApi::logout_all(http::Request& req) {
  auto who = authorize(req);
  if (!who) co_return refusal(who.error());
  auto n = d_.sessions.revoke_user(who->principal->user_id);
  if (!n) co_return error_response(n.error());
  json::Writer w;
  w.begin_object();
  w.key("status"); w.string("logged_out");
  w.key("sessions_revoked"); w.number(static_cast<long long>(*n));
  w.end_object();
  co_return no_store(http::json_response(200, w.take()))
      .header("Set-Cookie", clear_session_cookie(d_.config, d_.authenticator.names()));
}

http::Task SessionApi::me(http::Request& req) {
  auto who = d_.authenticator.authenticate(req);
  if (!who) co_return unauthenticated_response(who.error());
  const Principal& p = *who->principal;
  json::Writer w;
  w.begin_object();
  w.key("user");
  write_user(w, p.user_id, p.username, p.roles);
  w.key("auth");
  w.begin_object();
  w.key("mode"); w.string(who->is_session() ? "session" : "token");
  if (who->is_session()) { w.key("session_id"); w.string(who->session_id_view()); }
  w.key("expires_at"); w.string(rfc3339(who->expires_ms));
  w.end_object();
  w.end_object();
  co_return no_store(http::json_response(200, w.take()));
}

http::Task SessionApi::list_sessions(http::Request& req) {
  auto who = d_.authenticator.authenticate(req);
  if (!who) co_return unauthenticated_response(who.error());
  auto sessions = d_.sessions.list_user(who->principal->user_id);
  if (!sessions) co_return error_response(sessions.error());
  json::Writer w;
  w.begin_array();
  for (const auto& s : *sessions) write_session(w, s, s.id == who->session_id_view());
  w.end_array();
  co_return no_store(http::json_response(200, w.take()));
}

http::Task SessionApi::delete_session(http::Request& req) {
  auto who = authorize(req);
  if (!who) co_return refusal(who.error());
  std::string id(req.params.at(0));
  auto mine = d_.sessions.list_user(who->principal->user_id);
  if (!mine) co_return error_response(mine.error());
  bool owned = std::any_of(mine->begin(), mine->end(), [&](const SessionInfo& s) { return s.id == id; });
  // Why 404 and not 403: whether someone else's session id exists is not our caller's business.
  if (!owned) co_return error_response(Error{ErrorCode::not_found, "You have no session with that id."});
  auto revoked = d_.sessions.revoke(id);
  if (!revoked) co_return error_response(revoked.error());
  Response r = no_store(http::json_response(200, R"({"status":"revoked"})"));
  if (id == who->session_id_view()) r.headers.emplace_back("Set-Cookie", clear_session_cookie(d_.config, d_.authenticator.names()));
  co_return r;
}

http::Task SessionApi::verify(http::Request& req) {
  auto who = d_.authenticator.authenticate(req);
  if (!who) {
    if (d_.config.forward_auth.login_redirect && req.header("accept").find("text/html") != std::string_view::npos)
      co_return login_redirect(req);
    co_return unauthenticated_response(who.error());
  }
  const Principal& p = *who->principal;
  if (d_.access.has_rules() || d_.config.access.deny_unmatched) {
    // Rules judge the original request, which only the proxy knows.
    std::string_view original = req.header("x-forwarded-uri");
    if (original.empty()) original = req.header("x-original-uri");
    if (original.empty())
      co_return error_response(Error{ErrorCode::access_denied,
                                     "The proxy sent neither X-Forwarded-Uri nor X-Original-URI, so access rules cannot be applied."});
    auto path = normalize_request_path(original);
    if (!path) co_return error_response(Error{ErrorCode::access_denied, std::string(path.error().text())});
    std::string_view method = req.header("x-forwarded-method");
    if (method.empty()) method = req.header("x-original-method");
    if (!d_.access.allows(*path, method, p)) co_return error_response(ErrorCode::access_denied);
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
