#include "token/token_service.h"

#include <gtest/gtest.h>

#include <thread>

#include "core/digest.h"

#include "store/memory/token_store.h"
#include "store/memory/user_store.h"
#include "store/redis/token_store.h"
#include "store/sqlite/token_store.h"
#include "support/audit_capture.h"
#include "support/fake_clock.h"
#include "support/outcome.h"
#include "support/redis_server.h"
#include "support/temp_sqlite.h"
#include "support/store_decorators.h"

namespace cloakroom {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::outcome;

// The refreshing client, as the route passes it (only logged).
constexpr std::string_view kIp = "192.0.2.7";
constexpr std::string_view kAgent = "test-agent/1";

class TokenServiceTest : public ::testing::Test {
 protected:
  TokenServiceTest() {
    EXPECT_TRUE(users.create(alice));
    EXPECT_TRUE(users.create(bob));
  }
  TokenService make(TokenStore& s) {
    return TokenService({config, s, directory, access, revocations, clock, rng, metrics, audit.log()});
  }
  // "ok", or the exact reason the access token is refused ("revoked",
  // "expired", ...): a revoked-token test must not pass on an expired one.
  std::string access_outcome(const std::string& jwt) {
    auto v = access.verify(jwt);
    return v ? "ok" : std::string(jose::reason_name(v.error()));
  }
  std::string bumped_generation(const std::string& token, long long to) {
    auto v = *parse_refresh_token(token);
    return std::string(v.family_id) + "." + std::to_string(to) + "." + token.substr(token.rfind('.') + 1);
  }

  static Config test_config() {
    Config c;
    c.jwt.issuer = "https://auth.example.com";  // before AccessTokens reads it
    return c;
  }
  Config config = test_config();
  memory::UserStore users;
  memory::TokenStore store;
  UserDirectory directory{users};
  testing::FakeClock clock;
  OsRandom rng;
  Metrics metrics{{"unmatched"}};
  testing::AuditCapture audit;
  RevocationList revocations;
  AccessTokens access{config, jose::KeySet({*jose::Jwk::generate(jose::Alg::HS256)}), clock, rng, revocations};
  User alice{"u-alice", "alice", "h", {"admin"}, false, 1};
  User bob{"u-bob", "bob", "h", {}, false, 1};
};

TEST_F(TokenServiceTest, IssueStoresOnlyAHashAndTheAccessTokenNamesTheFamily) {
  auto svc = make(store);
  auto issued = svc.issue(alice, "10.0.0.1", "Firefox", false, AuthMethods::password());
  ASSERT_TRUE(issued);
  auto parsed = parse_refresh_token(issued->refresh_token);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->family_id, issued->family.id);
  EXPECT_EQ(parsed->generation, 0);
  auto f = store.find_family(issued->family.id);
  ASSERT_TRUE(f);
  Sha256 h = sha256(std::string_view(reinterpret_cast<const char*>(parsed->secret.data()), 32));
  EXPECT_EQ(f->current_hash, std::string(reinterpret_cast<const char*>(h.data()), 32));
  EXPECT_EQ(f->chain_key.size(), 32u);
  EXPECT_EQ(f->expires_ms - f->created_ms, config.jwt.refresh_ttl.count());
  auto v = access.verify(issued->access_token);
  ASSERT_TRUE(v);
  EXPECT_EQ((*v)->claims.session_id, issued->family.id);
  EXPECT_EQ(issued->expires_in, 900);
  EXPECT_EQ(metrics.get(Counter::access_tokens_issued), 1u);
}

// The family keeps how and when the user signed in; the login's access
// token and every refreshed one carry both (a refresh is no new sign-in).
TEST_F(TokenServiceTest, RefreshKeepsAmrAndAuthTime) {
  auto svc = make(store);
  const long long signed_in = unix_seconds(clock.now());
  const AuthMethods amr = AuthMethods::password().with(AuthMethod::otp);
  auto r0 = *svc.issue(alice, "", "", false, amr);
  EXPECT_EQ(store.find_family(r0.family.id)->amr, amr);
  auto first = access.verify(r0.access_token);
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)->amr, amr);
  EXPECT_EQ((*first)->claims.amr, (std::vector<std::string>{"pwd", "otp", "mfa"}));
  EXPECT_EQ((*first)->claims.auth_time, signed_in);
  clock.advance(seconds(120));
  auto r1 = svc.refresh(r0.refresh_token, kIp, kAgent);
  ASSERT_TRUE(r1) << r1.error().text();
  auto next = access.verify(r1->access_token);
  ASSERT_TRUE(next);
  EXPECT_EQ((*next)->amr, amr);
  EXPECT_EQ((*next)->claims.auth_time, signed_in);
  EXPECT_GT((*next)->claims.issued_at, signed_in);
}

TEST_F(TokenServiceTest, RefreshRotatesAndSlidesExpiry) {
  auto svc = make(store);
  auto r0 = *svc.issue(alice, "", "", false, AuthMethods::password());
  clock.advance(seconds(60));
  auto r1 = svc.refresh(r0.refresh_token, kIp, kAgent);
  ASSERT_TRUE(r1) << r1.error().text();
  EXPECT_EQ(parse_refresh_token(r1->refresh_token)->generation, 1);
  EXPECT_EQ(r1->family.expires_ms, unix_millis(clock.now()) + config.jwt.refresh_ttl.count());
  EXPECT_EQ("ok", access_outcome(r1->access_token));
  EXPECT_EQ(r1->principal->username, "alice");
  EXPECT_EQ(metrics.get(Counter::refresh_rotated), 1u);
}

// Within the grace window the previous token is a repeat: same successor,
// new access token, no reuse. After it, the same request is reuse.
TEST_F(TokenServiceTest, GraceWindowRepeatThenReuse) {
  auto svc = make(store);
  auto r0 = *svc.issue(alice, "", "", false, AuthMethods::password());
  auto r1 = *svc.refresh(r0.refresh_token, kIp, kAgent);
  clock.advance(config.jwt.refresh_grace);
  auto again = svc.refresh(r0.refresh_token, kIp, kAgent);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->refresh_token, r1.refresh_token);
  EXPECT_NE(again->access_token, r1.access_token);
  EXPECT_EQ(metrics.get(Counter::refresh_repeated), 1u);
  clock.advance(milliseconds(1));
  auto late = svc.refresh(r0.refresh_token, kIp, kAgent);
  EXPECT_EQ(outcome(late), "refresh_token_reused:spent_token");
  // The family is gone, with every access token it issued.
  EXPECT_EQ(outcome(svc.refresh(r1.refresh_token, kIp, kAgent)), "invalid_refresh_token:family_unknown");
  EXPECT_EQ("revoked", access_outcome(r1.access_token));
  EXPECT_EQ("revoked", access_outcome(again->access_token));
  EXPECT_EQ(metrics.get(Counter::refresh_reused), 1u);
}

// A thief replaying the previous token inside the grace window looks like a
// repeat, so repeats are bounded per rotation: jwt.refresh_repeats are
// answered, the next one is reuse and ends the family.
TEST_F(TokenServiceTest, RepeatsBeyondTheLimitAreReuse) {
  ASSERT_EQ(config.jwt.refresh_repeats, 3);
  auto svc = make(store);
  auto r0 = *svc.issue(alice, "", "", false, AuthMethods::password());
  auto r1 = *svc.refresh(r0.refresh_token, kIp, kAgent);
  for (int i = 0; i < 3; ++i) {
    clock.advance(milliseconds(100));
    auto again = svc.refresh(r0.refresh_token, kIp, kAgent);
    ASSERT_TRUE(again) << i;
    EXPECT_EQ(again->refresh_token, r1.refresh_token);
  }
  auto fourth = svc.refresh(r0.refresh_token, kIp, kAgent);
  EXPECT_EQ(outcome(fourth), "refresh_token_reused:too_many_repeats");
  EXPECT_EQ(outcome(svc.refresh(r1.refresh_token, kIp, kAgent)), "invalid_refresh_token:family_unknown");
  EXPECT_EQ("revoked", access_outcome(r1.access_token));
  EXPECT_EQ(metrics.get(Counter::refresh_repeated), 3u);
  EXPECT_EQ(metrics.get(Counter::refresh_reused), 1u);
}

// The bound is per rotation: each new generation starts with a fresh count,
// and families count separately.
TEST_F(TokenServiceTest, RepeatLimitIsPerRotationAndPerFamily) {
  auto svc = make(store);
  auto a0 = *svc.issue(alice, "", "", false, AuthMethods::password());
  auto b0 = *svc.issue(bob, "", "", false, AuthMethods::password());
  auto a1 = *svc.refresh(a0.refresh_token, kIp, kAgent);
  auto b1 = *svc.refresh(b0.refresh_token, kIp, kAgent);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(svc.refresh(a0.refresh_token, kIp, kAgent)) << i;
    ASSERT_TRUE(svc.refresh(b0.refresh_token, kIp, kAgent)) << i;
  }
  clock.advance(seconds(60));  // the next regular refresh
  auto a2 = *svc.refresh(a1.refresh_token, kIp, kAgent);
  for (int i = 0; i < 3; ++i) {
    auto again = svc.refresh(a1.refresh_token, kIp, kAgent);
    ASSERT_TRUE(again) << i;
    EXPECT_EQ(again->refresh_token, a2.refresh_token);
  }
  EXPECT_EQ(metrics.get(Counter::refresh_repeated), 9u);
  EXPECT_EQ(metrics.get(Counter::refresh_reused), 0u);
  EXPECT_EQ(outcome(svc.refresh(b1.refresh_token, kIp, kAgent)), "ok");
}

// jwt.refresh_repeats = 0: the grace window still names the case, but any
// repeat ends the family.
TEST_F(TokenServiceTest, NoRepeatsAllowed) {
  config.jwt.refresh_repeats = 0;
  auto svc = make(store);
  auto r0 = *svc.issue(alice, "", "", false, AuthMethods::password());
  ASSERT_TRUE(svc.refresh(r0.refresh_token, kIp, kAgent));
  EXPECT_EQ(outcome(svc.refresh(r0.refresh_token, kIp, kAgent)), "refresh_token_reused:too_many_repeats");
  EXPECT_EQ(metrics.get(Counter::refresh_repeated), 0u);
}

// Any ancestor is recognised, however old; a forged older token is not.
TEST_F(TokenServiceTest, OldAncestorIsReuseButForgeryIsInvalid) {
  auto svc = make(store);
  auto r0 = *svc.issue(alice, "", "", false, AuthMethods::password());
  std::string current = r0.refresh_token;
  for (int i = 0; i < 20; ++i) current = svc.refresh(current, kIp, kAgent)->refresh_token;
  // Forgeries: someone else's secret with this family's id, at each kind of generation.
  auto other = *svc.issue(bob, "", "", false, AuthMethods::password());
  std::string forged_secret = other.refresh_token.substr(other.refresh_token.rfind('.') + 1);
  const std::pair<long long, std::string> forgeries[] = {{0, "invalid_refresh_token:not_an_ancestor"},
                                                         {19, "invalid_refresh_token:not_an_ancestor"},
                                                         {20, "invalid_refresh_token:secret_mismatch"},
                                                         {21, "invalid_refresh_token:generation_ahead"}};
  for (const auto& [g, expected] : forgeries) {
    std::string forged = r0.family.id + "." + std::to_string(g) + "." + forged_secret;
    EXPECT_EQ(outcome(svc.refresh(forged, kIp, kAgent)), expected) << g;
  }
  EXPECT_EQ(outcome(svc.refresh(bumped_generation(r0.refresh_token, 3), kIp, kAgent)),
            "invalid_refresh_token:not_an_ancestor");
  EXPECT_EQ(metrics.get(Counter::refresh_reused), 0u);
  EXPECT_EQ(outcome(svc.refresh(current, kIp, kAgent)), "ok");  // the family is unharmed
  EXPECT_EQ(outcome(svc.refresh(r0.refresh_token, kIp, kAgent)), "refresh_token_reused:spent_token");
}

TEST_F(TokenServiceTest, ExpiredFamilyAndDisabledUser) {
  auto svc = make(store);
  auto r0 = *svc.issue(alice, "", "", false, AuthMethods::password());
  ASSERT_TRUE(users.set_disabled(alice.id, true));
  ASSERT_TRUE(directory.refresh(alice.id));
  EXPECT_EQ(outcome(svc.refresh(r0.refresh_token, kIp, kAgent)), "account_disabled:account_disabled");
  ASSERT_TRUE(users.set_disabled(alice.id, false));
  ASSERT_TRUE(directory.refresh(alice.id));
  auto r1 = *svc.refresh(r0.refresh_token, kIp, kAgent);
  clock.advance(config.jwt.refresh_ttl);
  EXPECT_EQ(outcome(svc.refresh(r1.refresh_token, kIp, kAgent)), "invalid_refresh_token:family_expired");
}

// Refusals before any family is judged: a malformed token, an unknown
// family, a family whose user is gone; an unreadable user store fails
// closed (503), not as an invalid token.
TEST_F(TokenServiceTest, RefusalsBeforeTheVerdict) {
  auto svc = make(store);
  auto r0 = *svc.issue(alice, "", "", false, AuthMethods::password());
  EXPECT_EQ(outcome(svc.refresh("not-a-token", kIp, kAgent)), "invalid_refresh_token:refresh_malformed");
  std::string other_family = std::string(22, 'Z') + r0.refresh_token.substr(22);
  EXPECT_EQ(outcome(svc.refresh(other_family, kIp, kAgent)), "invalid_refresh_token:family_unknown");
  // A fresh process (empty directory) whose user store no longer has alice.
  testing::SwitchableUserStore switchable(users);
  UserDirectory fresh_directory{switchable};
  TokenService restarted({config, store, fresh_directory, access, revocations, clock, rng, metrics, audit.log()});
  switchable.failure = ErrorCode::store_unavailable;
  EXPECT_EQ(outcome(restarted.refresh(r0.refresh_token, kIp, kAgent)), "store_unavailable");
  switchable.failure = ErrorCode::not_found;
  EXPECT_EQ(outcome(restarted.refresh(r0.refresh_token, kIp, kAgent)), "invalid_refresh_token:user_unknown");
  EXPECT_EQ(metrics.get(Counter::refresh_invalid), 3u);
  switchable.failure.reset();
  EXPECT_EQ(outcome(restarted.refresh(r0.refresh_token, kIp, kAgent)), "ok");  // nothing was spent
}

// A disabled user's repeat is refused too, and a disabled user's spent
// token still ends the family (reuse is judged before the user matters).
TEST_F(TokenServiceTest, DisabledUserRepeatAndReuse) {
  auto svc = make(store);
  auto r0 = *svc.issue(alice, "", "", false, AuthMethods::password());
  auto r1 = *svc.refresh(r0.refresh_token, kIp, kAgent);
  ASSERT_TRUE(users.set_disabled(alice.id, true));
  ASSERT_TRUE(directory.refresh(alice.id));
  EXPECT_EQ(outcome(svc.refresh(r0.refresh_token, kIp, kAgent)), "account_disabled:account_disabled");
  EXPECT_EQ(metrics.get(Counter::refresh_disabled), 1u);
  clock.advance(config.jwt.refresh_grace + milliseconds(1));
  EXPECT_EQ(outcome(svc.refresh(r0.refresh_token, kIp, kAgent)), "refresh_token_reused:spent_token");
  EXPECT_EQ(outcome(svc.refresh(r1.refresh_token, kIp, kAgent)), "invalid_refresh_token:family_unknown");
}

// After logout-all a token is refused as revoked; once past its exp (and
// the leeway) the same token is refused as expired: the reasons differ, so
// a revocation test cannot pass on an expired token.
TEST_F(TokenServiceTest, RevokedAndExpiredAreDifferentReasons) {
  auto svc = make(store);
  auto a = *svc.issue(alice, "", "", false, AuthMethods::password());
  auto b = *svc.issue(bob, "", "", false, AuthMethods::password());
  ASSERT_TRUE(svc.revoke_user(alice.id));
  EXPECT_EQ(access_outcome(a.access_token), "revoked");
  EXPECT_EQ(access_outcome(b.access_token), "ok");
  clock.advance(config.jwt.access_ttl + config.jwt.leeway);
  EXPECT_EQ(access_outcome(a.access_token), "expired");
  EXPECT_EQ(access_outcome(b.access_token), "expired");
}

TEST_F(TokenServiceTest, LogoutDeniesTheTokenAndEndsItsFamilyOnly) {
  auto svc = make(store);
  auto a = *svc.issue(alice, "", "", false, AuthMethods::password());
  auto b = *svc.issue(alice, "", "", false, AuthMethods::password());
  auto claims = (*access.verify(a.access_token))->claims;
  ASSERT_TRUE(svc.logout(claims));
  EXPECT_EQ("revoked", access_outcome(a.access_token));
  EXPECT_EQ(outcome(svc.refresh(a.refresh_token, kIp, kAgent)), "invalid_refresh_token:family_unknown");
  EXPECT_EQ("ok", access_outcome(b.access_token));
  EXPECT_EQ(outcome(svc.refresh(b.refresh_token, kIp, kAgent)), "ok");
  // Durable: a fresh RevocationList loaded from the store agrees.
  RevocationList reloaded;
  reloaded.load(*store.load_denylist(unix_millis(clock.now())), *store.load_epochs());
  EXPECT_TRUE(reloaded.revoked(claims.jwt_id, "", claims.subject, claims.epoch));
  EXPECT_TRUE(reloaded.revoked("", a.family.id, claims.subject, claims.epoch));
}

// A token that names nothing revocable is refused, not silently "logged out".
TEST_F(TokenServiceTest, LogoutOfATokenWithoutJtiOrSidIsAnError) {
  auto svc = make(store);
  jose::VerifiedClaims claims;
  claims.subject = alice.id;
  claims.expires_at = unix_seconds(clock.now()) + 60;
  auto r = svc.logout(claims);
  EXPECT_EQ(outcome(r), "invalid_field");
}

// revoke_family(id, user_id) ends only the caller's own family: another
// user's answers false, stays, and its access token still passes.
TEST_F(TokenServiceTest, RevokeOwnedFamilyOnly) {
  auto svc = make(store);
  auto a = *svc.issue(alice, "", "", false, AuthMethods::password());
  auto b = *svc.issue(bob, "", "", false, AuthMethods::password());
  EXPECT_FALSE(*svc.revoke_family(b.family.id, alice.id));
  EXPECT_EQ("ok", access_outcome(b.access_token));
  EXPECT_TRUE(store.find_family(b.family.id));
  EXPECT_EQ(metrics.get(Counter::revoked_family), 0u);
  EXPECT_TRUE(*svc.revoke_family(a.family.id, alice.id));
  EXPECT_EQ("revoked", access_outcome(a.access_token));
  EXPECT_EQ(outcome(store.find_family(a.family.id)), "not_found");
  EXPECT_EQ(metrics.get(Counter::revoked_family), 1u);
}

TEST_F(TokenServiceTest, RevokeUserEndsEveryFamilyAndOlderAccessToken) {
  auto svc = make(store);
  auto a = *svc.issue(alice, "", "", false, AuthMethods::password());
  auto b = *svc.issue(alice, "", "", false, AuthMethods::password());
  auto other = *svc.issue(bob, "", "", false, AuthMethods::password());
  auto n = svc.revoke_user(alice.id);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2u);
  EXPECT_EQ("revoked", access_outcome(a.access_token));
  EXPECT_EQ("revoked", access_outcome(b.access_token));
  EXPECT_EQ(outcome(svc.refresh(a.refresh_token, kIp, kAgent)), "invalid_refresh_token:family_unknown");
  EXPECT_EQ("ok", access_outcome(other.access_token));
  auto fresh = *svc.issue(alice, "", "", false, AuthMethods::password());
  EXPECT_EQ("ok", access_outcome(fresh.access_token));
  EXPECT_EQ(*store.epoch(alice.id), 1);
}

TEST_F(TokenServiceTest, ListShowsLiveFamiliesOldestFirst) {
  auto svc = make(store);
  auto a = *svc.issue(alice, "1.2.3.4", std::string(2000, 'u'), true, AuthMethods::password());
  clock.advance(seconds(1));
  auto b = *svc.issue(alice, "", "", false, AuthMethods::password());
  (void)svc.issue(bob, "", "", false, AuthMethods::password());
  auto list = svc.list_user(alice.id);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, a.family.id);
  EXPECT_EQ((*list)[0].ip, "1.2.3.4");
  EXPECT_EQ((*list)[0].user_agent.size(), 512u);  // capped
  EXPECT_TRUE((*list)[0].remember);
  EXPECT_EQ((*list)[1].id, b.family.id);
}

// Concurrent refreshes of one token against the real SQLite store: exactly
// one rotation, every caller gets the same successor, nobody trips reuse
// (within jwt.refresh_repeats).
TEST_F(TokenServiceTest, ConcurrentRefreshesRotateOnce) {
  constexpr int kThreads = 8;
  config.jwt.refresh_repeats = kThreads - 1;  // every loser of the race is a repeat
  testing::TempSqlite file;
  sqlite::TokenStore sqlite_store(file.db());
  auto svc = make(sqlite_store);
  auto r0 = *svc.issue(alice, "", "", false, AuthMethods::password());
  std::vector<Result<IssuedTokens>> results(kThreads, Error{ErrorCode::internal});
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] { results[static_cast<std::size_t>(i)] = svc.refresh(r0.refresh_token, kIp, kAgent); });
  for (auto& t : threads) t.join();
  for (const auto& r : results) {
    ASSERT_TRUE(r) << r.error().text();
    EXPECT_EQ(r->refresh_token, results[0]->refresh_token);
  }
  EXPECT_EQ(metrics.get(Counter::refresh_rotated), 1u);
  EXPECT_EQ(metrics.get(Counter::refresh_repeated), static_cast<std::uint64_t>(kThreads - 1));
  EXPECT_EQ(sqlite_store.find_family(r0.family.id)->generation, 1);
}

// A token store that runs a hook (another node's logout-all, say) right
// after one of its calls, to place that logout-all at an exact point of a
// refresh. Each hook runs once.
class HookedTokenStore : public testing::TokenStoreDecorator {
 public:
  using TokenStoreDecorator::TokenStoreDecorator;
  std::function<void()> after_find, after_rotate, after_epoch_raised;

  Result<FamilyAndEpoch> find_family_and_epoch(const std::string& id) override {
    return then(inner_.find_family_and_epoch(id), after_find);
  }
  Result<bool> rotate_family(const std::string& id, long long from_generation, const std::string& next_hash,
                             long long now_ms, long long expires_ms) override {
    return then(inner_.rotate_family(id, from_generation, next_hash, now_ms, expires_ms), after_rotate);
  }
  // Every call that raises an epoch: a logout-all split in two steps again
  // would show here as the family still being there.
  Result<long long> bump_epoch(const std::string& user_id) override {
    return then(inner_.bump_epoch(user_id), after_epoch_raised);
  }
  Result<EndedFamilies> end_user_families(const std::string& user_id, const std::string& keep = {}) override {
    return then(inner_.end_user_families(user_id, keep), after_epoch_raised);
  }

 private:
  template <class T>
  static T then(T result, std::function<void()>& hook) {
    if (auto h = std::exchange(hook, nullptr)) h();
    return result;
  }
};

// Two serving processes on one token store (a SQLite file, or Redis): each
// with its own in-process revocation state, as two nodes have. Node A
// refreshes, node B runs a logout-all; `a_applies_feed` stands for A's
// feed follower applying B's epoch_raised entry.
class RefreshRacingLogoutAll : public ::testing::TestWithParam<std::string> {
 protected:
  struct Node {
    Node(RefreshRacingLogoutAll& t, TokenStore& store)
        : access{t.config, t.keys, t.clock, t.rng, revocations},
          service({t.config, store, t.directory, access, revocations, t.clock, t.rng, t.metrics, t.audit.log()}) {}
    RevocationList revocations;
    AccessTokens access;
    TokenService service;
    std::string outcome_of(const std::string& jwt) {
      auto v = access.verify(jwt);
      return v ? "ok" : std::string(jose::reason_name(v.error()));
    }
  };

  RefreshRacingLogoutAll() {
    EXPECT_TRUE(users.create(alice));
    if (GetParam() == "sqlite") store = std::make_unique<sqlite::TokenStore>(file.db());
    else store = std::make_unique<redis::TokenStore>(space.client, space.keys);
    hooked = std::make_unique<HookedTokenStore>(*store);
    a = std::make_unique<Node>(*this, *hooked);
    b = std::make_unique<Node>(*this, *hooked);
  }
  void a_applies_feed() { a->revocations.raise_epoch(alice.id, *store->epoch(alice.id)); }
  void logout_all_on_b() {
    ASSERT_TRUE(b->service.revoke_user(alice.id));
    a_applies_feed();
  }

  static Config issuer_config() {
    Config c;
    c.jwt.issuer = "https://auth.example.com";
    return c;
  }
  Config config = issuer_config();
  jose::KeySet keys{{*jose::Jwk::generate(jose::Alg::HS256)}};
  memory::UserStore users;
  UserDirectory directory{users};
  testing::FakeClock clock;
  OsRandom rng;
  Metrics metrics{{"unmatched"}};
  testing::AuditCapture audit;
  User alice{"u-alice", "alice", "h", {}, false, 1};
  testing::TempSqlite file;
  testing::RedisSpace space;
  std::unique_ptr<TokenStore> store;
  std::unique_ptr<HookedTokenStore> hooked;
  std::unique_ptr<Node> a, b;
};

// A rotation that completed just before the logout-all: its refresh token
// dies with the family, and its access token carries the epoch the
// rotation saw, so the raised epoch ends it on every node (it was minted
// after node A had already learned the new epoch).
TEST_P(RefreshRacingLogoutAll, ARotationJustBeforeTheRaiseIsEndedByTheEpoch) {
  auto r0 = *a->service.issue(alice, "", "", false, AuthMethods::password());
  hooked->after_rotate = [&] { logout_all_on_b(); };
  auto r1 = a->service.refresh(r0.refresh_token, kIp, kAgent);
  ASSERT_TRUE(r1) << r1.error().text();  // the rotation itself came first
  EXPECT_EQ(a->outcome_of(r1->access_token), "revoked");
  EXPECT_EQ(b->outcome_of(r1->access_token), "revoked");
  EXPECT_EQ(outcome(a->service.refresh(r1->refresh_token, kIp, kAgent)), "invalid_refresh_token:family_unknown");
}

// A refresh that runs once the logout-all has raised the epoch (node A
// already applied it), with a token from before: refused, never a fresh
// pair that outlives the logout-all.
TEST_P(RefreshRacingLogoutAll, ARefreshOnceTheEpochIsRaisedIsRefused) {
  auto r0 = *a->service.issue(alice, "", "", false, AuthMethods::password());
  Result<IssuedTokens> during = Error{ErrorCode::internal};
  hooked->after_epoch_raised = [&] {
    a_applies_feed();
    during = a->service.refresh(r0.refresh_token, kIp, kAgent);
  };
  ASSERT_TRUE(b->service.revoke_user(alice.id));
  EXPECT_EQ(outcome(during), "invalid_refresh_token:family_unknown");
  if (during) {
    EXPECT_EQ(a->outcome_of(during->access_token), "revoked");
  }
  EXPECT_EQ(outcome(a->service.refresh(r0.refresh_token, kIp, kAgent)), "invalid_refresh_token:family_unknown");
}

// A repeat (the previous token again, within the grace window) whose
// family was read just before the logout-all, which node A learned before
// answering: no token that A already knows to be dead (a repeat writes
// nothing, so only the epoch read with the family can tell).
TEST_P(RefreshRacingLogoutAll, ARepeatReadJustBeforeTheRaiseIsRefused) {
  auto r0 = *a->service.issue(alice, "", "", false, AuthMethods::password());
  ASSERT_TRUE(a->service.refresh(r0.refresh_token, kIp, kAgent));
  hooked->after_find = [&] { logout_all_on_b(); };
  auto repeat = a->service.refresh(r0.refresh_token, kIp, kAgent);
  EXPECT_EQ(outcome(repeat), "invalid_refresh_token:epoch_raised");
  if (repeat) {
    EXPECT_EQ(a->outcome_of(repeat->access_token), "revoked");
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, RefreshRacingLogoutAll, ::testing::Values("sqlite", "redis"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace cloakroom
