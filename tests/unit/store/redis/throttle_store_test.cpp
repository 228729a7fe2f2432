#include "store/redis/throttle_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "support/redis_server.h"

namespace cloakroom::redis {
namespace {

using testing::RedisServer;
using testing::RedisSpace;

const long long kNow = 1'800'000'000'000;

// Two nodes (two clients, two stores) on one Redis draw from the same
// buckets: attempts spread over them meet one limit, and a refund on one
// is an attempt on the other.
TEST(RedisThrottleStore, NodesShareTheBuckets) {
  RedisSpace space;
  ThrottleStore a(space.client, space.keys);
  ThrottleStore b(std::make_shared<Client>(space.url), space.keys);
  const ThrottleRule pair{"account_ip", 5, std::chrono::minutes(15)};
  for (int i = 0; i < 5; ++i) EXPECT_EQ(*(i % 2 ? a : b).take({{&pair, "10.0.0.1 alice"}}, kNow), std::nullopt) << i;
  EXPECT_EQ(*a.take({{&pair, "10.0.0.1 alice"}}, kNow), 180);
  EXPECT_EQ(*b.take({{&pair, "10.0.0.1 alice"}}, kNow), 180);
  ASSERT_TRUE(a.settle({{&pair, "10.0.0.1 alice"}}, {}, kNow));
  EXPECT_EQ(*b.take({{&pair, "10.0.0.1 alice"}}, kNow), std::nullopt);
}

// Nodes whose clocks disagree by an hour still draw from one bucket: the
// script reads Redis's TIME, so the node running ahead refills nothing early
// (with the callers' clocks it found the bucket full again and granted 5 more).
TEST(RedisThrottleStore, SkewedNodeClocksAgreeOnTheBucket) {
  RedisSpace space;
  ThrottleStore on_time(space.client, space.keys);
  ThrottleStore ahead(std::make_shared<Client>(space.url), space.keys);
  ThrottleStore behind(std::make_shared<Client>(space.url), space.keys);
  const ThrottleRule pair{"account_ip", 5, std::chrono::minutes(15)};
  const long long kHour = 3'600'000;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(*on_time.take({{&pair, "10.0.0.1 alice"}}, kNow), std::nullopt) << i;
  EXPECT_EQ(*ahead.take({{&pair, "10.0.0.1 alice"}}, kNow + kHour), 180);
  EXPECT_EQ(*behind.take({{&pair, "10.0.0.1 alice"}}, kNow - kHour), 180);
  // A refund from the node ahead is one attempt, not a window's worth.
  ASSERT_TRUE(ahead.settle({{&pair, "10.0.0.1 alice"}}, {}, kNow + kHour));
  EXPECT_EQ(*behind.take({{&pair, "10.0.0.1 alice"}}, kNow - kHour), std::nullopt);
  EXPECT_EQ(*on_time.take({{&pair, "10.0.0.1 alice"}}, kNow), 180);
}

// A parallel burst spread over two nodes is granted exactly the limit.
TEST(RedisThrottleStore, ABurstOverTwoNodesNeverExceedsTheLimit) {
  RedisSpace space;
  ThrottleStore a(space.client, space.keys);
  ThrottleStore b(std::make_shared<Client>(space.url), space.keys);
  const ThrottleRule rule{"ip", 7, std::chrono::minutes(15)};
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      for (int j = 0; j < 25; ++j)
        if (auto w = (i % 2 ? a : b).take({{&rule, "10.0.0.1"}}, kNow); w && !*w) granted.fetch_add(1);
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(granted.load(), 7);
}

// Each bucket is a hash under the prefix, tagged by what it throttles, and
// expires one window after its last change (when it would be full anyway);
// a cleared one is gone.
TEST(RedisThrottleStore, KeysLiveOneWindowUnderThePrefix) {
  RedisSpace space;
  ThrottleStore store(space.client, space.keys);
  const ThrottleRule ip{"ip", 20, std::chrono::minutes(15)}, pair{"account_ip", 5, std::chrono::minutes(2)};
  ASSERT_EQ(*store.take({{&ip, "10.0.0.1"}, {&pair, "10.0.0.1 alice"}}, kNow), std::nullopt);
  const std::string ip_key = space.keys.prefix + "t:ip:{10.0.0.1}";
  const std::string pair_key = space.keys.prefix + "t:account_ip:{10.0.0.1 alice}";
  EXPECT_EQ(space.keys.throttle("ip", "10.0.0.1"), ip_key);
  const long long ip_ttl = space.client->command({"PTTL", ip_key})->integer;
  const long long pair_ttl = space.client->command({"PTTL", pair_key})->integer;
  EXPECT_GT(ip_ttl, 15 * 60'000 - 5'000);
  EXPECT_LE(ip_ttl, 15 * 60'000);
  EXPECT_GT(pair_ttl, 2 * 60'000 - 5'000);
  EXPECT_LE(pair_ttl, 2 * 60'000);
  EXPECT_EQ(space.client->command({"HGET", pair_key, "tokens"})->str, "4");
  ASSERT_TRUE(store.settle({{&ip, "10.0.0.1"}}, {{&pair, "10.0.0.1 alice"}}, kNow));
  EXPECT_EQ(space.client->command({"EXISTS", pair_key})->integer, 0);
  EXPECT_EQ(space.client->command({"HGET", ip_key, "tokens"})->str, "20");
}

// Redis down: a charge is store_unavailable (the caller answers 503), never
// an attempt granted without a bucket; it works again once Redis is back.
TEST(RedisThrottleStore, AnOutageIsAnErrorNotAnOpenDoor) {
  RedisServer server;
  RedisSpace space(server);
  ThrottleStore store(space.client, space.keys);
  const ThrottleRule rule{"ip", 1, std::chrono::minutes(15)};
  ASSERT_EQ(*store.take({{&rule, "10.0.0.1"}}, kNow), std::nullopt);
  server.stop();
  auto down = store.take({{&rule, "10.0.0.1"}}, kNow);
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, ErrorCode::store_unavailable);
  EXPECT_EQ(store.settle({{&rule, "10.0.0.1"}}, {}, kNow).error().code, ErrorCode::store_unavailable);
  server.start();  // empty: the bucket is full again
  for (int i = 0; i < 100; ++i) {
    auto back = store.take({{&rule, "10.0.0.1"}}, kNow);
    if (!back) {  // the client's reconnect backoff
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    EXPECT_EQ(*back, std::nullopt);
    return;
  }
  ADD_FAILURE() << "the store did not recover";
}

}  // namespace
}  // namespace cloakroom::redis
