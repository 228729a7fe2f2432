// Sockets, deadlines and the connection loop; parsing is request_reader.cpp's.
#include "http/server.h"

#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <exception>
#include <thread>
#include <unordered_set>

#include "core/json.h"
#include "core/log.h"
#include "core/random.h"
#include "http/client_address.h"
#include "http/connection_budget.h"
#include "http/request_reader.h"

namespace cloakroom::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

// Why 2 s in all (not per read): long enough for a response to reach a client
// on a slow link before we close, short enough that a client trickling bytes
// cannot hold a socket open; the byte cap bounds a fast sender.
constexpr auto kLingerDeadline = std::chrono::seconds(2);
constexpr std::size_t kLingerMaxBytes = 256 * 1024;
// One socket read; a request's unparsed bytes stay below max_header_bytes plus this.
constexpr std::size_t kReadChunk = 16 * 1024;
// Why 4096 (PIPE_BUF): a write to a pipe up to this size is atomic, so a
// batch of access log lines never interleaves with another thread's line.
constexpr std::size_t kLogBatchBytes = 4096;
// Header slots a connection keeps between requests (32 bytes each); a request
// with more fields allocates its own.
constexpr std::size_t kKeptHeaderSlots = 32;

// The completion of a connection's coroutine. Nothing on the request path
// throws by design; should a library still do so, only that connection ends.
void log_if_thrown(const std::exception_ptr& e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    log_line("error", "connection_exception", {{"detail", ex.what()}});
  } catch (...) {
    log_line("error", "connection_exception", {{"detail", "unknown"}});
  }
}

// A caller-supplied X-Request-ID is kept only when short and plain, since it
// is echoed into logs and responses.
bool acceptable_request_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") ==
         std::string_view::npos;
}

// Escapes everything outside printable ASCII so a hostile path cannot break
// the JSON of a log line.
void append_log_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  s = s.substr(0, 512);
  // Plain runs are appended whole: a byte at a time was most of a line's cost.
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    const bool plain = c >= 0x20 && c < 0x7F && c != '"' && c != '\\';
    if (plain) continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    if (c == '"' || c == '\\') { out += '\\'; out += s[i]; }
    else { out += "\\u00"; out += kHex[c >> 4]; out += kHex[c & 15]; }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

}  // namespace

struct Server::Impl {
  struct Conn;
  struct Worker {
    // Open connections; shutdown cancels the idle ones. Declared before ioc:
    // destroying ioc destroys unfinished connections, which unlist themselves.
    std::unordered_set<Conn*> conns;
    asio::io_context ioc{1};
    std::unique_ptr<tcp::acceptor> acceptor;
    bool stopping = false;
    std::string id_prefix;
    std::uint64_t next_id = 0;
    std::string log_buffer;
    // Access log lines not yet written: one write(2) per turn of the event
    // loop instead of one per request (a third of the syscalls of a
    // keep-alive check). A line waits at most until the handlers that were
    // ready with it have run; lost only if the process dies in between.
    std::string log_pending;
    bool log_flush_posted = false;
    void queue_log(std::string_view line) {
      if (log_pending.size() + line.size() > kLogBatchBytes) flush_log();
      log_pending += line;
      if (log_flush_posted) return;
      log_flush_posted = true;
      asio::post(ioc, [this] {
        log_flush_posted = false;
        flush_log();
      });
    }
    void flush_log() {
      if (log_pending.empty()) return;
      write_stderr_line(log_pending);
      log_pending.clear();
    }
    long long date_second = 0;
    std::string date_text;
    // ISO 8601 with milliseconds; the part up to the second is cached.
    long long log_second = 0;
    std::string log_second_text;
    void append_log_time(std::string& out) {
      auto now = std::chrono::system_clock::now().time_since_epoch();
      long long ms = std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
      if (ms / 1000 != log_second) {
        log_second = ms / 1000;
        std::time_t t = static_cast<std::time_t>(log_second);
        std::tm tm{};
        gmtime_r(&t, &tm);
        char buf[32];
        std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.", &tm);
        log_second_text = buf;
      }
      out += log_second_text;
      int frac = static_cast<int>(ms % 1000);
      out += static_cast<char>('0' + frac / 100);
      out += static_cast<char>('0' + frac / 10 % 10);
      out += static_cast<char>('0' + frac % 10);
      out += 'Z';
    }
    const std::string& date(long long now) {
      if (now != date_second) {
        date_second = now;
        date_text = imf_fixdate(now);
      }
      return date_text;
    }
  };

  Impl(const HttpConfig& c, const Router& r, Metrics& m, std::atomic<int>& a)
      : config(c), router(r), metrics(m), active(a), proxies(c.trusted_proxies),
        limits{.header_bytes = c.max_header_bytes, .body_bytes = c.max_body_bytes} {}

  const HttpConfig& config;
  const Router& router;
  Metrics& metrics;
  std::atomic<int>& active;      // served connections (Slots of budget.max_connections)
  std::atomic<int> refusing{0};  // sockets being answered 503 (Slots of budget.max_refusing)
  TrustedProxies proxies;
  ReaderLimits limits;
  ConnectionBudget budget;  // set by bind()
  std::vector<std::unique_ptr<Worker>> workers;
  tcp::endpoint endpoint;
  asio::io_context control{1};
  std::atomic<bool> stop_requested{false};

  // ---- accepting ----------------------------------------------------------

  asio::awaitable<void> accept_loop(Worker& w) {
    for (;;) {
      auto [ec, socket] = co_await w.acceptor->async_accept(use_tuple);
      if (ec) {
        if (ec == asio::error::operation_aborted || w.stopping) co_return;
        // EMFILE and friends: back off briefly instead of spinning.
        asio::steady_timer t(w.ioc, std::chrono::milliseconds(50));
        co_await t.async_wait(use_tuple);
        continue;
      }
      // The slot is taken here, not in the coroutine, so a burst of accepts
      // cannot all pass the check before any of them is counted.
      if (auto slot = Slot::take(active, budget.max_connections)) {
        asio::co_spawn(w.ioc, connection(w, std::move(socket), std::move(*slot)), log_if_thrown);
        continue;
      }
      metrics.inc(Counter::connections_rejected);
      if (auto slot = Slot::take(refusing, budget.max_refusing)) {
        asio::co_spawn(w.ioc, refuse_busy(std::move(socket), std::move(*slot)), log_if_thrown);
        continue;
      }
      // Past both budgets a plain close is the only answer that costs nothing.
      boost::system::error_code ignored;
      socket.close(ignored);
    }
  }

  // Over max_connections: a fixed 503 and a lingering close, without
  // parsing anything, all within one kLingerDeadline.
  static asio::awaitable<void> refuse_busy(tcp::socket socket, Slot slot) {
    static constexpr std::string_view kBusy =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
        "Connection: close\r\nContent-Length: 106\r\n\r\n"
        "{\"error\":\"too_many_connections\",\"message\":\"The server has too many open connections; try again shortly.\"}\n";
    (void)slot;  // held until the socket is closed
    auto deadline = std::chrono::steady_clock::now() + kLingerDeadline;
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    stream.expires_at(deadline);
    auto [ec, n] = co_await asio::async_write(stream, asio::buffer(kBusy), use_tuple);
    (void)n;
    if (ec) co_return;
    co_await lingering_close(stream, buffer, deadline);
  }

  // ---- one connection -----------------------------------------------------

  // Per-connection state. The write buffer is per connection, not per worker:
  // a write may stay pending while other connections of the worker run. The
  // reader too, so each request reuses the memory of the one before.
  struct Conn {
    Conn(tcp::socket socket, const ReaderLimits& limits) : stream(std::move(socket)), reader(limits) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    std::string remote_ip;
    std::string write_buffer;
    RequestReader reader;
    // Request::headers between requests: its capacity serves the next one.
    std::vector<std::pair<std::string_view, std::string_view>> headers;
    bool idle = false;  // waiting for the next request's first byte
  };

  // Lists a connection in its worker for its lifetime, once, rather than at
  // each idle wait: a set insert allocates, and keep-alive waits per request.
  struct Listed {
    Worker& w;
    Conn* c;
    Listed(Worker& worker, Conn* conn) : w(worker), c(conn) { w.conns.insert(c); }
    ~Listed() { w.conns.erase(c); }
    Listed(const Listed&) = delete;
    Listed& operator=(const Listed&) = delete;
  };

  // `slot` counts this connection against max_connections until it ends.
  asio::awaitable<void> connection(Worker& w, tcp::socket socket, Slot slot) {
    (void)slot;
    boost::system::error_code ec;
    socket.set_option(tcp::no_delay(true), ec);
    socket.non_blocking(true, ec);  // send() writes synchronously when the kernel takes it all
    std::string remote_ip = socket.remote_endpoint(ec).address().to_string();
    Conn c(std::move(socket), limits);
    c.remote_ip = std::move(remote_ip);
    Listed listed(w, &c);

    while (!w.stopping) {
      // Wait for the first byte of the next request under idle_timeout.
      if (c.buffer.size() == 0) {
        c.idle = true;
        c.stream.expires_after(config.idle_timeout);
        auto [rec, n] = co_await c.stream.async_read_some(c.buffer.prepare(4096), use_tuple);
        c.idle = false;
        if (rec) co_return;  // closed, idle timeout, or shutdown
        c.buffer.commit(n);
      }
      bool keep_going = co_await one_request(w, c);
      if (!keep_going) co_return;
      // Now, not when the next request comes: an idle connection must not
      // keep this one's body and spilled header memory (up to ~1 MB).
      c.reader.reset();
    }
  }

  // Reads, handles and answers one request. Returns false when the
  // connection must end (it is closed here).
  asio::awaitable<bool> one_request(Worker& w, Conn& c) {
    using Progress = RequestReader::Progress;
    RequestReader& reader = c.reader;  // fresh: new per connection, reset() after each answer
    bool header_read = co_await read_until(c, reader, Progress::reading_body);
    auto started = std::chrono::steady_clock::now();
    if (!header_read) {  // closed, timed out or shut down: nobody to answer
      c.stream.close();
      co_return false;
    }
    if (reader.progress() == Progress::failed) {
      // A refusal gets an id too: it is the answer a client most needs to report.
      const std::string failed_id = request_id_for(w, reader);
      co_return co_await refuse(w, c, reader, router.unmatched_route(), started, failed_id);
    }

    std::string_view target = reader.target();
    std::string_view path = target.substr(0, target.find('?'));
    RouteMatch match = router.match(reader.method(), path);

    std::string request_id = request_id_for(w, reader);

    // Read the body (bounded by body_limit and read_timeout) unless the
    // request is already refused; a refusal closes the connection instead.
    if (reader.progress() != Progress::complete) {
      if (match.kind != RouteMatch::Kind::found) {
        Response res = route_error(match);
        res.close = true;
        co_await send(w, c, reader, res, match.route, started, request_id);
        co_return false;
      }
      if (reader.expects_continue()) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        auto [wec, wn] = co_await asio::async_write(c.stream, asio::buffer(kContinue), use_tuple);
        (void)wn;
        if (wec) { c.stream.close(); co_return false; }
      }
      if (!co_await read_until(c, reader, Progress::complete)) {
        c.stream.close();
        co_return false;
      }
      if (reader.progress() == Progress::failed)
        co_return co_await refuse(w, c, reader, match.route, started, request_id);
    }

    // Not a ?: with co_await in one arm: GCC 12 miscompiles that.
    Response res;
    if (match.kind == RouteMatch::Kind::found) res = co_await dispatch(c, reader, match, request_id);
    else res = route_error(match);
    if (!reader.keep_alive() || w.stopping) res.close = true;
    co_return co_await send(w, c, reader, res, match.route, started, request_id);
  }

  // The caller's X-Request-ID when it is short and plain, else one of ours.
  static std::string request_id_for(Worker& w, const RequestReader& reader) {
    std::string id(reader.header("X-Request-ID"));
    if (acceptable_request_id(id)) return id;
    // prefix-<counter in hex>, written by hand: snprintf was 3% of a check.
    id = w.id_prefix;
    id += '-';
    char digits[16];
    int n = 0;
    for (unsigned long long v = ++w.next_id; v || n == 0; v >>= 4) digits[n++] = "0123456789abcdef"[v & 0xF];
    while (n) id += digits[--n];
    return id;
  }

  // Runs the matched handler on a Request that views the reader's message.
  asio::awaitable<Response> dispatch(Conn& c, const RequestReader& reader, RouteMatch& match,
                                     std::string_view request_id) {
    Request req;
    req.headers = std::move(c.headers);
    reader.view(req);
    req.params = std::move(match.params);
    // Behind trusted proxies the client is named by X-Forwarded-For.
    std::string client;
    if (!proxies.empty()) client = proxies.client_address(c.remote_ip, reader.header("X-Forwarded-For"));
    req.remote_ip = proxies.empty() ? std::string_view(c.remote_ip) : std::string_view(client);
    req.request_id = request_id;
    Response res;
    try {
      res = co_await (*match.handler)(req);
    } catch (const std::exception& e) {
      log_line("error", "handler_exception", {{"request_id", request_id}, {"detail", e.what()}});
      res = error_response(ErrorCode::internal);
    }
    // Kept only when small: an idle connection must not hold a header-limit's worth of slots.
    if (req.headers.capacity() <= kKeptHeaderSlots) c.headers = std::move(req.headers);
    co_return res;
  }

  // A request the reader refused (bad framing, over a limit): answer and close.
  asio::awaitable<bool> refuse(Worker& w, Conn& c, const RequestReader& reader, std::size_t route,
                               std::chrono::steady_clock::time_point started, std::string_view request_id) {
    Response res = error_response(reader.error());
    res.close = true;
    co_await send(w, c, reader, res, route, started, request_id);
    co_return false;
  }

  // Feeds the reader what is already buffered — usually the whole request
  // arrived in the read that woke us, so no async step or timer is needed —
  // and reads more, under one read_timeout for the whole step, until its
  // progress reaches `goal` (or it fails). Returns false when the client
  // went away or ran out of time. Reading here rather than in Beast's
  // composed read keeps every parse inside this coroutine, where the reader
  // turns whatever the parser does into an error value.
  asio::awaitable<bool> read_until(Conn& c, RequestReader& reader, RequestReader::Progress goal) {
    bool deadline_set = false;
    for (;;) {
      auto data = c.buffer.data();
      c.buffer.consume(reader.feed(std::string_view(static_cast<const char*>(data.data()), data.size())));
      if (reader.progress() >= goal) co_return true;
      if (!deadline_set) {
        c.stream.expires_after(config.read_timeout);
        deadline_set = true;
      }
      auto [ec, n] = co_await c.stream.async_read_some(c.buffer.prepare(kReadChunk), use_tuple);
      if (ec) {
        if (ec == beast::error::timeout) metrics.inc(Counter::requests_timed_out);
        co_return false;
      }
      c.buffer.commit(n);
    }
  }

  static Response route_error(const RouteMatch& match) {
    if (match.kind == RouteMatch::Kind::method_not_allowed)
      return error_response(ErrorCode::method_not_allowed).header("Allow", match.allow);
    return error_response(ErrorCode::not_found);
  }

  // Writes `res`, records metrics and the access log line. Returns whether
  // the connection stays open; when not, it is closed (lingering when the
  // request may still have unread bytes).
  asio::awaitable<bool> send(Worker& w, Conn& c, const RequestReader& req, Response& res, std::size_t route,
                             std::chrono::steady_clock::time_point started, std::string_view request_id) {
    beast::tcp_stream& stream = c.stream;
    // Our own serializer: one contiguous buffer, one write, no per-field allocations.
    std::string& out = c.write_buffer;
    out.clear();
    WireOptions options;
    options.request_id = request_id;
    options.date = w.date(std::time(nullptr));
    options.head = req.is_head();
    options.close = res.close;
    options.http10_keep_alive = req.version() == 10 && !res.close;
    serialize(out, res, options);

    // Try the write now (the socket is non-blocking); only what the kernel
    // does not take at once goes through an async write with a deadline.
    boost::system::error_code ec;
    std::size_t sent = stream.socket().write_some(asio::buffer(out), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) ec = {};
    if (!ec && sent < out.size()) {
      stream.expires_after(config.read_timeout);
      auto [wec, n] = co_await asio::async_write(stream, asio::buffer(out.data() + sent, out.size() - sent), use_tuple);
      (void)n;
      ec = wec;
    }
    auto elapsed = std::chrono::steady_clock::now() - started;
    metrics.observe_request(route, res.status, elapsed);
    if (config.access_log) access_log(w, req, res.status, elapsed, c.remote_ip, request_id, res.log_reason);

    if (ec) { stream.close(); co_return false; }
    if (!res.close) co_return true;
    co_await lingering_close(stream, c.buffer, std::chrono::steady_clock::now() + kLingerDeadline);
    co_return false;
  }

  // Half-close, then discard what the client still sends (at most
  // kLingerMaxBytes, until `deadline` in all) so the kernel does not answer
  // unread data with a RST that would destroy our response before the
  // client reads it.
  static asio::awaitable<void> lingering_close(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                               std::chrono::steady_clock::time_point deadline) {
    boost::system::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    std::size_t discarded = 0;
    buffer.clear();
    while (!ec && discarded < kLingerMaxBytes) {
      stream.expires_at(deadline);
      auto [rec, n] = co_await stream.async_read_some(buffer.prepare(kReadChunk), use_tuple);
      if (rec) break;
      discarded += n;
    }
    stream.close();
  }

  void access_log(Worker& w, const RequestReader& req, int status, std::chrono::steady_clock::duration elapsed,
                  const std::string& remote_ip, std::string_view request_id, std::string_view reason) {
    std::string& line = w.log_buffer;
    line.clear();
    line += "{\"ts\":\"";
    w.append_log_time(line);
    line += "\",\"level\":\"info\",\"event\":\"request\",\"method\":";
    append_log_string(line, req.method());
    line += ",\"path\":";
    // The query string is left out: it may carry tokens we must never log.
    std::string_view target = req.target();
    append_log_string(line, target.substr(0, target.find('?')));
    line += ",\"status\":" + std::to_string(status);
    // Milliseconds with three decimals by integer arithmetic: snprintf's
    // "%.3f" was 4% of a session check's CPU.
    const long long us = std::max<long long>(0, std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
    const int frac = static_cast<int>(us % 1000);
    line += ",\"duration_ms\":";
    line += std::to_string(us / 1000);
    line += '.';
    line += static_cast<char>('0' + frac / 100);
    line += static_cast<char>('0' + frac / 10 % 10);
    line += static_cast<char>('0' + frac % 10);
    line += ",\"remote\":";
    append_log_string(line, remote_ip);
    line += ",\"request_id\":";
    append_log_string(line, request_id);
    if (!reason.empty()) {
      line += ",\"reason\":";
      append_log_string(line, reason);
    }
    line += "}\n";
    w.queue_log(line);
  }

  // ---- lifecycle ----------------------------------------------------------

  // Runs on each worker's own thread.
  void begin_stop(Worker& w) {
    w.stopping = true;
    boost::system::error_code ec;
    if (w.acceptor) w.acceptor->close(ec);
    for (Conn* c : w.conns)
      if (c->idle) c->stream.socket().cancel(ec);
  }
};

Server::Server(const HttpConfig& config, const Router& router, Metrics& metrics)
    : impl_(std::make_unique<Impl>(config, router, metrics, active_)) {}

Server::~Server() = default;

Result<void> Server::bind(const std::string& listen) {
  auto colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string port = listen.substr(colon + 1);
  boost::system::error_code ec;
  asio::io_context resolver_ctx;
  tcp::resolver resolver(resolver_ctx);
  auto results = resolver.resolve(host, port, tcp::resolver::numeric_service, ec);
  if (ec || results.empty())
    return Error{ErrorCode::config_invalid, "Cannot resolve listen address " + listen + ": " + ec.message() + "."};
  impl_->endpoint = results.begin()->endpoint();

  // SO_REUSEPORT would let us share a port another process already serves;
  // a plain bind first makes "address in use" an error, as users expect.
  if (impl_->endpoint.port() != 0) {
    tcp::acceptor probe(resolver_ctx);
    probe.open(impl_->endpoint.protocol(), ec);
    if (!ec) probe.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) probe.bind(impl_->endpoint, ec);
    if (ec) return Error{ErrorCode::io_error, "Cannot listen on " + listen + ": " + ec.message() + "."};
  }

  // App resolved http.threads = 0 to the CPUs this process may use.
  const int threads = std::max(1, impl_->config.threads);
  OsRandom rng;
  for (int i = 0; i < threads; ++i) {
    auto w = std::make_unique<Impl::Worker>();
    w->id_prefix = random_token(rng, 6);
    w->acceptor = std::make_unique<tcp::acceptor>(w->ioc);
    auto& a = *w->acceptor;
    a.open(impl_->endpoint.protocol(), ec);
    if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) {
      int one = 1;
      // Each worker has its own listening socket; the kernel spreads connections.
      if (::setsockopt(a.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
        ec = boost::system::error_code(errno, boost::system::system_category());
    }
    if (!ec) a.bind(impl_->endpoint, ec);
    if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Error{ErrorCode::io_error, "Cannot listen on " + listen + ": " + ec.message() + "."};
    // Port 0: every later acceptor must share the port the first one got.
    if (i == 0) impl_->endpoint = a.local_endpoint();
    impl_->workers.push_back(std::move(w));
  }

  // Keep every counted socket within the fd limit, so accept() never meets
  // EMFILE and leaves clients unanswered in the backlog.
  const int wanted = impl_->config.max_connections;
  ConnectionBudget unlimited = plan_connections(wanted, -1, threads);
  long long fd_limit = raise_fd_limit(static_cast<long long>(unlimited.max_connections) + unlimited.max_refusing +
                                      reserved_fds(threads));
  impl_->budget = plan_connections(wanted, fd_limit, threads);
  if (impl_->budget.clamped) {
    log_line("warn", "max_connections_clamped",
             {{"configured", std::to_string(wanted)},
              {"effective", std::to_string(impl_->budget.max_connections)},
              {"fd_limit", std::to_string(fd_limit)},
              {"hint", "raise the open-files limit (ulimit -n, LimitNOFILE=) or lower http.max_connections"}});
  }
  return {};
}

std::string Server::bound_address() const {
  const auto& e = impl_->endpoint;
  std::string host = e.address().to_string();
  if (e.address().is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(e.port());
}

void Server::stop() {
  asio::post(impl_->control, [this] {
    if (impl_->stop_requested.exchange(true)) return;
    for (auto& w : impl_->workers) asio::post(w->ioc, [this, wp = w.get()] { impl_->begin_stop(*wp); });
  });
}

void Server::run(const std::function<void()>& on_listening) {
  Impl& im = *impl_;
  asio::signal_set signals(im.control, SIGINT, SIGTERM);
  signals.async_wait([this](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    log_line("info", "shutdown", {{"signal", signo == SIGTERM ? "SIGTERM" : "SIGINT"}});
    stop();
  });
  asio::steady_timer deadline(im.control);
  std::atomic<std::size_t> running{im.workers.size()};
  std::vector<std::thread> threads;
  for (auto& w : im.workers) {
    asio::co_spawn(w->ioc, im.accept_loop(*w), asio::detached);
    threads.emplace_back([&im, &running, &signals, &deadline, wp = w.get()] {
      // A handler that throws outside any coroutine would end run() and, on
      // this thread, the process; log it and keep serving the others.
      for (;;) {
        try {
          wp->ioc.run();
          wp->flush_log();
          break;
        } catch (const std::exception& e) {
          log_line("error", "worker_exception", {{"detail", e.what()}});
        } catch (...) {
          log_line("error", "worker_exception", {{"detail", "unknown"}});
        }
      }
      // The last worker to finish ends the control loop.
      if (running.fetch_sub(1) == 1) asio::post(im.control, [&] {
        signals.cancel();
        deadline.cancel();
      });
    });
  }
  if (on_listening) on_listening();
  // Once shutdown begins, give in-flight requests shutdown_timeout to finish.
  std::function<void()> arm_deadline = [&] {
    if (im.stop_requested) {
      deadline.expires_after(im.config.shutdown_timeout);
      deadline.async_wait([&](const boost::system::error_code& ec) {
        if (ec) return;
        log_line("warn", "shutdown_timeout", {});
        for (auto& w : im.workers) w->ioc.stop();
      });
      return;
    }
    deadline.expires_after(std::chrono::milliseconds(100));
    deadline.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) arm_deadline();
    });
  };
  arm_deadline();
  im.control.run();
  for (auto& t : threads) t.join();
}

}  // namespace cloakroom::http
