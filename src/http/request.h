#pragma once
// The request a handler sees: a read-only view of the parsed HTTP message,
// valid for the duration of the handler call. Beast stays inside server.cpp.
//
//   std::string_view ua = req.header("user-agent");   // case-insensitive, "" when absent
//   std::string_view id = req.params[0];              // from a route like /auth/sessions/{id}
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cloakroom::http {

struct Request {
  std::string_view method;   // as sent, e.g. "GET"
  std::string_view target;   // raw request-target
  std::string_view path;     // target up to '?'; the query is never read for credentials
  std::string_view body;
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  std::vector<std::string_view> params;
  std::string_view remote_ip;
  std::string_view request_id;

  // First header with this name (ASCII case-insensitive), or "".
  std::string_view header(std::string_view name) const;
};


}  // namespace cloakroom::http
