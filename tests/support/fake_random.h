#pragma once
// A Random for tests: the same bytes every run, from a counter, so ids and
// tokens are reproducible; rewinding it replays earlier bytes: a collision on
// demand, which the OS CSPRNG never gives.
//
//   testing::FakeRandom rng;
//   auto before = rng.position();
//   auto a = svc.create(...);          // uses some bytes
//   rng.rewind(before);
//   auto b = svc.create(...);          // the same id and secret as a
#include <span>

#include "core/random.h"

namespace cloakroom::testing {

class FakeRandom final : public Random {
 public:
  void fill(std::span<unsigned char> out) override {
    for (auto& b : out) b = static_cast<unsigned char>((next_++ * 131 + 7) & 0xFF);
  }
  unsigned long position() const { return next_; }
  void rewind(unsigned long position) { next_ = position; }

 private:
  unsigned long next_ = 0;
};

}  // namespace cloakroom::testing
