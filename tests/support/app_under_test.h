#pragma once
// The server's whole wiring (api::App) over memory stores that fail on
// demand, in a fresh 0700 data dir for the keys file, with no port bound.
// For handler tests that go through the real routes.
//
//   testing::AppUnderTest t;
//   t.send(t.post_json("/auth/register", R"({"username":"ann","password":"..."})"));
//   std::string sid = testing::cookie_pair(t.login("ann", "..."), "__Host-sid");  // "__Host-sid=..."
//   t.backing.fail(true);                                    // every store call: store_unavailable
//   testing::expect_unavailable(t.send({.method = "GET", .path = "/readyz"}));
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "api/app.h"
#include "core/json.h"
#include "support/store_decorators.h"
#include "support/run_handler.h"

namespace cloakroom::testing {

class AppUnderTest {
 public:
  AppUnderTest() {
    std::string pattern = ::testing::TempDir() + "/cloakroom-app-XXXXXX";
    if (!::mkdtemp(pattern.data())) ADD_FAILURE() << "mkdtemp failed";  // mode 0700, as data_dir wants
    dir_ = pattern;
    auto loaded = load_config({.flags = {{"data_dir", dir_}}});  // derives jwt.keys and the issuer
    if (!loaded) ADD_FAILURE() << loaded.error().text();
    config = *loaded;
    // Why the libsodium minimum: a test hashes a few passwords, not attacks them.
    config.password.memory_kib = 8;
    config.password.iterations = 1;
    config.password.workers = 1;
    config.http.access_log = false;
    auto created = api::App::create(config, backing.stores());
    if (!created) ADD_FAILURE() << created.error().text();
    else app = std::move(*created);
  }
  ~AppUnderTest() {
    app.reset();  // its pools finish before the stores under them go
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  http::Response send(const TestRequest& r) const { return testing::send(app->router(), r); }

  http::Response register_user(const std::string& username, const std::string& password) const {
    return send(post_json("/auth/register", credentials(username, password, "")));
  }
  // extra: more JSON members, e.g. R"(,"mode":"token","transport":"body")".
  http::Response login(const std::string& username, const std::string& password, const std::string& extra = "") const {
    return send(post_json("/auth/login", credentials(username, password, extra)));
  }
  static TestRequest post_json(std::string path, std::string body) {
    return {.method = "POST", .path = std::move(path), .headers = {{"Content-Type", "application/json"}},
            .body = std::move(body)};
  }
  // The Origin a browser sends with our own pages' requests (CSRF check).
  std::pair<std::string, std::string> origin() const { return {"Origin", config.public_url}; }

  FailingStores backing;  // declared first: outlives the App that uses it
  Config config;
  std::unique_ptr<api::App> app;

 private:
  static std::string credentials(const std::string& username, const std::string& password, const std::string& extra) {
    return R"({"username":")" + username + R"(","password":")" + password + "\"" + extra + "}";
  }
  std::string dir_;
};

// "name=value" of the cookie `name` a response sets, or "" when it sets none.
inline std::string cookie_pair(const http::Response& r, std::string_view name) {
  for (const auto& v : header_values(r, "Set-Cookie")) {
    std::string_view pair = std::string_view(v).substr(0, v.find(';'));
    if (pair.starts_with(name) && pair.size() > name.size() && pair[name.size()] == '=') return std::string(pair);
  }
  return "";
}

// The string at `path` in a JSON response body ({"session":{"id":...}} ->
// {"session", "id"}), or "" when there is none.
inline std::string json_text(const http::Response& r, std::initializer_list<std::string_view> path) {
  auto v = json::parse(r.body);
  if (!v) return "";
  const json::Value* at = &*v;
  for (auto key : path)
    if (!(at = at->find(key))) return "";
  return at->type == json::Type::string ? at->text : "";
}

// The one shape of an outage answer: 503 with the store's code and a
// Retry-After, and nothing that ends or challenges the client's credential
// (no Set-Cookie, no WWW-Authenticate).
inline void expect_unavailable(const http::Response& r, std::string_view code = "store_unavailable") {
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find("\"error\":\"" + std::string(code) + "\""), std::string::npos) << r.body;
  EXPECT_EQ(header_values(r, "Retry-After").size(), 1u);
  EXPECT_TRUE(header_values(r, "Set-Cookie").empty());
  EXPECT_TRUE(header_values(r, "WWW-Authenticate").empty());
}

}  // namespace cloakroom::testing
