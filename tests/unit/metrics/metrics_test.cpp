#include "metrics/metrics.h"

#include <gtest/gtest.h>

namespace cloakroom {
namespace {

// Requests are counted per route and status and land in the histogram.
TEST(Metrics, CountsRequestsAndLatency) {
  Metrics m({"/healthz", "unmatched"});
  m.observe_request(0, 200, std::chrono::microseconds(80));
  m.observe_request(0, 200, std::chrono::milliseconds(3));
  m.observe_request(1, 404, std::chrono::microseconds(10));
  std::string text = m.prometheus(nullptr);
  EXPECT_NE(text.find("cloakroom_http_requests_total{route=\"/healthz\",status=\"200\"} 2"), std::string::npos);
  EXPECT_NE(text.find("cloakroom_http_requests_total{route=\"unmatched\",status=\"404\"} 1"), std::string::npos);
  EXPECT_NE(text.find("cloakroom_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.0001\"} 1"), std::string::npos);
  EXPECT_NE(text.find("cloakroom_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"} 2"), std::string::npos);
  EXPECT_NE(text.find("cloakroom_http_request_duration_seconds_count{route=\"/healthz\"} 2"), std::string::npos);
}

// Declared counters export under their family with HELP and TYPE once.
TEST(Metrics, ExportsDeclaredCounters) {
  Metrics m({"unmatched"});
  m.inc(Counter::login_success);
  m.inc(Counter::login_success);
  m.inc(Counter::login_throttled);
  std::string text = m.prometheus([](GaugeId id) { return id == GaugeId::hash_workers ? 7.0 : 0.0; });
  EXPECT_NE(text.find("cloakroom_logins_total{outcome=\"success\"} 2"), std::string::npos);
  EXPECT_NE(text.find("cloakroom_logins_total{outcome=\"throttled\"} 1"), std::string::npos);
  std::string type = "# TYPE cloakroom_logins_total counter";
  EXPECT_EQ(text.find(type), text.rfind(type));
  EXPECT_NE(text.find("# TYPE cloakroom_hash_workers gauge\ncloakroom_hash_workers 7\n"), std::string::npos);
}

// The docs table has every family.
TEST(Metrics, ReferenceListsFamilies) {
  std::string md = Metrics::reference_markdown();
  EXPECT_NE(md.find("cloakroom_logins_total"), std::string::npos);
  EXPECT_NE(md.find("cloakroom_password_rehashes_total"), std::string::npos);
}

}  // namespace
}  // namespace cloakroom
