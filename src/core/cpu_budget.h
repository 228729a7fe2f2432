#pragma once
// How many CPUs this process may really use, for sizing thread pools: the
// CPUs of its affinity mask (taskset, cpusets), capped by the tightest cgroup
// CPU quota above it (containers, systemd CPUQuota=), never below 1. The
// host's core count is the wrong number under either: threads beyond the
// CPUs only take turns on them, and each turn is latency.
//
//   CpuBudget b = usable_cpus();          // this process
//   int threads = cfg.http.threads > 0 ? cfg.http.threads : b.cpus;
//   log_line("info", "threads", {{"cpus", std::to_string(b.cpus)}, {"from", b.from}});
//
//   usable_cpus(8, fake_root);            // tests: 8 CPUs in the mask, proc/ and sys/ under fake_root
#include <filesystem>
#include <optional>
#include <string>

namespace cloakroom {

struct CpuBudget {
  int cpus = 1;                      // what to size from: min(affinity, ceil(quota)), at least 1
  int affinity = 1;                  // CPUs in the affinity mask
  std::optional<double> quota;       // the tightest cgroup quota in CPUs (1.5: 150 ms per 100 ms), if any
  std::string from = "affinity";     // which of the two decided: "affinity", "cgroup2 cpu.max",
                                     // "cgroup1 cpu.cfs_quota_us"
};

// The CPUs in the calling thread's affinity mask (sched_getaffinity); the
// host's count if the mask cannot be read; at least 1.
int affinity_cpus();

// `affinity` capped by the cgroup quotas found under `root` ("/" for the real
// system): root/proc/self/mountinfo locates the cgroup v2 mount and the v1
// mount holding the cpu controller, root/proc/self/cgroup names this
// process's group in each, and every cpu.max (v2) or cpu.cfs_quota_us /
// cpu.cfs_period_us pair (v1) from that group up to the mount's root counts,
// because a parent's quota binds its children too. A file that is missing
// or unreadable means no quota there: this never fails.
CpuBudget usable_cpus(int affinity, const std::filesystem::path& root);

// This process: usable_cpus(affinity_cpus(), "/").
CpuBudget usable_cpus();

}  // namespace cloakroom
