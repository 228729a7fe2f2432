#include "api/page_routes.h"

#include "pages/page_assets.h"

namespace cloakroom::api {
namespace {

using http::Response;

// Why each header: no inline script or style can run (an injected tag does
// nothing), no framing (clickjacking), no Referer leaking `rd` or ids, no
// caching of a page that shows who is signed in.
void page_headers(Response& r) {
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                         "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
}

Response page(std::string body) {
  Response r;
  r.body = std::move(body);
  r.content_type = "text/html; charset=utf-8";
  page_headers(r);
  return r;
}

Response redirect(std::string location, int status = 302) {
  Response r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body = "<!doctype html><a href=\"" + html_escape(location) + "\">Continue</a>\n";
  page_headers(r);
  r.headers.emplace_back("Location", std::move(location));
  return r;
}

std::string render(std::string_view name, std::string_view placeholder = {}, std::string_view value = {}) {
  const pages::Asset* a = pages::find_asset(name);
  std::string out(a ? a->body : std::string_view());
  if (!placeholder.empty())
    if (auto at = out.find(placeholder); at != std::string::npos) out.replace(at, placeholder.size(), value);
  return out;
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

http::Task PagesApi::login(http::Request& req) {
  auto rd = query_param(req.target, "rd");
  const bool safe_rd = rd && d_.redirects.is_safe(*rd);
  // Already signed in: straight on, as a login would have done. Not when a
  // rule sent the browser here for a factor this sign-in lacks (step_up=1):
  // straight back would loop between the rule and this page.
  const bool step_up = query_param(req.target, "step_up") == "1";
  auto who = co_await d_.authenticator.authenticate(req);
  if (who && (!step_up || who->amr.multi_factor()))
    co_return redirect(safe_rd ? *rd : d_.config.public_url + "/account");
  co_return page(render("login.html", "{{rd}}", safe_rd ? html_escape(*rd) : std::string()));
}

http::Task PagesApi::account(http::Request& req) {
  auto who = co_await d_.authenticator.authenticate(req);
  // An outage is a 503, not a trip to the login page (which could not log anyone in either).
  if (!who && http::is_unavailable(who.error())) co_return http::refusal(who.error());
  if (!who)
    co_return redirect(d_.config.public_url + "/login?rd=" + url_encode(d_.config.public_url + "/account"));
  co_return page(render("account.html"));
}

// The token stays out of the HTML (the script reads it from the address and
// then removes it): a saved or cached page holds no key to the account.
http::Task PagesApi::reset(http::Request&) { co_return page(render("reset.html")); }

// A person who opens the bare address lands on their account page (or,
// signed out, the login page from there). Relative, so the browser stays on
// the host it used: cookies are per host, and localhost is not 127.0.0.1.
// 303: whatever the method was, the next request is a GET.
http::Task PagesApi::home(http::Request&) { co_return redirect("/account", 303); }

http::Task PagesApi::asset(http::Request& req) {
  const pages::Asset* a = req.params.empty() ? nullptr : pages::find_asset(req.params.at(0));
  // The HTML files are templates served by their own routes, not as assets.
  if (!a || a->name.ends_with(".html")) co_return http::error_response(ErrorCode::not_found);
  Response r;
  r.body = std::string(a->body);
  r.content_type = a->content_type;
  r.headers.emplace_back("Cache-Control", "public, max-age=300");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  co_return r;
}

}  // namespace cloakroom::api
