#pragma once
// A Clock that only moves when a test says so.
#include "core/clock.h"

namespace cloakroom::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(SystemTime start = SystemTime{} + std::chrono::seconds(1'800'000'000)) : now_(start) {}
  SystemTime now() const override { return now_; }
  void advance(std::chrono::milliseconds d) { now_ += d; }

 private:
  SystemTime now_;
};

}  // namespace cloakroom::testing
