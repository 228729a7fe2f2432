#include "core/cpu_budget.h"

#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <memory>
#include <sstream>
#include <string_view>
#include <thread>
#include <vector>

namespace cloakroom {

namespace fs = std::filesystem;

namespace {

std::optional<std::string> read_text(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (std::size_t start = 0;;) {
    auto end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

// Space-separated fields, empty ones dropped.
std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  for (auto f : split(line, ' '))
    if (!f.empty()) out.push_back(f);
  return out;
}

bool has_item(std::string_view comma_list, std::string_view item) {
  auto items = split(comma_list, ',');
  return std::find(items.begin(), items.end(), item) != items.end();
}

std::optional<long long> to_number(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  long long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// mountinfo writes space, tab, newline and backslash in paths as \ooo.
std::string unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s.substr(i + 1, 3).find_first_not_of("01234567") == std::string_view::npos) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

struct Mount {
  std::string root;   // the part of the hierarchy the mount shows ("/" unless a container's view)
  std::string point;  // where it is mounted
};

struct CgroupMounts {
  std::optional<Mount> v2;
  std::optional<Mount> v1_cpu;  // the v1 hierarchy with the cpu controller
};

// From /proc/self/mountinfo: "36 25 0:30 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct".
CgroupMounts find_mounts(std::string_view mountinfo) {
  CgroupMounts out;
  for (auto line : split(mountinfo, '\n')) {
    auto sep = line.find(" - ");
    if (sep == std::string_view::npos) continue;
    auto before = fields(line.substr(0, sep));
    auto after = fields(line.substr(sep + 3));
    if (before.size() < 5 || after.size() < 3) continue;
    Mount m{unescape(before[3]), unescape(before[4])};
    if (after[0] == "cgroup2" && !out.v2) out.v2 = m;
    if (after[0] == "cgroup" && !out.v1_cpu && has_item(after[2], "cpu")) out.v1_cpu = m;
  }
  return out;
}

struct Groups {
  std::optional<std::string> v2;
  std::optional<std::string> v1_cpu;
};

// From /proc/self/cgroup: "0::/system.slice/x.service" (v2), "3:cpu,cpuacct:/docker/abc" (v1).
Groups find_groups(std::string_view text) {
  Groups out;
  for (auto line : split(text, '\n')) {
    auto first = line.find(':');
    auto second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    auto id = line.substr(0, first);
    auto controllers = line.substr(first + 1, second - first - 1);
    std::string path(line.substr(second + 1));
    if (id == "0" && controllers.empty()) out.v2 = path;
    else if (has_item(controllers, "cpu")) out.v1_cpu = path;
  }
  return out;
}

// The group's directory and each parent up to the mount point: a quota on
// any of them binds this process.
std::vector<fs::path> group_dirs(const fs::path& root, const Mount& mount, std::string_view group) {
  fs::path dir = root / fs::path(mount.point).relative_path();
  std::vector<fs::path> dirs{dir};
  // The group's path is from the hierarchy's root; a container's mount may
  // show only its own subtree (mount root "/docker/<id>").
  std::string_view rel = group;
  if (mount.root != "/") {
    bool inside = rel.starts_with(mount.root) &&
                  (rel.size() == mount.root.size() || rel[mount.root.size()] == '/');
    rel = inside ? rel.substr(mount.root.size()) : std::string_view{};
  }
  auto parts = split(rel, '/');
  // Outside our cgroup namespace the path climbs ("/../x"): only the mount's own limits are visible.
  if (std::find(parts.begin(), parts.end(), "..") != parts.end()) return dirs;
  for (auto part : parts) {
    if (part.empty() || part == ".") continue;
    dir /= std::string(part);
    dirs.push_back(dir);
  }
  return dirs;
}

struct Quota {
  long long quota_us = 0;
  long long period_us = 0;
  const char* source = "";
  double cpus() const { return static_cast<double>(quota_us) / static_cast<double>(period_us); }
};

std::optional<Quota> make_quota(std::optional<long long> quota, std::optional<long long> period, const char* source) {
  if (!quota || !period || *quota <= 0 || *period <= 0) return std::nullopt;  // -1 (v1) or garbage: no limit
  return Quota{*quota, *period, source};
}

// cgroup v2: "max 100000" (no limit) or "150000 100000" (1.5 CPUs).
std::optional<Quota> read_cpu_max(const fs::path& dir) {
  auto text = read_text(dir / "cpu.max");
  if (!text) return std::nullopt;
  auto f = fields(split(*text, '\n')[0]);
  if (f.size() != 2 || f[0] == "max") return std::nullopt;
  return make_quota(to_number(f[0]), to_number(f[1]), "cgroup2 cpu.max");
}

// cgroup v1: cpu.cfs_quota_us ("-1": no limit) over cpu.cfs_period_us.
std::optional<Quota> read_cfs_quota(const fs::path& dir) {
  auto quota = read_text(dir / "cpu.cfs_quota_us");
  auto period = read_text(dir / "cpu.cfs_period_us");
  if (!quota || !period) return std::nullopt;
  return make_quota(to_number(*quota), to_number(*period), "cgroup1 cpu.cfs_quota_us");
}

void keep_tighter(std::optional<Quota>& tightest, const std::optional<Quota>& q) {
  if (q && (!tightest || q->cpus() < tightest->cpus())) tightest = q;
}

}  // namespace

int affinity_cpus() {
  // Why the loop: a fixed cpu_set_t holds 1024 CPUs, and sched_getaffinity
  // fails with EINVAL when the kernel's mask is larger.
  for (int n = CPU_SETSIZE; n <= (1 << 20); n *= 2) {
    std::unique_ptr<cpu_set_t, void (*)(cpu_set_t*)> set(CPU_ALLOC(n), [](cpu_set_t* s) { CPU_FREE(s); });
    if (!set) break;
    std::size_t size = CPU_ALLOC_SIZE(n);
    if (::sched_getaffinity(0, size, set.get()) == 0) return std::max(1, CPU_COUNT_S(size, set.get()));
    if (errno != EINVAL) break;
  }
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

CpuBudget usable_cpus(int affinity, const fs::path& root) {
  CpuBudget b;
  b.affinity = std::max(1, affinity);
  b.cpus = b.affinity;
  auto mountinfo = read_text(root / "proc/self/mountinfo");
  auto cgroup = read_text(root / "proc/self/cgroup");
  if (!mountinfo || !cgroup) return b;
  CgroupMounts mounts = find_mounts(*mountinfo);
  Groups groups = find_groups(*cgroup);

  std::optional<Quota> tightest;
  if (mounts.v2 && groups.v2)
    for (const auto& dir : group_dirs(root, *mounts.v2, *groups.v2)) keep_tighter(tightest, read_cpu_max(dir));
  if (mounts.v1_cpu && groups.v1_cpu)
    for (const auto& dir : group_dirs(root, *mounts.v1_cpu, *groups.v1_cpu))
      keep_tighter(tightest, read_cfs_quota(dir));
  if (!tightest) return b;

  b.quota = tightest->cpus();
  // Rounded up: 1.5 CPUs of quota keep two threads busy half the time each,
  // and one thread would leave half a CPU unused.
  long long whole = (tightest->quota_us + tightest->period_us - 1) / tightest->period_us;
  if (whole < b.cpus) {
    b.cpus = static_cast<int>(std::max(1LL, whole));
    b.from = tightest->source;
  }
  return b;
}

CpuBudget usable_cpus() { return usable_cpus(affinity_cpus(), "/"); }

}  // namespace cloakroom
