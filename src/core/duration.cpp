#include "core/duration.h"

#include <charconv>

namespace cloakroom {

Result<Millis> parse_duration(std::string_view text) {
  auto bad = [&] {
    return Error{ErrorCode::invalid_field,
                 "a duration is a whole number with a unit ms, s, m, h or d, like \"15m\""};
  };
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 12) return bad();
  long long n = 0;
  std::from_chars(text.data(), text.data() + digits, n);
  std::string_view unit = text.substr(digits);
  long long ms_per_unit = 0;
  if (unit == "ms") ms_per_unit = 1;
  else if (unit == "s") ms_per_unit = 1000;
  else if (unit == "m") ms_per_unit = 60'000;
  else if (unit == "h") ms_per_unit = 3'600'000;
  else if (unit == "d") ms_per_unit = 86'400'000;
  else return bad();
  // Why: 100 years is far beyond any sane timeout and keeps n * unit in range.
  constexpr long long kMaxMs = 100LL * 365 * 86'400'000;
  if (n > kMaxMs / ms_per_unit) return Error{ErrorCode::invalid_field, "a duration must be under 100 years"};
  return Millis{n * ms_per_unit};
}

std::string format_duration(Millis d) {
  long long ms = d.count();
  if (ms != 0 && ms % 86'400'000 == 0) return std::to_string(ms / 86'400'000) + "d";
  if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace cloakroom
