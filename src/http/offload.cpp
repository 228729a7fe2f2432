#include "http/offload.h"

#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <memory>

#include "core/log.h"

namespace cloakroom::http {

namespace asio = boost::asio;

asio::awaitable<bool> offload(WorkPool& pool, std::function<void()> job) {
  auto executor = co_await asio::this_coro::executor;
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>, void(bool)>(
      [&pool, &job, executor](auto handler) {
        using H = decltype(handler);
        // shared_ptr: std::function needs a copyable callable; the handler is move-only.
        auto shared = std::make_shared<H>(std::move(handler));
        // The guard keeps the io_context running while the job is away.
        auto guard = std::make_shared<asio::executor_work_guard<decltype(executor)>>(executor);
        bool accepted = pool.try_submit([shared, guard, job = std::move(job), executor] {
          // Why catch: an exception escaping a pool thread would end the
          // process, and the waiting request would never be answered. The
          // job counts as not run: the caller answers 503.
          bool ran = true;
          try {
            job();
          } catch (const std::exception& e) {
            ran = false;
            log_line("error", "pool_job_exception", {{"detail", e.what()}});
          } catch (...) {
            ran = false;
            log_line("error", "pool_job_exception", {{"detail", "unknown exception"}});
          }
          asio::post(executor, [shared, guard, ran] { (*shared)(ran); });
        });
        if (!accepted) asio::post(executor, [shared] { (*shared)(false); });
      },
      asio::use_awaitable);
}

}  // namespace cloakroom::http
