#include "http/connection_budget.h"

#include <sys/resource.h>

#include <algorithm>

namespace cloakroom::http {

namespace {

// Why an eighth, 4 to 64: a burst of clients over the limit still reads a
// 503 with Retry-After, while a flood of sockets costs at most this many
// descriptors for at most the lingering deadline; past it they are closed.
int refusing_for(int connections) { return std::clamp(connections / 8, 4, 64); }

}  // namespace

int reserved_fds(int threads) { return 64 + 4 * threads; }

ConnectionBudget plan_connections(int max_connections, long long fd_limit, int threads) {
  ConnectionBudget b;
  b.max_connections = max_connections;
  b.max_refusing = refusing_for(max_connections);
  b.fd_limit = fd_limit;
  if (fd_limit < 0) return b;
  long long available = fd_limit - reserved_fds(threads);
  if (static_cast<long long>(b.max_connections) + b.max_refusing <= available) return b;
  // Too few descriptors: accept() would fail with EMFILE and leave clients
  // waiting in the backlog, unanswered. Shrink both pools to fit instead.
  int usable = static_cast<int>(std::max(2LL, available));
  b.max_refusing = std::clamp(usable / 8, 1, 64);
  b.max_connections = std::max(1, std::min(max_connections, usable - b.max_refusing));
  b.clamped = b.max_connections < max_connections;
  return b;
}

long long raise_fd_limit(long long wanted) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return -1;
  if (lim.rlim_cur == RLIM_INFINITY) return -1;
  if (static_cast<long long>(lim.rlim_cur) < wanted && lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max == RLIM_INFINITY ? static_cast<rlim_t>(wanted)
                                                    : std::min(lim.rlim_max, static_cast<rlim_t>(wanted));
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  return static_cast<long long>(lim.rlim_cur);
}

}  // namespace cloakroom::http
