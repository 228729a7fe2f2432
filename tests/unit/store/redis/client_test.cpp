#include "store/redis/client.h"

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

Client client_for(const RedisServer& server, ClientOptions options = {}) {
  return Client(*parse_url(server.url("c:")), options);
}

// Pipelined commands come back in order, and bytes round-trip exactly (a hash of any bytes).
TEST(RedisClient, PipelinesInOrderAndIsBinarySafe) {
  RedisSpace space;
  const std::string bytes("\x00\xff\r\n$*-", 8);
  auto replies = space.client->pipeline({{"SET", space.keys.prefix + "k", bytes},
                                         {"GET", space.keys.prefix + "k"},
                                         {"INCR", space.keys.prefix + "n"},
                                         {"GET", space.keys.prefix + "absent"}});
  ASSERT_TRUE(replies);
  ASSERT_EQ(replies->size(), 4u);
  EXPECT_EQ((*replies)[0].type, Reply::Type::status);
  EXPECT_EQ((*replies)[1].str, bytes);
  EXPECT_EQ((*replies)[2].integer, 1);
  EXPECT_TRUE((*replies)[3].is_nil());
}

// An error reply (here WRONGTYPE) fails the call the way an outage does.
TEST(RedisClient, AnErrorReplyIsStoreUnavailable) {
  RedisSpace space;
  ASSERT_TRUE(space.client->command({"HSET", space.keys.prefix + "h", "f", "v"}));
  auto r = space.client->command({"INCR", space.keys.prefix + "h"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::store_unavailable);
  EXPECT_EQ(r.error().reason, "redis_error_reply");
}

// After SCRIPT FLUSH (or a restart) EVALSHA answers NOSCRIPT: the client
// loads the script and runs it again, and the caller never sees it.
TEST(RedisClient, ReloadsAScriptAfterScriptFlush) {
  RedisSpace space;
  Script incr("incr", "return redis.call('INCR', KEYS[1])");
  const std::string key = space.keys.prefix + "n";
  ASSERT_EQ(space.client->eval(incr, {key}, {})->integer, 1);
  auto loaded = [&] { return space.client->command({"SCRIPT", "EXISTS", incr.sha()})->elements.at(0).integer; };
  EXPECT_EQ(loaded(), 1);
  ASSERT_TRUE(space.client->command({"SCRIPT", "FLUSH"}));
  EXPECT_EQ(loaded(), 0);
  auto again = space.client->eval(incr, {key}, {});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->integer, 2);  // ran once, not twice
  EXPECT_EQ(loaded(), 1);
}

// While Redis is down every call fails with store_unavailable; once it is
// back, calls work again without anyone reconnecting by hand.
TEST(RedisClient, ReconnectsAfterARestart) {
  RedisServer server;
  Client client = client_for(server);
  ASSERT_TRUE(client.command({"SET", "c:k", "v"}));
  server.stop();
  auto down = client.command({"GET", "c:k"});
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, ErrorCode::store_unavailable);
  server.start();
  auto back = eventually([&] { return client.command({"GET", "c:k"}); });
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->is_nil());  // nothing persisted: the restarted Redis is empty
}

// After a failed connect, calls fail at once during the backoff instead of
// each waiting for a connect of its own.
TEST(RedisClient, BacksOffAfterAFailedConnect) {
  RedisServer server;
  Client client = client_for(server, ClientOptions{.backoff_min = std::chrono::milliseconds(60'000),
                                                   .backoff_max = std::chrono::milliseconds(60'000)});
  server.stop();
  auto first = client.command({"PING"});
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().reason, "redis_connect");
  server.start();
  auto second = client.command({"PING"});
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::store_unavailable);
  EXPECT_EQ(second.error().reason, "redis_backoff");
}

// A Redis that stops answering (paused, connections open) fails the call
// within the command timeout; it works again once Redis answers.
TEST(RedisClient, ACallNeverOutlivesItsDeadline) {
  RedisServer server;
  Client client = client_for(server, ClientOptions{.command_timeout = std::chrono::milliseconds(200),
                                                   .backoff_min = std::chrono::milliseconds(10),
                                                   .backoff_max = std::chrono::milliseconds(50)});
  ASSERT_TRUE(client.command({"PING"}));
  server.pause();
  auto stalled = client.command({"PING"});
  server.resume();
  ASSERT_FALSE(stalled);
  EXPECT_EQ(stalled.error().code, ErrorCode::store_unavailable);
  EXPECT_EQ(stalled.error().reason, "redis_io");
  auto back = eventually([&] { return client.command({"PING"}); });
  ASSERT_TRUE(back);
  EXPECT_EQ(back->str, "PONG");
}

// AUTH with the password alone or with a user name; a wrong password, or
// none, is refused the way an outage is.
TEST(RedisClient, AuthenticatesWithTheUrlsCredentials) {
  RedisServer server({.password = "pw-1"});
  for (std::string credentials : {":pw-1", "default:pw-1"}) {
    Client client(*parse_url(server.url("a:", 0, credentials)));
    auto pong = client.command({"PING"});
    ASSERT_TRUE(pong) << credentials;
    EXPECT_EQ(pong->str, "PONG");
  }
  Client wrong(*parse_url(server.url("a:", 0, "default:nope")));
  auto refused = wrong.command({"PING"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::store_unavailable);
  EXPECT_EQ(refused.error().reason, "redis_handshake");
  Client none(*parse_url("redis://127.0.0.1:" + std::to_string(server.port()) + "/0"));
  auto noauth = none.command({"GET", "a:k"});
  ASSERT_FALSE(noauth);
  EXPECT_EQ(noauth.error().reason, "redis_error_reply");  // NOAUTH
}

// The URL's database is selected on every connection.
TEST(RedisClient, SelectsTheUrlsDatabase) {
  RedisServer server;
  Client three(*parse_url(server.url("d:", 3)));
  Client zero(*parse_url(server.url("d:", 0)));
  ASSERT_TRUE(three.command({"SET", "d:k", "in three"}));
  EXPECT_TRUE(zero.command({"GET", "d:k"})->is_nil());
  EXPECT_EQ(three.command({"GET", "d:k"})->str, "in three");
}

}  // namespace
}  // namespace cloakroom::redis
