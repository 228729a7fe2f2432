#pragma once
// Structured logging: one JSON object per line on stderr, written with a
// single write(2) so concurrent lines never interleave.
//
//   log_line("warn", "store_error", {{"store", "sqlite"}, {"detail", sqlite3_errmsg(db)}});
//
// Never pass a password, a token or a whole JWT as a field.
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace cloakroom {

using LogField = std::pair<std::string_view, std::string_view>;

void log_line(std::string_view level, std::string_view event, std::initializer_list<LogField> fields);

// Writes an already-formatted line (must end in '\n') to stderr in one call.
void write_stderr_line(std::string_view line);

// ISO 8601 UTC with milliseconds, e.g. 2026-11-23T12:00:00.123Z.
std::string iso8601_now();

}  // namespace cloakroom
