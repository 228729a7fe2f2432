#include "core/work_pool.h"

#include <gtest/gtest.h>

#include <future>

namespace cloakroom {
namespace {

// Accepted jobs all run, also when the pool is destroyed right away.
TEST(WorkPool, RunsEveryAcceptedJob) {
  std::atomic<int> ran{0};
  {
    WorkPool pool(2, 100);
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(pool.try_submit([&] { ran++; }));
  }
  EXPECT_EQ(ran.load(), 50);
}

// With every worker busy and the queue full, try_submit refuses at once.
TEST(WorkPool, RefusesWhenFull) {
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  WorkPool pool(1, 2);
  std::promise<void> started;
  ASSERT_TRUE(pool.try_submit([&] { started.set_value(); gate.wait(); }));
  started.get_future().wait();  // the worker is busy
  EXPECT_TRUE(pool.try_submit([gate] { gate.wait(); }));
  EXPECT_TRUE(pool.try_submit([gate] { gate.wait(); }));
  EXPECT_EQ(pool.queue_depth(), 2);
  EXPECT_FALSE(pool.try_submit([] {}));
  release.set_value();
}

// A queue of zero still runs jobs when a worker is idle.
TEST(WorkPool, ZeroQueueUsesIdleWorkers) {
  WorkPool pool(1, 0);
  std::promise<void> done;
  ASSERT_TRUE(pool.try_submit([&] { done.set_value(); }));
  done.get_future().wait();
}

}  // namespace
}  // namespace cloakroom
