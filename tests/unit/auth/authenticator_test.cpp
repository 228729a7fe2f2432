#include "auth/authenticator.h"

#include <gtest/gtest.h>

#include <thread>

#include <atomic>
#include <mutex>

#include "store/memory/session_store.h"
#include "store/memory/token_store.h"
#include "store/memory/user_store.h"
#include "support/audit_capture.h"
#include "support/fake_clock.h"
#include "support/outcome.h"
#include "support/run_handler.h"
#include "support/store_decorators.h"
#include "token/token_service.h"

namespace cloakroom {
namespace {

using std::chrono::minutes;
using testing::outcome;

using Headers = std::vector<std::pair<std::string_view, std::string_view>>;

const CookieNames kNames{"__Host-sid", "__Host-at", "__Secure-rt"};

// The real services over memory stores: sessions, access tokens and
// refresh families, one user directory behind all of them. The session
// store can be switched off (an outage) and counts its reads.
class AuthenticatorTest : public ::testing::Test {
 protected:
  AuthenticatorTest() {
    EXPECT_TRUE(users.create(alice));
    EXPECT_TRUE(users.create(bob));
  }
  static http::Request request(Headers headers) {
    http::Request req;
    req.method = "GET";
    req.path = "/auth/me";
    req.headers = std::move(headers);
    return req;
  }
  Result<Authenticated> authenticate(Headers headers) {
    auto req = request(std::move(headers));
    return testing::run(auth.authenticate(req));
  }
  static Config test_config() {
    Config c;
    c.jwt.issuer = "https://auth.example.com";  // before AccessTokens reads it
    c.session.idle_timeout = minutes(30);
    return c;
  }
  void disable(const User& u) {
    ASSERT_TRUE(users.set_disabled(u.id, true));
    ASSERT_TRUE(directory.refresh(u.id));
  }

  Config config = test_config();
  memory::UserStore users;
  memory::SessionStore session_backing;
  std::atomic<bool> session_store_down{false};
  struct CountingStore : testing::SessionStoreDecorator {
    using SessionStoreDecorator::SessionStoreDecorator;
    Result<SessionRecord> find(const std::string& id) override {
      ++finds;
      return SessionStoreDecorator::find(id);
    }
    std::atomic<int> finds{0};
  } session_store{session_backing, &session_store_down};
  memory::TokenStore token_store;
  UserDirectory directory{users};
  testing::FakeClock clock;
  OsRandom rng;
  Metrics metrics{{"unmatched"}};
  testing::AuditCapture audit;
  RevocationList revocations;
  AccessTokens access{config, jose::KeySet({*jose::Jwk::generate(jose::Alg::HS256)}), clock, rng, revocations};
  SessionService sessions{{config, session_store, directory, clock, rng, metrics}};
  TokenService tokens{{config, token_store, directory, access, revocations, clock, rng, metrics, audit.log()}};
  WorkPool store_pool{1, 16};
  Freshness freshness{std::chrono::milliseconds(2000)};
  Authenticator auth{kNames, sessions, access, directory, store_pool, freshness};
  User alice{"u-alice", "alice", "h", {"admin"}, false, 1};
  User bob{"u-bob", "bob", "h", {}, false, 1};
};

// Nothing to go on: refused, with a message that says what to send.
TEST_F(AuthenticatorTest, NoCredential) {
  auto who = authenticate({{"User-Agent", "curl"}, {"Cookie", "other=1"}});
  EXPECT_EQ(outcome(who), "unauthenticated:no_credential");
  EXPECT_EQ(who.error().text(), "No credential: send a session cookie, X-Session-ID or a bearer token.");
  // A token in the query string is never read (only headers are).
  http::Request req;
  req.target = "/auth/me?access_token=x";
  req.path = "/auth/me";
  EXPECT_EQ(outcome(testing::run(auth.authenticate(req))), "unauthenticated:no_credential");
}

// Fail closed: while the change feed has gone unread past its bound, a
// valid session or access token gets 503 feed_stale (not 200, not 401);
// a request with no credential is still simply unauthenticated.
TEST_F(AuthenticatorTest, StaleFeedRefusesEveryCredentialWith503) {
  auto s = *sessions.create(alice, "", "", false, AuthMethods::password());
  auto jwt = *access.mint(alice.id, "alice", {}, std::chrono::seconds(600));
  Freshness stale{std::chrono::milliseconds(0)};
  Authenticator cut_off{kNames, sessions, access, directory, store_pool, stale};
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // past the coarse clock's resolution
  const std::string cookie = "__Host-sid=" + s.token, bearer = "Bearer " + jwt;  // outlive the views
  for (const Headers& headers : {Headers{{"X-Session-ID", s.token}}, Headers{{"Cookie", cookie}},
                                 Headers{{"Authorization", bearer}}}) {
    auto req = request(headers);
    auto who = testing::run(cut_off.authenticate(req));
    EXPECT_EQ(outcome(who), "store_unavailable:feed_stale");
    EXPECT_EQ(http::refusal(who.error()).status, 503);
  }
  auto none = request({});
  EXPECT_EQ(outcome(testing::run(cut_off.authenticate(none))), "unauthenticated:no_credential");
  stale.confirm();
  auto again = request({{"X-Session-ID", s.token}});
  EXPECT_EQ(outcome(testing::run(cut_off.authenticate(again))), "ok");
}

// A session, from the cookie or from X-Session-ID: the proof is the
// session's key, there is no token, and the id is the session's.
TEST_F(AuthenticatorTest, SessionCookieAndHeader) {
  auto s = *sessions.create(alice, "", "", false, AuthMethods::password());
  const std::string cookie = "__Host-sid=" + s.token;
  for (const auto& [headers, source] : {std::pair{Headers{{"Cookie", cookie}}, Credential::Source::session_cookie},
                                        std::pair{Headers{{"X-Session-ID", s.token}}, Credential::Source::session_header}}) {
    auto who = authenticate(headers);
    ASSERT_EQ(outcome(who), "ok");
    EXPECT_EQ(who->credential.source, source);
    EXPECT_TRUE(who->is_session());
    EXPECT_EQ(who->token(), nullptr);
    EXPECT_TRUE(std::holds_alternative<SessionKey>(who->proof));
    EXPECT_EQ(who->session_id_view(), s.info.id);
    EXPECT_EQ(who->principal->username, "alice");
    EXPECT_EQ(who->principal->roles_header, "admin");
    EXPECT_EQ(who->expires_ms, s.info.expires_ms);
  }
}

// A session another process created (only in the store, not in this
// process's cache) is accepted after one store read, then from the cache.
TEST_F(AuthenticatorTest, SessionFromAnotherProcessIsReadOnce) {
  SessionService other({config, session_backing, directory, clock, rng, metrics});
  auto s = *other.create(alice, "", "", false, AuthMethods::password());
  const std::string cookie = "__Host-sid=" + s.token;
  auto who = authenticate({{"Cookie", cookie}});
  ASSERT_EQ(outcome(who), "ok");
  EXPECT_EQ(who->session_id_view(), s.info.id);
  EXPECT_EQ(who->principal->username, "alice");
  EXPECT_EQ(session_store.finds.load(), 1);
  EXPECT_EQ(outcome(authenticate({{"Cookie", cookie}})), "ok");
  EXPECT_EQ(session_store.finds.load(), 1);  // the second came from the cache
  // An unknown id: one read, then the negative cache answers.
  OsRandom other_rng;
  const std::string made_up = "__Host-sid=" + SessionToken::generate(other_rng).text();
  EXPECT_EQ(outcome(authenticate({{"Cookie", made_up}})), "unauthenticated:session_unknown");
  EXPECT_EQ(outcome(authenticate({{"Cookie", made_up}})), "unauthenticated:session_unknown");
  EXPECT_EQ(session_store.finds.load(), 2);
}

// A store that fails on a miss is an outage (503), never a 401; a cached
// session is still served from memory meanwhile.
TEST_F(AuthenticatorTest, StoreFailureOnAMissIsUnavailable) {
  SessionService other({config, session_backing, directory, clock, rng, metrics});
  auto elsewhere = *other.create(alice, "", "", false, AuthMethods::password());
  auto here = *sessions.create(bob, "", "", false, AuthMethods::password());
  session_store_down = true;
  auto who = authenticate({{"X-Session-ID", elsewhere.token}});
  ASSERT_EQ(outcome(who), "store_unavailable");
  EXPECT_EQ(outcome(authenticate({{"X-Session-ID", here.token}})), "ok");
  session_store_down = false;
  EXPECT_EQ(outcome(authenticate({{"X-Session-ID", elsewhere.token}})), "ok");
}

// A full store pool answers overloaded (503) for a miss, without reading.
TEST_F(AuthenticatorTest, FullStorePoolIsOverloaded) {
  SessionService other({config, session_backing, directory, clock, rng, metrics});
  auto elsewhere = *other.create(alice, "", "", false, AuthMethods::password());
  std::mutex gate;
  std::unique_lock held(gate);
  WorkPool full(1, 0);  // no job can wait
  ASSERT_TRUE(full.try_submit([&] { std::lock_guard wait(gate); }));  // the only worker is busy
  Authenticator busy{kNames, sessions, access, directory, full, freshness};
  http::Request req;
  req.headers = {{"X-Session-ID", elsewhere.token}};
  EXPECT_EQ(outcome(testing::run(busy.authenticate(req))), "overloaded");
  EXPECT_EQ(session_store.finds.load(), 0);
  held.unlock();
}

// An access token, as a bearer or in the access cookie: the proof is the
// verified token itself, and the id is the family that issued it.
TEST_F(AuthenticatorTest, BearerAndAccessCookie) {
  auto issued = *tokens.issue(alice, "", "", false, AuthMethods::password());
  const std::string bearer = "Bearer " + issued.access_token;
  const std::string cookie = "__Host-at=" + issued.access_token;
  for (const auto& [headers, source] : {std::pair{Headers{{"Authorization", bearer}}, Credential::Source::bearer},
                                        std::pair{Headers{{"Cookie", cookie}}, Credential::Source::access_cookie}}) {
    auto who = authenticate(headers);
    ASSERT_EQ(outcome(who), "ok");
    EXPECT_EQ(who->credential.source, source);
    EXPECT_FALSE(who->is_session());
    ASSERT_NE(who->token(), nullptr);
    EXPECT_EQ(who->token(), std::get<1>(who->proof).get());
    EXPECT_EQ(who->token()->claims.subject, alice.id);
    EXPECT_EQ(who->session_id_view(), issued.family.id);
    EXPECT_EQ(who->principal->user_id, alice.id);
    EXPECT_EQ(who->principal->username, "alice");
    EXPECT_EQ(who->principal.get(), &who->token()->principal);  // shared with the cached entry, not rebuilt
    EXPECT_EQ(who->expires_ms, who->token()->expires_at * 1000);
  }
}

// How the user signed in reaches the caller from either proof: a session's
// cached record, an access token's amr and auth_time claims.
TEST_F(AuthenticatorTest, AmrFromSessionsAndTokens) {
  const AuthMethods amr = AuthMethods::password().with(AuthMethod::otp);
  auto s = *sessions.create(alice, "", "", false, amr);
  auto by_session = authenticate({{"X-Session-ID", s.token}});
  ASSERT_EQ(outcome(by_session), "ok");
  EXPECT_EQ(by_session->amr, amr);
  EXPECT_EQ(by_session->auth_time_ms, s.info.created_ms);
  auto issued = *tokens.issue(bob, "", "", false, amr);
  const std::string bearer = "Bearer " + issued.access_token;
  auto by_token = authenticate({{"Authorization", bearer}});
  ASSERT_EQ(outcome(by_token), "ok");
  EXPECT_EQ(by_token->amr, amr);
  EXPECT_EQ(by_token->auth_time_ms, issued.family.created_ms / 1000 * 1000);  // auth_time is in seconds
  auto plain = *sessions.create(bob, "", "", false, AuthMethods::password());
  EXPECT_FALSE(authenticate({{"X-Session-ID", plain.token}})->amr.multi_factor());
}

// A token minted without a family (elsewhere, with our key) has no session id.
TEST_F(AuthenticatorTest, TokenWithoutFamilyHasNoSessionId) {
  auto jwt = *access.mint(alice.id, "alice", {}, std::chrono::seconds(600));
  const std::string bearer = "Bearer " + jwt;
  auto who = authenticate({{"Authorization", bearer}});
  ASSERT_EQ(outcome(who), "ok");
  EXPECT_EQ(who->session_id_view(), "");
}

// The holder of a revoked token may learn that it was revoked.
TEST_F(AuthenticatorTest, RevokedToken) {
  auto issued = *tokens.issue(alice, "", "", false, AuthMethods::password());
  const std::string bearer = "Bearer " + issued.access_token;
  ASSERT_EQ(outcome(authenticate({{"Authorization", bearer}})), "ok");  // cached as clean first
  ASSERT_TRUE(tokens.logout((*access.verify(issued.access_token))->claims));
  auto who = authenticate({{"Authorization", bearer}});
  EXPECT_EQ(outcome(who), "unauthenticated:revoked");
  EXPECT_EQ(who.error().text(), "The access token has been revoked; log in again.");
}

// Any other refusal of a token says only "not valid": the JOSE reason is in
// Error::reason (the access log), never in the message a forger reads.
TEST_F(AuthenticatorTest, InvalidTokenNeverNamesTheReason) {
  const std::string jwt = tokens.issue(alice, "", "", false, AuthMethods::password())->access_token;
  std::string tampered = jwt;
  char& c = tampered[tampered.size() - 10];
  c = c == 'A' ? 'B' : 'A';
  AccessTokens elsewhere{config, jose::KeySet({*jose::Jwk::generate(jose::Alg::HS256)}), clock, rng, revocations};
  auto foreign = *elsewhere.mint_access(alice.id, "alice", {}, "", AuthMethods::password(), 0);
  const std::pair<std::string, std::string_view> cases[] = {
      {"garbage", "malformed"},
      {tampered, "signature_invalid"},
      {foreign, "kid_unknown"},
  };
  for (const auto& [token, reason] : cases) {
    const std::string bearer = "Bearer " + token;
    auto who = authenticate({{"Authorization", bearer}});
    EXPECT_EQ(outcome(who), "unauthenticated:" + std::string(reason)) << token;
    EXPECT_EQ(who.error().text(), "The access token is not valid.");
  }
  // Expired: the same message; the reason says "expired", not "revoked".
  clock.advance(config.jwt.access_ttl + config.jwt.leeway);
  const std::string bearer = "Bearer " + jwt;
  auto who = authenticate({{"Authorization", bearer}});
  EXPECT_EQ(outcome(who), "unauthenticated:expired");
  EXPECT_EQ(who.error().text(), "The access token is not valid.");
}

// A disabled user's access token and session both fail at once, each with
// the reason account_disabled; another user's are untouched.
TEST_F(AuthenticatorTest, DisabledUserTokenAndSession) {
  auto token = *tokens.issue(alice, "", "", false, AuthMethods::password());
  auto session = *sessions.create(alice, "", "", false, AuthMethods::password());
  auto bobs = *sessions.create(bob, "", "", false, AuthMethods::password());
  const std::string bearer = "Bearer " + token.access_token;
  const std::string cookie = "__Host-sid=" + session.token;
  const std::string bob_cookie = "__Host-sid=" + bobs.token;
  ASSERT_EQ(outcome(authenticate({{"Authorization", bearer}})), "ok");
  disable(alice);
  auto by_token = authenticate({{"Authorization", bearer}});
  EXPECT_EQ(outcome(by_token), "unauthenticated:account_disabled");
  EXPECT_EQ(by_token.error().text(), "The account is disabled.");
  auto by_session = authenticate({{"Cookie", cookie}});
  EXPECT_EQ(outcome(by_session), "unauthenticated:account_disabled");
  EXPECT_EQ(by_session.error().text(), "The account is disabled.");
  EXPECT_EQ(outcome(authenticate({{"Cookie", bob_cookie}})), "ok");
}

// A session's own refusals pass through with their reasons.
TEST_F(AuthenticatorTest, SessionRefusalsKeepTheirReason) {
  auto s = *sessions.create(alice, "", "", false, AuthMethods::password());
  const std::string cookie = "__Host-sid=" + s.token;
  EXPECT_EQ(outcome(authenticate({{"X-Session-ID", "garbage"}})), "unauthenticated:session_malformed");
  clock.advance(minutes(31));
  EXPECT_EQ(outcome(authenticate({{"Cookie", cookie}})), "unauthenticated:session_expired");
}

// Several credentials: the first in the SPEC's order (Bearer, X-Session-ID,
// session cookie, access cookie) decides alone. A bad one is not rescued by
// a good one further down the list.
TEST_F(AuthenticatorTest, FirstCredentialDecides) {
  auto a = *tokens.issue(alice, "", "", false, AuthMethods::password());
  auto b = *sessions.create(bob, "", "", false, AuthMethods::password());
  auto b2 = *sessions.create(bob, "", "", false, AuthMethods::password());
  const std::string bearer = "Bearer " + a.access_token;
  const std::string cookies = "__Host-at=" + a.access_token + "; __Host-sid=" + b.token;

  auto all = authenticate({{"Cookie", cookies}, {"X-Session-ID", b2.token}, {"Authorization", bearer}});
  ASSERT_EQ(outcome(all), "ok");
  EXPECT_EQ(all->credential.source, Credential::Source::bearer);
  EXPECT_EQ(all->principal->username, "alice");

  auto header = authenticate({{"Cookie", cookies}, {"X-Session-ID", b2.token}});
  ASSERT_EQ(outcome(header), "ok");
  EXPECT_EQ(header->credential.source, Credential::Source::session_header);
  EXPECT_EQ(header->session_id_view(), b2.info.id);

  auto cookie = authenticate({{"Cookie", cookies}});
  ASSERT_EQ(outcome(cookie), "ok");
  EXPECT_EQ(cookie->credential.source, Credential::Source::session_cookie);
  EXPECT_EQ(cookie->session_id_view(), b.info.id);

  EXPECT_EQ(outcome(authenticate({{"Cookie", cookies}, {"Authorization", "Bearer garbage"}})),
            "unauthenticated:malformed");
  EXPECT_EQ(outcome(authenticate({{"Cookie", cookies}, {"X-Session-ID", "garbage"}})),
            "unauthenticated:session_malformed");
  const std::string bad_sid_good_at = "__Host-sid=garbage; __Host-at=" + a.access_token;
  EXPECT_EQ(outcome(authenticate({{"Cookie", bad_sid_good_at}})), "unauthenticated:session_malformed");
}

}  // namespace
}  // namespace cloakroom
