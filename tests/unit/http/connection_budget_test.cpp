#include "http/connection_budget.h"

#include <gtest/gtest.h>

namespace cloakroom::http {
namespace {

// Without an fd limit the configured max_connections stands, with a small refusal budget.
TEST(ConnectionBudget, UnlimitedKeepsTheConfiguredValue) {
  ConnectionBudget b = plan_connections(10'000, -1, 2);
  EXPECT_EQ(b.max_connections, 10'000);
  EXPECT_EQ(b.max_refusing, 64);
  EXPECT_FALSE(b.clamped);
  EXPECT_EQ(plan_connections(2, -1, 1).max_refusing, 4);
}

// When connections, refusals and the reserve fit the fd limit, nothing changes.
TEST(ConnectionBudget, FittingLimitKeepsTheConfiguredValue) {
  ConnectionBudget b = plan_connections(1000, 1000 + 64 + reserved_fds(2), 2);
  EXPECT_EQ(b.max_connections, 1000);
  EXPECT_FALSE(b.clamped);
}

// A low fd limit lowers max_connections so every counted socket has a descriptor.
TEST(ConnectionBudget, LowLimitClamps) {
  ConnectionBudget b = plan_connections(10'000, 1024, 2);
  EXPECT_TRUE(b.clamped);
  EXPECT_EQ(b.fd_limit, 1024);
  EXPECT_LE(b.max_connections + b.max_refusing + reserved_fds(2), 1024);
  EXPECT_EQ(b.max_refusing, 64);
  EXPECT_EQ(b.max_connections, 1024 - reserved_fds(2) - 64);
  // The figures the integration test relies on (200 descriptors, one thread).
  ConnectionBudget small = plan_connections(10'000, 200, 1);
  EXPECT_EQ(small.max_connections, 116);
  EXPECT_EQ(small.max_refusing, 16);
}

// A limit below the reserve still leaves one connection, and never raises the configured value.
TEST(ConnectionBudget, TinyLimitKeepsOneConnection) {
  ConnectionBudget b = plan_connections(10'000, 10, 4);
  EXPECT_EQ(b.max_connections, 1);
  EXPECT_EQ(b.max_refusing, 1);
  EXPECT_TRUE(b.clamped);
  EXPECT_EQ(plan_connections(10, 80, 1).max_connections, 10);
}

// Raising the fd limit never lowers it: asking for one descriptor keeps the current soft limit.
TEST(ConnectionBudget, RaiseNeverLowers) {
  long long before = raise_fd_limit(1);
  EXPECT_EQ(raise_fd_limit(1), before);
  EXPECT_TRUE(before == -1 || before >= 1);
}

// Slots count while held, refuse past the maximum, and are released once, even after a move.
TEST(ConnectionBudget, SlotsCountAndRelease) {
  std::atomic<int> held{0};
  {
    auto a = Slot::take(held, 2);
    auto b = Slot::take(held, 2);
    ASSERT_TRUE(a && b);
    EXPECT_FALSE(Slot::take(held, 2));
    EXPECT_EQ(held.load(), 2);
    Slot moved(std::move(*a));
    a.reset();
    EXPECT_EQ(held.load(), 2);
  }
  EXPECT_EQ(held.load(), 0);
}

}  // namespace
}  // namespace cloakroom::http
