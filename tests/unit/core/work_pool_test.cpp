#include "core/work_pool.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>

namespace cloakroom {
namespace {

// Why 30 s: a bound, not a speed check; a job that has not started by then never will.
constexpr std::chrono::seconds kGenerous{30};

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
  std::promise<void> started;
  WorkPool pool(1, 2);
  ASSERT_TRUE(pool.try_submit([&] { started.set_value(); gate.wait(); }));
  if (started.get_future().wait_for(kGenerous) != std::future_status::ready) {  // the worker is busy
    release.set_value();  // let the pool's destructor finish
    FAIL() << "the worker did not start the job within " << kGenerous.count() << " s";
  }
  EXPECT_TRUE(pool.try_submit([gate] { gate.wait(); }));
  EXPECT_TRUE(pool.try_submit([gate] { gate.wait(); }));
  EXPECT_EQ(pool.queue_depth(), 2);
  EXPECT_FALSE(pool.try_submit([] {}));
  release.set_value();
}

// A queue of zero still runs jobs when a worker is idle.
TEST(WorkPool, ZeroQueueUsesIdleWorkers) {
  std::promise<void> done;  // declared first: it must outlive the pool that runs the job
  WorkPool pool(1, 0);
  ASSERT_TRUE(pool.try_submit([&] { done.set_value(); }));
  ASSERT_EQ(done.get_future().wait_for(kGenerous), std::future_status::ready)
      << "the idle worker did not run the job within " << kGenerous.count() << " s";
}

}  // namespace
}  // namespace cloakroom
