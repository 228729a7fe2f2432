#pragma once
// The one seam between a request coroutine and blocking work: the job runs
// on a WorkPool and the coroutine resumes on its own executor when it is
// done, so an I/O thread never waits on a hash, a disk or a network store.
//
//   bool ran = co_await offload(hash_pool, [&] { ok = hasher.verify(phc, pw); });
//   if (!ran) -> 503 (queue full, or the job threw: logged as pool_job_exception)
//
//   Result<bool> gone = co_await on_pool(store_pool, [&] { return sessions.revoke(id); });
//   // a full queue answers Error{overloaded} without running the job
//
// The job's captures must outlive the co_await (they do: the coroutine frame
// is suspended until the job finishes).
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <optional>
#include <type_traits>

#include "core/error.h"
#include "core/result.h"
#include "core/work_pool.h"

namespace cloakroom::http {

boost::asio::awaitable<bool> offload(WorkPool& pool, std::function<void()> job);

// Runs `job` (returning a Result<T>) on `pool`; overloaded when the pool is full.
template <class Job>
boost::asio::awaitable<std::invoke_result_t<Job&>> on_pool(WorkPool& pool, Job job) {
  std::optional<std::invoke_result_t<Job&>> out;
  bool ran = co_await offload(pool, [&] { out.emplace(job()); });
  if (!ran) co_return Error{ErrorCode::overloaded};
  co_return std::move(*out);
}

}  // namespace cloakroom::http
