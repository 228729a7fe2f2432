#pragma once
// Pages for people (SPEC §2): GET /login, GET /account (GET / leads there), and their embedded
// assets under /auth/assets/ (beside the API, so a proxy that forwards
// /auth/ serves them and they never collide with an app's own /assets/). Plain HTML, CSS and JavaScript compiled into the
// binary; every page answer carries a strict CSP (no inline script or style),
// frame-ancestors 'none', Referrer-Policy no-referrer and no-store.
//
//   PagesApi pages({cfg, authenticator, redirects});
//   router.add("GET", "/login", [&](http::Request& r) { return pages.login(r); });
//
// /login signs in through the JSON API (session + cookie) and returns to `rd`
// when it passes the same open-redirect rules as forward auth; /account lists
// sessions and token families with buttons to end them, through the same API.
#include "auth/authenticator.h"
#include "auth/redirect_guard.h"
#include "config/config.h"
#include "http/router.h"

namespace cloakroom::api {

struct PagesDeps {
  const Config& config;
  const Authenticator& authenticator;
  const RedirectGuard& redirects;
};

class PagesApi {
 public:
  explicit PagesApi(PagesDeps deps) : d_(deps) {}

  http::Task login(http::Request& req);
  http::Task account(http::Request& req);
  // GET /reset?token=…: the form for a reset link. The page moves the token
  // out of the address bar at once (Referrer-Policy no-referrer as every page).
  http::Task reset(http::Request& req);
  http::Task home(http::Request& req);  // GET /: 303 to /account
  http::Task asset(http::Request& req);

 private:
  PagesDeps d_;
};

// "&<>\"'" escaped for HTML text and attribute values.
std::string html_escape(std::string_view text);

}  // namespace cloakroom::api
