#include "core/work_pool.h"

namespace cloakroom {

WorkPool::WorkPool(int workers, int max_queued) : max_queued_(static_cast<std::size_t>(max_queued)) {
  if (workers < 1) workers = 1;
  for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
}

WorkPool::~WorkPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

bool WorkPool::try_submit(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    // Why: the queue bound is what turns overload into fast 503s instead of
    // ever-growing latency; the workers themselves are the "running" slots.
    if (stopping_ || queue_.size() + running_ >= max_queued_ + threads_.size()) return false;
    queue_.push_back(std::move(job));
    depth_.store(static_cast<int>(queue_.size()), std::memory_order_relaxed);
  }
  cv_.notify_one();
  return true;
}

void WorkPool::work() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      job = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
      depth_.store(static_cast<int>(queue_.size()), std::memory_order_relaxed);
    }
    // A job must not end the process: offload() catches for its callers;
    // this is the last line for any other.
    try {
      job();
    } catch (...) {
    }
    std::lock_guard lock(mu_);
    --running_;
  }
}

}  // namespace cloakroom
