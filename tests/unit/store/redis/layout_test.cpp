#include "store/redis/layout.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "store/redis/change_feed.h"
#include "store/redis/session_store.h"
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
  ChangeFeed feed(space.client, space.keys);
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
  ASSERT_TRUE(feed.append(Change{Change::Kind::keys_changed}));
  ASSERT_TRUE(feed.bounds());
  ASSERT_TRUE(nodes.beat(NodeRecord{"h/a", "h", "a", 1, now, now, {{feed.name(), 1}}}));
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
  EXPECT_EQ(ChangeFeed(other.client, other.keys).bounds()->last, 0);
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
