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

// INFO server text as Redis sends it (\r\n lines, a "# Server" heading).
std::string info_of(std::string_view version) {
  return "# Server\r\nredis_version:" + std::string(version) + "\r\nredis_git_sha1:00000000\r\nredis_mode:standalone\r\n";
}

// Redis 7.0 and later pass; anything older is refused in one sentence naming
// the version found, the one needed and the command that needs it.
TEST(RedisServerCheck, VersionBelowSevenIsRefused) {
  for (std::string_view ok : {"7.0.0", "7.0.15", "7.2.4", "8.0.1", "10.1.0"}) EXPECT_TRUE(check_version(info_of(ok), "R")) << ok;
  for (std::string_view old : {"6.2.14", "6.0.20", "5.0.7", "2.8.24"}) {
    auto checked = check_version(info_of(old), "redis://h:6379/0?prefix=x:");
    ASSERT_FALSE(checked) << old;
    EXPECT_EQ(checked.error().code, ErrorCode::config_invalid);
    EXPECT_EQ(checked.error().text(),
              "Redis at redis://h:6379/0?prefix=x: is version " + std::string(old) +
                  "; cloakroom needs Redis 7.0 or later (its scripts call PEXPIRETIME, new in 7.0, besides ZADD GT "
                  "and XTRIM MINID from 6.2), so upgrade it.");
  }
}

// An INFO without a readable version (hidden by a proxy) passes with a warning.
TEST(RedisServerCheck, UnreadableVersionOnlyWarns) {
  for (std::string_view info : {std::string_view(), std::string_view("# Server\r\nredis_mode:standalone\r\n"),
                                std::string_view("redis_version:seven\r\n")}) {
    ::testing::internal::CaptureStderr();
    EXPECT_TRUE(check_version(info, "R"));
    const std::string log = ::testing::internal::GetCapturedStderr();
    EXPECT_NE(log.find("\"event\":\"redis_version_unchecked\""), std::string::npos) << log;
  }
}

// The real Redis the tests run (Debian's 7.x) passes the whole check.
TEST(RedisServerCheck, TheTestRedisVersionPasses) {
  Client client(*parse_url(testing::SharedRedis::server().url("x:")));
  auto info = client.command({"INFO", "server"});
  ASSERT_TRUE(info);
  EXPECT_NE(info->str.find("redis_version:7."), std::string::npos);
  EXPECT_TRUE(check_version(info->str, "R"));
  EXPECT_TRUE(check_server(client));
}

}  // namespace
}  // namespace cloakroom::redis
