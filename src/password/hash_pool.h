#pragma once
// A bounded pool of threads for CPU-heavy work (Argon2id), so I/O threads
// never block on it.
//
//   HashPool pool(2, 64);                        // 2 workers, 64 queued jobs at most
//   if (!pool.try_submit([&] { ... })) -> 503    // full: shed load, do not queue forever
//
// try_submit never blocks. Jobs run in FIFO order. The destructor finishes
// every accepted job before joining (graceful shutdown).
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cloakroom {

class HashPool {
 public:
  HashPool(int workers, int max_queued);
  ~HashPool();
  HashPool(const HashPool&) = delete;
  HashPool& operator=(const HashPool&) = delete;

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
