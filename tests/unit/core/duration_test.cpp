#include "core/duration.h"

#include <gtest/gtest.h>

namespace cloakroom {
namespace {

// Every unit the SPEC names parses to milliseconds.
TEST(Duration, ParsesEveryUnit) {
  EXPECT_EQ(parse_duration("250ms")->count(), 250);
  EXPECT_EQ(parse_duration("90s")->count(), 90'000);
  EXPECT_EQ(parse_duration("15m")->count(), 900'000);
  EXPECT_EQ(parse_duration("12h")->count(), 43'200'000);
  EXPECT_EQ(parse_duration("30d")->count(), 2'592'000'000);
  EXPECT_EQ(parse_duration("0s")->count(), 0);
}

// Anything else is invalid_field, including overflow.
TEST(Duration, RejectsMalformed) {
  for (std::string_view bad : {"", "15", "m", "-5m", "+5m", "5 m", " 5m", "5M", "5min", "1.5h", "5mm", "99999999999999d",
                               "36501d"})
    EXPECT_EQ(parse_duration(bad).error().code, ErrorCode::invalid_field) << bad;
}

// Formatting picks the largest exact unit, so it round-trips.
TEST(Duration, FormatsLargestExactUnit) {
  for (std::string_view s : {"30d", "12h", "15m", "90s", "250ms", "0s"})
    EXPECT_EQ(format_duration(*parse_duration(s)), s);
}

}  // namespace
}  // namespace cloakroom
