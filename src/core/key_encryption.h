#pragma once
// Secrets cloakroom must read back (private signing keys kept in a shared
// store, later TOTP secrets) are sealed at rest under the key-encryption key
// (KEK): 32 random bytes each node reads from outside the data it protects.
// Secrets that only need comparing (passwords, session and refresh tokens)
// are hashed instead, never sealed.
//
//   auto kek = KeyEncryptionKey::parse(text);        // base64url of 32 bytes (padding optional)
//   if (!kek) -> kek.error().text() completes "The key-encryption key ..." (config_invalid)
//   std::string blob = kek->seal(jwks_text, "cloakroom:jwks:v1", random);
//   auto plain = kek->open(blob, "cloakroom:jwks:v1");  // decryption_failed, one sentence, on any mismatch
//
//   KeyRing ring(std::move(*kek));                   // seals with this one
//   ring.add_opener(std::move(*previous));           // during a KEK rotation: opens only
//   ring.open(old_blob, purpose);                    // the blob's key check picks the key
//   if (!ring.is_current(blob)) reseal(...);         // `key rewrap`
//
// XChaCha20-Poly1305 (libsodium, IETF construction) with a random 192-bit
// nonce per seal: random nonces of that size never repeat in practice.
// The blob is   version (1) | key check (8) | nonce (24) | ciphertext | tag (16),
// and the associated data is the header plus `purpose`, a string naming what
// is sealed: a blob sealed as one kind of secret does not open as another,
// and nothing in the header can be changed. The key check (a keyed BLAKE2b
// of a constant, revealing nothing about the key) tells "sealed under a
// different KEK" apart from "altered". A wrong key or altered byte is an
// error, never garbage. Nothing here logs.
#include <array>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/random.h"
#include "core/result.h"

namespace cloakroom {

class KeyEncryptionKey {
 public:
  static constexpr std::size_t kBytes = 32;

  // `text`: base64url (RFC 4648 §5) of exactly 32 bytes, with or without
  // '=' padding; surrounding whitespace (a file's final newline) is ignored.
  // The error message never contains the text.
  static Result<KeyEncryptionKey> parse(std::string_view text);
  explicit KeyEncryptionKey(std::span<const unsigned char, kBytes> key);
  ~KeyEncryptionKey();
  KeyEncryptionKey(const KeyEncryptionKey&) = delete;
  KeyEncryptionKey& operator=(const KeyEncryptionKey&) = delete;
  KeyEncryptionKey(KeyEncryptionKey&& other) noexcept;
  KeyEncryptionKey& operator=(KeyEncryptionKey&&) = delete;

  // A binary blob (see above); `purpose` must be given again to open it.
  std::string seal(std::string_view plaintext, std::string_view purpose, Random& random) const;
  // The plaintext, or decryption_failed: a blob of another format, sealed
  // under another key, altered, or sealed for another purpose (the error's
  // reason: "format", "other_key", "altered").
  Result<std::string> open(std::string_view blob, std::string_view purpose) const;
  // Whether `blob`'s key check is this key's (cheap: no decryption). An
  // altered blob may still say true; open() is what checks.
  bool checks(std::string_view blob) const;

 private:
  std::array<unsigned char, kBytes> key_{};
  std::array<unsigned char, 8> check_{};  // the key check stored in each blob
};

// The key that seals, and keys that only open: an earlier KEK while a
// rotation is under way (jwt.previous_key_encryption_key_file), the TOTP key
// file kept beside a KEK set later. Each blob names its key by its key
// check, so open() asks one key, never tries them all in turn.
class KeyRing {
 public:
  // Implicit on purpose: one key is a ring with nothing earlier.
  KeyRing(KeyEncryptionKey current) : current_(std::move(current)) {}  // NOLINT(google-explicit-constructor)
  // A key that opens what was sealed under it and seals nothing.
  void add_opener(KeyEncryptionKey opener) { openers_.push_back(std::move(opener)); }
  std::size_t openers() const { return openers_.size(); }

  // Always under the current key.
  std::string seal(std::string_view plaintext, std::string_view purpose, Random& random) const {
    return current_.seal(plaintext, purpose, random);
  }
  // Opened by the key whose check the blob carries; decryption_failed
  // "other_key" when no key here has it (the current key's sentence), else
  // the reasons of KeyEncryptionKey::open.
  Result<std::string> open(std::string_view blob, std::string_view purpose) const;
  // Sealed under the current key already (by its key check): `key rewrap` skips it.
  bool is_current(std::string_view blob) const { return current_.checks(blob); }

 private:
  KeyEncryptionKey current_;
  std::vector<KeyEncryptionKey> openers_;
};

// The configured KEK (`current`) with the previous one, if any (`previous`
// empty: none) as an opener; config_invalid naming which one is bad.
Result<KeyRing> parse_key_ring(std::string_view current, std::string_view previous);

}  // namespace cloakroom
