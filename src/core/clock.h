#pragma once
// Time is injected: code that needs "now" takes a Clock&, so tests use
// FakeClock (tests/support) instead of sleeping.
//
//   Timestamp t = clock.now();   // seconds + nanoseconds since the Unix epoch
#include <chrono>

namespace cloakroom {

using SystemTime = std::chrono::system_clock::time_point;
using Seconds = std::chrono::seconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual SystemTime now() const = 0;
};

class SystemClock final : public Clock {
 public:
  SystemTime now() const override { return std::chrono::system_clock::now(); }
};

inline long long unix_seconds(SystemTime t) {
  return std::chrono::duration_cast<Seconds>(t.time_since_epoch()).count();
}

}  // namespace cloakroom
