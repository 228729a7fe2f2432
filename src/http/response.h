#pragma once
// What a handler returns. Helpers build the JSON shapes the SPEC fixes.
//
//   return json_response(201, body);
//   return error_response(Error{ErrorCode::invalid_field, "password must be a string."});
//   return error_response(ErrorCode::too_many_attempts).retry_after(30);
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace cloakroom::http {

struct Response {
  int status = 200;
  std::string body;
  std::string_view content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  bool close = false;  // close the connection after this response

  Response&& header(std::string name, std::string value) && {
    headers.emplace_back(std::move(name), std::move(value));
    return std::move(*this);
  }
  Response&& retry_after(long long seconds) && {
    return std::move(*this).header("Retry-After", std::to_string(seconds));
  }
};

Response json_response(int status, std::string body);
// {"error": code, "message": sentence} with the status wire_error() gives.
// 503s carry Retry-After: 1 unless the caller sets another.
Response error_response(const Error& error);

}  // namespace cloakroom::http
