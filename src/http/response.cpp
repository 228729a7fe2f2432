#include "http/response.h"

#include "core/json.h"
#include "http/request.h"

namespace cloakroom::http {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return {};
}

Response json_response(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response error_response(const Error& error) {
  const WireError& w = wire_error(error.code);
  json::Writer out;
  out.begin_object();
  out.key("error");
  out.string(w.code);
  out.key("message");
  out.string(error.text());
  out.end_object();
  Response r = json_response(w.status, out.take());
  if (w.status == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

}  // namespace cloakroom::http
