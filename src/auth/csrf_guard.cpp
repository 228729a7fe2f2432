#include "auth/csrf_guard.h"

#include "core/ascii.h"

namespace cloakroom {
namespace {

// "https://Example.com:443" and "https://example.com" are the same origin.
std::string normalize_origin(std::string_view url) {
  std::string o = ascii_lower(url);
  while (!o.empty() && o.back() == '/') o.pop_back();
  if (o.starts_with("https://") && o.ends_with(":443")) o.resize(o.size() - 4);
  if (o.starts_with("http://") && o.ends_with(":80")) o.resize(o.size() - 3);
  return o;
}

}  // namespace

bool is_unsafe_method(std::string_view m) { return m == "POST" || m == "PUT" || m == "PATCH" || m == "DELETE"; }

CsrfGuard::CsrfGuard(std::string public_url, Metrics& metrics)
    : origin_(normalize_origin(public_url)), metrics_(metrics) {}

Error CsrfGuard::refuse() const {
  metrics_.inc(Counter::csrf_rejected);
  return ErrorCode::csrf_rejected;
}

Result<void> CsrfGuard::check(const http::Request& req, const Credential& credential) const {
  if (!credential.from_cookie() || !is_unsafe_method(req.method)) return {};
  return check_same_origin(req);
}

Result<void> CsrfGuard::check_same_origin(const http::Request& req) const {
  std::string_view origin = req.header("origin");
  if (!origin.empty() && origin != "null" && normalize_origin(origin) == origin_) return {};
  // Sec-Fetch-Site is set by the browser and cannot be forged by a page.
  if (origin.empty() && iequals_ascii(req.header("sec-fetch-site"), "same-origin")) return {};
  return refuse();
}

Result<void> CsrfGuard::check_foreign_origin(const http::Request& req) const {
  std::string_view origin = req.header("origin");
  if (origin.empty()) {
    std::string_view site = req.header("sec-fetch-site");
    if (site.empty() || iequals_ascii(site, "same-origin") || iequals_ascii(site, "none")) return {};
    return refuse();
  }
  if (normalize_origin(origin) == origin_) return {};
  return refuse();
}

}  // namespace cloakroom
