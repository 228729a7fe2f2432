#include "core/cpu_budget.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

namespace cloakroom {
namespace {

namespace fs = std::filesystem;

// What a cgroup v2 host shows (systemd, unified hierarchy only).
constexpr const char* kV2Mounts =
    "24 1 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate\n";
// A hybrid host: cpu on v1 (here beside cpuacct), v2 mounted but without controllers.
constexpr const char* kHybridMounts =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

// A fake root directory holding proc/self/... and sys/fs/cgroup/... as real files.
class CpuBudgetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(::testing::TempDir()) /
            ("cpu-budget-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  void write(const std::string& rel, const std::string& text) {
    fs::path p = root_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  // A v2-only host with this process in `group` ("/" in a container with its own cgroup namespace).
  void v2_host(const std::string& group) {
    write("proc/self/mountinfo", kV2Mounts);
    write("proc/self/cgroup", "0::" + group + "\n");
  }

  fs::path root_;
};

// Without any cgroup files (not Linux's /proc, or unreadable), the affinity mask decides.
TEST_F(CpuBudgetTest, NoCgroupFilesMeansAffinity) {
  CpuBudget b = usable_cpus(6, root_);
  EXPECT_EQ(b.cpus, 6);
  EXPECT_EQ(b.affinity, 6);
  EXPECT_FALSE(b.quota.has_value());
  EXPECT_EQ(b.from, "affinity");
}

// cpu.max "max 100000" is no limit.
TEST_F(CpuBudgetTest, V2MaxIsNoLimit) {
  v2_host("/system.slice/cloakroom.service");
  write("sys/fs/cgroup/system.slice/cloakroom.service/cpu.max", "max 100000\n");
  CpuBudget b = usable_cpus(4, root_);
  EXPECT_EQ(b.cpus, 4);
  EXPECT_FALSE(b.quota.has_value());
  EXPECT_EQ(b.from, "affinity");
}

// "150000 100000" is 1.5 CPUs, rounded up to 2, and below 8 CPUs of affinity it decides.
TEST_F(CpuBudgetTest, V2QuotaRoundsUpAndCaps) {
  v2_host("/system.slice/cloakroom.service");
  write("sys/fs/cgroup/system.slice/cloakroom.service/cpu.max", "150000 100000\n");
  CpuBudget b = usable_cpus(8, root_);
  EXPECT_EQ(b.cpus, 2);
  EXPECT_EQ(b.affinity, 8);
  ASSERT_TRUE(b.quota.has_value());
  EXPECT_DOUBLE_EQ(*b.quota, 1.5);
  EXPECT_EQ(b.from, "cgroup2 cpu.max");
}

// A quota above the affinity mask is reported but does not raise the count.
TEST_F(CpuBudgetTest, AffinityBelowQuotaDecides) {
  v2_host("/");
  write("sys/fs/cgroup/cpu.max", "400000 100000\n");
  CpuBudget b = usable_cpus(1, root_);
  EXPECT_EQ(b.cpus, 1);
  ASSERT_TRUE(b.quota.has_value());
  EXPECT_DOUBLE_EQ(*b.quota, 4.0);
  EXPECT_EQ(b.from, "affinity");
}

// A parent's quota binds its children: the tightest one on the way up counts.
TEST_F(CpuBudgetTest, TightestAncestorQuotaCounts) {
  v2_host("/app.slice/cloakroom.service");
  write("sys/fs/cgroup/app.slice/cpu.max", "100000 100000\n");
  write("sys/fs/cgroup/app.slice/cloakroom.service/cpu.max", "300000 100000\n");
  CpuBudget b = usable_cpus(8, root_);
  EXPECT_EQ(b.cpus, 1);
  EXPECT_DOUBLE_EQ(*b.quota, 1.0);
  EXPECT_EQ(b.from, "cgroup2 cpu.max");
}

// Half a CPU of quota still gets one thread: never below 1.
TEST_F(CpuBudgetTest, FractionBelowOneIsOne) {
  v2_host("/");
  write("sys/fs/cgroup/cpu.max", "50000 100000\n");
  CpuBudget b = usable_cpus(4, root_);
  EXPECT_EQ(b.cpus, 1);
  EXPECT_DOUBLE_EQ(*b.quota, 0.5);
}

// A hybrid host: the quota is on the v1 cpu hierarchy, found through mountinfo
// (here at /sys/fs/cgroup/cpu,cpuacct, not /sys/fs/cgroup/cpu).
TEST_F(CpuBudgetTest, V1QuotaOnHybridHost) {
  write("proc/self/mountinfo", kHybridMounts);
  write("proc/self/cgroup", "4:memory:/x\n2:cpu,cpuacct:/docker/abc\n0::/\n");
  write("sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "200000\n");
  write("sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000\n");
  CpuBudget b = usable_cpus(16, root_);
  EXPECT_EQ(b.cpus, 2);
  EXPECT_DOUBLE_EQ(*b.quota, 2.0);
  EXPECT_EQ(b.from, "cgroup1 cpu.cfs_quota_us");
}

// cfs_quota_us -1 is v1's "no limit".
TEST_F(CpuBudgetTest, V1MinusOneIsNoLimit) {
  write("proc/self/mountinfo", kHybridMounts);
  write("proc/self/cgroup", "2:cpu,cpuacct:/\n0::/\n");
  write("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "-1\n");
  write("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
  CpuBudget b = usable_cpus(2, root_);
  EXPECT_EQ(b.cpus, 2);
  EXPECT_FALSE(b.quota.has_value());
  EXPECT_EQ(b.from, "affinity");
}

// A container's v1 mount shows only its own subtree (mount root /docker/abc):
// the group's limits are then at the mount point itself.
TEST_F(CpuBudgetTest, V1ContainerViewOfItsSubtree) {
  write("proc/self/mountinfo",
        "900 899 0:29 /docker/abc /sys/fs/cgroup/cpu ro,nosuid - cgroup cgroup rw,cpu\n");
  write("proc/self/cgroup", "3:cpu:/docker/abc\n");
  write("sys/fs/cgroup/cpu/cpu.cfs_quota_us", "300000\n");
  write("sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n");
  CpuBudget b = usable_cpus(8, root_);
  EXPECT_EQ(b.cpus, 3);
  EXPECT_EQ(b.from, "cgroup1 cpu.cfs_quota_us");
}

// A mount point with a space is written \040 in mountinfo.
TEST_F(CpuBudgetTest, EscapedMountPoint) {
  write("proc/self/mountinfo", "24 1 0:22 / /cg\\040v2 rw - cgroup2 cgroup2 rw\n");
  write("proc/self/cgroup", "0::/\n");
  write("cg v2/cpu.max", "200000 100000\n");
  EXPECT_EQ(usable_cpus(8, root_).cpus, 2);
}

// When both hierarchies carry a quota, the tighter one decides.
TEST_F(CpuBudgetTest, TighterOfV1AndV2) {
  write("proc/self/mountinfo",
        "41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
        "32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n");
  write("proc/self/cgroup", "1:cpu:/\n0::/\n");
  write("sys/fs/cgroup/unified/cpu.max", "300000 100000\n");
  write("sys/fs/cgroup/cpu/cpu.cfs_quota_us", "100000\n");
  write("sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n");
  CpuBudget b = usable_cpus(8, root_);
  EXPECT_EQ(b.cpus, 1);
  EXPECT_EQ(b.from, "cgroup1 cpu.cfs_quota_us");
}

// Garbage in a quota file is no limit, not a crash or a zero.
TEST_F(CpuBudgetTest, MalformedQuotaIgnored) {
  v2_host("/a");
  write("sys/fs/cgroup/a/cpu.max", "lots 100000\n");
  write("sys/fs/cgroup/cpu.max", "100000 0\n");
  CpuBudget b = usable_cpus(3, root_);
  EXPECT_EQ(b.cpus, 3);
  EXPECT_FALSE(b.quota.has_value());
}

// A group path that climbs out of the mount ("/../x", another cgroup namespace)
// reads only the mount point's own limits, never a directory above it.
TEST_F(CpuBudgetTest, ClimbingGroupPathStaysInMount) {
  v2_host("/../outside");
  write("sys/fs/cgroup/cpu.max", "200000 100000\n");
  write("sys/fs/outside/cpu.max", "100000 100000\n");
  CpuBudget b = usable_cpus(8, root_);
  EXPECT_EQ(b.cpus, 2);
}

// An affinity of 0 (a caller's mistake) still yields one CPU.
TEST_F(CpuBudgetTest, NeverBelowOne) {
  CpuBudget b = usable_cpus(0, root_);
  EXPECT_EQ(b.cpus, 1);
  EXPECT_EQ(b.affinity, 1);
}

// affinity_cpus() counts the calling thread's mask: pinned to one CPU, it says 1.
TEST(CpuBudget, AffinityCountsThePinnedMask) {
  int seen = 0;
  std::thread t([&] {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(static_cast<int>(::sched_getcpu()), &one);
    if (::sched_setaffinity(0, sizeof one, &one) != 0) return;
    seen = affinity_cpus();
  });
  t.join();
  EXPECT_EQ(seen, 1);
}

}  // namespace
}  // namespace cloakroom
