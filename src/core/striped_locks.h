#pragma once
// A fixed set of mutexes picked by hashing a key: "one lock per user" in
// constant memory. Two keys may share a stripe (a little extra waiting,
// never a missed exclusion).
//
//   StripedLocks<64> locks;
//   auto held = locks.lock(user_id, std::chrono::seconds(2));
//   if (!held) return ErrorCode::store_unavailable;   // waited too long: shed, do not pile up
//
// The wait is bounded because the lock is held across store calls, which a
// stuck store can stretch to their own deadline.
#include <array>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string_view>

namespace cloakroom {

template <std::size_t N>
class StripedLocks {
 public:
  // An owned lock, or nullopt when `wait` passed first.
  std::optional<std::unique_lock<std::timed_mutex>> lock(std::string_view key, std::chrono::milliseconds wait) {
    std::unique_lock held(stripes_[std::hash<std::string_view>{}(key) % N], std::defer_lock);
    if (!held.try_lock_for(wait)) return std::nullopt;
    return held;
  }

 private:
  std::array<std::timed_mutex, N> stripes_;
};

}  // namespace cloakroom
