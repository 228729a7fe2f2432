#include "api/json_body.h"

#include <gtest/gtest.h>

namespace cloakroom::api {
namespace {

Result<json::Value> read(std::string_view body, std::string_view type = "application/json") {
  http::Request req;
  req.headers = {{"Content-Type", type}};
  req.body = body;
  return read_json_object(req, {{"username", json::Type::string, true}, {"remember", json::Type::boolean, false}});
}

// A well-formed body with declared fields is returned.
TEST(ReadJsonObject, AcceptsDeclaredFields) {
  EXPECT_TRUE(read(R"({"username":"a"})"));
  EXPECT_TRUE(read(R"({"username":"a","remember":false})", "application/json; charset=utf-8"));
  EXPECT_TRUE(read(R"({"username":"a"})", "Application/JSON"));
}

// Each kind of bad body has its own error code.
TEST(ReadJsonObject, EachFailureHasItsCode) {
  EXPECT_EQ(read(R"({"username":"a"})", "text/plain").error().code, ErrorCode::unsupported_media_type);
  EXPECT_EQ(read(R"({"username":"a"})", "").error().code, ErrorCode::unsupported_media_type);
  EXPECT_EQ(read("").error().code, ErrorCode::malformed_json);
  EXPECT_EQ(read("{").error().code, ErrorCode::malformed_json);
  EXPECT_EQ(read("[]").error().code, ErrorCode::malformed_json);
  EXPECT_EQ(read(R"({"username":"a","extra":1})").error().code, ErrorCode::unknown_field);
  EXPECT_EQ(read(R"({"username":5})").error().code, ErrorCode::invalid_field);
  EXPECT_EQ(read(R"({"username":"a","remember":"yes"})").error().code, ErrorCode::invalid_field);
  EXPECT_EQ(read(R"({"remember":true})").error().code, ErrorCode::missing_field);
  EXPECT_EQ(read(R"({"username":"a","username":"b"})").error().code, ErrorCode::malformed_json);
}

// A body with more than 1000 members is refused as malformed before any field
// is looked at, with the reason (the review's 9,300-member body).
TEST(ReadJsonObject, CapsMembers) {
  std::string body = "{\"username\":\"a\"";
  for (int i = 0; i < 9300; ++i) body += ",\"" + std::to_string(i) + "\":0";
  body += "}";
  auto r = read(body);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::malformed_json);
  EXPECT_NE(r.error().text().find("more than 1000 members"), std::string_view::npos) << r.error().text();
}

// Messages name the field so a developer can fix the call.
TEST(ReadJsonObject, MessagesNameTheField) {
  EXPECT_EQ(read(R"({"username":5})").error().text(), "username must be a string.");
  EXPECT_EQ(read(R"({})").error().text(), "username is required.");
  EXPECT_EQ(read(R"({"username":"a","pasword":"x"})").error().text(), "Unknown field \"pasword\".");
}

// An endpoint without fields takes an empty body (whatever its type) or {};
// a field is refused by name, other bodies as read_json_object refuses them.
TEST(ReadNoFields, EmptyOrEmptyObjectOnly) {
  auto no_fields = [](std::string_view body, std::string_view type = "application/json") {
    http::Request req;
    req.headers = {{"Content-Type", type}};
    req.body = body;
    return read_no_fields(req);
  };
  EXPECT_TRUE(no_fields(""));
  EXPECT_TRUE(no_fields("", ""));
  EXPECT_TRUE(no_fields("{}"));
  EXPECT_TRUE(no_fields(" { } "));
  auto field = no_fields(R"({"issuer":"x"})");
  ASSERT_FALSE(field);
  EXPECT_EQ(field.error().code, ErrorCode::unknown_field);
  EXPECT_EQ(field.error().text(), "Unknown field \"issuer\".");
  EXPECT_EQ(no_fields("[]").error().code, ErrorCode::malformed_json);
  EXPECT_EQ(no_fields("{").error().code, ErrorCode::malformed_json);
  EXPECT_EQ(no_fields("{}", "text/plain").error().code, ErrorCode::unsupported_media_type);
}

}  // namespace
}  // namespace cloakroom::api
