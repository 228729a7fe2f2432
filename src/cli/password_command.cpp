#include <chrono>
#include <iomanip>
#include <utility>
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
  // OWASP's Password Storage Cheat Sheet: equally strong Argon2id settings, as (memory KiB, iterations).
  constexpr std::pair<std::uint64_t, std::uint64_t> kOwaspMinimums[] = {
      {47104, 1}, {19456, 2}, {12288, 3}, {9216, 4}, {7168, 5}};
  bool meets_owasp = false;
  for (auto [m, it] : kOwaspMinimums) meets_owasp = meets_owasp || (memory_kib >= m && t >= it);
  std::cout << std::fixed << std::setprecision(ms < 10 ? 2 : 0)
            << "# Argon2id, p=1, measured on this machine: " << ms << " ms per hash\n"
            << "[password]\nmemory_kib = " << memory_kib << "\niterations = " << t << "\n";
  if (ms < static_cast<double>(target->count()))
    std::cout << "# --target was not reached within 100 iterations: raise --memory-kib instead.\n";
  if (!meets_owasp)
    std::cout << "# Below OWASP's minimum for Argon2id (memory_kib = 19456 with iterations = 2, or 7168 with 5): "
                 "use at least that, or raise --memory-kib.\n";
  return kExitOk;
}

}  // namespace cloakroom::cli
