#include "session/session_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "store/memory/session_store.h"
#include "store/memory/user_store.h"
#include "support/fake_clock.h"
#include "support/fake_random.h"
#include "support/outcome.h"
#include "support/store_decorators.h"

namespace cloakroom {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using testing::outcome;

// The session store as this process sees it: it counts reads and can be
// switched off (an outage).
class CountingStore : public testing::SessionStoreDecorator {
 public:
  using SessionStoreDecorator::SessionStoreDecorator;
  Result<SessionRecord> find(const std::string& id) override {
    ++finds;
    return SessionStoreDecorator::find(id);
  }
  Result<void> touch(const std::vector<SessionTouch>& touches) override {
    touched += static_cast<int>(touches.size());
    return SessionStoreDecorator::touch(touches);
  }
  std::atomic<int> finds{0};
  std::atomic<int> touched{0};  // touches sent, summed over batches
};

class SessionServiceTest : public ::testing::Test {
 protected:
  SessionServiceTest() {
    config.session.idle_timeout = minutes(30);
    config.session.absolute_timeout = minutes(24 * 60);
    EXPECT_TRUE(users.create(alice));
    EXPECT_TRUE(users.create(bob));
  }
  // This process's service, over the counting store.
  SessionService make() { return SessionService({config, counting, directory, clock, rng, metrics}); }
  // Another process's service: the same store, its own cache.
  SessionService other() { return SessionService({config, store, directory, clock, rng, other_metrics}); }
  // What the Authenticator does: the cache, else one store read and the verdict.
  static Result<AuthenticatedSession> check(SessionService& svc, const std::string& token) {
    if (auto hit = svc.cached(token)) return std::move(*hit);
    SessionService::FillRead read;
    if (auto f = svc.fill(std::string_view(token).substr(0, kSessionIdChars), &read); !f) return f.error();
    return svc.filled(token, read);
  }

  Config config;
  memory::UserStore users;
  memory::SessionStore store;
  std::atomic<bool> store_down{false};
  CountingStore counting{store, &store_down};
  UserDirectory directory{users};
  testing::FakeClock clock;
  OsRandom rng;
  Metrics metrics{{"unmatched"}};
  Metrics other_metrics{{"unmatched"}};
  User alice{"u-alice", "alice", "h", {"admin"}, false, 1};
  User bob{"u-bob", "bob", "h", {}, false, 1};
};

// A created session authenticates with its token and names its user.
TEST_F(SessionServiceTest, CreateThenAuthenticate) {
  auto svc = make();
  auto s = svc.create(alice, "10.0.0.1", "Firefox", false, AuthMethods::password());
  ASSERT_TRUE(s);
  auto who = check(svc, s->token);
  ASSERT_TRUE(who);
  EXPECT_EQ(who->principal->username, "alice");
  EXPECT_EQ(who->principal->roles_header, "admin");
  EXPECT_EQ(who->id_view(), s->info.id);
  EXPECT_EQ(svc.cache_size(), 1u);
  EXPECT_EQ(metrics.get(Counter::sessions_created), 1u);
}

// How and when the user signed in is stored with the session and comes back
// with every check: from the cache with no store read, and from another
// process's store read.
TEST_F(SessionServiceTest, CheckCarriesAmrAndAuthTime) {
  auto svc = make();
  clock.advance(milliseconds(12'345));
  const long long signed_in = unix_millis(clock.now());
  const AuthMethods amr = AuthMethods::password().with(AuthMethod::otp);
  auto s = svc.create(alice, "", "", false, amr);
  ASSERT_TRUE(s);
  EXPECT_EQ(store.find(s->info.id)->amr, amr);
  EXPECT_EQ(store.find(s->info.id)->auth_time_ms, signed_in);
  clock.advance(milliseconds(1000));
  const int finds = counting.finds;
  auto here = check(svc, s->token);
  ASSERT_TRUE(here);
  EXPECT_EQ(counting.finds, finds);  // the cached entry had it
  EXPECT_EQ(here->amr, amr);
  EXPECT_EQ(here->auth_time_ms, signed_in);
  auto elsewhere = other();
  auto there = check(elsewhere, s->token);  // a store read fills its cache
  ASSERT_TRUE(there);
  EXPECT_EQ(there->amr, amr);
  EXPECT_EQ(there->auth_time_ms, signed_in);
  auto plain = svc.create(bob, "", "", false, AuthMethods::password());
  EXPECT_FALSE(check(svc, plain->token)->amr.multi_factor());
}

// The store never sees the token or the secret, only its hash.
TEST_F(SessionServiceTest, StoresOnlyTheHash) {
  auto svc = make();
  auto s = svc.create(alice, "", "", false, AuthMethods::password());
  auto rec = store.find(s->info.id);
  ASSERT_TRUE(rec);
  std::string secret = s->token.substr(23);
  EXPECT_EQ(rec->secret_hash.size(), 32u);
  EXPECT_EQ(rec->secret_hash.find(secret), std::string::npos);
  Sha256 h = sha256(secret);
  EXPECT_EQ(rec->secret_hash, std::string(reinterpret_cast<const char*>(h.data()), 32));
}

// A right id with a wrong secret, a made-up token and garbage are all refused.
TEST_F(SessionServiceTest, RejectsWrongSecretAndMadeUpTokens) {
  auto svc = make();
  auto s = svc.create(alice, "", "", false, AuthMethods::password());
  std::string forged = s->token;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(outcome(check(svc, forged)), "unauthenticated:session_secret_mismatch");
  OsRandom other;
  EXPECT_EQ(outcome(check(svc, SessionToken::generate(other).text())), "unauthenticated:session_unknown");
  EXPECT_EQ(outcome(check(svc, "garbage")), "unauthenticated:session_malformed");
  EXPECT_EQ(outcome(check(svc, "")), "unauthenticated:session_malformed");
  EXPECT_EQ(svc.cache_size(), 1u);  // a made-up token is never adopted
}

// Idle expiry slides with use; absolute expiry does not.
TEST_F(SessionServiceTest, IdleSlidesAbsoluteDoesNot) {
  auto svc = make();
  auto s = svc.create(alice, "", "", false, AuthMethods::password());
  for (int i = 0; i < 49; ++i) {  // 49 × 29 min = 1421 min < 24 h
    clock.advance(minutes(29));
    ASSERT_TRUE(check(svc, s->token)) << i;
  }
  clock.advance(minutes(29));  // now past the 24 h absolute limit
  auto late = check(svc, s->token);
  ASSERT_EQ(outcome(late), "unauthenticated:session_expired");
  EXPECT_NE(late.error().text().find("expired"), std::string_view::npos);
  EXPECT_EQ(svc.cache_size(), 0u);
  // Counted where it leaves the store, so processes sharing it count it once.
  EXPECT_EQ(metrics.get(Counter::sessions_expired), 0u);
  svc.purge_expired();
  EXPECT_EQ(metrics.get(Counter::sessions_expired), 1u);
}

// Unused for longer than the idle timeout: gone.
TEST_F(SessionServiceTest, IdleTimeoutEnds) {
  auto svc = make();
  auto s = svc.create(alice, "", "", false, AuthMethods::password());
  clock.advance(minutes(31));
  EXPECT_EQ(outcome(check(svc, s->token)), "unauthenticated:session_expired");
  // Ended for good: the next try no longer finds it.
  EXPECT_EQ(outcome(check(svc, s->token)), "unauthenticated:session_unknown");
}

// "Keep me signed in": the session outlives session.idle_timeout unused and
// ends at session.remember_idle_timeout, in the cache, after a restart
// (another process reading the store) and in the purge. Its expiry says so.
TEST_F(SessionServiceTest, RememberedSessionsHaveTheirOwnIdleBound) {
  config.session.remember_idle_timeout = minutes(3 * 60);
  auto svc = make();
  auto kept = svc.create(alice, "", "", /*remember=*/true, AuthMethods::password());
  auto plain = svc.create(bob, "", "", false, AuthMethods::password());
  EXPECT_EQ(kept->info.expires_ms - kept->info.created_ms, milliseconds(minutes(3 * 60)).count());
  EXPECT_EQ(plain->info.expires_ms - plain->info.created_ms, milliseconds(minutes(30)).count());
  clock.advance(minutes(2 * 60));
  EXPECT_EQ(outcome(check(svc, plain->token)), "unauthenticated:session_expired");
  ASSERT_EQ(outcome(check(svc, kept->token)), "ok");
  svc.flush_touches();
  auto restarted = other();
  clock.advance(minutes(2 * 60 + 59));  // within 3 h of its last use
  ASSERT_EQ(outcome(check(restarted, kept->token)), "ok");
  restarted.flush_touches();
  clock.advance(minutes(3 * 60 + 1));
  EXPECT_EQ(outcome(check(restarted, kept->token)), "unauthenticated:session_expired");
  svc.purge_expired();
  auto fresh = other();
  EXPECT_EQ(outcome(check(fresh, kept->token)), "unauthenticated:session_unknown");  // purged
}

// The remembered bound is held between session.idle_timeout and session.absolute_timeout.
TEST(IdleBounds, RememberedBoundIsClamped) {
  Config c;
  c.session.idle_timeout = minutes(30);
  c.session.absolute_timeout = minutes(600);
  c.session.remember_idle_timeout = minutes(10);
  EXPECT_EQ(idle_bounds(c).remembered_ms, milliseconds(minutes(30)).count());
  c.session.remember_idle_timeout = minutes(6000);
  EXPECT_EQ(idle_bounds(c).remembered_ms, milliseconds(minutes(600)).count());
  c.session.remember_idle_timeout = minutes(120);
  EXPECT_EQ(idle_bounds(c).remembered_ms, milliseconds(minutes(120)).count());
  EXPECT_EQ(idle_bounds(c).plain_ms, milliseconds(minutes(30)).count());
}

// Last-seen reaches the store at most once per touch interval, in batches.
TEST_F(SessionServiceTest, TouchesAreThrottled) {
  auto svc = make();
  auto s = svc.create(alice, "", "", false, AuthMethods::password());
  long long created = store.find(s->info.id)->last_seen_ms;
  for (int i = 0; i < 100; ++i) {
    clock.advance(milliseconds(100));
    ASSERT_TRUE(check(svc, s->token));
  }
  svc.flush_touches();
  EXPECT_EQ(store.find(s->info.id)->last_seen_ms, created);  // 10 s < 60 s interval: no write
  clock.advance(minutes(1));
  ASSERT_TRUE(check(svc, s->token));
  svc.flush_touches();
  EXPECT_GT(store.find(s->info.id)->last_seen_ms, created);
}

// Revoke is durable and immediate; revoke_user ends only that user's sessions.
TEST_F(SessionServiceTest, RevokeAndRevokeUser) {
  auto svc = make();
  auto a1 = svc.create(alice, "", "", false, AuthMethods::password());
  auto a2 = svc.create(alice, "", "", false, AuthMethods::password());
  auto b1 = svc.create(bob, "", "", false, AuthMethods::password());
  EXPECT_TRUE(*svc.revoke(a1->info.id));
  EXPECT_EQ(outcome(check(svc, a1->token)), "unauthenticated:session_unknown");
  EXPECT_EQ(outcome(store.find(a1->info.id)), "not_found");
  EXPECT_FALSE(*svc.revoke(a1->info.id));
  EXPECT_EQ(*svc.revoke_user(alice.id), 1u);
  EXPECT_EQ(outcome(check(svc, a2->token)), "unauthenticated:session_unknown");
  EXPECT_EQ(outcome(check(svc, b1->token)), "ok");
}

// revoke(id, user_id) ends only the caller's live session: another user's
// id and an idly expired one answer false and change nothing.
TEST_F(SessionServiceTest, RevokeOwnedOnly) {
  auto svc = make();
  auto a = svc.create(alice, "", "", false, AuthMethods::password());
  auto b = svc.create(bob, "", "", false, AuthMethods::password());
  EXPECT_FALSE(*svc.revoke(b->info.id, alice.id));
  EXPECT_EQ(outcome(check(svc, b->token)), "ok");
  EXPECT_TRUE(store.find(b->info.id));
  EXPECT_FALSE(*svc.revoke("not-a-session-id", alice.id));
  EXPECT_TRUE(*svc.revoke(a->info.id, alice.id));
  EXPECT_EQ(outcome(check(svc, a->token)), "unauthenticated:session_unknown");
  EXPECT_EQ(outcome(store.find(a->info.id)), "not_found");
  EXPECT_FALSE(*svc.revoke(a->info.id, alice.id));
  EXPECT_EQ(metrics.get(Counter::sessions_revoked), 1u);
  // Idle past the timeout but not purged yet: list_user leaves it out, so it is not the caller's to end here.
  auto stale = svc.create(alice, "", "", false, AuthMethods::password());
  clock.advance(minutes(31));
  EXPECT_FALSE(*svc.revoke(stale->info.id, alice.id));
  EXPECT_TRUE(store.find(stale->info.id));
}

// A login racing a logout-all of the same user: whatever the order, the new
// session is either in the store and the cache, or in neither. The store
// below pauses right after a create is durable, which is where the race was:
// a revoke_user then found nothing in the cache to erase, and the session
// lived on in memory only.
TEST_F(SessionServiceTest, CreateAndRevokeUserAreLinearisable) {
  class PausingStore : public testing::SessionStoreDecorator {
   public:
    using SessionStoreDecorator::SessionStoreDecorator;
    Result<void> create(const SessionRecord& r) override {
      auto done = inner_.create(r);
      created.store(true);
      std::this_thread::sleep_for(milliseconds(50));
      return done;
    }
    std::atomic<bool> created{false};
  };
  PausingStore pausing(store);
  SessionService svc({config, pausing, directory, clock, rng, metrics});
  Result<NewSession> made = ErrorCode::internal;
  std::thread login([&] { made = svc.create(alice, "", "", false, AuthMethods::password()); });
  for (int i = 0; i < 2000 && !pausing.created.load(); ++i) std::this_thread::sleep_for(milliseconds(1));
  ASSERT_TRUE(pausing.created.load());
  auto revoked = svc.revoke_user(alice.id);
  login.join();
  ASSERT_TRUE(made);
  ASSERT_TRUE(revoked);
  EXPECT_EQ(*revoked, 1u);  // the logout-all waited for the login and ended it
  auto who = check(svc, made->token);
  EXPECT_EQ(outcome(who), "unauthenticated:session_unknown") << "the session lives on in memory";
  EXPECT_EQ(outcome(pausing.find(made->info.id)), "not_found");
}

// A restart (a new service over the same store) reads nothing at start,
// then finds live sessions on first use, not revoked ones.
TEST_F(SessionServiceTest, ARestartReadsSessionsOnFirstUse) {
  std::string live, revoked;
  {
    auto svc = make();
    live = svc.create(alice, "", "", false, AuthMethods::password())->token;
    auto r = svc.create(alice, "", "", false, AuthMethods::password());
    revoked = r->token;
    ASSERT_TRUE(svc.revoke(r->info.id));
  }
  auto again = make();
  EXPECT_EQ(again.cache_size(), 0u);
  EXPECT_EQ(counting.finds.load(), 0);
  EXPECT_EQ(outcome(check(again, live)), "ok");
  EXPECT_EQ(outcome(check(again, revoked)), "unauthenticated:session_unknown");
  EXPECT_EQ(counting.finds.load(), 2);
  EXPECT_EQ(again.cache_size(), 1u);
}

// Changes made by another process reach the cache through evict(),
// evict_user() and the user directory (the change feed calls them). Until
// then a cached session stays valid here; after, the store is asked again.
TEST_F(SessionServiceTest, EvictionsFollowOtherProcesses) {
  auto svc = make();
  auto a = svc.create(alice, "", "", false, AuthMethods::password());
  auto a2 = svc.create(alice, "", "", false, AuthMethods::password());
  auto b = svc.create(bob, "", "", false, AuthMethods::password());
  ASSERT_TRUE(store.remove(a->info.id));  // another process revoked it
  EXPECT_EQ(outcome(check(svc, a->token)), "ok");  // not told yet
  svc.evict(a->info.id);
  svc.evict(a->info.id);  // idempotent
  EXPECT_EQ(outcome(check(svc, a->token)), "unauthenticated:session_unknown");
  // An eviction is not a revocation: a session still in the store comes back.
  svc.evict(a2->info.id);
  EXPECT_EQ(svc.cache_size(), 1u);
  EXPECT_EQ(outcome(check(svc, a2->token)), "ok");
  ASSERT_TRUE(users.set_disabled(bob.id, true));
  ASSERT_TRUE(directory.refresh(bob.id));
  auto disabled = check(svc, b->token);
  EXPECT_EQ(outcome(disabled), "unauthenticated:account_disabled");
  EXPECT_EQ(disabled.error().text(), "The account is disabled.");
  ASSERT_TRUE(users.set_disabled(bob.id, false));
  ASSERT_TRUE(users.set_roles(bob.id, {"ops"}));
  ASSERT_TRUE(directory.refresh(bob.id));
  EXPECT_EQ(check(svc, b->token)->principal->roles_header, "ops");
  ASSERT_TRUE(store.remove_user(bob.id));
  svc.evict_user(bob.id);
  svc.evict_user(bob.id);
  svc.evict_user("u-nobody");
  EXPECT_EQ(outcome(check(svc, b->token)), "unauthenticated:session_unknown");
  EXPECT_EQ(outcome(check(svc, a2->token)), "ok");  // alice's stay
  svc.evict("not-a-session-id");                   // nothing to do, nothing breaks
}

// The purge sweeps expired sessions from cache and store.
TEST_F(SessionServiceTest, PurgeExpired) {
  auto svc = make();
  auto s = svc.create(alice, "", "", false, AuthMethods::password());
  clock.advance(minutes(31));
  svc.purge_expired();
  EXPECT_EQ(svc.cache_size(), 0u);
  EXPECT_EQ(outcome(store.find(s->info.id)), "not_found");
  EXPECT_EQ(outcome(check(svc, s->token)), "unauthenticated:session_unknown");
  EXPECT_EQ(metrics.get(Counter::sessions_expired), 1u);
}

// Ids come from the injected Random: a repeated id (forced here by rewinding
// a fake one) is refused by the store, never overwrites the session that has
// it, and is not cached.
TEST_F(SessionServiceTest, ARepeatedIdNeverReplacesASession) {
  testing::FakeRandom fake;
  SessionService svc({config, store, directory, clock, fake, metrics});
  auto before = fake.position();
  auto first = svc.create(alice, "", "", false, AuthMethods::password());
  ASSERT_TRUE(first);
  fake.rewind(before);
  auto twin = svc.create(bob, "", "", false, AuthMethods::password());
  ASSERT_FALSE(twin);
  EXPECT_EQ(twin.error().code, ErrorCode::internal);
  auto who = check(svc, first->token);
  ASSERT_TRUE(who);
  EXPECT_EQ(who->principal->username, "alice");
  EXPECT_EQ(svc.cache_size(), 1u);
}

// A cached session is answered without the store; the hit is counted.
TEST_F(SessionServiceTest, HitNeedsNoStoreRead) {
  auto svc = make();
  auto s = svc.create(alice, "", "", false, AuthMethods::password());
  auto hit = svc.cached(s->token);
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(outcome(*hit), "ok");
  EXPECT_EQ(counting.finds.load(), 0);
  EXPECT_EQ(metrics.get(Counter::session_cache_hits), 1u);
  EXPECT_EQ(metrics.get(Counter::session_cache_misses), 0u);
}

// session.cache_entries = 0 (the per-request-lookup design, for comparison):
// every check reads the store exactly once, a session created here included;
// nothing is cached, not even a made-up id; a revocation elsewhere is refused
// at the next check with no eviction needed.
TEST_F(SessionServiceTest, WithoutACacheEveryCheckReadsTheStoreOnce) {
  config.session.cache_entries = 0;
  auto elsewhere = other();
  auto svc = make();
  auto here = svc.create(alice, "", "", false, AuthMethods::password());
  auto there = elsewhere.create(bob, "", "", false, AuthMethods::password());
  EXPECT_EQ(svc.cache_size(), 0u);
  for (int i = 1; i <= 3; ++i) {
    EXPECT_FALSE(svc.cached(here->token).has_value());
    ASSERT_EQ(outcome(check(svc, here->token)), "ok");
    ASSERT_EQ(outcome(check(svc, there->token)), "ok");
    EXPECT_EQ(counting.finds.load(), 2 * i);
  }
  OsRandom other_rng;
  const std::string made_up = SessionToken::generate(other_rng).text();
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(outcome(check(svc, made_up)), "unauthenticated:session_unknown");
    EXPECT_EQ(counting.finds.load(), 6 + i);
  }
  std::string forged = here->token;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(outcome(check(svc, forged)), "unauthenticated:session_secret_mismatch");
  EXPECT_EQ(counting.finds.load(), 10);
  ASSERT_TRUE(elsewhere.revoke(there->info.id));  // no feed here: nothing evicts
  EXPECT_EQ(outcome(check(svc, there->token)), "unauthenticated:session_unknown");
  EXPECT_EQ(svc.cache_size(), 0u);
  EXPECT_EQ(metrics.get(Counter::session_cache_hits), 0u);
  EXPECT_EQ(metrics.get(Counter::session_cache_negative_hits), 0u);
}

// Without a cache, sliding still reaches the store: the checks of a session
// due for a touch queue one each, and a flush sends one, the latest.
TEST_F(SessionServiceTest, WithoutACacheTouchesAreSentOncePerSession) {
  config.session.cache_entries = 0;
  auto svc = make();
  auto s = svc.create(alice, "", "", false, AuthMethods::password());
  clock.advance(minutes(1));  // the touch interval: idle / 10, at most 60 s
  for (int i = 0; i < 5; ++i) {
    clock.advance(milliseconds(10));
    ASSERT_EQ(outcome(check(svc, s->token)), "ok");
  }
  svc.flush_touches();
  EXPECT_EQ(counting.touched.load(), 1);
  EXPECT_EQ(store.find(s->info.id)->last_seen_ms, s->info.last_seen_ms + 60'000 + 50);
  // Used well within the idle timeout, it stays valid however long it lives.
  for (int i = 0; i < 10; ++i) {
    clock.advance(minutes(20));
    ASSERT_EQ(outcome(check(svc, s->token)), "ok") << i;
    svc.flush_touches();
  }
}

// A session another process created is not cached here: cached() says ask
// the store, one fill() reads it, and from then on it is a hit.
TEST_F(SessionServiceTest, MissThenFillThenHit) {
  auto elsewhere = other();
  auto s = elsewhere.create(alice, "10.0.0.1", "Firefox", false, AuthMethods::password());
  auto svc = make();
  EXPECT_FALSE(svc.cached(s->token).has_value());
  EXPECT_EQ(metrics.get(Counter::session_cache_misses), 1u);
  ASSERT_TRUE(svc.fill(s->info.id));
  EXPECT_EQ(counting.finds.load(), 1);
  EXPECT_EQ(svc.cache_size(), 1u);
  auto hit = svc.cached(s->token);
  ASSERT_TRUE(hit.has_value());
  ASSERT_EQ(outcome(*hit), "ok");
  EXPECT_EQ((*hit)->principal->username, "alice");
  EXPECT_EQ((*hit)->id_view(), s->info.id);
  EXPECT_EQ(counting.finds.load(), 1);
  // The other process's verdicts stand here too: a wrong secret is refused.
  std::string forged = s->token;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(outcome(check(svc, forged)), "unauthenticated:session_secret_mismatch");
}

// A made-up id costs one store read; repeats within kUnknownTtlMs are
// answered by the negative cache, after it one more read.
TEST_F(SessionServiceTest, UnknownIdsAreRememberedBriefly) {
  auto svc = make();
  OsRandom other_rng;
  const std::string made_up = SessionToken::generate(other_rng).text();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(outcome(check(svc, made_up)), "unauthenticated:session_unknown") << i;
  EXPECT_EQ(counting.finds.load(), 1);
  EXPECT_EQ(metrics.get(Counter::session_cache_negative_hits), 4u);
  EXPECT_EQ(svc.cache_size(), 0u);  // never adopted
  clock.advance(milliseconds(SessionService::kUnknownTtlMs));
  EXPECT_FALSE(svc.cached(made_up).has_value());
  EXPECT_EQ(outcome(check(svc, made_up)), "unauthenticated:session_unknown");
  EXPECT_EQ(counting.finds.load(), 2);
}

// The cache holds at most session.cache_entries sessions; the ones pushed
// out are counted and still authenticate, through one more store read.
TEST_F(SessionServiceTest, TheBoundHolds) {
  config.session.cache_entries = 32;  // 2 per shard (tests may go below the config minimum)
  auto elsewhere = other();
  auto svc = make();
  std::vector<std::string> tokens;
  for (int i = 0; i < 100; ++i) tokens.push_back(elsewhere.create(i % 2 ? alice : bob, "", "", false, AuthMethods::password())->token);
  for (int i = 0; i < 50; ++i) tokens.push_back(svc.create(alice, "", "", false, AuthMethods::password())->token);  // created here, cached too
  EXPECT_LE(svc.cache_size(), 32u);
  for (const auto& t : tokens) {
    ASSERT_EQ(outcome(check(svc, t)), "ok");
    ASSERT_LE(svc.cache_size(), 32u);
  }
  for (const auto& t : tokens) ASSERT_EQ(outcome(check(svc, t)), "ok");  // evicted ones come back
  EXPECT_LE(svc.cache_size(), 32u);
  // Every fill or create beyond what is cached pushed one out.
  const auto placed = static_cast<std::uint64_t>(50 + counting.finds.load());
  EXPECT_EQ(metrics.get(Counter::session_cache_evictions), placed - svc.cache_size());
  EXPECT_GT(metrics.get(Counter::session_cache_evictions), 0u);
}

// CLOCK: a full shard evicts the first entry that was not used since the
// hand last passed, so a session in use outlives one that was only filled.
TEST_F(SessionServiceTest, EvictionSparesTheUsedSession) {
  config.session.cache_entries = 2 * SessionService::kShards;  // 2 per shard
  auto elsewhere = other();
  auto svc = make();
  // Three sessions of one shard (the shard is the id's hash, as the service picks it).
  auto shard = [](const NewSession& s) { return std::hash<std::string_view>{}(s.info.id) % SessionService::kShards; };
  std::vector<NewSession> same;
  same.push_back(*elsewhere.create(alice, "", "", false, AuthMethods::password()));
  for (int i = 0; i < 1000 && same.size() < 3; ++i) {
    auto s = *elsewhere.create(alice, "", "", false, AuthMethods::password());
    if (shard(s) == shard(same[0])) same.push_back(s);
  }
  ASSERT_EQ(same.size(), 3u);
  const auto& [used, idle, late] = std::tie(same[0], same[1], same[2]);
  ASSERT_EQ(outcome(check(svc, used.token)), "ok");  // filled
  ASSERT_EQ(outcome(check(svc, idle.token)), "ok");  // filled
  ASSERT_EQ(outcome(*svc.cached(used.token)), "ok");  // used again: its bit is set
  ASSERT_EQ(outcome(check(svc, late.token)), "ok");  // full: one must go
  EXPECT_TRUE(svc.cached(used.token).has_value());
  EXPECT_FALSE(svc.cached(idle.token).has_value());
  EXPECT_EQ(metrics.get(Counter::session_cache_evictions), 1u);
}

// The race guard: a fill whose store read came before an eviction of the
// same id (another process revoked it meanwhile) caches nothing. The read
// still answers the request that asked; the next one asks the store again.
TEST_F(SessionServiceTest, AFillOlderThanAnEvictionIsNotCached) {
  auto elsewhere = other();
  auto s = elsewhere.create(alice, "", "", false, AuthMethods::password());
  // The change feed's eviction lands between the store read and the insert.
  class EvictingStore : public testing::SessionStoreDecorator {
   public:
    using SessionStoreDecorator::SessionStoreDecorator;
    Result<SessionRecord> find(const std::string& id) override {
      auto read = inner_.find(id);
      if (service) service->evict(id);
      return read;
    }
    SessionService* service = nullptr;
  };
  EvictingStore racing(store);
  SessionService svc({config, racing, directory, clock, rng, metrics});
  racing.service = &svc;
  SessionService::FillRead read;
  ASSERT_TRUE(svc.fill(s->info.id, &read));
  EXPECT_EQ(svc.cache_size(), 0u) << "a stale read was cached after the eviction";
  EXPECT_EQ(outcome(svc.filled(s->token, read)), "ok");
  EXPECT_FALSE(svc.cached(s->token).has_value());
  // Without the race the same fill caches it.
  racing.service = nullptr;
  ASSERT_TRUE(svc.fill(s->info.id));
  EXPECT_EQ(svc.cache_size(), 1u);
  // An eviction of an id that was never cached still counts for the guard.
  auto t = elsewhere.create(bob, "", "", false, AuthMethods::password());
  racing.service = &svc;
  ASSERT_TRUE(svc.fill(t->info.id));
  EXPECT_EQ(svc.cache_size(), 1u);
}

// Idle by this process's account, alive in the store because another
// process served it meanwhile: the cached entry is re-read, not expired.
TEST_F(SessionServiceTest, IdleHereButUsedElsewhereStaysValid) {
  auto svc = make();
  auto elsewhere = other();
  auto s = svc.create(alice, "", "", false, AuthMethods::password());
  clock.advance(minutes(20));
  ASSERT_EQ(outcome(check(elsewhere, s->token)), "ok");  // used through the other process
  clock.advance(minutes(5));
  ASSERT_EQ(outcome(check(elsewhere, s->token)), "ok");
  elsewhere.flush_touches();
  clock.advance(minutes(15));  // 40 min since this process saw it, 15 since the other did
  EXPECT_FALSE(svc.cached(s->token).has_value());  // looks idle here: ask the store
  auto who = check(svc, s->token);
  ASSERT_EQ(outcome(who), "ok");
  EXPECT_EQ(counting.finds.load(), 1);
  EXPECT_EQ(svc.cache_size(), 1u);
  // Unused everywhere for the idle timeout: the store's record says expired.
  clock.advance(minutes(31));
  EXPECT_EQ(outcome(check(svc, s->token)), "unauthenticated:session_expired");
}

// A store that fails during a fill is an outage, never "no session": the
// error comes back as it is, and nothing is remembered as unknown.
TEST_F(SessionServiceTest, StoreFailureOnFillIsUnavailable) {
  auto elsewhere = other();
  auto s = elsewhere.create(alice, "", "", false, AuthMethods::password());
  auto svc = make();
  store_down = true;
  auto filled = svc.fill(s->info.id);
  ASSERT_FALSE(filled);
  EXPECT_EQ(filled.error().code, ErrorCode::store_unavailable);
  EXPECT_EQ(outcome(check(svc, s->token)), "store_unavailable");
  EXPECT_FALSE(svc.cached(s->token).has_value());
  store_down = false;
  EXPECT_EQ(outcome(check(svc, s->token)), "ok");
}

// list_user and revoke(id, user) work from the store's records, for
// sessions this process never cached; a cached later last-seen wins.
TEST_F(SessionServiceTest, ListAndRevokeSessionsNotCachedHere) {
  auto elsewhere = other();
  auto a = elsewhere.create(alice, "10.0.0.1", "Firefox", false, AuthMethods::password());
  clock.advance(minutes(1));
  auto svc = make();
  auto mine = svc.create(alice, "10.0.0.2", "curl", false, AuthMethods::password());
  clock.advance(minutes(10));
  ASSERT_EQ(outcome(check(svc, mine->token)), "ok");  // slides here, not yet in the store
  auto listed = svc.list_user(alice.id);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, a->info.id);
  EXPECT_EQ((*listed)[0].ip, "10.0.0.1");
  EXPECT_EQ((*listed)[0].last_seen_ms, a->info.last_seen_ms);
  EXPECT_EQ((*listed)[0].expires_ms, a->info.expires_ms);
  EXPECT_EQ((*listed)[1].last_seen_ms, a->info.last_seen_ms + 11 * 60'000);  // the cached time
  EXPECT_EQ(svc.cache_size(), 1u);
  EXPECT_FALSE(*svc.revoke(a->info.id, bob.id));
  EXPECT_TRUE(*svc.revoke(a->info.id, alice.id));
  EXPECT_EQ(outcome(store.find(a->info.id)), "not_found");
  EXPECT_EQ(svc.list_user(alice.id)->size(), 1u);
  // Idle by the store and by this cache: not the caller's to end any more.
  auto stale = elsewhere.create(alice, "", "", false, AuthMethods::password());
  clock.advance(minutes(31));
  EXPECT_FALSE(*svc.revoke(stale->info.id, alice.id));
  EXPECT_TRUE(store.find(stale->info.id));
}

}  // namespace
}  // namespace cloakroom
