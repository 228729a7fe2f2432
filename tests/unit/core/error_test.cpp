#include "core/error.h"

#include <gtest/gtest.h>

namespace cloakroom {
namespace {

// The statuses the SPEC fixes for each kind of failure.
TEST(WireError, MapsSpecStatuses) {
  EXPECT_EQ(wire_error(ErrorCode::malformed_json).status, 400);
  EXPECT_EQ(wire_error(ErrorCode::invalid_credentials).status, 401);
  EXPECT_EQ(wire_error(ErrorCode::invalid_credentials).code, "invalid_credentials");
  EXPECT_EQ(wire_error(ErrorCode::username_taken).status, 409);
  EXPECT_EQ(wire_error(ErrorCode::body_too_large).status, 413);
  EXPECT_EQ(wire_error(ErrorCode::unsupported_media_type).status, 415);
  EXPECT_EQ(wire_error(ErrorCode::too_many_attempts).status, 429);
  EXPECT_EQ(wire_error(ErrorCode::headers_too_large).status, 431);
  EXPECT_EQ(wire_error(ErrorCode::overloaded).status, 503);
}

// Every code has a snake_case name and a sentence.
TEST(WireError, EveryCodeHasNameAndMessage) {
  for (int c = 0; c < static_cast<int>(ErrorCode::count_); ++c) {
    const WireError& w = wire_error(static_cast<ErrorCode>(c));
    EXPECT_FALSE(w.code.empty());
    EXPECT_EQ(w.code.find_first_not_of("abcdefghijklmnopqrstuvwxyz_"), std::string_view::npos) << w.code;
    EXPECT_TRUE(w.default_message.ends_with(".")) << w.code;
  }
}

// A custom message replaces the default one.
TEST(Error, CustomMessageWins) {
  EXPECT_EQ(Error(ErrorCode::invalid_field, "x must be a string.").text(), "x must be a string.");
  EXPECT_EQ(Error(ErrorCode::invalid_field).text(), wire_error(ErrorCode::invalid_field).default_message);
}

}  // namespace
}  // namespace cloakroom
