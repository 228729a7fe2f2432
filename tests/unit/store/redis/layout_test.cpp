#include "store/redis/layout.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "store/redis/change_feed.h"
#include "store/redis/session_store.h"
#include "store/redis/throttle_store.h"
#include "store/redis/token_store.h"
#include "support/redis_server.h"

namespace cloakroom::redis {
namespace {

using testing::RedisServer;
using testing::RedisSpace;

long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Every key the stores can write, once each.
void workload(RedisSpace& space) {
  SessionStore sessions(space.client, space.keys);
  TokenStore tokens(space.client, space.keys);
  ChangeFeed feed(space.client, space.keys, space.feed_wait());
  NodeRegistry nodes(space.client, space.keys);
  const long long now = now_ms(), hour = 3'600'000;
  for (std::string id : {"s1", "s2", "s3"})
    ASSERT_TRUE(sessions.create(SessionRecord{id, std::string(32, 'h'), "u1", now, now, now + hour, "", "", false}));
  ASSERT_TRUE(sessions.create(SessionRecord{"s4", std::string(32, 'h'), "u2", now, now, now + hour, "", "", false}));
  ASSERT_TRUE(sessions.touch({{"s1", now + 1}}));
  ASSERT_TRUE(sessions.remove("s2"));
  ASSERT_TRUE(sessions.remove_user("u2"));
  for (std::string id : {"f1", "f2"})
    ASSERT_TRUE(tokens.create_family(
        RefreshFamilyRecord{id, "u1", std::string(32, 'k'), std::string(32, 'h'), 0, now, now, now + hour, "", "", false}));
  ASSERT_TRUE(tokens.rotate_family("f1", 0, std::string(32, 'i'), now, now + 2 * hour));
  ASSERT_TRUE(tokens.revoke_family("f2", now + 60'000));
  ASSERT_TRUE(tokens.deny(Revocation{Revocation::Kind::token, "j1", now + 60'000}));
  ASSERT_TRUE(tokens.bump_epoch("u1"));
  ASSERT_TRUE(tokens.create_family(
      RefreshFamilyRecord{"f3", "u3", std::string(32, 'k'), std::string(32, 'h'), 0, now, now, now + hour, "", "", false}));
  ASSERT_TRUE(tokens.find_family_and_epoch("f3"));
  ASSERT_TRUE(tokens.end_user_families("u3"));
  ASSERT_TRUE(feed.append(Change{Change::Kind::keys_changed}));
  ASSERT_TRUE(feed.bounds());
  ASSERT_TRUE(nodes.beat(NodeRecord{"h/a", "h", "a", 1, now, now, {{feed.name(), 1}}}));
  ThrottleStore throttles(space.client, space.keys);
  const ThrottleRule ip{"ip", 20, std::chrono::minutes(15)}, pair{"account_ip", 5, std::chrono::minutes(15)};
  ASSERT_TRUE(throttles.take({{&ip, "10.0.0.1"}, {&pair, "10.0.0.1 u1"}}, now));
  ASSERT_TRUE(throttles.settle({{&ip, "10.0.0.1"}}, {}, now));
}

std::set<std::string> all_keys(Client& client) {
  std::set<std::string> out;
  std::string cursor = "0";
  do {
    auto page = client.command({"SCAN", cursor, "COUNT", "1000"});
    EXPECT_TRUE(page);
    if (!page) break;
    cursor = page->elements.at(0).str;
    for (const auto& k : page->elements.at(1).elements) out.insert(k.str);
  } while (cursor != "0");
  return out;
}

// Nothing grows forever: after every kind of write, each key has a TTL,
// except the few that are bounded by construction (the layout lists them).
TEST(RedisLayout, EveryKeyHasATtlOrIsBounded) {
  RedisServer server;
  RedisSpace space(server);
  workload(space);
  const Keys& k = space.keys;
  const std::set<std::string> bounded = {k.feed(), k.feed_counter(), k.feed_origin(), k.epochs()};
  auto keys = all_keys(*space.client);
  EXPECT_GE(keys.size(), 12u);
  for (const std::string& key : bounded) EXPECT_TRUE(keys.count(key)) << key;  // the list is not stale
  for (const std::string& key : keys) {
    if (bounded.count(key)) continue;
    EXPECT_GT(space.client->command({"PTTL", key})->integer, 0) << key;
  }
}

// store.redis_wait_replicas: each revoking script is followed by WAIT on
// its connection. A replica in sync acknowledges (it already holds the
// revocation when the call returns; nothing counted). Without one the WAIT
// times out: the call still succeeds, the revocation stands on the
// primary, and each one is counted.
TEST(RedisLayout, ReplicaWaitCountsRevocationsNoReplicaAcknowledged) {
  RedisServer primary;
  auto replica = std::make_unique<RedisServer>(RedisServer::Options{.replica_of = primary.port()});
  RedisSpace space(primary);
  auto counters = std::make_shared<StoreCounters>();
  const long long now = now_ms(), hour = 3'600'000;
  auto session = [&](std::string id) {
    return SessionRecord{id, std::string(32, 'h'), "u1", now, now, now + hour, "", "", false};
  };
  {
    // A live replica acknowledges; the timeout is generous so a loaded machine cannot make it late.
    auto patient = std::make_shared<ReplicaWait>(ReplicaWait::Options{1, std::chrono::seconds(5)}, counters);
    SessionStore sessions(space.client, space.keys, patient);
    ASSERT_TRUE(sessions.create(session("s1")));
    ASSERT_TRUE(sessions.remove("s1"));
    Client on_replica(*parse_url(replica->url(space.keys.prefix)));
    EXPECT_EQ(on_replica.command({"EXISTS", space.keys.session("s1")})->integer, 0);  // there before remove returned
    EXPECT_EQ(counters->revocations_short_of_replicas.load(), 0u);
  }

  auto wait = std::make_shared<ReplicaWait>(ReplicaWait::Options{1, std::chrono::milliseconds(50)}, counters);
  SessionStore sessions(space.client, space.keys, wait);
  TokenStore tokens(space.client, space.keys, wait);
  replica.reset();  // stopped: nobody acknowledges
  ASSERT_TRUE(sessions.create(session("s2")));
  EXPECT_EQ(counters->revocations_short_of_replicas.load(), 0u);  // creating is no revocation: no WAIT
  auto removed = sessions.remove("s2");
  ASSERT_TRUE(removed);
  EXPECT_TRUE(*removed);
  EXPECT_EQ(sessions.find("s2").error().code, ErrorCode::not_found);
  ASSERT_TRUE(tokens.bump_epoch("u1"));
  ASSERT_TRUE(tokens.deny(Revocation{Revocation::Kind::token, "j1", now + 60'000}));
  ASSERT_TRUE(tokens.end_user_families("u1"));  // logout-all: one script, one WAIT
  EXPECT_EQ(counters->revocations_short_of_replicas.load(), 4u);
}

// A session lives in Redis until its absolute expiry plus the slack, no longer.
TEST(RedisLayout, ASessionsTtlIsItsExpiry) {
  RedisSpace space;
  SessionStore sessions(space.client, space.keys);
  const long long now = now_ms(), hour = 3'600'000;
  ASSERT_TRUE(sessions.create(SessionRecord{"s", std::string(32, 'h'), "u", now, now, now + hour, "", "", false}));
  long long ttl = space.client->command({"PTTL", space.keys.session("s")})->integer;
  EXPECT_GT(ttl, hour);
  EXPECT_LE(ttl, hour + kSlack.count() + 5'000);  // + Redis's and our clocks' difference
}

// Every key starts with the URL's prefix, and stores under another prefix
// see none of them.
TEST(RedisLayout, KeysStayUnderTheirPrefix) {
  RedisServer server;
  RedisSpace space(server);
  workload(space);
  for (const std::string& key : all_keys(*space.client)) EXPECT_TRUE(key.starts_with(space.keys.prefix)) << key;

  RedisSpace other(server);
  ASSERT_NE(other.keys.prefix, space.keys.prefix);
  EXPECT_EQ(SessionStore(other.client, other.keys).find("s1").error().code, ErrorCode::not_found);
  EXPECT_TRUE(TokenStore(other.client, other.keys).load_denylist(0)->empty());
  EXPECT_EQ(ChangeFeed(other.client, other.keys, other.feed_wait()).bounds()->last, 0);
  EXPECT_TRUE(NodeRegistry(other.client, other.keys).list()->empty());
}

// One user's indexes share a hash tag, so Redis Cluster keeps them in one slot.
TEST(RedisLayout, AUsersKeysShareAHashTag) {
  Keys keys{"p:"};
  auto tag = [](const std::string& key) {
    auto open = key.find('{');
    return key.substr(open, key.find('}') - open + 1);
  };
  EXPECT_EQ(tag(keys.user_sessions("u1")), "{u:u1}");
  EXPECT_EQ(tag(keys.user_families("u1")), "{u:u1}");
}

}  // namespace
}  // namespace cloakroom::redis
