#pragma once
// Maps (method, path) to a handler; answers 404 and 405 (+Allow) itself.
//
//   Router router;
//   router.add("POST", "/auth/login", [&](Request& r) -> Task { co_return co_await api.login(r); });
//   router.add("DELETE", "/auth/sessions/{id}", ...);   // one {param} per segment
//   RouteMatch m = router.match("GET", "/healthz");
//
// Routes are added at startup only; match() is then read-only and thread-safe.
// GET routes also answer HEAD.
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http/request.h"
#include "http/response.h"

namespace cloakroom::http {

using Task = boost::asio::awaitable<Response>;
using Handler = std::function<Task(Request&)>;

struct RouteMatch {
  enum class Kind { found, not_found, method_not_allowed } kind = Kind::not_found;
  const Handler* handler = nullptr;
  std::size_t route = 0;           // index for metrics (unmatched_route() when not found)
  std::vector<std::string_view> params;
  std::string allow;               // for 405: "GET, HEAD"
};

class Router {
 public:
  // method "*" matches any method.
  void add(std::string method, std::string pattern, Handler handler);
  RouteMatch match(std::string_view method, std::string_view path) const;

  // Distinct patterns in registration order, then "unmatched" (metrics labels).
  std::vector<std::string> route_names() const;
  std::size_t unmatched_route() const { return patterns_.size(); }

 private:
  struct Route {
    std::string method;
    std::size_t pattern;  // index into patterns_
    bool literal;         // no {param} in it
    Handler handler;
  };
  static bool path_matches(std::string_view pattern, std::string_view path, std::vector<std::string_view>& params);

  std::vector<std::string> patterns_;
  std::vector<Route> routes_;
};

}  // namespace cloakroom::http
