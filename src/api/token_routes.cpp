#include "api/token_routes.h"

#include "api/auth_routes.h"
#include "api/json_body.h"
#include "core/ip_address.h"
#include "core/log.h"
#include "http/offload.h"

namespace cloakroom::api {

using http::error_response;
using http::Response;

Response token_response(const Config& cfg, const CookieNames& names, const IssuedTokens& issued,
                        bool cookie_transport) {
  json::Writer w;
  w.begin_object();
  if (!cookie_transport) {
    w.key("access_token"); w.string(issued.access_token);
  }
  w.key("token_type"); w.string("Bearer");
  w.key("expires_in"); w.number(issued.expires_in);
  if (!cookie_transport) {
    w.key("refresh_token"); w.string(issued.refresh_token);
  }
  w.key("user");
  write_user(w, issued.principal->user_id, issued.principal->username, issued.principal->roles);
  w.key("session");
  w.begin_object();
  w.key("id"); w.string(issued.family.id);
  w.key("expires_at"); w.string(rfc3339(issued.family.expires_ms));
  w.end_object();
  w.end_object();
  Response res = http::json_response(200, w.take());
  res.headers.emplace_back("Cache-Control", "no-store");
  if (cookie_transport) {
    res.headers.emplace_back("Set-Cookie", access_cookie(cfg, names, issued.access_token));
    res.headers.emplace_back("Set-Cookie", refresh_cookie(cfg, names, issued.refresh_token, issued.family.remember));
  }
  return res;
}

http::Task TokenApi::refresh(http::Request& req) {
  const CookieNames& names = d_.authenticator.names();
  std::string presented;
  bool from_cookie = false;
  if (!req.body.empty()) {
    auto body = read_json_object(req, {{"refresh_token", json::Type::string, false}});
    if (!body) co_return error_response(body.error());
    if (const json::Value* t = body->find("refresh_token")) presented = t->text;
  }
  if (presented.empty()) {
    if (auto cookie = request_cookie(req, names.refresh)) {
      presented = std::string(*cookie);
      from_cookie = true;
    }
  }
  if (presented.empty())
    co_return error_response(Error{ErrorCode::invalid_refresh_token,
                                   "No refresh token: send {\"refresh_token\"} in the body or the " + names.refresh +
                                       " cookie."});
  if (from_cookie)
    if (auto r = d_.csrf.check_same_origin(req); !r) co_return error_response(r.error());
  // A refresh mints a token from what this process knows of the user (roles,
  // disabled): not while it cannot confirm that is current.
  if (auto current = d_.authenticator.can_vouch(); !current) co_return http::refusal(current.error());

  // Throttled per network a client controls: an IPv6 /64, not one address of it.
  const std::string ip = client_network(req.remote_ip);
  const std::string_view user_agent = req.header("user-agent");
  // One trip to the store pool (the buckets may live in Redis): an attempt
  // is taken before the store is read and given back unless the token is
  // refused, so parallel bad tokens get no more reads than the budget. A
  // throttle store that cannot answer is a 503, never an unthrottled read.
  struct Outcome {
    std::optional<long long> wait;  // throttled: seconds until an attempt is free
    Result<IssuedTokens> issued = ErrorCode::internal;
  };
  auto outcome = co_await http::on_pool(d_.store_pool, [&]() -> Result<Outcome> {
    auto wait = d_.failures_by_ip.try_acquire(ip, d_.clock.now());
    if (!wait) return wait.error();
    if (*wait) return Outcome{*wait};
    Outcome o{std::nullopt, d_.tokens.refresh(presented, ip, user_agent, req.request_id)};
    const bool refused = !o.issued && (o.issued.error().code == ErrorCode::invalid_refresh_token ||
                                       o.issued.error().code == ErrorCode::refresh_token_reused);
    if (!refused) (void)d_.failures_by_ip.refund(ip, d_.clock.now());
    return o;
  });
  if (!outcome) co_return error_response(outcome.error());  // 503: the token's cookies stay
  if (outcome->wait) {
    d_.metrics.inc(Counter::refresh_throttled);
    co_return error_response(ErrorCode::too_many_attempts).retry_after(*outcome->wait);
  }
  Result<IssuedTokens>& issued = outcome->issued;
  if (!issued) {
    Response r = http::refusal(issued.error());
    // An outage (503) is no verdict on the token: its cookies stay.
    if (from_cookie && !http::is_unavailable(issued.error()))
      for (auto& c : clear_cookies(d_.config, names, CookieSet::tokens)) r.headers.emplace_back("Set-Cookie", std::move(c));
    co_return r;
  }
  log_line("info", "token_refreshed", {{"user_id", issued->principal->user_id}, {"family_id", issued->family.id},
                                       {"request_id", req.request_id}});
  co_return token_response(d_.config, names, *issued, from_cookie);
}

}  // namespace cloakroom::api
