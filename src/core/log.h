#pragma once
// Structured logging: one JSON object per line on stderr, written with a
// single write(2) so concurrent lines never interleave.
//
//   log_line("warn", "store_error", {{"store", "sqlite"}, {"detail", sqlite3_errmsg(db)}});
//
// Never pass a password, a token or a whole JWT as a field.
//
//   set_log_threshold(LogLevel::warn);   // once at startup (log.level): info lines are dropped
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace cloakroom {

using LogField = std::pair<std::string_view, std::string_view>;

enum class LogLevel { debug, info, warn, error };

// "debug", "info", "warn" or "error" in any case; nullopt otherwise.
std::optional<LogLevel> parse_log_level(std::string_view text);
std::string_view level_name(LogLevel level);

// The least severe level log_line writes (log.level; default info). Set
// once at startup, before any thread logs: the one process-wide setting of
// the stderr log, which every layer writes without a logger passed down.
void set_log_threshold(LogLevel level);
bool log_enabled(LogLevel level);

void log_line(std::string_view level, std::string_view event, std::initializer_list<LogField> fields);

// Writes an already-formatted line (must end in '\n') to stderr in one call.
void write_stderr_line(std::string_view line);

// ISO 8601 UTC with milliseconds, e.g. 2026-11-23T12:00:00.123Z.
std::string iso8601_now();

}  // namespace cloakroom
