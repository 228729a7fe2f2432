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

// Every JSON body ends in a newline, errors included, so curl's output ends its line.
TEST(JsonResponse, EndsWithNewline) {
  EXPECT_EQ(json_response(200, R"({"status":"ok"})").body, "{\"status\":\"ok\"}\n");
  EXPECT_TRUE(error_response(ErrorCode::too_many_attempts).body.ends_with("}\n"));
}

// The wire form has status line, fixed headers, handler headers and body.
TEST(Serialize, WritesHttp11) {
  Response r = json_response(201, "{}");
  r.headers.emplace_back("Set-Cookie", "a=1");
  r.headers.emplace_back("Set-Cookie", "b=2");
  std::string out;
  serialize(out, r, {.request_id = "rid", .date = "Mon, 23 Nov 2026 12:00:00 GMT"});
  EXPECT_EQ(out,
            "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 3\r\n"
            "Date: Mon, 23 Nov 2026 12:00:00 GMT\r\nX-Request-ID: rid\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n{}\n");
}

// HEAD keeps Content-Length but sends no body; close and HTTP/1.0 keep-alive are explicit.
TEST(Serialize, HeadCloseAndKeepAlive) {
  Response r = json_response(200, "hello");
  std::string out;
  serialize(out, r, {.head = true, .close = true});
  EXPECT_TRUE(out.ends_with("Content-Length: 6\r\nConnection: close\r\n\r\n")) << out;
  out.clear();
  serialize(out, r, {.http10_keep_alive = true});
  EXPECT_NE(out.find("Connection: keep-alive\r\n"), std::string::npos);
}

// A header value with CR or LF is dropped: no response splitting.
TEST(Serialize, DropsHeaderInjection) {
  Response r = json_response(200, "");
  r.headers.emplace_back("X-Evil", "a\r\nSet-Cookie: pwned=1");
  r.headers.emplace_back("X-Lf", "a\nSet-Cookie: pwned=2");
  r.headers.emplace_back("X-Cr", "a\rpwned=3");
  r.headers.emplace_back("X-Name: pwned=4", "v");
  r.headers.emplace_back("X Name", "pwned=5");
  r.headers.emplace_back("X-Fine", "kept");
  std::string out;
  serialize(out, r, {});
  EXPECT_EQ(out.find("pwned"), std::string::npos) << out;
  EXPECT_NE(out.find("X-Fine: kept\r\n"), std::string::npos) << out;
}

// IMF-fixdate per RFC 9110.
TEST(ImfFixdate, FormatsRfc9110Dates) { EXPECT_EQ(imf_fixdate(784111777), "Sun, 06 Nov 1994 08:49:37 GMT"); }

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
