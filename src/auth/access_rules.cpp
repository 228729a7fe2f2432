#include "auth/access_rules.h"

#include <algorithm>

#include "core/ascii.h"

namespace cloakroom {
namespace {

Error bad_path(const char* why) { return Error{ErrorCode::bad_request, std::string("The original URI ") + why + "."}; }

}  // namespace

Result<std::string> normalize_request_path(std::string_view target) {
  // Why: request-targets are bounded by the header limit already; this bound
  // keeps the work per request small whatever a proxy forwards.
  if (target.size() > 8192) return bad_path("is too long");
  std::string_view path = target.substr(0, target.find_first_of("?#"));
  if (path.empty() || path.front() != '/') return bad_path("must start with '/'");
  // Percent-decode once. Encoded separators and NUL are refused: upstreams
  // disagree on whether "%2F" splits a path, so no reading of it is safe.
  std::string decoded;
  decoded.reserve(path.size());
  for (std::size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '%') {
      int escaped = percent_escape_at(path, i);
      if (escaped < 0) return bad_path("has a broken %-escape");
      char d = static_cast<char>(escaped);
      if (d == '/' || d == '\\' || d == '\0' || d == '%') return bad_path("has an encoded '/', '\\\\', '%' or NUL");
      decoded += d;
      i += 2;
    } else if (c == '\0') {
      return bad_path("has a NUL byte");
    } else {
      decoded += c == '\\' ? '/' : c;
    }
  }
  // Segments: drop empty ones (//), "." and ";params", resolve "..".
  std::vector<std::string_view> segments;
  std::string_view rest(decoded);
  while (!rest.empty()) {
    std::size_t slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    seg = seg.substr(0, seg.find(';'));
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (segments.empty()) return bad_path("climbs above the root");
      segments.pop_back();
      continue;
    }
    segments.push_back(seg);
  }
  std::string out;
  for (auto seg : segments) {
    out += '/';
    out += seg;
  }
  if (out.empty() || (decoded.size() > 1 && decoded.back() == '/')) out += '/';
  return out;
}

AccessPolicy::AccessPolicy(const Config& cfg) : rules_(cfg.access_rules), deny_unmatched_(cfg.access.deny_unmatched) {
  for (auto& r : rules_) r.prefix = ascii_lower(r.prefix);
}

bool AccessPolicy::allows(std::string_view path, std::string_view method, const Principal& who) const {
  std::string p = ascii_lower(path);
  for (const auto& rule : rules_) {
    if (!p.starts_with(rule.prefix)) continue;
    if (!method.empty() && !rule.methods.empty() &&
        std::find(rule.methods.begin(), rule.methods.end(), method) == rule.methods.end())
      continue;
    // First match wins: every listed role is required.
    return std::all_of(rule.roles.begin(), rule.roles.end(), [&](const std::string& role) {
      return std::find(who.roles.begin(), who.roles.end(), role) != who.roles.end();
    });
  }
  return !deny_unmatched_;
}

}  // namespace cloakroom
