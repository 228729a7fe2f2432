#include "api/auth_routes.h"

#include <gtest/gtest.h>

#include <ctime>

#include "mfa/base32.h"
#include "mfa/totp.h"
#include "password/password_hasher.h"
#include "support/app_under_test.h"

namespace cloakroom::api {
namespace {

using testing::AppUnderTest;
using testing::cookie_pair;
using testing::expect_unavailable;
using testing::header_values;

constexpr const char* kPassword = "correct horse battery";

// With the stores up, the browser flow works end to end through the routes:
// register, log in (a session cookie), see who I am, log out (the cookie is
// cleared and no longer authenticates).
TEST(AuthRoutes, RegisterLoginMeLogoutThroughTheRoutes) {
  AppUnderTest t;
  auto registered = t.register_user("ann", kPassword);
  EXPECT_EQ(registered.status, 201) << registered.body;
  EXPECT_EQ(testing::json_text(registered, {"user", "username"}), "ann");

  auto login = t.login("ann", kPassword);
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string sid = cookie_pair(login, "__Host-sid");
  ASSERT_FALSE(sid.empty());

  auto me = t.send({.path = "/auth/me", .headers = {{"Cookie", sid}}});
  EXPECT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(testing::json_text(me, {"user", "username"}), "ann");
  EXPECT_EQ(testing::json_text(me, {"auth", "mode"}), "session");

  auto logout = t.send({.method = "POST", .path = "/auth/logout", .headers = {{"Cookie", sid}, t.origin()}});
  EXPECT_EQ(logout.status, 200) << logout.body;
  EXPECT_EQ(cookie_pair(logout, "__Host-sid"), "__Host-sid=");  // cleared

  auto after = t.send({.path = "/auth/me", .headers = {{"Cookie", sid}}});
  EXPECT_EQ(after.status, 401) << after.body;
  EXPECT_EQ(header_values(after, "WWW-Authenticate").size(), 1u);
}

// An outage during registration is a 503, not a "name taken" or a 500.
TEST(AuthRoutes, RegisterAnswers503WhenTheStoresFail) {
  AppUnderTest t;
  t.backing.fail(true);
  expect_unavailable(t.register_user("ann", kPassword));
}

// A login that cannot read the user is a 503 in both modes (fail closed),
// never a 401 that would read as a wrong password.
TEST(AuthRoutes, LoginAnswers503InBothModesWhenTheStoresFail) {
  AppUnderTest t;
  ASSERT_EQ(t.register_user("ann", kPassword).status, 201);
  t.backing.fail(true);
  {
    SCOPED_TRACE("session mode");
    expect_unavailable(t.login("ann", kPassword));
  }
  {
    SCOPED_TRACE("token mode");
    expect_unavailable(t.login("ann", kPassword, R"(,"mode":"token")"));
  }
}

// A login whose password checks out but whose new session cannot be stored
// is a 503 too: the user store answers, the session and token stores do not.
TEST(AuthRoutes, LoginAnswers503WhenOnlyTheSessionSideFails) {
  AppUnderTest t;
  ASSERT_EQ(t.register_user("ann", kPassword).status, 201);
  t.backing.failing.sessions = true;
  t.backing.failing.tokens = true;
  {
    SCOPED_TRACE("session mode");
    expect_unavailable(t.login("ann", kPassword));
  }
  {
    SCOPED_TRACE("token mode");
    expect_unavailable(t.login("ann", kPassword, R"(,"mode":"token")"));
  }
}

// The value of a metric line "name value" in GET /metrics, or -1.
long long metric(const AppUnderTest& t, std::string_view name) {
  auto r = t.send({.path = "/metrics"});
  auto at = r.body.find("\n" + std::string(name) + " ");
  return at == std::string::npos ? -1 : std::stoll(r.body.substr(at + name.size() + 2));
}

// The throttle buckets cannot be reached (Redis down) while the users can:
// the login fails closed, 503 store_unavailable with Retry-After in both
// modes, and no password is checked, so guesses cannot go on unthrottled
// during the outage. Logins work again once the buckets answer.
TEST(AuthRoutes, LoginFailsClosedWhenTheThrottleStoreFails) {
  AppUnderTest t;
  ASSERT_EQ(t.register_user("ann", kPassword).status, 201);
  t.backing.failing.throttles = true;
  for (const char* password : {kPassword, "a wrong guess"}) {
    SCOPED_TRACE(password);
    expect_unavailable(t.login("ann", password));
    expect_unavailable(t.login("ann", password, R"(,"mode":"token")"));
  }
  EXPECT_EQ(metric(t, "cloakroom_password_checks_total"), 0);
  EXPECT_EQ(metric(t, "cloakroom_logins_total{outcome=\"store_unavailable\"}"), 4);
  t.backing.failing.throttles = false;
  EXPECT_EQ(t.login("ann", kPassword).status, 200);
  EXPECT_EQ(metric(t, "cloakroom_password_checks_total"), 1);
}

// throttle.per_account_ip failures from one address: the next attempt is
// 429 with the wait until one attempt is back, before any hash; the right
// password from that address waits too.
TEST(AuthRoutes, LoginIsThrottledPerAccountAndAddress) {
  AppUnderTest t;
  ASSERT_EQ(t.register_user("ann", kPassword).status, 201);
  for (int i = 0; i < t.config.throttle.per_account_ip; ++i) EXPECT_EQ(t.login("ann", "a wrong guess").status, 401) << i;
  auto refused = t.login("ann", kPassword);
  EXPECT_EQ(refused.status, 429) << refused.body;
  EXPECT_EQ(testing::header_values(refused, "Retry-After"), std::vector<std::string>{"180"});  // 15 min / 5
  EXPECT_EQ(metric(t, "cloakroom_password_checks_total"), t.config.throttle.per_account_ip);
}

constexpr const char* kNewPassword = "a different horse battery";

// The credentials GET /auth/sessions lists for the owner of `cookie`.
std::size_t credentials_listed(const AppUnderTest& t, const std::string& cookie) {
  auto r = t.send({.path = "/auth/sessions", .headers = {{"Cookie", cookie}}});
  EXPECT_EQ(r.status, 200) << r.body;
  std::size_t n = 0;
  for (auto at = r.body.find("\"current\":"); at != std::string::npos; at = r.body.find("\"current\":", at + 1)) ++n;
  return n;
}

// The password change a racing request makes, from the user's own session `cookie`.
void change_password(const AppUnderTest& t, const std::string& cookie) {
  auto r = t.send({.method = "POST", .path = "/auth/password",
                   .headers = {{"Content-Type", "application/json"}, {"Cookie", cookie}, t.origin()},
                   .body = std::string(R"({"current_password":")") + kPassword + R"(","new_password":")" +
                           kNewPassword + "\"}"});
  EXPECT_EQ(r.status, 200) << r.body;
}

// The TOTP code of `secret` (base32) for the step `ahead` steps after now's.
std::string totp_now(const std::string& secret, long long ahead = 0) {
  auto key = base32_decode(secret);
  EXPECT_TRUE(key);
  if (!key) return "";
  const auto* bytes = reinterpret_cast<const unsigned char*>(key->data());
  return totp_code({bytes, key->size()}, totp_step(static_cast<long long>(std::time(nullptr))) + ahead);
}

// A password change that commits between a login's check of the password
// and the creation of its credential: the credential is made after the
// change ended the user's others, so it must not outlive the change. The
// store pauses the login right after the user read its check uses, and the
// change lands in that gap. Here the password alone, in session and token
// mode: 401 invalid_credentials, as for the now wrong password (before the
// fix: 200, and a credential that outlived the change).
TEST(AuthRoutes, APasswordChangeRacingALoginEndsTheCredentialItMade) {
  for (const char* mode : {"", R"(,"mode":"token","transport":"body")"}) {
    SCOPED_TRACE(*mode ? "token mode" : "session mode");
    AppUnderTest t;
    ASSERT_EQ(t.register_user("ann", kPassword).status, 201);
    const std::string own = cookie_pair(t.login("ann", kPassword), "__Host-sid");  // the changer's session
    ASSERT_FALSE(own.empty());

    t.backing.after_user_read.arm([&] { change_password(t, own); });
    auto login = t.login("ann", kPassword, mode);
    EXPECT_EQ(login.status, 401) << login.body;
    EXPECT_EQ(testing::json_text(login, {"error"}), "invalid_credentials");
    EXPECT_TRUE(header_values(login, "Set-Cookie").empty());
    EXPECT_EQ(credentials_listed(t, own), 1u) << "a credential outlived the password change";
    EXPECT_EQ(t.login("ann", kNewPassword, mode).status, 200);  // the new password signs in
  }
}

// The same race at a login's TOTP second step, paused after the read its
// fingerprint check uses: 401 invalid_challenge, the answer that check
// gives for a changed password (before the fix: 200, as above).
TEST(AuthRoutes, APasswordChangeRacingASecondStepEndsTheCredentialItMade) {
  for (const char* mode : {"", R"(,"mode":"token","transport":"body")"}) {
    SCOPED_TRACE(*mode ? "token mode" : "session mode");
    AppUnderTest t;
    ASSERT_EQ(t.register_user("ann", kPassword).status, 201);
    const std::string own = cookie_pair(t.login("ann", kPassword), "__Host-sid");
    ASSERT_FALSE(own.empty());
    auto enrolled = t.send({.method = "POST", .path = "/auth/totp/enroll", .headers = {{"Cookie", own}, t.origin()}});
    ASSERT_EQ(enrolled.status, 200) << enrolled.body;
    const std::string secret = testing::json_text(enrolled, {"secret"});
    testing::TestRequest confirm = AppUnderTest::post_json("/auth/totp/confirm", R"({"code":")" + totp_now(secret) + "\"}");
    confirm.headers.push_back({"Cookie", own});
    confirm.headers.push_back(t.origin());
    ASSERT_EQ(t.send(confirm).status, 200);

    auto first = t.login("ann", kPassword, mode);
    ASSERT_EQ(first.status, 401) << first.body;
    ASSERT_EQ(testing::json_text(first, {"error"}), "second_factor_required");
    const std::string challenge = testing::json_text(first, {"challenge"});

    t.backing.after_user_read.arm([&] { change_password(t, own); });
    // The step after now's: past the step the confirmation used (the replay guard).
    auto second = t.send(AppUnderTest::post_json(
        "/auth/login/second-factor", R"({"challenge":")" + challenge + R"(","code":")" + totp_now(secret, 1) + "\"}"));
    EXPECT_EQ(second.status, 401) << second.body;
    EXPECT_EQ(testing::json_text(second, {"error"}), "invalid_challenge");
    EXPECT_TRUE(header_values(second, "Set-Cookie").empty());
    EXPECT_EQ(credentials_listed(t, own), 1u) << "a credential outlived the password change";
  }
}

// Gives `username` a hash of kPassword made with older Argon2 settings than
// the app's (one more iteration), so the next login with it upgrades the hash.
void give_old_parameter_hash(AppUnderTest& t, const std::string& username) {
  auto stores = t.backing.stores();
  auto user = stores.users->find_by_name(username);
  ASSERT_TRUE(user);
  const PasswordHasher older({.memory_kib = t.config.password.memory_kib, .iterations = t.config.password.iterations + 1});
  auto old_hash = older.hash(kPassword);
  ASSERT_TRUE(old_hash);
  ASSERT_TRUE(stores.users->set_password_hash(user->id, *old_hash));
}

// A login that upgrades an old-parameter hash, with a password change
// landing between its read of the hash and its write of the upgrade: the
// upgrade must not overwrite the change's hash with one of the old password.
// The login is refused as the re-check refuses it (401 invalid_credentials),
// the new password works and the old one does not (before the fix: the
// login 200, the new password 401 and the old one 200).
TEST(AuthRoutes, AnUpgradingLoginDoesNotUndoARacingPasswordChange) {
  for (const char* mode : {"", R"(,"mode":"token","transport":"body")"}) {
    SCOPED_TRACE(*mode ? "token mode" : "session mode");
    AppUnderTest t;
    ASSERT_EQ(t.register_user("ann", kPassword).status, 201);
    const std::string own = cookie_pair(t.login("ann", kPassword), "__Host-sid");  // the changer's session
    ASSERT_FALSE(own.empty());
    give_old_parameter_hash(t, "ann");

    t.backing.after_user_read.arm([&] { change_password(t, own); });
    auto login = t.login("ann", kPassword, mode);
    EXPECT_EQ(login.status, 401) << login.body;
    EXPECT_EQ(testing::json_text(login, {"error"}), "invalid_credentials");
    EXPECT_TRUE(header_values(login, "Set-Cookie").empty());
    EXPECT_EQ(metric(t, "cloakroom_password_rehashes_total"), 0);
    EXPECT_EQ(credentials_listed(t, own), 1u) << "a credential outlived the password change";
    EXPECT_EQ(t.login("ann", kNewPassword, mode).status, 200) << "the login undid the password change";
    EXPECT_EQ(t.login("ann", kPassword, mode).status, 401);
  }
}

// Two logins of the same user upgrade the same old hash at once: the second
// one's write does not apply, yet both sign in (the hash the first wrote
// verifies the second's password), and the hash is upgraded once. Here the
// second login runs whole in the gap after the first's read.
TEST(AuthRoutes, TwoUpgradingLoginsAtOnceBothSignIn) {
  for (const char* mode : {"", R"(,"mode":"token","transport":"body")"}) {
    SCOPED_TRACE(*mode ? "token mode" : "session mode");
    AppUnderTest t;
    ASSERT_EQ(t.register_user("ann", kPassword).status, 201);
    give_old_parameter_hash(t, "ann");

    http::Response inner;
    t.backing.after_user_read.arm([&] { inner = t.login("ann", kPassword, mode); });
    auto outer = t.login("ann", kPassword, mode);
    EXPECT_EQ(inner.status, 200) << inner.body;
    EXPECT_EQ(outer.status, 200) << outer.body;
    EXPECT_EQ(metric(t, "cloakroom_password_rehashes_total"), 1);
    EXPECT_EQ(t.login("ann", kPassword, mode).status, 200);
    EXPECT_EQ(metric(t, "cloakroom_password_rehashes_total"), 1);  // upgraded for good
  }
}

}  // namespace
}  // namespace cloakroom::api
