#pragma once
// A real redis-server (Debian's package) for tests: on 127.0.0.1, a free
// port, a temp dir, no persistence; stopped by its pid. One shared server
// per test binary, started on first use and stopped by a gtest global
// Environment; a test that restarts Redis or needs a password starts its own.
//
//   testing::RedisSpace space;                     // a fresh key prefix on the shared server
//   redis::SessionStore sessions(space.client, space.keys);
//   testing::RedisServer own({.password = "pw"});  // a private server (AUTH, restarts)
//   own.stop(); own.start();                       // the same port, empty again
//   own.pause(); own.resume();                     // unresponsive, connections still open
//   testing::RedisServer replica({.replica_of = own.port()});  // --replicaof; started once in sync
//   testing::RedisServer managed({.args = {"--rename-command", "CONFIG", ""}});  // any other redis-server option
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "store/redis/change_feed.h"
#include "store/redis/client.h"
#include "store/redis/layout.h"
#include "store/redis/url.h"

namespace cloakroom::testing {

class RedisServer {
 public:
  struct Options {
    std::string password;  // non-empty: requirepass
    int replica_of = 0;    // non-zero: a replica of the server on that port
    std::vector<std::string> args;  // more redis-server arguments ("--rename-command", "CONFIG", "")
  };

  // Why two constructors: a default argument of Options{} is not allowed
  // while Options's member initializers are still being parsed.
  RedisServer() : RedisServer(Options{}) {}
  explicit RedisServer(Options options) : options_(std::move(options)) {
    static int n = 0;
    dir_ = ::testing::TempDir() + "/cloakroom-redis-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    start();
  }
  ~RedisServer() {
    stop();
    std::filesystem::remove_all(dir_);
  }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Starts it (on the same port after the first start); without data, since nothing is persisted.
  void start() {
    const bool restart = port_ != 0;  // a restart keeps its port: the clients under test name it
    const int attempts = restart ? 1 : 5;
    for (int attempt = 0; attempt < attempts && pid_ <= 0; ++attempt) {
      if (!restart) port_ = free_port();
      pid_ = spawn();
      if (!wait_listening() || !wait_synced()) {
        stop();
        if (attempt + 1 == attempts) ADD_FAILURE() << "redis-server did not start; see " << dir_ << "/redis.log";
      }
    }
  }
  // SIGTERM by pid, then waits for it.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGCONT);  // a paused one would never act on SIGTERM
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = 0;
  }
  // SIGSTOP / SIGCONT: Redis stops answering with every connection still open.
  void pause() { ::kill(pid_, SIGSTOP); }
  void resume() { ::kill(pid_, SIGCONT); }
  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  // Its working directory: a dump.rdb put here is the data of its next start().
  const std::string& dir() const { return dir_; }

  // "redis://[:password@]127.0.0.1:PORT/DB?prefix=PREFIX".
  std::string url(const std::string& prefix, int db = 0, const std::string& credentials = "") const {
    std::string auth = credentials.empty() ? (options_.password.empty() ? "" : ":" + options_.password + "@")
                                           : credentials + "@";
    return "redis://" + auth + "127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(db) + "?prefix=" + prefix;
  }

 private:
  static int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
  }

  pid_t spawn() {
    std::vector<std::string> args = {"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                     "--save", "", "--appendonly", "no", "--dir", dir_,
                                     "--logfile", dir_ + "/redis.log", "--daemonize", "no",
                                     // Why: a replica's first sync would otherwise wait 5 s for more replicas.
                                     "--repl-diskless-sync-delay", "0"};
    if (!options_.password.empty()) args.insert(args.end(), {"--requirepass", options_.password});
    if (options_.replica_of != 0)
      args.insert(args.end(), {"--replicaof", "127.0.0.1", std::to_string(options_.replica_of)});
    args.insert(args.end(), options_.args.begin(), options_.args.end());
    // Built before fork: the child of a threaded process may only exec.
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid == 0) {
      int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 1);
      ::execv("/usr/bin/redis-server", argv.data());
      ::_exit(127);
    }
    return pid;
  }

  // Until the port accepts a connection, or the process exits (the port was taken).
  bool wait_listening() {
    for (int i = 0; i < 500; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        return false;
      }
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(static_cast<uint16_t>(port_));
      bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      ::close(fd);
      if (up) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  // A replica: until its link to the primary is up (the initial sync done).
  bool wait_synced() {
    if (options_.replica_of == 0) return true;
    redis::Client client(*redis::parse_url(url("sync:")));
    for (int i = 0; i < 500; ++i) {
      auto info = client.command({"INFO", "replication"});
      if (info && info->str.find("master_link_status:up") != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  Options options_;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = 0;
};

// Owns the shared server: started by the first test that asks, stopped
// after the last test (a binary whose tests never ask starts none).
class SharedRedis : public ::testing::Environment {
 public:
  static RedisServer& server() {
    if (!instance->server_) instance->server_ = std::make_unique<RedisServer>();
    return *instance->server_;
  }
  void TearDown() override { server_.reset(); }
  static SharedRedis* const instance;

 private:
  std::unique_ptr<RedisServer> server_;
};
inline SharedRedis* const SharedRedis::instance =
    static_cast<SharedRedis*>(::testing::AddGlobalTestEnvironment(new SharedRedis));

// A fresh key prefix on the shared server, with a client: each test's
// stores see only their own keys.
struct RedisSpace {
  RedisSpace() : RedisSpace(SharedRedis::server()) {}
  explicit RedisSpace(const RedisServer& server)
      : url(*redis::parse_url(server.url(next_prefix()))),
        client(std::make_shared<redis::Client>(url)),
        keys{url.prefix} {}

  std::shared_ptr<redis::ChangeFeed> feed() const {
    return std::make_shared<redis::ChangeFeed>(client, keys, feed_wait());
  }
  // A waiter of its own for a ChangeFeed, as open_stores gives one.
  redis::FeedWait feed_wait() const {
    return redis::FeedWait{std::make_shared<redis::Client>(url, redis::ClientOptions{.connections = 1}),
                           std::chrono::milliseconds(5)};
  }

  static std::string next_prefix() {
    static int n = 0;
    return "t" + std::to_string(::getpid()) + "-" + std::to_string(n++) + ":";
  }

  redis::Url url;
  std::shared_ptr<redis::Client> client;
  redis::Keys keys;
};

}  // namespace cloakroom::testing
