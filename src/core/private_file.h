#pragma once
// Files only the service user may read (keys), written so no reader ever
// sees half of one: the text goes to a fresh temporary file (0600, fsync),
// which then takes `path`'s place in one step: rename() to replace, link()
// to create only if absent (two processes racing: one file wins, intact).
//
//   auto placed = write_private_file(path, text, /*replace=*/false);
//   if (!placed) -> io_error, message: strerror text ("Permission denied")
//   if (!*placed) -> path existed: read it instead
#include <string>
#include <string_view>

#include "core/result.h"

namespace cloakroom {

// Creates the parent folder when missing. true: `path` holds `text`; false:
// `path` existed and `replace` was not asked for. The error's message is
// only the system's reason, for the caller to put in its own sentence.
Result<bool> write_private_file(const std::string& path, std::string_view text, bool replace);

}  // namespace cloakroom
