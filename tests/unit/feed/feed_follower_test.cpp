#include "feed/feed_follower.h"

#include <gtest/gtest.h>

#include <latch>
#include <thread>

#include "store/memory/change_feed.h"
#include "store/sqlite/change_feed.h"
#include "support/fake_clock.h"
#include "support/store_decorators.h"
#include "support/temp_sqlite.h"

namespace cloakroom {
namespace {

using std::chrono::milliseconds;

// A follower over one feed and registry, recording what it applies.
struct Harness {
  Harness(std::shared_ptr<ChangeFeed> f, NodeRegistry& r)
      : feed(std::move(f)),
        follower(FollowerDeps{{feed}, {}, r, clock, freshness,
                              [this](const Change& c) -> Result<void> {
                                if (fail_apply) return Error{ErrorCode::store_unavailable};
                                applied.push_back(c.subject);
                                return {};
                              },
                              [this]() -> Result<void> {
                                ++resyncs;
                                return {};
                              }}) {}
  std::shared_ptr<ChangeFeed> feed;
  testing::FakeClock clock{SystemTime{} + std::chrono::seconds(1'800'000'000)};
  Freshness freshness{milliseconds(2000)};
  std::vector<std::string> applied;
  int resyncs = 0;
  bool fail_apply = false;
  FeedFollower follower;
};

Change revoked(std::string id) { return Change{Change::Kind::session_revoked, std::move(id)}; }

// Entries written before start() are already in the state the caller loads
// next; only later ones are applied, in order, once each.
TEST(FeedFollower, AppliesOnlyWhatCameAfterStartInOrder) {
  auto feed = std::make_shared<memory::ChangeFeed>();
  memory::NodeRegistry registry;
  ASSERT_TRUE(feed->append(revoked("old")));
  Harness h(feed, registry);
  ASSERT_TRUE(h.follower.start());
  ASSERT_TRUE(feed->append(revoked("a")));
  ASSERT_TRUE(feed->append(revoked("b")));
  h.follower.poll();
  h.follower.poll();
  EXPECT_EQ(h.applied, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(h.follower.status().at(0).position, 3);
}

// An entry that cannot be applied stops the poll there and is retried; the
// process does not confirm freshness meanwhile.
TEST(FeedFollower, RetriesAnEntryThatFailedToApply) {
  auto feed = std::make_shared<memory::ChangeFeed>();
  memory::NodeRegistry registry;
  Harness h(feed, registry);
  ASSERT_TRUE(h.follower.start());
  ASSERT_TRUE(feed->append(revoked("a")));
  h.fail_apply = true;
  h.follower.poll();
  EXPECT_TRUE(h.applied.empty());
  EXPECT_EQ(h.follower.status().at(0).position, 0);
  h.fail_apply = false;
  h.follower.poll();  // changed() said so only once, but the entry is still owed: read again
  EXPECT_EQ(h.applied, (std::vector<std::string>{"a"}));
}

// An entry that keeps failing to apply is retried on every tick (not once
// a second), and the process is not fresh meanwhile: the entries behind it
// may be revocations.
TEST(FeedFollower, AStuckEntryIsRetriedEveryTickAndNeverConfirmsFreshness) {
  auto feed = std::make_shared<memory::ChangeFeed>();
  memory::NodeRegistry registry;
  Harness h(feed, registry);
  Freshness tight(milliseconds(0));
  int tries = 0;
  bool failing = true;
  FeedFollower follower(FollowerDeps{{feed}, {}, registry, h.clock, tight,
                                     [&](const Change&) -> Result<void> {
                                       ++tries;
                                       if (failing) return Error{ErrorCode::store_unavailable};
                                       return {};
                                     },
                                     []() -> Result<void> { return {}; }});
  ASSERT_TRUE(follower.start());
  const long long confirmed_at_start = tight.fresh_until_ms();
  ASSERT_TRUE(feed->append(revoked("a")));
  ASSERT_TRUE(feed->append(revoked("b")));
  for (int tick = 0; tick < 10; ++tick) {
    std::this_thread::sleep_for(milliseconds(5));
    follower.poll();
    EXPECT_EQ(tight.fresh_until_ms(), confirmed_at_start);  // never moved forward
  }
  EXPECT_EQ(tries, 10);
  failing = false;
  std::this_thread::sleep_for(milliseconds(5));
  const long long before_poll = Freshness::now_ms();
  follower.poll();
  const FeedStatus status = follower.status().at(0);
  EXPECT_EQ(status.position, 2);
  // Answered during the poll: at most the time since (the coarse clock may tick in between).
  EXPECT_LE(status.unanswered_ms, Freshness::now_ms() - before_poll);
}

// Positions have no gaps: an entry after a jump (lost entries covered by
// new writes, e.g. a failover to a stale replica) or of a kind this build
// does not know makes the process start over, never skip.
TEST(FeedFollower, AGapOrAnUnknownKindResyncs) {
  struct Gappy : testing::ChangeFeedDecorator {
    using ChangeFeedDecorator::ChangeFeedDecorator;
    Result<std::vector<FeedEntry>> read(long long position, std::size_t max) override {
      auto entries = ChangeFeedDecorator::read(position, max);
      if (entries && !entries->empty() && skip) entries->erase(entries->begin());
      if (entries && !entries->empty() && unknown) entries->front().known = false;
      return entries;
    }
    bool skip = false, unknown = false;
  };
  memory::ChangeFeed inner;
  auto feed = std::make_shared<Gappy>(inner);
  memory::NodeRegistry registry;
  Harness h(feed, registry);
  ASSERT_TRUE(h.follower.start());
  feed->skip = true;
  ASSERT_TRUE(inner.append(revoked("lost")));
  ASSERT_TRUE(inner.append(revoked("after")));
  h.follower.poll();
  EXPECT_EQ(h.resyncs, 1);
  EXPECT_TRUE(h.applied.empty());
  EXPECT_EQ(h.follower.status().at(0).position, 2);
  feed->skip = false;
  feed->unknown = true;
  ASSERT_TRUE(inner.append(revoked("from a newer build")));
  h.follower.poll();
  EXPECT_EQ(h.resyncs, 2);
  EXPECT_TRUE(h.applied.empty());
}

// Heartbeats carry the applied position: at join, after applying, and every
// interval; leave() takes the node off the registry.
TEST(FeedFollower, HeartbeatsCarryThePosition) {
  testing::TempSqlite file;
  auto follower_db = sqlite::Database::open(file.path());
  ASSERT_TRUE(follower_db);
  auto feed = std::make_shared<sqlite::ChangeFeed>(*follower_db);
  sqlite::NodeRegistry registry(*follower_db);
  Harness h(feed, registry);
  ASSERT_TRUE(h.follower.start());
  h.follower.join(NodeIdentity{"host", "127.0.0.1:1", 42});
  auto nodes = registry.list();
  ASSERT_TRUE(nodes);
  ASSERT_EQ(nodes->size(), 1u);
  EXPECT_EQ((*nodes)[0].id, "host/127.0.0.1:1");
  EXPECT_EQ((*nodes)[0].pid, 42);
  const long long first_beat = (*nodes)[0].heartbeat_ms;

  sqlite::ChangeFeed writer(file.db());  // another process's connection
  ASSERT_TRUE(writer.append(revoked("a")));
  h.follower.poll();
  EXPECT_EQ(registry.list()->at(0).applied_on(feed->name()), 1);

  h.clock.advance(milliseconds(600));
  h.follower.poll();
  EXPECT_EQ(registry.list()->at(0).heartbeat_ms, first_beat + 600);
  h.follower.leave();
  EXPECT_TRUE(registry.list()->empty());
}

// The heartbeat carries the keys the process holds as they are after the
// entries it reports applied: a key change applied shows in the beat that
// first reports its position, never a beat later.
TEST(FeedFollower, HeartbeatsCarryTheKeysHeldAfterApplying) {
  auto feed = std::make_shared<memory::ChangeFeed>();
  memory::NodeRegistry registry;
  testing::FakeClock clock{SystemTime{} + std::chrono::seconds(1'800'000'000)};
  Freshness freshness{milliseconds(2000)};
  HeldKeys held = HeldKeys::of({"old"}, false);
  FeedFollower follower(FollowerDeps{{feed}, {}, registry, clock, freshness,
                                     [&](const Change& c) -> Result<void> {
                                       if (c.kind == Change::Kind::keys_changed) held = HeldKeys::of({"old", "new"}, false);
                                       return {};
                                     },
                                     [] { return Result<void>{}; }, [&] { return held; }});
  ASSERT_TRUE(follower.start());
  follower.join(NodeIdentity{"host", "127.0.0.1:1", 42});
  EXPECT_EQ(registry.list()->at(0).keys.kids, std::vector<std::string>{"old"});
  ASSERT_TRUE(feed->append(Change{Change::Kind::keys_changed}));
  follower.poll();
  const NodeRecord n = registry.list()->at(0);
  EXPECT_EQ(n.applied_on(feed->name()), 1);
  EXPECT_TRUE(n.keys.holds("new"));
}

// A feed that was pruned past the position, or went backwards, is not
// replayed: the caller resyncs and following restarts at the feed's end.
TEST(FeedFollower, ResyncsWhenTheFeedCannotBeReplayed) {
  auto feed = std::make_shared<memory::ChangeFeed>();
  memory::NodeRegistry registry;
  Harness h(feed, registry);
  ASSERT_TRUE(h.follower.start());
  testing::ChangeFeedDecorator gone(*feed);
  // Pruned past us: entries 1..3 written and dropped before we read them.
  for (auto id : {"a", "b", "c"}) ASSERT_TRUE(feed->append(revoked(id)));
  ASSERT_TRUE(feed->prune(4'000'000'000'000));
  h.clock.advance(milliseconds(1100));
  h.follower.poll();
  EXPECT_EQ(h.resyncs, 1);
  EXPECT_TRUE(h.applied.empty());
  EXPECT_EQ(h.follower.status().at(0).position, 3);
}

// Fail closed: while the feed does not answer, freshness is not confirmed
// and ages past its bound; the first poll that reaches the feed restores it.
TEST(FeedFollower, FreshnessOnlyWhileTheFeedAnswers) {
  memory::ChangeFeed inner;
  std::atomic<bool> down{false};
  auto feed = std::make_shared<testing::ChangeFeedDecorator>(inner, &down);
  memory::NodeRegistry registry;
  Harness h(feed, registry);
  Freshness tight(milliseconds(0));
  FeedFollower follower(FollowerDeps{{feed}, {}, registry, h.clock, tight, [](const Change&) -> Result<void> { return {}; },
                                     []() -> Result<void> { return {}; }});
  ASSERT_TRUE(follower.start());
  down = true;
  std::this_thread::sleep_for(milliseconds(20));  // the coarse clock moves in steps of a few ms
  follower.poll();
  EXPECT_FALSE(tight.fresh());
  down = false;
  const long long before_poll = Freshness::now_ms();
  follower.poll();
  EXPECT_GE(tight.fresh_until_ms(), before_poll);  // confirmed again (fresh() would race the coarse clock's tick)
}

// Each feed has its own bound: a users' feed on another backend that stops
// answering does not make checks stale until its longer bound has passed,
// while the sessions' feed does at once.
TEST(FeedFollower, EachFeedAgesAgainstItsOwnBound) {
  memory::ChangeFeed users_inner, sessions_inner;
  std::atomic<bool> users_down{false}, sessions_down{false};
  auto users = std::make_shared<testing::ChangeFeedDecorator>(users_inner, &users_down);
  auto sessions = std::make_shared<testing::ChangeFeedDecorator>(sessions_inner, &sessions_down);
  memory::NodeRegistry registry;
  testing::FakeClock clock;
  Freshness freshness{milliseconds(0)};
  FeedFollower follower(FollowerDeps{{users, sessions}, {milliseconds(60'000), milliseconds(0)}, registry, clock,
                                     freshness, [](const Change&) -> Result<void> { return {}; },
                                     []() -> Result<void> { return {}; }});
  ASSERT_TRUE(follower.start());
  users_down = true;
  std::this_thread::sleep_for(milliseconds(20));  // past the coarse clock's resolution
  const long long before_poll = Freshness::now_ms();
  follower.poll();
  // The users' feed has a minute, so the deadline is the sessions' feed's
  // (just answered, no slack), not the users' last answer 20 ms ago. Read as
  // a deadline rather than fresh(): with a 0 ms bound, fresh() would depend on
  // the coarse clock not ticking between the poll and the assertion.
  EXPECT_GE(freshness.fresh_until_ms(), before_poll);
  EXPECT_GE(follower.unanswered_ms(), 10);
  sessions_down = true;
  std::this_thread::sleep_for(milliseconds(20));
  follower.poll();
  EXPECT_FALSE(freshness.fresh());  // the sessions' feed has no slack
}

// A users' feed whose backend hangs (a stopped PostgreSQL: each call waits
// out its deadline) blocks only its own poll_feed(): on another thread the
// sessions' feed is read, applied and confirmed fresh meanwhile. Polled in
// turn on one thread, the hang delayed the sessions' feed past its bound.
TEST(FeedFollower, AFeedThatHangsDoesNotHoldUpAnother) {
  struct Hanging : testing::ChangeFeedDecorator {
    using ChangeFeedDecorator::ChangeFeedDecorator;
    Result<bool> changed() override {
      if (hang) {
        entered.count_down();
        release.wait();
      }
      return inner_.changed();
    }
    std::atomic<bool> hang{false};
    std::latch entered{1}, release{1};
  };
  memory::ChangeFeed users_inner, sessions_inner;
  auto users = std::make_shared<Hanging>(users_inner);
  auto sessions = std::make_shared<testing::ChangeFeedDecorator>(sessions_inner);
  memory::NodeRegistry registry;
  testing::FakeClock clock;
  Freshness freshness{milliseconds(0)};
  std::vector<std::string> applied;
  FeedFollower follower(FollowerDeps{{users, sessions}, {milliseconds(60'000), milliseconds(0)}, registry, clock,
                                     freshness,
                                     [&](const Change& c) -> Result<void> {
                                       applied.push_back(c.subject);
                                       return {};
                                     },
                                     []() -> Result<void> { return {}; }});
  ASSERT_TRUE(follower.start());
  users->hang = true;
  std::thread users_thread([&] { follower.poll_feed(0); });
  users->entered.wait();  // the users' poll is stuck inside the store call
  ASSERT_TRUE(sessions_inner.append(revoked("a")));
  std::this_thread::sleep_for(milliseconds(20));  // past the coarse clock's resolution
  const long long before_poll = Freshness::now_ms();
  follower.poll_feed(1);
  EXPECT_EQ(applied, (std::vector<std::string>{"a"}));
  EXPECT_EQ(follower.status().at(1).position, 1);
  // Confirmed up to the sessions' feed's deadline (no slack) although the
  // users' poll has not returned; a deadline, not fresh(): see above.
  EXPECT_GE(freshness.fresh_until_ms(), before_poll);
  users->release.count_down();
  users_thread.join();
  EXPECT_EQ(follower.status().at(0).position, 0);
}

// A registry that cannot be written is retried once per heartbeat interval,
// not every tick, and logged when it starts and stops failing, not per try.
TEST(FeedFollower, FailingHeartbeatsAreSpacedAndLoggedOnce) {
  auto feed = std::make_shared<memory::ChangeFeed>();
  memory::NodeRegistry inner;
  std::atomic<bool> down{false};
  struct Counting : testing::NodeRegistryDecorator {
    using NodeRegistryDecorator::NodeRegistryDecorator;
    Result<void> beat(const NodeRecord& node) override {
      ++beats;
      return NodeRegistryDecorator::beat(node);
    }
    int beats = 0;
  } registry{inner, &down};
  Harness h(feed, registry);
  ASSERT_TRUE(h.follower.start());
  h.follower.join(NodeIdentity{"host", "127.0.0.1:1", 1});
  down = true;
  ::testing::internal::CaptureStderr();
  const int before = registry.beats;
  for (int tick = 0; tick < 400; ++tick) {  // 2 s of 5 ms ticks
    h.clock.advance(milliseconds(5));
    h.follower.poll();
  }
  EXPECT_LE(registry.beats - before, 5);  // one try per 500 ms
  down = false;
  h.clock.advance(milliseconds(500));
  h.follower.poll();
  std::string log = ::testing::internal::GetCapturedStderr();
  auto count = [&](const std::string& what) {
    std::size_t n = 0;
    for (auto at = log.find(what); at != std::string::npos; at = log.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("\"heartbeat_failed\""), 1u) << log;
  EXPECT_EQ(count("\"heartbeat_recovered\""), 1u) << log;
  EXPECT_EQ(inner.list()->at(0).heartbeat_ms, unix_millis(h.clock.now()));
}

}  // namespace
}  // namespace cloakroom
