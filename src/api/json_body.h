#pragma once
// Reads a request body as a JSON object whose fields are declared up front:
// wrong media type, malformed JSON, unknown fields, missing required fields
// and wrong types each get their own error code and a sentence naming the field.
//
//   auto body = read_json_object(req, {{"username", json::Type::string, true},
//                                      {"remember", json::Type::boolean, false}});
//   if (!body) return error_response(body.error());
//   const std::string& name = body->find("username")->text;
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>

#include "core/json.h"
#include "core/result.h"
#include "http/request.h"

namespace cloakroom::api {

struct FieldSpec {
  std::string_view name;
  json::Type type;
  bool required;
};

Result<json::Value> read_json_object(const http::Request& req, std::initializer_list<FieldSpec> fields);

// For an endpoint that takes no fields: an empty body (any media type) or
// `{}`. Anything else is refused as read_json_object refuses it (a field:
// 400 unknown_field naming it), so a client that sends one learns it was
// ignored rather than believing it took effect.
Result<void> read_no_fields(const http::Request& req);

// 400 invalid_field "FIELD must be 1 to MAX characters." unless 1 <= size <= max.
Result<void> check_field_length(std::string_view field, const std::string& value, std::size_t max);

// Why 64: TOTP codes are 6 digits and recovery codes 14 characters; nothing longer is one.
inline constexpr std::size_t kSecondFactorCodeMax = 64;

}  // namespace cloakroom::api
