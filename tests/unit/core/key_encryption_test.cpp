#include "core/key_encryption.h"

#include <gtest/gtest.h>

#include <string>

#include "support/fake_random.h"

namespace cloakroom {
namespace {

constexpr std::string_view kPurpose = "cloakroom:jwks:v1";
// `head -c32 /dev/urandom | basenc --base64url` output shape: 43 characters, one '=' and a newline.
constexpr std::string_view kKekText = "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=\n";
constexpr std::string_view kOtherKekText = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
constexpr std::string_view kSecret = R"({"keys":[{"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}]})";

KeyEncryptionKey kek(std::string_view text = kKekText) { return std::move(*KeyEncryptionKey::parse(text)); }

// A sealed secret opens to the same bytes under the same key and purpose;
// two seals of one secret differ (a fresh nonce each) and neither shows it.
TEST(KeyEncryption, RoundTrip) {
  OsRandom random;
  const KeyEncryptionKey k = kek();
  const std::string a = k.seal(kSecret, kPurpose, random);
  const std::string b = k.seal(kSecret, kPurpose, random);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 1 + 8 + 24 + kSecret.size() + 16);
  EXPECT_EQ(a.find("nWGxne"), std::string::npos);
  EXPECT_EQ(a[0], '\x01');  // the format version
  EXPECT_EQ(*k.open(a, kPurpose), kSecret);
  EXPECT_EQ(*k.open(b, kPurpose), kSecret);
  EXPECT_EQ(*k.open(k.seal("", kPurpose, random), kPurpose), "");
  // The same key parsed again (a restart) opens it too.
  EXPECT_EQ(*kek().open(a, kPurpose), kSecret);
}

// Another key-encryption key is told apart from an altered blob, and gives
// an error, never garbage.
TEST(KeyEncryption, WrongKeyIsAnErrorThatSaysSo) {
  OsRandom random;
  const std::string blob = kek().seal(kSecret, kPurpose, random);
  auto opened = kek(kOtherKekText).open(blob, kPurpose);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::decryption_failed);
  EXPECT_EQ(opened.error().text(), "The sealed data was sealed under a different key-encryption key.");
  EXPECT_EQ(opened.error().reason, "other_key");
}

// Every single altered byte, anywhere in the blob, is refused.
TEST(KeyEncryption, EveryTamperedByteIsRefused) {
  testing::FakeRandom random;
  const KeyEncryptionKey k = kek();
  const std::string blob = k.seal(kSecret, kPurpose, random);
  for (std::size_t i = 0; i < blob.size(); ++i) {
    std::string bad = blob;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    auto opened = k.open(bad, kPurpose);
    ASSERT_FALSE(opened) << "byte " << i;
    EXPECT_EQ(opened.error().code, ErrorCode::decryption_failed) << "byte " << i;
  }
  std::string tampered = blob;
  tampered[40] = static_cast<char>(tampered[40] ^ 0x80);  // in the ciphertext
  EXPECT_EQ(k.open(tampered, kPurpose).error().text(),
            "The sealed data does not open: it was altered, or sealed as another kind of secret.");
  EXPECT_EQ(k.open(tampered, kPurpose).error().reason, "altered");
  EXPECT_EQ(k.open(blob.substr(0, blob.size() - 1), kPurpose).error().code, ErrorCode::decryption_failed);
  EXPECT_EQ(k.open(blob.substr(0, 20), kPurpose).error().text(), "The sealed data is not in a format this build reads.");
  EXPECT_EQ(k.open("", kPurpose).error().text(), "The sealed data is not in a format this build reads.");
}

// A blob sealed as one kind of secret does not open as another.
TEST(KeyEncryption, WrongAssociatedDataIsRefused) {
  OsRandom random;
  const KeyEncryptionKey k = kek();
  const std::string blob = k.seal(kSecret, kPurpose, random);
  for (std::string_view other : {"cloakroom:totp:v1", "cloakroom:jwks:v2", "", "cloakroom:jwks:v1 "}) {
    auto opened = k.open(blob, other);
    ASSERT_FALSE(opened) << other;
    EXPECT_EQ(opened.error().text(), "The sealed data does not open: it was altered, or sealed as another kind of secret.");
  }
}

// The accepted spellings: base64url of 32 bytes, padded or not, surrounded
// by whitespace (a file's newline).
TEST(KeyEncryption, ParsesBase64urlOf32Bytes) {
  OsRandom random;
  const std::string blob = kek("q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA").seal(kSecret, kPurpose, random);
  for (std::string_view text : {"q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=", "  q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA\r\n"}) {
    auto k = KeyEncryptionKey::parse(text);
    ASSERT_TRUE(k) << text;
    EXPECT_EQ(*k->open(blob, kPurpose), kSecret);
  }
}

// A wrong length or encoding is one sentence fragment for the config error,
// says how to make a key, and never repeats the text it was given.
TEST(KeyEncryption, BadKeysAreRefusedWithoutEchoingThem) {
  const std::string how = " (make one with: head -c32 /dev/urandom | basenc --base64url)";
  struct Case {
    std::string text, why;
  };
  for (const Case& c : {Case{"", "it is empty"}, Case{" \n", "it is empty"},
                        Case{"c2hvcnQta2V5LTE2Ynl0ZQ", "it decodes to 16 bytes"},  // 16 bytes
                        Case{"q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJCrzQ", "it decodes to 34 bytes"},
                        Case{"q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWe+A", "it is not base64url"},  // '+' is base64, not base64url
                        Case{"q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWe/A", "it is not base64url"},
                        Case{"q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQ q83vEjRWeJA", "it is not base64url"},
                        Case{std::string(100, 'A'), "it is longer than that"}}) {
    auto k = KeyEncryptionKey::parse(c.text);
    ASSERT_FALSE(k) << c.text;
    EXPECT_EQ(k.error().code, ErrorCode::config_invalid);
    EXPECT_EQ(k.error().text(), "must be 32 random bytes in base64url, but " + c.why + how) << c.text;
  }
}

// During a KEK rotation: what was sealed under the previous key still opens
// (its key check picks it), new seals are under the current key only.
TEST(KeyRing, OpensWithPreviousSealsWithCurrent) {
  OsRandom random;
  const std::string old_blob = kek(kOtherKekText).seal(kSecret, kPurpose, random);
  auto ring = parse_key_ring(kKekText, kOtherKekText);
  ASSERT_TRUE(ring) << ring.error().text();
  EXPECT_EQ(ring->openers(), 1u);
  EXPECT_EQ(*ring->open(old_blob, kPurpose), kSecret);
  EXPECT_FALSE(ring->is_current(old_blob));
  const std::string fresh = ring->seal(kSecret, kPurpose, random);
  EXPECT_TRUE(ring->is_current(fresh));
  EXPECT_EQ(*kek().open(fresh, kPurpose), kSecret);                          // under the current key
  EXPECT_EQ(kek(kOtherKekText).open(fresh, kPurpose).error().reason, "other_key");  // not the previous one
  EXPECT_EQ(*ring->open(fresh, kPurpose), kSecret);
  // The purpose is still checked with the previous key.
  EXPECT_EQ(ring->open(old_blob, "cloakroom:totp:v1:x").error().reason, "altered");
}

// A blob under neither key is refused as sealed under another key (the
// current key's sentence), never tried and never garbage; without a
// previous key the old blob is refused the same way.
TEST(KeyRing, NeitherKeyIsRefused) {
  OsRandom random;
  const std::string stranger =
      kek("BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc").seal(kSecret, kPurpose, random);
  auto ring = parse_key_ring(kKekText, kOtherKekText);
  ASSERT_TRUE(ring);
  auto opened = ring->open(stranger, kPurpose);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::decryption_failed);
  EXPECT_EQ(opened.error().reason, "other_key");
  EXPECT_EQ(opened.error().text(), "The sealed data was sealed under a different key-encryption key.");
  EXPECT_FALSE(ring->is_current(stranger));
  EXPECT_EQ(ring->open("x", kPurpose).error().reason, "format");

  auto current_only = parse_key_ring(kKekText, "");
  ASSERT_TRUE(current_only);
  EXPECT_EQ(current_only->openers(), 0u);
  EXPECT_EQ(current_only->open(kek(kOtherKekText).seal(kSecret, kPurpose, random), kPurpose).error().reason,
            "other_key");
}

// A bad previous key is named as the previous one, its text never shown.
TEST(KeyRing, BadPreviousKeyIsNamed) {
  auto ring = parse_key_ring(kKekText, "c2hvcnQta2V5LTE2Ynl0ZQ");
  ASSERT_FALSE(ring);
  EXPECT_EQ(ring.error().code, ErrorCode::config_invalid);
  EXPECT_EQ(ring.error().text(),
            "The previous key-encryption key must be 32 random bytes in base64url, but it decodes to 16 bytes "
            "(make one with: head -c32 /dev/urandom | basenc --base64url).");
}

}  // namespace
}  // namespace cloakroom
