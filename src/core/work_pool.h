#pragma once
// A bounded pool of threads for work that must never run on an I/O thread:
// password hashing (CPU) and store calls (disk, later network round trips).
// The server runs one pool of each kind, so a slow store never queues ahead
// of hashing and a hashing burst never delays a logout.
//
//   WorkPool pool(2, 64);                        // 2 workers, 64 queued jobs at most
//   if (!pool.try_submit([&] { ... })) -> 503    // full: shed load, do not queue forever
//
// From a coroutine, http/offload.h's offload() / on_pool() submit a job and
// resume on the caller's executor. try_submit never blocks. Jobs run in FIFO
// order. The destructor finishes every accepted job before joining
// (graceful shutdown).
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cloakroom {

class WorkPool {
 public:
  WorkPool(int workers, int max_queued);
  ~WorkPool();
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // false when `max_queued` jobs are already waiting (or the pool is stopping).
  bool try_submit(std::function<void()> job);
  // Jobs accepted and not yet started (for /metrics).
  int queue_depth() const { return depth_.load(std::memory_order_relaxed); }
  int workers() const { return static_cast<int>(threads_.size()); }

 private:
  void work();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> threads_;
  std::atomic<int> depth_{0};
  const std::size_t max_queued_;
  std::size_t running_ = 0;
  bool stopping_ = false;
};

}  // namespace cloakroom
