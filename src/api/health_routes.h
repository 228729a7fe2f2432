#pragma once
// GET /healthz (the process answers), GET /readyz (checks can be answered:
// every change feed was read within its staleness bound, and, when users and
// sessions share one store, that store could take a write now: 503 while
// another process holds the database, it is down, or this process is cut
// off from other processes' revocations; a users store on its own backend
// being down fails logins, not checks, so it does not drain the node)
// and GET /metrics (Prometheus text format). Only /readyz touches a store,
// and only from the store pool.
#include <functional>
#include <vector>

#include "http/router.h"
#include "core/freshness.h"
#include "core/work_pool.h"
#include "metrics/metrics.h"
#include "store/user_store.h"

namespace cloakroom::api {

class HealthApi {
 public:
  // `writable`: the store whose writability readiness needs, or nullptr.
  HealthApi(UserStore* writable, WorkPool& store_pool, const Freshness& freshness, const Metrics& metrics,
            GaugeReader gauges)
      : writable_(writable),
        store_pool_(store_pool),
        freshness_(freshness),
        metrics_(metrics),
        gauges_(std::move(gauges)) {}

  http::Task healthz(http::Request& req);
  http::Task readyz(http::Request& req);
  http::Task metrics(http::Request& req);

 private:
  UserStore* writable_;
  WorkPool& store_pool_;
  const Freshness& freshness_;
  const Metrics& metrics_;
  GaugeReader gauges_;
};

}  // namespace cloakroom::api
