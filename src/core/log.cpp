#include "core/log.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <ctime>

#include "core/ascii.h"
#include "core/json.h"

namespace cloakroom {

namespace {
std::atomic<int> threshold{static_cast<int>(LogLevel::info)};
}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view text) {
  for (LogLevel l : {LogLevel::debug, LogLevel::info, LogLevel::warn, LogLevel::error})
    if (iequals_ascii(text, level_name(l))) return l;
  return std::nullopt;
}

std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
  }
  return "error";
}

void set_log_threshold(LogLevel level) { threshold.store(static_cast<int>(level), std::memory_order_relaxed); }

bool log_enabled(LogLevel level) { return static_cast<int>(level) >= threshold.load(std::memory_order_relaxed); }

void write_stderr_line(std::string_view line) {
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr gone: logging must never take the server down
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

std::string iso8601_now() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[40];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}

void log_line(std::string_view level, std::string_view event, std::initializer_list<LogField> fields) {
  // An unknown level name is written: a typo must not hide a line.
  if (auto l = parse_log_level(level); l && !log_enabled(*l)) return;
  json::Writer w;
  w.begin_object();
  w.key("ts"); w.string(iso8601_now());
  w.key("level"); w.string(level);
  w.key("event"); w.string(event);
  for (const auto& [k, v] : fields) { w.key(k); w.string(v); }
  w.end_object();
  w.str() += '\n';
  write_stderr_line(w.str());
}

}  // namespace cloakroom
