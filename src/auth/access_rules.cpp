#include "auth/access_rules.h"

#include <algorithm>
#include <initializer_list>

#include "core/ascii.h"

namespace cloakroom {
namespace {

Error bad_path(const char* why) { return Error{ErrorCode::bad_request, std::string("The original URI ") + why + "."}; }

// A header value as the log may show it (see OriginalRequestError).
std::string loggable(std::string_view v) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  // Why 256: enough to tell two URIs apart; a log line stays small whatever a client sends.
  constexpr std::size_t kMax = 256;
  std::string_view head = v.substr(0, v.find('?'));
  std::string out;
  for (char c : head.substr(0, kMax)) {
    auto u = static_cast<unsigned char>(c);
    if (u > 0x20 && u < 0x7F) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  if (head.size() > kMax) out += "...";
  if (head.size() < v.size()) out += "?...";
  return out;
}

OriginalRequestError refusal(OriginalRequestProblem problem, std::string_view seen, std::string_view other) {
  return OriginalRequestError{problem, loggable(seen), loggable(other)};
}

// The one value that the headers `names` carry between them: "" when none is
// sent. Two names with different values, or one name sent twice (even with
// the same value: a proxy that set it would have replaced the client's copy),
// are `problem`.
Result<std::string_view, OriginalRequestError> single_value(const http::Request& req,
                                                            std::initializer_list<std::string_view> names,
                                                            OriginalRequestProblem problem) {
  std::string_view value;
  unsigned seen = 0;  // bit i: names[i] was sent
  for (const auto& [name, v] : req.headers) {
    unsigned bit = 1;
    auto it = names.begin();
    for (; it != names.end() && !iequals_ascii(name, *it); ++it) bit <<= 1;
    if (it == names.end()) continue;
    if (seen == 0) value = v;
    else if ((seen & bit) != 0 || v != value) return refusal(problem, value, v);
    seen |= bit;
  }
  return value;
}

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

std::string_view problem_name(OriginalRequestProblem p) {
  switch (p) {
    case OriginalRequestProblem::uri_conflict: return "uri_conflict";
    case OriginalRequestProblem::method_conflict: return "method_conflict";
    case OriginalRequestProblem::url_conflict: return "url_conflict";
    case OriginalRequestProblem::uri_fragment: return "uri_fragment";
    case OriginalRequestProblem::uri_missing: return "uri_missing";
    case OriginalRequestProblem::uri_unreadable: return "uri_unreadable";
  }
  return "unknown";
}

Result<OriginalRequest, OriginalRequestError> original_request(const http::Request& req) {
  auto uri = single_value(req, {"x-forwarded-uri", "x-original-uri"}, OriginalRequestProblem::uri_conflict);
  if (!uri) return uri.error();
  // Why refuse rather than cut at '#': we would judge the part before it, and
  // an upstream that takes '#' literally serves the part after it.
  if (uri->find('#') != std::string_view::npos) return refusal(OriginalRequestProblem::uri_fragment, *uri, {});
  auto method = single_value(req, {"x-forwarded-method", "x-original-method"}, OriginalRequestProblem::method_conflict);
  if (!method) return method.error();
  return OriginalRequest{*uri, *method};
}

Result<std::string, OriginalRequestError> OriginalRequest::path() const {
  if (uri.empty()) return OriginalRequestError{OriginalRequestProblem::uri_missing, {}, {}};
  auto normalized = normalize_request_path(uri);
  if (!normalized) {
    return OriginalRequestError{OriginalRequestProblem::uri_unreadable, loggable(uri),
                                std::string(normalized.error().text())};
  }
  return std::move(*normalized);
}

Result<std::string, OriginalRequestError> original_url(const http::Request& req) {
  auto original = original_request(req);
  if (!original) return original.error();
  constexpr auto conflict = OriginalRequestProblem::url_conflict;
  auto url = single_value(req, {"x-original-url"}, conflict);
  if (!url) return url.error();
  auto proto = single_value(req, {"x-forwarded-proto"}, conflict);
  if (!proto) return proto.error();
  auto host = single_value(req, {"x-forwarded-host"}, conflict);
  if (!host) return host.error();
  std::string_view uri = original->uri;
  std::string parts = std::string(*proto) + "://" + std::string(*host) + std::string(uri);
  if (url->empty()) return proto->empty() || host->empty() ? std::string() : parts;
  if (url->find('#') != std::string_view::npos) return refusal(OriginalRequestProblem::uri_fragment, *url, {});
  // Each part the proxy also sent on its own must be the URL's part.
  std::size_t sep = url->find("://");
  std::string_view scheme = sep == std::string_view::npos ? std::string_view() : url->substr(0, sep);
  std::string_view rest = sep == std::string_view::npos ? *url : url->substr(sep + 3);
  std::size_t target_at = std::min(rest.find_first_of("/?"), rest.size());
  std::string_view authority = rest.substr(0, target_at), target = rest.substr(target_at);
  if ((!proto->empty() && *proto != scheme) || (!host->empty() && *host != authority) ||
      (!uri.empty() && uri != target))
    return refusal(conflict, *url, parts);
  return std::string(*url);
}

AccessPolicy::AccessPolicy(const Config& cfg) : rules_(cfg.access_rules), deny_unmatched_(cfg.access.deny_unmatched) {
  for (auto& r : rules_) r.prefix = ascii_lower(r.prefix);
}

Access AccessPolicy::decide(std::string_view path, std::string_view method, const Principal& who,
                            AuthMethods amr) const {
  std::string p = ascii_lower(path);
  for (const auto& rule : rules_) {
    if (!p.starts_with(rule.prefix)) continue;
    // Rule methods are upper-cased by config; the request's may be in any case.
    if (!method.empty() && !rule.methods.empty() &&
        std::none_of(rule.methods.begin(), rule.methods.end(),
                     [&](const std::string& m) { return iequals_ascii(m, method); }))
      continue;
    // First match wins: every listed role is required.
    const bool roles = std::all_of(rule.roles.begin(), rule.roles.end(), [&](const std::string& role) {
      return std::find(who.roles.begin(), who.roles.end(), role) != who.roles.end();
    });
    if (!roles) return Access::denied;
    if (rule.second_factor && !amr.multi_factor()) return Access::second_factor_required;
    return Access::allowed;
  }
  return deny_unmatched_ ? Access::denied : Access::allowed;
}

}  // namespace cloakroom
