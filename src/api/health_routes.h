#pragma once
// GET /healthz (the process answers), GET /readyz (the store could take a
// write now: 503 while another process holds the database or it is down)
// and GET /metrics (Prometheus text format). Only /readyz touches a store,
// and only from the store pool.
#include <functional>
#include <vector>

#include "http/router.h"
#include "core/work_pool.h"
#include "metrics/metrics.h"
#include "store/user_store.h"

namespace cloakroom::api {

class HealthApi {
 public:
  HealthApi(UserStore& users, WorkPool& store_pool, const Metrics& metrics, GaugeReader gauges)
      : users_(users), store_pool_(store_pool), metrics_(metrics), gauges_(std::move(gauges)) {}

  http::Task healthz(http::Request& req);
  http::Task readyz(http::Request& req);
  http::Task metrics(http::Request& req);

 private:
  UserStore& users_;
  WorkPool& store_pool_;
  const Metrics& metrics_;
  GaugeReader gauges_;
};

}  // namespace cloakroom::api
