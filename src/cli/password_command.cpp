#include <chrono>
#include <iostream>

#include "cli/commands.h"
#include "core/duration.h"
#include "password/password_hasher.h"

namespace cloakroom::cli {

// `password calibrate`: the Argon2id iterations that make one hash take about
// --target at --memory-kib on this machine (memory first, then time, as RFC
// 9106 §4 recommends), printed as a [password] config section.
int password_command(const Args& args) {
  auto target = parse_duration(args.get("target").value_or("500ms"));
  if (!target || target->count() < 10 || target->count() > 60'000)
    return fail(kExitUsage, "--target must be a duration from 10ms to 60s, like 500ms");
  std::uint64_t memory_kib = 19 * 1024;
  if (auto m = args.get("memory-kib")) {
    try {
      memory_kib = std::stoull(*m);
    } catch (...) {
      memory_kib = 0;
    }
    if (memory_kib < 8 || memory_kib > 4 * 1024 * 1024) return fail(kExitUsage, "--memory-kib must be from 8 to 4194304");
  }

  auto time_one = [&](std::uint64_t t) {
    PasswordHasher hasher({memory_kib, t});
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 3; ++i) (void)hasher.hash("calibration password");
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / 3;
  };
  std::uint64_t t = 1;
  double ms = time_one(t);
  std::cerr << "t=" << t << ": " << ms << " ms\n";
  while (ms < static_cast<double>(target->count()) && t < 100) {
    // Time grows linearly with t: jump close, then confirm.
    auto next = static_cast<std::uint64_t>(static_cast<double>(t) * static_cast<double>(target->count()) / ms);
    t = std::max(t + 1, std::min<std::uint64_t>(next, 100));
    ms = time_one(t);
    std::cerr << "t=" << t << ": " << ms << " ms\n";
  }
  std::cout << "# Argon2id, p=1, measured on this machine: " << static_cast<long long>(ms + 0.5) << " ms per hash\n"
            << "[password]\nmemory_kib = " << memory_kib << "\niterations = " << t << "\n";
  if (t < 2 && memory_kib <= 19 * 1024)
    std::cout << "# Below OWASP's minimum (m=19456, t=2); keep iterations = 2 unless you raise memory_kib.\n";
  return kExitOk;
}

}  // namespace cloakroom::cli
