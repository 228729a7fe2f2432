#include "api/health_routes.h"

#include "http/offload.h"

namespace cloakroom::api {

http::Task HealthApi::healthz(http::Request&) { co_return http::json_response(200, "{\"status\":\"ok\"}"); }

http::Task HealthApi::readyz(http::Request&) {
  if (!freshness_.fresh()) co_return http::error_response(feed_stale_error());
  if (writable_)
    if (auto r = co_await http::on_pool(store_pool_, [&] { return writable_->ping(); }); !r)
      co_return http::error_response(r.error());
  co_return http::json_response(200, "{\"status\":\"ready\"}");
}

http::Task HealthApi::metrics(http::Request&) {
  http::Response r;
  r.body = metrics_.prometheus(gauges_);
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  co_return r;
}

}  // namespace cloakroom::api
