#pragma once
// GET /healthz (the process answers), GET /readyz (stores reachable) and
// GET /metrics (Prometheus text format).
#include <functional>
#include <vector>

#include "http/router.h"
#include "metrics/metrics.h"
#include "store/user_store.h"

namespace cloakroom::api {

class HealthApi {
 public:
  HealthApi(UserStore& users, const Metrics& metrics, GaugeReader gauges)
      : users_(users), metrics_(metrics), gauges_(std::move(gauges)) {}

  http::Task healthz(http::Request& req);
  http::Task readyz(http::Request& req);
  http::Task metrics(http::Request& req);

 private:
  UserStore& users_;
  const Metrics& metrics_;
  GaugeReader gauges_;
};

}  // namespace cloakroom::api
