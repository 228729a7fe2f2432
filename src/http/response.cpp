#include "http/response.h"

#include <cstring>
#include <ctime>

#include "core/ascii.h"
#include "core/json.h"
#include "http/request.h"

namespace cloakroom::http {


std::string_view Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals_ascii(k, name)) return v;
  return {};
}

Response json_response(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  // Why a newline: `curl` output otherwise runs into the shell prompt.
  r.body += '\n';
  return r;
}

namespace {

std::string_view reason(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

// memchr per byte value rather than find_first_of: libstdc++'s
// find_first_of calls memchr once per byte of the value, which made header
// lines a fifth of a session check's instructions.
bool contains_any(std::string_view s, std::string_view bytes) {
  for (char b : bytes)
    if (std::memchr(s.data(), b, s.size())) return true;
  return false;
}

// A line whose name is one of our literals: only the value needs checking.
void known_header_line(std::string& out, std::string_view name, std::string_view value) {
  if (contains_any(value, "\r\n")) return;
  out += name;
  out += ": ";
  out += value;
  out += "\r\n";
}

// A handler's line: its name is checked too.
void header_line(std::string& out, std::string_view name, std::string_view value) {
  if (contains_any(name, "\r\n: ")) return;
  known_header_line(out, name, value);
}

}  // namespace

void serialize(std::string& out, const Response& res, const WireOptions& options) {
  out += "HTTP/1.1 ";
  out += std::to_string(res.status);
  out += ' ';
  out += reason(res.status);
  out += "\r\n";
  known_header_line(out, "Content-Type", res.content_type);
  out += "Content-Length: ";
  out += std::to_string(res.body.size());  // a number: no line break to refuse
  out += "\r\n";
  if (!options.date.empty()) known_header_line(out, "Date", options.date);
  if (!options.request_id.empty()) known_header_line(out, "X-Request-ID", options.request_id);
  for (const auto& [name, value] : res.headers) header_line(out, name, value);
  if (options.close) out += "Connection: close\r\n";
  else if (options.http10_keep_alive) out += "Connection: keep-alive\r\n";
  out += "\r\n";
  if (!options.head) out += res.body;
}

std::string imf_fixdate(long long unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

Response no_store(Response r) {
  r.headers.emplace_back("Cache-Control", "no-store");
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
  r.log_reason = error.reason;
  return r;
}

bool is_unavailable(const Error& error) { return wire_error(error.code).status == 503; }

Response refusal(const Error& error) {
  Response r = error_response(error);
  if (error.code == ErrorCode::unauthenticated) r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"cloakroom\"");
  return r;
}

}  // namespace cloakroom::http
