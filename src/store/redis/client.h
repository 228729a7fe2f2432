#pragma once
// The Redis client the redis:// stores share: a small pool of TCP
// connections of our own; Debian's hiredis 0.14 only formats commands
// (redisFormatCommandArgv) and parses replies (redisReader). RESP2.
//
//   redis::Client client(*redis::parse_url("redis://127.0.0.1:6379/0"));
//   auto pong = client.command({"PING"});                      // Reply{status, "PONG"}
//   auto both = client.pipeline({{"GET", "a"}, {"GET", "b"}});  // one round trip, replies in order
//   redis::Script bump("bump", "return redis.call('INCR', KEYS[1])");
//   auto n = client.eval(bump, {"k"}, {});                     // EVALSHA; SCRIPT LOAD on NOSCRIPT, then again
//
// Calls block the calling thread until the replies or a deadline: they run
// on App's store pool and background threads, never on an I/O thread (the
// same contract as the SQLite stores). Sockets are non-blocking and every
// wait is a poll() bounded by the time left, so no call outlives its
// deadline. A command that waits inside Redis (XREAD BLOCK) is taken in
// slices by blocking_pipeline(), on a Client of its own, so the waiting
// thread keeps its own short tick.
//
// Every failure is store_unavailable (503 + Retry-After upstream): refused,
// reset or timed-out connections, AUTH refused, an error reply (OOM,
// READONLY, a script's error). Detail goes to the log, never into the
// error: a connection going down and coming back is logged once each way.
// A connection that failed mid-call is closed (its replies may still
// arrive); reconnects wait a backoff that doubles up to a bound, with jitter,
// and calls during it fail at once instead of each waiting a connect timeout.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/redis/url.h"

namespace cloakroom::redis {

// One RESP2 reply, copied out of hiredis's reply tree.
struct Reply {
  enum class Type { nil, string, integer, array, status, error };
  Type type = Type::nil;
  long long integer = 0;
  std::string str;  // string, status and error replies
  std::vector<Reply> elements;

  bool is_nil() const { return type == Type::nil; }
};

using Command = std::vector<std::string>;

// A Lua script, known to Redis by the SHA-1 of its text; the name is for logs.
class Script {
 public:
  Script(std::string name, std::string source);
  const std::string& name() const { return name_; }
  const std::string& source() const { return source_; }
  const std::string& sha() const { return sha_; }

 private:
  std::string name_;
  std::string source_;
  std::string sha_;  // lower-case hex
};

struct ClientOptions {
  // Why 4: App's store pool has 4 workers; the housekeeping thread waits its turn.
  std::size_t connections = 4;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds command_timeout{2000};
  // Why these: Redis back after a restart is used again within about a second.
  std::chrono::milliseconds backoff_min{50};
  std::chrono::milliseconds backoff_max{1000};
};

class Client {
 public:
  explicit Client(Url url, ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Result<Reply> command(const Command& command);
  // The commands in one round trip on one connection, replies in order.
  // Not a transaction: other clients' commands may run between them.
  Result<std::vector<Reply>> pipeline(const std::vector<Command>& commands);
  // Runs the script by EVALSHA; on NOSCRIPT (a restarted or flushed Redis)
  // loads it with SCRIPT LOAD and runs it again, in one round trip.
  Result<Reply> eval(const Script& script, const std::vector<std::string>& keys, const std::vector<std::string>& args);
  // The same, followed on the same connection and in the same round trip by
  // `after` (WAIT counts the writes of its own connection), whose replies
  // may take `after_time` beyond the command timeout. The script's reply,
  // then after's; only the script's is checked for an error reply.
  Result<std::vector<Reply>> eval_then(const Script& script, const std::vector<std::string>& keys,
                                       const std::vector<std::string>& args, const std::vector<Command>& after,
                                       std::chrono::milliseconds after_time);

  // For commands that wait inside Redis for news (XREAD BLOCK): the first
  // call sends `commands` on a connection it keeps for them, and every call
  // waits at most `slice` for all their replies. nullopt: not yet; they stay
  // in flight and the next call waits on for them (its `commands` are not
  // sent). Replies must come within the command timeout of the send, else
  // the connection is dropped and the call fails. Keeps a connection busy
  // while in flight, so meant for a Client of its own; one thread at a time.
  Result<std::optional<std::vector<Reply>>> blocking_pipeline(const std::vector<Command>& commands,
                                                              std::chrono::milliseconds slice);
  // How long the commands blocking_pipeline has in flight have waited; zero
  // when none are. From blocking_pipeline's thread.
  std::chrono::milliseconds in_flight_for() const;

  // The replies as they came, error replies included (command() and
  // pipeline() turn an error reply into store_unavailable), within the
  // command timeout plus `extra`.
  Result<std::vector<Reply>> exchange(const std::vector<Command>& commands, std::chrono::milliseconds extra = {});

  const Url& url() const { return url_; }
  // Why the last connection failed (for a startup message); never holds the password.
  std::string last_failure() const;

 private:
  struct Connection;
  using Deadline = std::chrono::steady_clock::time_point;

  // A pooled connection, connected; released again on failure.
  Result<Connection*> checkout(Deadline deadline);
  Connection* acquire(Deadline deadline);
  void release(Connection* c);
  Result<void> connect(Connection& c, Deadline deadline);
  // A connection failed: back off before the next connect, log the first failure.
  void failed(std::string_view detail);
  // A call got its replies: log the way back once.
  void succeeded();
  // The first error reply as store_unavailable (logged); ok when there is none.
  Result<void> check_errors(const std::vector<Reply>& replies, std::string_view op) const;

  const Url url_;
  const ClientOptions options_;

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<Connection*> idle_;

  // Reconnect backoff, shared by every connection of the pool.
  mutable std::mutex backoff_mu_;
  int failures_ = 0;
  Deadline retry_at_{};
  std::atomic<bool> down_{false};  // logged as down; the next success logs it back
  std::string last_failure_;
  std::minstd_rand jitter_{std::random_device{}()};

  // What blocking_pipeline has in flight (its one caller's thread only).
  struct InFlight {
    Connection* connection = nullptr;  // checked out of the pool until the replies are in
    std::size_t count = 0;
    std::string op;  // the first command's name, for the log
    std::chrono::steady_clock::time_point sent{};
    Deadline due{};
    std::vector<Reply> replies;
  };
  InFlight in_flight_;
};

}  // namespace cloakroom::redis
