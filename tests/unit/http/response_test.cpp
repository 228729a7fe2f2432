#include "http/response.h"

#include <gtest/gtest.h>

#include "core/json.h"
#include "http/request.h"

namespace cloakroom::http {
namespace {

// Errors have the SPEC's {"error","message"} shape and status.
TEST(ErrorResponse, HasSpecShape) {
  Response r = error_response(Error{ErrorCode::invalid_field, "password must be a string."});
  EXPECT_EQ(r.status, 400);
  auto body = json::parse(r.body);
  ASSERT_TRUE(body);
  EXPECT_EQ(body->find("error")->text, "invalid_field");
  EXPECT_EQ(body->find("message")->text, "password must be a string.");
  EXPECT_EQ(body->members.size(), 2u);
}

// 503 carries Retry-After; 429 gets the one the caller sets.
TEST(ErrorResponse, RetryAfter) {
  Response busy = error_response(ErrorCode::overloaded);
  ASSERT_EQ(busy.headers.size(), 1u);
  EXPECT_EQ(busy.headers[0], (std::pair<std::string, std::string>{"Retry-After", "1"}));
  Response limited = error_response(ErrorCode::too_many_attempts).retry_after(42);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.headers.back().second, "42");
}

// Header lookup ignores ASCII case.
TEST(Request, HeaderLookupIsCaseInsensitive) {
  Request req;
  req.headers = {{"Content-Type", "application/json"}, {"X-Session-ID", "abc"}};
  EXPECT_EQ(req.header("content-type"), "application/json");
  EXPECT_EQ(req.header("x-session-id"), "abc");
  EXPECT_EQ(req.header("cookie"), "");
}

}  // namespace
}  // namespace cloakroom::http
