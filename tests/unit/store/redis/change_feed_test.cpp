#include "store/redis/change_feed.h"

#include <gtest/gtest.h>

#include <thread>

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

// Positions are the counter: 1, 2, 3 ..., and changed() says so only after an append.
TEST(RedisChangeFeed, PositionsCountAndChangedFollowsThem) {
  RedisSpace space;
  auto feed = space.feed();
  EXPECT_TRUE(*feed->changed());  // the first call has seen nothing yet
  EXPECT_FALSE(*feed->changed());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(feed->append(Change{Change::Kind::token_denied, "j" + std::to_string(i), 7}));
  EXPECT_TRUE(*feed->changed());
  EXPECT_FALSE(*feed->changed());
  auto entries = feed->read(0, 10);
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ((*entries)[i].position, i + 1);
  EXPECT_EQ(feed->bounds()->first, 1);
  EXPECT_EQ(feed->bounds()->last, 3);
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
  auto writer = std::make_shared<ChangeFeed>(writer_space.client, writer_space.keys);
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

// beat / list / leave, with each feed's applied position; prune forgets
// nodes beaten too long ago and ids whose hash ran out by TTL.
TEST(RedisNodeRegistry, BeatListLeaveAndPrune) {
  RedisSpace space;
  NodeRegistry registry(space.client, space.keys);
  ASSERT_TRUE(registry.beat(NodeRecord{"h/a:1", "h", "a:1", 11, 100, 5000, {{"redis://x", 7}, {"sqlite:/d", 3}}}));
  ASSERT_TRUE(registry.beat(NodeRecord{"h/a:2", "h", "a:2", 12, 200, 900, {{"redis://x", 6}}}));
  ASSERT_TRUE(registry.beat(NodeRecord{"h/a:3", "h", "a:3", 13, 300, 5000, {}}));
  auto nodes = registry.list();
  ASSERT_TRUE(nodes);
  ASSERT_EQ(nodes->size(), 3u);
  EXPECT_EQ((*nodes)[0].id, "h/a:1");  // by start time
  EXPECT_EQ((*nodes)[0].pid, 11);
  EXPECT_EQ((*nodes)[0].heartbeat_ms, 5000);
  EXPECT_EQ((*nodes)[0].applied_on("redis://x"), 7);
  EXPECT_EQ((*nodes)[0].applied_on("sqlite:/d"), 3);
  EXPECT_GT(space.client->command({"PTTL", space.keys.node("h/a:1")})->integer, 0);

  ASSERT_TRUE(registry.leave("h/a:3"));
  ASSERT_TRUE(space.client->command({"DEL", space.keys.node("h/a:1")}));  // as if its TTL ran out
  EXPECT_EQ(registry.list()->size(), 1u);  // a hash that ran out is not listed
  ASSERT_TRUE(registry.prune(1000));       // h/a:2 beat at 900
  EXPECT_TRUE(registry.list()->empty());
  EXPECT_EQ(space.client->command({"SCARD", space.keys.nodes()})->integer, 0);
}

}  // namespace
}  // namespace cloakroom::redis
