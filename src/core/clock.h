#pragma once
// Time is injected: code that needs "now" takes a Clock&, so tests use
// FakeClock (tests/support) instead of sleeping.
//
//   Timestamp t = clock.now();   // seconds + nanoseconds since the Unix epoch
#include <chrono>
#include <string>

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

inline long long unix_millis(SystemTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// RFC 3339 UTC with second precision, e.g. "2026-11-23T12:00:00Z".
std::string rfc3339(long long unix_ms);

inline long long unix_seconds(SystemTime t) {
  return std::chrono::duration_cast<Seconds>(t.time_since_epoch()).count();
}

}  // namespace cloakroom
