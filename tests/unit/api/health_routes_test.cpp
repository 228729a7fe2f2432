#include "api/health_routes.h"

#include <gtest/gtest.h>

#include "support/app_under_test.h"

namespace cloakroom::api {
namespace {

using testing::AppUnderTest;

// /readyz follows the user store: ready while it answers, 503 while it does not.
TEST(HealthRoutes, ReadyzAnswers503WhileTheStoreFails) {
  AppUnderTest t;
  auto ready = t.send({.path = "/readyz"});
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(ready.body, "{\"status\":\"ready\"}\n");
  t.backing.fail(true);
  testing::expect_unavailable(t.send({.path = "/readyz"}));
  t.backing.fail(false);
  EXPECT_EQ(t.send({.path = "/readyz"}).status, 200);
}

// /healthz says only that the process answers: a store outage does not change it.
TEST(HealthRoutes, HealthzStaysUpWhileTheStoreFails) {
  AppUnderTest t;
  t.backing.fail(true);
  auto r = t.send({.path = "/healthz"});
  EXPECT_EQ(r.status, 200) << r.body;
}

}  // namespace
}  // namespace cloakroom::api
