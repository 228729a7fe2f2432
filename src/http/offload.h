#pragma once
// Runs a CPU-heavy job on the HashPool and resumes the calling coroutine on
// its own executor when the job is done.
//
//   bool ran = co_await offload(pool, [&] { ok = hasher.verify(phc, pw); });
//   if (!ran) -> 503 (queue full: the job was not run)
//
// The job's captures must outlive the co_await (they do: the coroutine frame
// is suspended until the job finishes).
#include <boost/asio/awaitable.hpp>
#include <functional>

#include "password/hash_pool.h"

namespace cloakroom::http {

boost::asio::awaitable<bool> offload(HashPool& pool, std::function<void()> job);

}  // namespace cloakroom::http
