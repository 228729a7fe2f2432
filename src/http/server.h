#pragma once
// The HTTP/1.1 server: http.threads io_context threads (App turns 0 into the
// CPUs this process may use), each with its own SO_REUSEPORT acceptor, one
// coroutine per connection.
//
//   Server server(cfg.http, router, metrics);
//   if (auto r = server.bind("127.0.0.1:8080"); !r) ...   // errors before any thread starts
//   server.run();          // blocks; SIGINT/SIGTERM (or stop()) shut it down gracefully
//
// Per connection: a deadline on every read (idle_timeout while waiting for a
// request, read_timeout for its headers and then its body), header and body
// limits and strict framing (RequestReader: 431 / 413 / 400), keep-alive, and
// a lingering close (2 s in all) whenever a response ends the connection, so
// leftover body bytes are never parsed as a next request. Every accepted
// socket counts: max_connections served (lowered to fit the fd limit), a
// small budget answered 503, the rest closed at once (ConnectionBudget).
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/result.h"
#include "http/router.h"
#include "metrics/metrics.h"

namespace cloakroom::http {

class Server {
 public:
  Server(const HttpConfig& config, const Router& router, Metrics& metrics);
  ~Server();

  // Resolves `listen` (HOST:PORT, port 0 picks a free one) and binds.
  Result<void> bind(const std::string& listen);
  // The bound address as HOST:PORT (after bind()).
  std::string bound_address() const;
  // Serves until SIGINT/SIGTERM or stop(); returns after in-flight requests
  // finished (or shutdown_timeout passed). `on_listening` runs once serving.
  void run(const std::function<void()>& on_listening = {});
  // Thread-safe: begins a graceful shutdown.
  void stop();

  int active_connections() const { return active_.load(std::memory_order_relaxed); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<int> active_{0};
};

}  // namespace cloakroom::http
