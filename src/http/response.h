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
  std::string_view log_reason;  // why a request was refused: in the access log, never on the wire

  Response&& header(std::string name, std::string value) && {
    headers.emplace_back(std::move(name), std::move(value));
    return std::move(*this);
  }
  Response&& retry_after(long long seconds) && {
    return std::move(*this).header("Retry-After", std::to_string(seconds));
  }
};

// `body` is one JSON value; the response carries it with a trailing newline.
Response json_response(int status, std::string body);

struct WireOptions {
  std::string_view request_id;  // echoed as X-Request-ID when not empty
  std::string_view date;        // IMF-fixdate for the Date header
  bool head = false;            // HEAD: headers only, Content-Length of the body
  bool close = false;           // Connection: close
  bool http10_keep_alive = false;  // HTTP/1.0 client that asked for keep-alive
};

// Appends the HTTP/1.1 wire form of `res` to `out`. Header values holding CR
// or LF are dropped (no response splitting, whatever a handler put there).
void serialize(std::string& out, const Response& res, const WireOptions& options);

// "Sun, 06 Nov 1994 08:49:37 GMT" for the given Unix time (RFC 9110 §5.6.7).
std::string imf_fixdate(long long unix_seconds);
// {"error": code, "message": sentence} with the status wire_error() gives.
// 503s carry Retry-After: 1 unless the caller sets another.
Response error_response(const Error& error);
// `r` with Cache-Control: no-store (answers that carry or reveal a credential).
Response no_store(Response r);

// The one mapping from a refused check to HTTP, for every handler that
// authenticates or authorises (the three outcomes of a check, as Envoy's
// ext_authz has them): allowed is the handler's own answer; denied is 401 +
// WWW-Authenticate for `unauthenticated`, or the code's own status (403
// csrf_rejected, access_denied, account_disabled); unavailable
// (store_unavailable, overloaded) is 503 + Retry-After — never a 401, so no
// proxy turns an outage into a login redirect, and callers clear no cookie.
// The error's reason goes to the access log, not the body.
Response refusal(const Error& error);
bool is_unavailable(const Error& error);

}  // namespace cloakroom::http
