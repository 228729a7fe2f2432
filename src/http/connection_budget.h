#pragma once
// How many sockets the server may hold, and a counted place in those pools.
// Every accepted socket takes a Slot (a connection, or a socket being
// refused with 503) for its whole life, or is closed at once.
//
//   ConnectionBudget b = plan_connections(cfg.max_connections, fd_soft_limit(), threads);
//   if (b.clamped) log a warning;
//   if (auto slot = Slot::take(active, b.max_connections)) serve(std::move(socket), std::move(*slot));
//   else if (auto r = Slot::take(refusing, b.max_refusing)) refuse(std::move(socket), std::move(*r));
//   else socket.close();
#include <atomic>
#include <optional>
#include <utility>

namespace cloakroom::http {

struct ConnectionBudget {
  int max_connections = 0;  // served connections, keep-alive and lingering close included
  int max_refusing = 0;     // sockets past max_connections still given a 503
  bool clamped = false;     // max_connections was lowered to fit the fd limit
  long long fd_limit = -1;  // RLIMIT_NOFILE used for the plan (-1: unlimited)
};

// File descriptors kept for everything but client sockets.
// Why 64 + 4 per thread: stdio, the database and its WAL and shm files, key
// files being reloaded, the signal pipe, and per I/O thread an epoll, an
// eventfd, a timerfd and a listening socket; the margin covers transient files.
int reserved_fds(int threads);

// Splits what the fd limit leaves (fd_limit < 0: unlimited) between served
// connections and refused sockets. max_connections is lowered, never raised.
ConnectionBudget plan_connections(int max_connections, long long fd_limit, int threads);

// Raises RLIMIT_NOFILE's soft limit towards its hard limit as far as `wanted`
// needs, and returns the soft limit in force (-1: unlimited).
long long raise_fd_limit(long long wanted);

// A place in a counted pool, released on destruction (move-only).
class Slot {
 public:
  // Takes a place when fewer than `max` are held.
  static std::optional<Slot> take(std::atomic<int>& held, int max) {
    if (held.fetch_add(1, std::memory_order_relaxed) >= max) {
      held.fetch_sub(1, std::memory_order_relaxed);
      return std::nullopt;
    }
    return Slot(held);
  }
  Slot(Slot&& other) noexcept : held_(std::exchange(other.held_, nullptr)) {}
  Slot& operator=(Slot&&) = delete;
  Slot(const Slot&) = delete;
  ~Slot() {
    if (held_) held_->fetch_sub(1, std::memory_order_relaxed);
  }

 private:
  explicit Slot(std::atomic<int>& held) : held_(&held) {}
  std::atomic<int>* held_;
};

}  // namespace cloakroom::http
