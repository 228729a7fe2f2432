#include "store/redis/server_check.h"

#include <gtest/gtest.h>

#include "store/redis/layout.h"
#include "support/redis_server.h"

namespace cloakroom::redis {
namespace {

using testing::RedisServer;

Client client_of(const RedisServer& server) { return Client(*parse_url(server.url("x:"))); }

// Redis's default policy, noeviction, passes (a full Redis refuses writes: fail closed).
TEST(RedisServerCheck, NoEvictionPasses) {
  Client client(*parse_url(testing::SharedRedis::server().url("x:")));
  ASSERT_EQ(element(*client.command({"CONFIG", "GET", "maxmemory-policy"}), 1).str, "noeviction");
  EXPECT_TRUE(check_server(client));
}

// Every policy that may evict (volatile-* too: the denylist and families
// carry TTLs) is refused as a configuration error, in one sentence that
// names the policy and the fix.
TEST(RedisServerCheck, EveryEvictingPolicyIsRefused) {
  RedisServer server;
  Client client = client_of(server);
  for (std::string policy : {"allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu",
                             "volatile-random", "volatile-ttl"}) {
    ASSERT_TRUE(client.command({"CONFIG", "SET", "maxmemory-policy", policy}));
    auto checked = check_server(client);
    ASSERT_FALSE(checked) << policy;
    EXPECT_EQ(checked.error().code, ErrorCode::config_invalid);
    EXPECT_EQ(checked.error().text(),
              "Redis at " + client.url().display() + " may evict keys when its memory is full (maxmemory-policy " +
                  policy +
                  "), which would silently drop revocations and make revoked sessions and tokens work again; set "
                  "maxmemory-policy noeviction (CONFIG SET maxmemory-policy noeviction, and the same in redis.conf "
                  "or your provider's parameter group).");
  }
  ASSERT_TRUE(client.command({"CONFIG", "SET", "maxmemory-policy", "noeviction"}));
  EXPECT_TRUE(check_server(client));
}

// A managed Redis that hides CONFIG is used, with a warning that says the
// policy could not be checked and what it must be.
TEST(RedisServerCheck, ACONFIGThatIsHiddenOnlyWarns) {
  RedisServer server({.args = {"--rename-command", "CONFIG", ""}});
  Client client = client_of(server);
  ::testing::internal::CaptureStderr();
  auto checked = check_server(client);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(checked);
  EXPECT_NE(log.find("\"event\":\"redis_eviction_unchecked\""), std::string::npos) << log;
  EXPECT_NE(log.find("unknown command 'CONFIG'"), std::string::npos) << log;
  EXPECT_NE(log.find("make sure it is noeviction"), std::string::npos) << log;
}

// Before the policy: a Redis that cannot be used says why (here: a password
// the URL lacks), as store_unavailable.
TEST(RedisServerCheck, AMissingPasswordIsSaid) {
  RedisServer server({.password = "pw"});
  Client client(*parse_url("redis://127.0.0.1:" + std::to_string(server.port()) + "/0?prefix=x:"));
  auto checked = check_server(client);
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().code, ErrorCode::store_unavailable);
  EXPECT_EQ(checked.error().text(), "Cannot use Redis at " + client.url().display() +
                                        ": it requires a password, and the URL has none (redis://:PASSWORD@HOST:PORT/DB, "
                                        "or USER:PASSWORD@ for an ACL user).");
}

}  // namespace
}  // namespace cloakroom::redis
