#include "store/redis/session_store.h"

#include <gtest/gtest.h>

#include "support/redis_server.h"

namespace cloakroom::redis {
namespace {

// What is left in an index, as a count.
long long count_of(Client& client, const std::string& index) {
  return to_integer(*client.command({"ZCARD", index}));
}

SessionRecord session(std::string id, long long seen, long long expires, bool remember) {
  return SessionRecord{std::move(id), std::string(32, '\x01'), "u1", seen, seen, expires, "127.0.0.1", "curl/8",
                       remember};
}

// Old data: more than one purge batch (1000) of expired and idle sessions,
// ids whose hash is gone left in both last-seen indexes, and remembered
// sessions still in the plain index (from before sessions:seen:r). Purging
// removes every dead id from every index over its batches and keeps the
// live ones; a live remembered session in the plain index moves to its own
// index instead of ending at the plain idle bound (it used to end there).
TEST(RedisSessionStore, PurgeClearsOldIndexesInBatchesAndKeepsLiveOnes) {
  testing::RedisSpace space;
  SessionStore store(space.client, space.keys);
  Client& client = *space.client;
  const Keys& keys = space.keys;
  const IdleBounds idle{1'000, 100'000};
  const long long now = 200'000;
  for (int i = 0; i < 1200; ++i)  // past their absolute expiry
    ASSERT_TRUE(store.create(session("exp" + std::to_string(i), 150'000, 190'000, false)));
  for (int i = 0; i < 1100; ++i)  // plain, idle past the plain bound
    ASSERT_TRUE(store.create(session("idle" + std::to_string(i), 150'000, 900'000, false)));
  for (int i = 0; i < 1100; ++i) {  // hash gone, id in both last-seen indexes
    const std::string id = "ghost" + std::to_string(i);
    ASSERT_TRUE(client.command({"ZADD", keys.sessions_seen(), "150000", id}));
    ASSERT_TRUE(client.command({"ZADD", keys.remembered_seen(), "50000", id}));
  }
  // Remembered, filed the old way in the plain index: one idle past even the
  // remembered bound, one live within it.
  for (auto [id, seen] : {std::pair{"old-r-idle", 50'000LL}, std::pair{"old-r-live", 150'000LL}}) {
    ASSERT_TRUE(store.create(session(id, seen, 900'000, true)));
    ASSERT_TRUE(client.command({"ZREM", keys.remembered_seen(), id}));
    ASSERT_TRUE(client.command({"ZADD", keys.sessions_seen(), std::to_string(seen), id}));
  }
  ASSERT_TRUE(store.create(session("live", 199'500, 900'000, false)));
  ASSERT_TRUE(store.create(session("live-r", 150'000, 900'000, true)));

  std::size_t purged = 0;
  for (int round = 0; round < 10; ++round) {  // bounded: one call already batches until done
    auto n = store.purge_expired(now, idle);
    ASSERT_TRUE(n) << n.error().text();
    if (*n == 0) break;
    purged += *n;
  }
  EXPECT_EQ(purged, 1200u + 1100u + 1100u + 1u);
  for (const char* id : {"live", "live-r", "old-r-live"}) EXPECT_TRUE(store.find(id)) << id;
  EXPECT_EQ(store.find("old-r-idle").error().code, ErrorCode::not_found);
  EXPECT_EQ(store.find("exp0").error().code, ErrorCode::not_found);
  EXPECT_EQ(count_of(client, keys.sessions()), 3);
  EXPECT_EQ(count_of(client, keys.sessions_seen()), 1);    // live
  EXPECT_EQ(count_of(client, keys.remembered_seen()), 2);  // live-r, old-r-live (moved)
  EXPECT_EQ(to_integer(*client.command({"ZSCORE", keys.remembered_seen(), "old-r-live"})), 150'000);
  auto active = store.load_active(now, idle);
  ASSERT_TRUE(active);
  EXPECT_EQ(active->size(), 3u);
}

}  // namespace
}  // namespace cloakroom::redis
