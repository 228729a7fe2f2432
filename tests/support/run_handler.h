#pragma once
// Runs HTTP handlers without a socket: the handler's coroutine runs on a
// private io_context until it answers; its store and hash jobs go to their
// WorkPools and post back there, as on the server's I/O threads.
//
//   http::Response r = testing::run(api.readyz(req));
//   Result<Authenticated> who = testing::run(authenticator.authenticate(req));   // any awaitable
//   http::Response r = testing::send(router, {.method = "GET", .path = "/auth/me", .headers = {{"Cookie", c}}});
//   EXPECT_TRUE(testing::header_values(r, "Set-Cookie").empty());
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/ascii.h"
#include "http/router.h"

namespace cloakroom::testing {

// Awaits `task` and keeps its value (co_spawn itself wants a
// default-constructible result, which Result<T> is not).
template <class T>
boost::asio::awaitable<void> keep(boost::asio::awaitable<T> task, std::optional<T>& out) {
  out.emplace(co_await std::move(task));
}

// What the coroutine returns (a handler's answer, an Authenticator's
// verdict); an exception escaping it is rethrown here.
template <class T>
T run(boost::asio::awaitable<T> task) {
  boost::asio::io_context io;
  std::optional<T> out;
  std::exception_ptr failure;
  boost::asio::co_spawn(io, keep(std::move(task), out), [&](std::exception_ptr e) { failure = e; });
  io.run();
  if (failure) std::rethrow_exception(failure);
  return std::move(*out);
}

// What a test sends; owns the bytes the http::Request views point at.
struct TestRequest {
  std::string method = "GET";
  std::string path = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote_ip = "127.0.0.1";
};

// Matches the route as the server does and runs its handler. A request no
// route takes is a mistake in the test: it fails and answers 404.
inline http::Response send(const http::Router& router, const TestRequest& t) {
  http::RouteMatch match = router.match(t.method, t.path);
  if (match.kind != http::RouteMatch::Kind::found) {
    ADD_FAILURE() << "no route for " << t.method << " " << t.path;
    return http::Response{.status = 404};
  }
  http::Request req;
  req.method = t.method;
  req.target = t.path;
  req.path = t.path;
  req.body = t.body;
  for (const auto& [name, value] : t.headers) req.headers.emplace_back(name, value);
  req.params = std::move(match.params);
  req.remote_ip = t.remote_ip;
  req.request_id = "test";
  return run((*match.handler)(req));
}

// Every value of the header `name` (ASCII case-insensitive), in order.
inline std::vector<std::string> header_values(const http::Response& r, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& [n, v] : r.headers)
    if (iequals_ascii(n, name)) out.push_back(v);
  return out;
}

}  // namespace cloakroom::testing
