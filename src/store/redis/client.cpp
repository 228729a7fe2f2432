#include "store/redis/client.h"
#include "core/digest.h"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "core/log.h"

namespace cloakroom::redis {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::string sha1_hex(std::string_view text) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), md, &len, EVP_sha1(), nullptr);
  return lower_hex(std::string_view(reinterpret_cast<const char*>(md), len));
}

Reply copy_reply(const redisReply& r) {
  Reply out;
  switch (r.type) {
    case REDIS_REPLY_STRING: out.type = Reply::Type::string; break;
    case REDIS_REPLY_STATUS: out.type = Reply::Type::status; break;
    case REDIS_REPLY_ERROR: out.type = Reply::Type::error; break;
    case REDIS_REPLY_INTEGER: out.type = Reply::Type::integer; break;
    case REDIS_REPLY_ARRAY: out.type = Reply::Type::array; break;
    default: out.type = Reply::Type::nil; break;  // REDIS_REPLY_NIL; RESP2 has no other type
  }
  if (r.type == REDIS_REPLY_STRING || r.type == REDIS_REPLY_STATUS || r.type == REDIS_REPLY_ERROR)
    out.str.assign(r.str, r.len);
  out.integer = r.integer;
  if (r.type == REDIS_REPLY_ARRAY) {
    out.elements.reserve(r.elements);
    for (std::size_t i = 0; i < r.elements; ++i) out.elements.push_back(copy_reply(*r.element[i]));
  }
  return out;
}

// For poll(): whole milliseconds left, rounded up so a wait never ends early; 0 once past.
int ms_left(SteadyClock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 60'000));
}

// The commands as RESP, back to back (hiredis formats; we only concatenate).
std::string format(const std::vector<Command>& commands) {
  std::string out;
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const Command& c : commands) {
    argv.clear();
    lengths.clear();
    for (const std::string& a : c) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    char* target = nullptr;
    int n = redisFormatCommandArgv(&target, static_cast<int>(argv.size()), argv.data(), lengths.data());
    if (n < 0) return {};  // out of memory: the caller sends nothing and fails
    out.append(target, static_cast<std::size_t>(n));
    redisFreeCommand(target);
  }
  return out;
}

std::string errno_text(std::string_view what) { return std::string(what) + ": " + std::strerror(errno); }

}  // namespace

Script::Script(std::string name, std::string source)
    : name_(std::move(name)), source_(std::move(source)), sha_(sha1_hex(source_)) {}

// One TCP connection and its reply parser. Used by one call at a time (the pool hands it out).
struct Client::Connection {
  int fd = -1;
  std::unique_ptr<redisReader, void (*)(redisReader*)> reader{nullptr, redisReaderFree};

  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { close(); }

  bool open() const { return fd >= 0; }
  void close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
    reader.reset();
  }
  // An idle connection has nothing to read: anything there (the EOF of a
  // restarted Redis, a reset) means it is gone, and is found before a
  // command is sent rather than by failing that command.
  bool gone() const {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) != 0;
  }

  // Empty on success, else what went wrong (for the log).
  std::string dial(const Url& url, Deadline deadline) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    // Why no deadline here: getaddrinfo has none; a numeric address or
    // /etc/hosts answers at once, and DNS trouble shows in the log.
    if (int rc = ::getaddrinfo(url.host.c_str(), std::to_string(url.port).c_str(), &hints, &found); rc != 0)
      return std::string("cannot resolve the host: ") + ::gai_strerror(rc);
    std::unique_ptr<addrinfo, void (*)(addrinfo*)> list(found, ::freeaddrinfo);
    std::string why = "no address";
    for (addrinfo* a = found; a; a = a->ai_next) {
      fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
      if (fd < 0) {
        why = errno_text("socket");
        continue;
      }
      if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
        why = errno_text("connect");
        close();
        continue;
      }
      pollfd p{fd, POLLOUT, 0};
      int ready = ::poll(&p, 1, ms_left(deadline));
      int err = 0;
      socklen_t len = sizeof err;
      if (ready <= 0) why = ready == 0 ? "connect timed out" : errno_text("poll");
      else if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) why = errno_text("getsockopt");
      else if (err != 0) why = std::string("connect: ") + std::strerror(err);
      else {
        int one = 1;
        // Why: a command is one small write; Nagle would hold it for the previous reply's ACK.
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        reader.reset(redisReaderCreate());
        if (!reader) {
          close();
          return "out of memory";
        }
        return {};
      }
      close();
    }
    return why;
  }

  std::string send_all(std::string_view bytes, Deadline deadline) {
    if (bytes.empty()) return "cannot format the command";
    while (!bytes.empty()) {
      ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n > 0) {
        bytes.remove_prefix(static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return errno_text("send");
      pollfd p{fd, POLLOUT, 0};
      int ready = ::poll(&p, 1, ms_left(deadline));
      if (ready == 0) return "sending timed out";
      if (ready < 0 && errno != EINTR) return errno_text("poll");
    }
    return {};
  }

  // With `timed_out`, the deadline passing is no failure: *timed_out is set,
  // and what was read so far stays in `out` and the reader for a later call.
  std::string read_replies(std::size_t count, Deadline deadline, std::vector<Reply>& out, bool* timed_out = nullptr) {
    char buf[16 * 1024];
    while (out.size() < count) {
      void* raw = nullptr;
      if (redisReaderGetReply(reader.get(), &raw) != REDIS_OK) return std::string("bad reply: ") + reader->errstr;
      if (raw) {
        std::unique_ptr<redisReply, void (*)(void*)> reply(static_cast<redisReply*>(raw), freeReplyObject);
        out.push_back(copy_reply(*reply));
        continue;
      }
      pollfd p{fd, POLLIN, 0};
      int ready = ::poll(&p, 1, ms_left(deadline));
      if (ready == 0 && timed_out) {
        *timed_out = true;
        return {};
      }
      if (ready == 0) return "no reply within the command timeout";
      if (ready < 0) {
        if (errno == EINTR) continue;
        return errno_text("poll");
      }
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n == 0) return "Redis closed the connection";
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
        return errno_text("recv");
      }
      if (redisReaderFeed(reader.get(), buf, static_cast<std::size_t>(n)) != REDIS_OK)
        return std::string("bad reply: ") + reader->errstr;
    }
    return {};
  }
};

Client::Client(Url url, ClientOptions options) : url_(std::move(url)), options_(options) {
  for (std::size_t i = 0; i < std::max<std::size_t>(1, options_.connections); ++i) {
    connections_.push_back(std::make_unique<Connection>());
    idle_.push_back(connections_.back().get());
  }
}

Client::~Client() = default;

Client::Connection* Client::acquire(Deadline deadline) {
  std::unique_lock lock(pool_mu_);
  if (!pool_cv_.wait_until(lock, deadline, [&] { return !idle_.empty(); })) return nullptr;
  Connection* c = idle_.back();
  idle_.pop_back();
  return c;
}

void Client::release(Connection* c) {
  {
    std::lock_guard lock(pool_mu_);
    idle_.push_back(c);
  }
  pool_cv_.notify_one();
}

void Client::failed(std::string_view detail) {
  std::lock_guard lock(backoff_mu_);
  last_failure_ = std::string(detail);
  ++failures_;
  auto delay = std::min<long long>(options_.backoff_max.count(),
                                   options_.backoff_min.count() << std::min(failures_ - 1, 16));
  // Why jitter: the nodes of a cluster that lost Redis together should not all come back in the same millisecond.
  std::uniform_int_distribution<long long> spread(delay / 2, std::max<long long>(delay / 2, delay));
  retry_at_ = SteadyClock::now() + std::chrono::milliseconds(spread(jitter_));
  if (down_.exchange(true)) return;
  log_line("warn", "redis_unavailable",
           {{"url", url_.display()},
            {"detail", detail},
            {"effect", "store calls fail with 503 until Redis answers again; reconnecting with backoff"}});
}

void Client::succeeded() {
  if (!down_.load(std::memory_order_relaxed)) return;
  std::lock_guard lock(backoff_mu_);
  failures_ = 0;
  if (down_.exchange(false)) log_line("info", "redis_available", {{"url", url_.display()}});
}

std::string Client::last_failure() const {
  std::lock_guard lock(backoff_mu_);
  return last_failure_;
}

Result<void> Client::connect(Connection& c, Deadline deadline) {
  {
    std::lock_guard lock(backoff_mu_);
    if (SteadyClock::now() < retry_at_) return Error{ErrorCode::store_unavailable}.because("redis_backoff");
  }
  const Deadline connect_by = std::min(deadline, SteadyClock::now() + options_.connect_timeout);
  if (std::string why = c.dial(url_, connect_by); !why.empty()) {
    failed(why);
    return Error{ErrorCode::store_unavailable}.because("redis_connect");
  }
  std::vector<Command> hello;
  if (!url_.password.empty()) {
    if (url_.user.empty()) hello.push_back({"AUTH", url_.password});
    else hello.push_back({"AUTH", url_.user, url_.password});
  }
  if (url_.db != 0) hello.push_back({"SELECT", std::to_string(url_.db)});
  if (hello.empty()) return {};
  std::vector<Reply> replies;
  std::string why = c.send_all(format(hello), deadline);
  if (why.empty()) why = c.read_replies(hello.size(), deadline, replies);
  for (std::size_t i = 0; why.empty() && i < replies.size(); ++i)
    if (replies[i].type == Reply::Type::error)
      why = std::string(hello[i][0] == "AUTH" ? "AUTH refused: " : "SELECT refused: ") + replies[i].str;
  if (why.empty()) return {};
  c.close();
  failed(why);
  return Error{ErrorCode::store_unavailable}.because("redis_handshake");
}

Result<Client::Connection*> Client::checkout(Deadline deadline) {
  Connection* c = acquire(deadline);
  if (!c) {
    log_line("warn", "redis_pool_busy", {{"url", url_.display()}, {"detail", "every connection stayed busy past the command timeout"}});
    return Error{ErrorCode::store_unavailable}.because("redis_pool_busy");
  }
  if (c->open() && c->gone()) c->close();
  if (!c->open())
    if (auto connected = connect(*c, deadline); !connected) {
      release(c);
      return connected.error();
    }
  return c;
}

Result<std::vector<Reply>> Client::exchange(const std::vector<Command>& commands, std::chrono::milliseconds extra) {
  const Deadline deadline = SteadyClock::now() + options_.command_timeout + extra;
  auto checked_out = checkout(deadline);
  if (!checked_out) return checked_out.error();
  Connection* c = *checked_out;
  struct Give {
    Client* client;
    Connection* c;
    ~Give() { client->release(c); }
  } give{this, c};

  std::vector<Reply> replies;
  std::string why = c->send_all(format(commands), deadline);
  if (why.empty()) why = c->read_replies(commands.size(), deadline, replies);
  if (!why.empty()) {
    // Replies still owed may arrive later and would answer the next command.
    c->close();
    failed(why);
    return Error{ErrorCode::store_unavailable}.because("redis_io");
  }
  succeeded();
  return replies;
}

Result<std::optional<std::vector<Reply>>> Client::blocking_pipeline(const std::vector<Command>& commands,
                                                                    std::chrono::milliseconds slice) {
  if (!in_flight_.connection) {
    if (commands.empty()) return std::optional<std::vector<Reply>>{std::vector<Reply>{}};
    const auto sent = SteadyClock::now();
    const Deadline due = sent + options_.command_timeout;
    auto checked_out = checkout(due);
    if (!checked_out) return checked_out.error();
    in_flight_ = InFlight{*checked_out, commands.size(), commands.front().front(), sent, due, {}};
    if (std::string why = in_flight_.connection->send_all(format(commands), due); !why.empty()) {
      in_flight_.connection->close();
      release(std::exchange(in_flight_, {}).connection);
      failed(why);
      return Error{ErrorCode::store_unavailable}.because("redis_io");
    }
  }
  bool timed_out = false;
  const Deadline until = std::min(in_flight_.due, SteadyClock::now() + slice);
  std::string why = in_flight_.connection->read_replies(in_flight_.count, until, in_flight_.replies, &timed_out);
  if (why.empty() && timed_out) {
    if (SteadyClock::now() < in_flight_.due) return std::optional<std::vector<Reply>>{};
    why = "no reply within the command timeout";
  }
  InFlight done = std::exchange(in_flight_, {});
  if (!why.empty()) {
    done.connection->close();  // its replies may still come
    release(done.connection);
    failed(why);
    return Error{ErrorCode::store_unavailable}.because("redis_io");
  }
  release(done.connection);
  succeeded();
  if (auto ok = check_errors(done.replies, done.op); !ok) return ok.error();
  return std::optional<std::vector<Reply>>{std::move(done.replies)};
}

std::chrono::milliseconds Client::in_flight_for() const {
  if (!in_flight_.connection) return {};
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - in_flight_.sent);
}

Result<void> Client::check_errors(const std::vector<Reply>& replies, std::string_view op) const {
  for (const Reply& r : replies) {
    if (r.type != Reply::Type::error) continue;
    log_line("warn", "redis_error", {{"url", url_.display()}, {"op", op}, {"detail", std::string_view(r.str).substr(0, 200)}});
    return Error{ErrorCode::store_unavailable}.because("redis_error_reply");
  }
  return {};
}

Result<std::vector<Reply>> Client::pipeline(const std::vector<Command>& commands) {
  if (commands.empty()) return std::vector<Reply>{};
  auto replies = exchange(commands);
  if (!replies) return replies.error();
  if (auto ok = check_errors(*replies, commands.front().front()); !ok) return ok.error();
  return replies;
}

Result<Reply> Client::command(const Command& command) {
  auto replies = pipeline({command});
  if (!replies) return replies.error();
  return std::move(replies->front());
}

Result<Reply> Client::eval(const Script& script, const std::vector<std::string>& keys,
                           const std::vector<std::string>& args) {
  auto replies = eval_then(script, keys, args, {}, {});
  if (!replies) return replies.error();
  return std::move(replies->front());
}

Result<std::vector<Reply>> Client::eval_then(const Script& script, const std::vector<std::string>& keys,
                                             const std::vector<std::string>& args, const std::vector<Command>& after,
                                             std::chrono::milliseconds after_time) {
  Command call{"EVALSHA", script.sha(), std::to_string(keys.size())};
  call.insert(call.end(), keys.begin(), keys.end());
  call.insert(call.end(), args.begin(), args.end());
  std::vector<Command> commands{call};
  commands.insert(commands.end(), after.begin(), after.end());
  auto replies = exchange(commands, after_time);
  if (!replies) return replies.error();
  // NOSCRIPT: the script never ran, so loading it and running it again is safe.
  if (replies->front().type == Reply::Type::error && replies->front().str.starts_with("NOSCRIPT")) {
    commands.insert(commands.begin(), {"SCRIPT", "LOAD", script.source()});
    replies = exchange(commands, after_time);
    if (!replies) return replies.error();
    // The SCRIPT LOAD reply is checked with the script's, then dropped.
    if (auto ok = check_errors({replies->front()}, script.name()); !ok) return ok.error();
    replies->erase(replies->begin());
  }
  if (auto ok = check_errors({replies->front()}, script.name()); !ok) return ok.error();
  return replies;
}

}  // namespace cloakroom::redis
