#include "webauthn/cbor.h"

#include <gtest/gtest.h>

#include <string>

namespace cloakroom::webauthn::cbor {
namespace {

std::string hex(std::string_view h) {
  std::string out;
  std::string digits;
  for (char c : h)
    if (c != ' ') digits += c;
  h = digits;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) out += static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16));
  return out;
}

constexpr Limits kSmall{64, 2, 4};

// {1: 2, "a": h'0102'} decodes; members are found by integer and text key.
TEST(Cbor, DecodesAMap) {
  auto item = decode_exact(hex("a201026161420102"), kSmall);
  ASSERT_TRUE(item) << reason_name(item.error());
  EXPECT_EQ(as_int(map_find(item->get(), std::int64_t{1})), 2);
  EXPECT_EQ(as_bytes(map_find(item->get(), "a")), std::string_view("\x01\x02", 2));
  EXPECT_EQ(map_find(item->get(), "b"), nullptr);
}

// -257 (0x390100) is RS256's COSE alg: negative integers round-trip.
TEST(Cbor, NegativeIntegers) {
  auto item = decode_exact(hex("390100"), kSmall);
  ASSERT_TRUE(item);
  EXPECT_EQ(as_int(item->get()), -257);
}

TEST(Cbor, TrailingBytesAreMalformed) {
  EXPECT_EQ(decode_exact(hex("a0 00"), kSmall).error(), WebauthnError::cbor_malformed);
  std::size_t used = 0;
  ASSERT_TRUE(decode_prefix(hex("a0 00"), kSmall, &used));
  EXPECT_EQ(used, 1u);
}

TEST(Cbor, TruncatedIsMalformed) {
  EXPECT_EQ(decode_exact(hex("a201"), kSmall).error(), WebauthnError::cbor_malformed);
  EXPECT_EQ(decode_exact(hex("4401"), kSmall).error(), WebauthnError::cbor_malformed);
  EXPECT_EQ(decode_exact("", kSmall).error(), WebauthnError::cbor_malformed);
}

// A header declaring 2^32 pairs is refused before anything is allocated.
TEST(Cbor, HugeDeclaredSizesAreRefused) {
  EXPECT_EQ(decode_exact(hex("bb0000000100000000"), kSmall).error(), WebauthnError::cbor_too_many_members);
  EXPECT_EQ(decode_exact(hex("9bffffffffffffffff"), kSmall).error(), WebauthnError::cbor_too_many_members);
  EXPECT_EQ(decode_exact(hex("a5000001010202030304040505"), kSmall).error(), WebauthnError::cbor_too_many_members);
  // A byte string longer than the input (or the limit) never decodes.
  EXPECT_EQ(decode_exact(hex("5bffffffffffffffff"), kSmall).error(), WebauthnError::cbor_malformed);
}

TEST(Cbor, DepthIsLimited) {
  EXPECT_TRUE(decode_exact(hex("818100"), kSmall));  // [[0]]: depth 2
  EXPECT_EQ(decode_exact(hex("81818100"), kSmall).error(), WebauthnError::cbor_too_deep);
  // The last member of a map being a container must not hide the map's depth.
  EXPECT_EQ(decode_exact(hex("a1 00 a1 00 81 00"), kSmall).error(), WebauthnError::cbor_too_deep);
  EXPECT_TRUE(decode_exact(hex("82 8100 8100"), kSmall));  // siblings, depth 2
}

TEST(Cbor, SizeIsLimited) {
  std::string big = hex("5840") + std::string(64, 'x');  // 66 bytes > 64
  EXPECT_EQ(decode_exact(big, kSmall).error(), WebauthnError::too_large);
  std::size_t used = 0;
  EXPECT_EQ(decode_prefix(big, kSmall, &used).error(), WebauthnError::too_large);
}

// Indefinite lengths, tags and floats are outside CTAP2 canonical CBOR.
TEST(Cbor, NonCanonicalFormsAreRefused) {
  EXPECT_EQ(decode_exact(hex("9f00ff"), kSmall).error(), WebauthnError::cbor_not_canonical);
  EXPECT_EQ(decode_exact(hex("bf0000ff"), kSmall).error(), WebauthnError::cbor_not_canonical);
  EXPECT_EQ(decode_exact(hex("5f4100ff"), kSmall).error(), WebauthnError::cbor_not_canonical);
  EXPECT_EQ(decode_exact(hex("c100"), kSmall).error(), WebauthnError::cbor_not_canonical);
  EXPECT_EQ(decode_exact(hex("f93c00"), kSmall).error(), WebauthnError::cbor_not_canonical);
  EXPECT_EQ(decode_exact(hex("a1410000"), kSmall).error(), WebauthnError::cbor_not_canonical);  // a bytes key
}

TEST(Cbor, DuplicateKeysAreMalformed) {
  EXPECT_EQ(decode_exact(hex("a201000101"), kSmall).error(), WebauthnError::cbor_malformed);
  EXPECT_EQ(decode_exact(hex("a2616100616101"), kSmall).error(), WebauthnError::cbor_malformed);
  EXPECT_TRUE(decode_exact(hex("a201006131 01"), kSmall));  // 1 and "1" differ
}

TEST(Cbor, WrongTypesReadAsNothing) {
  auto item = decode_exact(hex("6161"), kSmall);  // "a"
  ASSERT_TRUE(item);
  EXPECT_EQ(as_int(item->get()), std::nullopt);
  EXPECT_EQ(as_bytes(item->get()), std::nullopt);
  EXPECT_EQ(as_text(item->get()), "a");
  EXPECT_EQ(as_int(decode_exact(hex("1bffffffffffffffff"), kSmall)->get()), std::nullopt);  // > INT64_MAX
}

}  // namespace
}  // namespace cloakroom::webauthn::cbor
