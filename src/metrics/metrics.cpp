#include "metrics/metrics.h"

#include <cstdio>

namespace cloakroom {
namespace {

struct CounterInfo {
  std::string_view family;
  std::string_view labels;
  std::string_view help;
};

constexpr CounterInfo kCounterInfo[] = {
#define CLOAKROOM_INFO(name, family, labels, help) {family, labels, help},
    CLOAKROOM_COUNTERS(CLOAKROOM_INFO)
#undef CLOAKROOM_INFO
};

struct GaugeInfo {
  std::string_view name;
  std::string_view help;
};

constexpr GaugeInfo kGaugeInfo[] = {
#define CLOAKROOM_INFO(id, name, help) {name, help},
    CLOAKROOM_GAUGES(CLOAKROOM_INFO)
#undef CLOAKROOM_INFO
};

std::string fmt_double(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

}  // namespace

Metrics::Metrics(std::vector<std::string> route_names)
    : route_names_(std::move(route_names)), routes_(new RouteStats[kMaxRoutes]) {
  if (route_names_.size() > kMaxRoutes) route_names_.resize(kMaxRoutes);
}

void Metrics::observe_request(std::size_t route, int status, std::chrono::nanoseconds elapsed) {
  if (route >= route_names_.size()) route = route_names_.size() - 1;
  if (status < 0 || status >= 600) status = 0;
  RouteStats& r = routes_[route];
  r.by_status[static_cast<std::size_t>(status)].fetch_add(1, std::memory_order_relaxed);
  double seconds = std::chrono::duration<double>(elapsed).count();
  std::size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  r.buckets[b].fetch_add(1, std::memory_order_relaxed);
  r.sum_ns.fetch_add(static_cast<std::uint64_t>(elapsed.count()), std::memory_order_relaxed);
  r.count.fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t Metrics::requests(std::size_t route, int status) const {
  return routes_[route].by_status[static_cast<std::size_t>(status)].load(std::memory_order_relaxed);
}

std::string Metrics::prometheus(const GaugeReader& gauges) const {
  std::string out;
  out.reserve(8192);
  out += "# HELP cloakroom_http_requests_total HTTP requests by route and status.\n"
         "# TYPE cloakroom_http_requests_total counter\n";
  for (std::size_t i = 0; i < route_names_.size(); ++i)
    for (int s = 0; s < 600; ++s)
      if (auto n = requests(i, s))
        out += "cloakroom_http_requests_total{route=\"" + route_names_[i] + "\",status=\"" + std::to_string(s) +
               "\"} " + std::to_string(n) + "\n";
  out += "# HELP cloakroom_http_request_duration_seconds Time from complete request headers to response written.\n"
         "# TYPE cloakroom_http_request_duration_seconds histogram\n";
  for (std::size_t i = 0; i < route_names_.size(); ++i) {
    const RouteStats& r = routes_[i];
    std::uint64_t count = r.count.load(std::memory_order_relaxed);
    if (count == 0) continue;
    std::string label = "route=\"" + route_names_[i] + "\"";
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b <= kBuckets.size(); ++b) {
      cumulative += r.buckets[b].load(std::memory_order_relaxed);
      std::string le = b < kBuckets.size() ? fmt_double(kBuckets[b]) : "+Inf";
      out += "cloakroom_http_request_duration_seconds_bucket{" + label + ",le=\"" + le + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    out += "cloakroom_http_request_duration_seconds_sum{" + label + "} " +
           fmt_double(static_cast<double>(r.sum_ns.load(std::memory_order_relaxed)) / 1e9) + "\n";
    out += "cloakroom_http_request_duration_seconds_count{" + label + "} " + std::to_string(count) + "\n";
  }
  std::string_view last_family;
  for (std::size_t i = 0; i < static_cast<std::size_t>(Counter::count_); ++i) {
    const CounterInfo& info = kCounterInfo[i];
    if (info.family != last_family) {
      out += "# HELP " + std::string(info.family) + " " + std::string(info.help) + "\n";
      out += "# TYPE " + std::string(info.family) + " counter\n";
      last_family = info.family;
    }
    out += std::string(info.family);
    if (!info.labels.empty()) out += "{" + std::string(info.labels) + "}";
    out += " " + std::to_string(counters_[i].load(std::memory_order_relaxed)) + "\n";
  }
  for (std::size_t i = 0; i < static_cast<std::size_t>(GaugeId::count_); ++i) {
    const GaugeInfo& g = kGaugeInfo[i];
    out += "# HELP " + std::string(g.name) + " " + std::string(g.help) + "\n";
    out += "# TYPE " + std::string(g.name) + " gauge\n";
    out += std::string(g.name) + " " + fmt_double(gauges ? gauges(static_cast<GaugeId>(i)) : 0.0) + "\n";
  }
  return out;
}

std::string Metrics::reference_markdown() {
  std::string out = "| metric | labels | meaning |\n|---|---|---|\n";
  out += "| `cloakroom_http_requests_total` | route, status | HTTP requests by route and status. |\n";
  out += "| `cloakroom_http_request_duration_seconds` | route | Histogram: complete request headers to response written. |\n";
  std::string_view last;
  for (const CounterInfo& info : kCounterInfo) {
    if (info.family == last) continue;
    last = info.family;
    // The label's name: what precedes '=' in `outcome="success"`.
    std::string_view label = info.labels.substr(0, info.labels.find('='));
    out += "| `" + std::string(info.family) + "` | " + std::string(label) + " | " +
           std::string(info.help) + " |\n";
  }
  for (const GaugeInfo& g : kGaugeInfo) out += "| `" + std::string(g.name) + "` (gauge) |  | " + std::string(g.help) + " |\n";
  return out;
}

}  // namespace cloakroom
