#include "http/router.h"

#include <algorithm>

namespace cloakroom::http {

void Router::add(std::string method, std::string pattern, Handler handler) {
  const bool literal = pattern.find('{') == std::string::npos;
  auto it = std::find(patterns_.begin(), patterns_.end(), pattern);
  std::size_t index = static_cast<std::size_t>(it - patterns_.begin());
  if (it == patterns_.end()) patterns_.push_back(std::move(pattern));
  routes_.push_back(Route{std::move(method), index, literal, std::move(handler)});
}

bool Router::path_matches(std::string_view pattern, std::string_view path, std::vector<std::string_view>& params) {
  params.clear();
  std::size_t i = 0, j = 0;
  while (i < pattern.size() && j < path.size()) {
    if (pattern[i] == '{') {
      std::size_t close = pattern.find('}', i);
      std::size_t end = path.find('/', j);
      if (end == std::string_view::npos) end = path.size();
      if (end == j) return false;  // empty segment never matches a parameter
      params.push_back(path.substr(j, end - j));
      i = close + 1;
      j = end;
      continue;
    }
    if (pattern[i] != path[j]) return false;
    ++i;
    ++j;
  }
  return i == pattern.size() && j == path.size();
}

RouteMatch Router::match(std::string_view method, std::string_view path) const {
  RouteMatch m;
  m.route = unmatched_route();
  std::vector<std::string_view> params;
  bool path_known = false;
  for (const Route& r : routes_) {
    // A literal pattern matches only its own text: one length check rejects
    // almost every route (most share the "/auth/" prefix).
    if (r.literal) {
      if (patterns_[r.pattern] != path) continue;
      params.clear();  // a parameterised route tried before may have left some
    } else if (!path_matches(patterns_[r.pattern], path, params)) {
      continue;
    }
    path_known = true;
    m.route = r.pattern;
    if (r.method == "*" || r.method == method || (method == "HEAD" && r.method == "GET")) {
      m.kind = RouteMatch::Kind::found;
      m.handler = &r.handler;
      m.params = std::move(params);
      return m;
    }
    if (!m.allow.empty()) m.allow += ", ";
    m.allow += r.method;
    if (r.method == "GET") m.allow += ", HEAD";
  }
  m.kind = path_known ? RouteMatch::Kind::method_not_allowed : RouteMatch::Kind::not_found;
  return m;
}

std::vector<std::string> Router::route_names() const {
  std::vector<std::string> names = patterns_;
  names.push_back("unmatched");
  return names;
}

}  // namespace cloakroom::http
