#include "store/redis/change_feed.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "core/freshness.h"
#include "feed/feed_follower.h"
#include "store/memory/change_feed.h"
#include "support/fake_clock.h"
#include "support/redis_server.h"

namespace cloakroom::redis {
namespace {

using testing::RedisServer;
using testing::RedisSpace;

// Retries `call` (a bounded number of times, 20 ms apart) until it succeeds.
template <class Call>
auto eventually(Call call) {
  auto r = call();
  for (int i = 0; i < 150 && !r; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    r = call();
  }
  return r;
}

// A position a reader applied up to, checked the way FeedFollower checks it.
bool must_resync(long long position, const FeedBounds& b) { return position < b.first - 1 || position > b.last; }

// How many XREADs this Redis has run (INFO commandstats).
long long xread_calls(RedisSpace& space) {
  auto info = space.client->command({"INFO", "commandstats"});
  const auto& text = info->str;
  auto at = text.find("cmdstat_xread:calls=");
  return at == std::string::npos ? 0LL : to_integer(text.substr(at + 20, text.find(',', at) - at - 20));
}

// Positions are the counter: 1, 2, 3 ..., and changed() says so only after an append.
TEST(RedisChangeFeed, PositionsCountAndChangedFollowsThem) {
  RedisSpace space;
  auto feed = space.feed();
  EXPECT_TRUE(*feed->changed());  // the first call has seen nothing yet
  EXPECT_FALSE(*feed->changed());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(feed->append(Change{Change::Kind::token_denied, "j" + std::to_string(i), 7}));
    EXPECT_TRUE(*feed->changed()) << i;   // the wait in flight was woken by the entry
    EXPECT_FALSE(*feed->changed()) << i;  // and nothing came since
  }
  auto entries = feed->read(0, 10);
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ((*entries)[i].position, i + 1);
  EXPECT_EQ(feed->bounds()->first, 1);
  EXPECT_EQ(feed->bounds()->last, 3);
}

// After entries moved the counter, the wait is after the new counter: quiet
// calls keep one XREAD blocking instead of one that returns at once per call
// (changed() builds its commands when the counter moves, not per call).
TEST(RedisChangeFeed, ChangedWaitsAfterTheCounterItLastSaw) {
  RedisSpace space;
  auto feed = space.feed();
  ASSERT_TRUE(feed->changed());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(feed->append(Change{Change::Kind::session_revoked, "s" + std::to_string(i)}));
    bool woken = false;
    for (int j = 0; j < 400 && !woken; ++j) woken = *feed->changed();  // bounded: 400 slices
    ASSERT_TRUE(woken) << i;
  }
  const long long before = xread_calls(space);
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(*feed->changed()) << i;  // about 50 ms
  EXPECT_LT(xread_calls(space) - before, 5);                          // not one per call
}

// changed() waits for news in slices: quiet, each call is false within its
// slice with one XREAD kept in flight (no command per call); an entry
// another node writes meanwhile ends the wait.
TEST(RedisChangeFeed, ChangedWaitsForAnotherNodesEntry) {
  RedisSpace space;
  auto feed = space.feed();
  ASSERT_TRUE(feed->changed());
  auto calls = [&] { return xread_calls(space); };
  const long long before = calls();
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(*feed->changed()) << i;  // about 50 ms: one XREAD BLOCK 100 in flight
  EXPECT_LT(calls() - before, 5);                                     // not one per call
  RedisSpace other;
  other.keys = space.keys;  // another node's client on the same feed
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_TRUE(other.feed()->append(Change{Change::Kind::session_revoked, "s"}));
  });
  bool woken = false;
  for (int i = 0; i < 400 && !woken; ++i) woken = *feed->changed();  // bounded: 400 slices
  writer.join();
  EXPECT_TRUE(woken);
  EXPECT_EQ(feed->read(0, 10)->size(), 1u);
}

// Fail closed: a Redis that stops answering (paused, connections open)
// turns "nothing new" into an error within kAnswerWithin, so the
// follower's freshness ages instead of being confirmed by silence; it
// answers again when Redis does.
TEST(RedisChangeFeed, ASilentRedisIsAnErrorNotQuiet) {
  RedisServer server;
  RedisSpace space(server);
  auto feed = space.feed();
  ASSERT_TRUE(feed->changed());
  ASSERT_FALSE(*feed->changed());
  server.pause();
  Result<bool> r = false;
  int quiet = 0;
  for (int i = 0; i < 1000 && r && !*r; ++i, ++quiet) r = feed->changed();  // 5 ms slices: bounded at ~5 s
  server.resume();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::store_unavailable);
  EXPECT_GT(quiet, 1);  // quiet while the XREAD in flight was young enough
  EXPECT_TRUE(eventually([&] { return feed->changed(); }));  // answering again
}

// An entry written by a newer cloakroom (a kind this build does not know)
// is read as unknown, not guessed at.
TEST(RedisChangeFeed, UnknownKindsAreSteppedOver) {
  RedisSpace space;
  auto feed = space.feed();
  ASSERT_TRUE(space.client->command({"INCR", space.keys.feed_counter()}));
  ASSERT_TRUE(space.client->command(
      {"XADD", space.keys.feed(), "1-0", "kind", "from_the_future", "subject", "x", "value", "0", "at_ms", "1"}));
  auto entries = feed->read(0, 10);
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_FALSE((*entries)[0].known);
  EXPECT_EQ((*entries)[0].position, 1);
}

// A Redis restarted without its data hands out positions from 1 again:
// bounds().last falls below what a reader applied, so it resyncs.
TEST(RedisChangeFeed, ARestartWithoutDataShowsAsARegression) {
  RedisServer server;
  RedisSpace space(server);
  auto feed = space.feed();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(feed->append(Change{Change::Kind::session_revoked, "s"}));
  auto before = feed->bounds();
  ASSERT_TRUE(before);
  EXPECT_EQ(before->last, 3);
  const long long applied = before->last;

  server.stop();
  auto down = feed->bounds();
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, ErrorCode::store_unavailable);
  server.start();
  auto after = eventually([&] { return feed->bounds(); });
  ASSERT_TRUE(after);
  EXPECT_EQ(after->last, 0);
  EXPECT_TRUE(must_resync(applied, *after));
}

// When new writes carry the counter past a reader's position before it
// looks, the counter alone cannot tell; the dataset's new origin does, once.
TEST(RedisChangeFeed, ANewOriginMakesReadersResyncEvenPastTheirPosition) {
  RedisServer server;
  RedisSpace space(server);
  auto reader = space.feed();
  ASSERT_TRUE(reader->append(Change{Change::Kind::session_revoked, "s"}));
  const long long applied = reader->bounds()->last;
  ASSERT_EQ(applied, 1);

  server.stop();
  server.start();
  RedisSpace writer_space(server);
  writer_space.keys = space.keys;  // the same prefix: the same feed, through another process's client
  auto writer = std::make_shared<ChangeFeed>(writer_space.client, writer_space.keys, writer_space.feed_wait());
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(eventually([&] { return writer->append(Change{Change::Kind::session_revoked, "t"}); }));
  ASSERT_TRUE(writer->bounds());  // someone sets the new origin

  auto seen = eventually([&] { return reader->bounds(); });
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->last, 5);  // past the reader's 1: the counter alone would let it replay from 2
  EXPECT_TRUE(must_resync(applied, *seen));
  auto next = reader->bounds();  // once only
  ASSERT_TRUE(next);
  EXPECT_EQ(next->first, 1);
  EXPECT_FALSE(must_resync(5, *next));
}

// The same between two bounds checks, at the feed: once the entry a reader
// read at its position is another one (the history was rewritten there,
// origin unchanged), read() hands out nothing of the new history, and the
// next bounds() reports the loss once, so the reader resyncs.
TEST(RedisChangeFeed, ReadHandsOutNothingOfAnotherHistory) {
  RedisSpace space;
  auto reader = space.feed();
  ASSERT_TRUE(reader->bounds());
  for (auto s : {"a1", "a2", "a3"}) ASSERT_TRUE(reader->append(Change{Change::Kind::token_denied, s, 5}));
  ASSERT_EQ(reader->read(0, 10)->size(), 3u);
  EXPECT_TRUE(reader->read(3, 10)->empty());  // nothing new, nothing lost
  // Another history with the same origin (a stream knows its last id, so
  // it is written anew): entries 1..2, then others wrote 3..5.
  ASSERT_TRUE(space.client->command({"DEL", space.keys.feed(), space.keys.feed_counter()}));
  auto writer = space.feed();
  for (auto s : {"a1", "a2", "b3", "b4", "b5"}) ASSERT_TRUE(writer->append(Change{Change::Kind::token_denied, s, 5}));

  auto after = reader->read(3, 10);
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->empty());  // not b4, b5 as if they followed a3
  auto b = reader->bounds();
  ASSERT_TRUE(b);
  EXPECT_TRUE(must_resync(3, *b));
  auto next = reader->bounds();  // once only; following restarts at its end
  ASSERT_TRUE(next);
  EXPECT_EQ(next->last, 5);
  EXPECT_FALSE(must_resync(5, *next));
  ASSERT_TRUE(writer->append(Change{Change::Kind::token_denied, "b6", 5}));
  auto resumed = reader->read(5, 10);
  ASSERT_TRUE(resumed);
  ASSERT_EQ(resumed->size(), 1u);
  EXPECT_EQ((*resumed)[0].change.subject, "b6");
}

// A failover to a replica that lagged: the replica replicated the
// dataset's origin, so only the entries can tell. Node A applied entries
// 1..6 from the primary; the replica was cut off after 3 and promoted, and
// other nodes write positions 4..7 on it before A looks. Neither the
// counter (7, past A's 6) nor the origin shows the loss; A must still
// resync (reload what the lost entries and the new ones changed), never
// apply the new primary's 7 as if it followed its own 6.
TEST(RedisChangeFeed, AFailoverToALaggingReplicaResyncsTheFollower) {
  RedisServer primary;
  RedisServer replica({.replica_of = primary.port()});
  RedisSpace a(primary);  // node A names the primary's address throughout
  RedisSpace writer(primary);
  writer.keys = a.keys;  // the other nodes: the same feed
  auto append = [&](const std::string& subject) {
    return eventually([&] { return writer.feed()->append(Change{Change::Kind::session_revoked, subject}); });
  };

  testing::FakeClock clock;
  Freshness freshness{std::chrono::milliseconds(2000)};
  memory::NodeRegistry registry;
  std::vector<std::string> applied;
  int resyncs = 0;
  FeedFollower follower(FollowerDeps{{a.feed()}, {}, registry, clock, freshness,
                                     [&](const Change& c) -> Result<void> {
                                       applied.push_back(c.subject);
                                       return {};
                                     },
                                     [&]() -> Result<void> {
                                       ++resyncs;
                                       return {};
                                     }});
  ASSERT_TRUE(follower.start());
  // Each poll of A a second apart (so each checks the bounds), with real
  // time between for reconnects; bounded.
  auto poll_until = [&](auto done) {
    for (int i = 0; i < 200 && !done(); ++i) {
      clock.advance(std::chrono::milliseconds(1100));
      follower.poll();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  };

  for (auto s : {"a1", "a2", "a3"}) ASSERT_TRUE(append(s));
  redis::Client at_replica(*parse_url(replica.url("x:")));
  auto replica_counter = [&] { return to_integer(*at_replica.command({"GET", a.keys.feed_counter()})); };
  for (int i = 0; i < 200 && replica_counter() != 3; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(replica_counter(), 3);
  ASSERT_TRUE(at_replica.command({"REPLICAOF", "NO", "ONE"}));  // cut off (and promoted): it keeps 1..3
  for (auto s : {"a4", "a5", "a6"}) ASSERT_TRUE(append(s));
  poll_until([&] { return applied.size() == 6; });
  ASSERT_EQ(applied, (std::vector<std::string>{"a1", "a2", "a3", "a4", "a5", "a6"}));
  ASSERT_EQ(resyncs, 0);

  // The failover: the replica's data answers at the address A uses.
  ASSERT_TRUE(at_replica.command({"SAVE"}));
  primary.stop();
  std::filesystem::copy_file(replica.dir() + "/dump.rdb", primary.dir() + "/dump.rdb",
                             std::filesystem::copy_options::overwrite_existing);
  primary.start();
  for (auto s : {"b4", "b5", "b6", "b7"}) ASSERT_TRUE(append(s));
  ASSERT_EQ(to_integer(*writer.client->command({"GET", a.keys.feed_counter()})), 7);  // past A's 6

  poll_until([&] { return resyncs > 0; });
  EXPECT_EQ(resyncs, 1);
  // Nothing of the new primary's was applied as if it followed A's 6 (the reload covers it).
  EXPECT_EQ(applied, (std::vector<std::string>{"a1", "a2", "a3", "a4", "a5", "a6"}));
  EXPECT_EQ(follower.status().at(0).position, 7);
  // And A follows the new primary from there.
  ASSERT_TRUE(append("b8"));
  poll_until([&] { return applied.size() == 7; });
  EXPECT_EQ(applied.back(), "b8");
  EXPECT_EQ(resyncs, 1);
}

// beat / list / leave, with each feed's applied position; prune forgets
// nodes beaten too long ago and ids whose hash ran out by TTL.
TEST(RedisNodeRegistry, BeatListLeaveAndPrune) {
  RedisSpace space;
  NodeRegistry registry(space.client, space.keys);
  ASSERT_TRUE(registry.beat(NodeRecord{"h/a:1", "h", "a:1", 11, 100, 0, {{"redis://x", 7}, {"sqlite:/d", 3}}}));
  ASSERT_TRUE(registry.beat(NodeRecord{"h/a:2", "h", "a:2", 12, 200, 0, {{"redis://x", 6}}}));
  ASSERT_TRUE(registry.beat(NodeRecord{"h/a:3", "h", "a:3", 13, 300, 0, {}}));
  auto nodes = registry.list();
  ASSERT_TRUE(nodes);
  ASSERT_EQ(nodes->size(), 3u);
  EXPECT_EQ((*nodes)[0].id, "h/a:1");  // by start time
  EXPECT_EQ((*nodes)[0].pid, 11);
  EXPECT_EQ((*nodes)[0].applied_on("redis://x"), 7);
  EXPECT_EQ((*nodes)[0].applied_on("sqlite:/d"), 3);
  EXPECT_GT(space.client->command({"PTTL", space.keys.node("h/a:1")})->integer, 0);

  ASSERT_TRUE(registry.leave("h/a:3"));
  ASSERT_TRUE(space.client->command({"DEL", space.keys.node("h/a:1")}));  // as if its TTL ran out
  EXPECT_EQ(registry.list()->size(), 1u);  // a hash that ran out is not listed
  ASSERT_TRUE(space.client->command({"HSET", space.keys.node("h/a:2"), "heartbeat_ms", "900"}));  // long gone
  ASSERT_TRUE(registry.prune(unix_millis(SystemClock{}.now()) - 60'000));
  EXPECT_TRUE(registry.list()->empty());
  EXPECT_EQ(space.client->command({"SCARD", space.keys.nodes()})->integer, 0);
}

// Nodes on several hosts are judged by one clock, Redis's: a node whose own
// clock runs 10 minutes behind (or ahead) is stamped with Redis's time, and
// a reader sees its heartbeat as just now on the reader's clock. Before, the
// node's clock was stored: behind, it looked gone, and a waiting CLI skipped
// it while it still accepted what was revoked.
TEST(RedisNodeRegistry, HeartbeatsAreStampedAndJudgedByRedisClock) {
  RedisSpace space;
  NodeRegistry registry(space.client, space.keys);
  const long long here = unix_millis(SystemClock{}.now());
  ASSERT_TRUE(registry.beat(NodeRecord{"h/behind", "h", "behind", 1, here - 600'000, here - 600'000, {}}));
  ASSERT_TRUE(registry.beat(NodeRecord{"h/ahead", "h", "ahead", 2, here + 600'000, here + 600'000, {}}));
  auto nodes = registry.list();
  ASSERT_TRUE(nodes);
  ASSERT_EQ(nodes->size(), 2u);
  for (const NodeRecord& n : *nodes) {
    EXPECT_NEAR(static_cast<double>(n.heartbeat_ms), static_cast<double>(here), 5'000.0) << n.id;
  }
  // Forgetting nodes silent for a minute keeps both: they beat just now.
  ASSERT_TRUE(registry.prune(unix_millis(SystemClock{}.now()) - 60'000));
  EXPECT_EQ(registry.list()->size(), 2u);
}

}  // namespace
}  // namespace cloakroom::redis
