#pragma once
// Durations as written in config and on the command line: "90s", "15m",
// "12h", "30d", and "250ms" for sub-second limits.
//
//   Result<std::chrono::milliseconds> d = parse_duration("15m");
//   format_duration(std::chrono::minutes(15)) == "15m"
#include <chrono>
#include <string>
#include <string_view>

#include "core/result.h"

namespace cloakroom {

using Millis = std::chrono::milliseconds;

// Rejects empty input, signs, spaces, missing or unknown units and values
// above 100 years (an overflow guard, not a policy).
Result<Millis> parse_duration(std::string_view text);
std::string format_duration(Millis d);

}  // namespace cloakroom
