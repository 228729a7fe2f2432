#include "http/offload.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <optional>
#include <stdexcept>

namespace cloakroom::http {
namespace {

namespace asio = boost::asio;

template <class T>
std::optional<T> run(asio::awaitable<T> task) {
  asio::io_context ioc;
  std::optional<T> out;
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> { out.emplace(co_await std::move(task)); }, asio::detached);
  ioc.run();
  return out;
}

// A job that runs answers true; its side effects are visible after the co_await.
TEST(Offload, RunsTheJobAndResumes) {
  WorkPool pool(1, 4);
  int seen = 0;
  auto ran = run(offload(pool, [&] { seen = 42; }));
  ASSERT_TRUE(ran.has_value());
  EXPECT_TRUE(*ran);
  EXPECT_EQ(seen, 42);
}

// A job that throws neither ends the process nor strands the request: it
// counts as not run, so the caller answers 503.
TEST(Offload, AThrowingJobCountsAsNotRun) {
  WorkPool pool(1, 4);
  ::testing::internal::CaptureStderr();
  auto ran = run(offload(pool, [] { throw std::runtime_error("boom"); }));
  std::string log = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(ran.has_value());
  EXPECT_FALSE(*ran);
  EXPECT_NE(log.find("pool_job_exception"), std::string::npos) << log;
  auto result = run(on_pool(pool, []() -> Result<int> { throw std::bad_alloc(); }));
  ASSERT_TRUE(result.has_value());
  ASSERT_FALSE(*result);
  EXPECT_EQ(result->error().code, ErrorCode::overloaded);
  EXPECT_TRUE(*run(offload(pool, [] {})));  // the pool still works
}

}  // namespace
}  // namespace cloakroom::http
