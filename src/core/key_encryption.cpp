#include "core/key_encryption.h"

#include <sodium.h>

#include <cstring>

namespace cloakroom {
namespace {

constexpr unsigned char kVersion = 1;
constexpr std::size_t kCheckBytes = 8;
constexpr std::size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr std::size_t kHeaderBytes = 1 + kCheckBytes + kNonceBytes;
static_assert(KeyEncryptionKey::kBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(kNonceBytes == 24 && kTagBytes == 16);

constexpr const char* kHowToMake = "(make one with: head -c32 /dev/urandom | basenc --base64url)";

Error bad_key(const std::string& why) {
  return Error{ErrorCode::config_invalid, "must be 32 random bytes in base64url, but " + why + " " + kHowToMake};
}

// `reason`: "format", "other_key" or "altered", for callers that word their own message.
Error unopened(const char* sentence, std::string_view reason) {
  return Error{ErrorCode::decryption_failed, sentence}.because(reason);
}

// Header and purpose, authenticated together: changing either fails the tag.
std::string associated_data(std::string_view header, std::string_view purpose) {
  std::string ad(header);
  ad += purpose;
  return ad;
}

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

Result<KeyEncryptionKey> KeyEncryptionKey::parse(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return bad_key("it is empty");
  text = text.substr(first, text.find_last_not_of(kSpace) - first + 1);
  while (text.ends_with('=')) text.remove_suffix(1);  // basenc --base64url pads
  // Why 64: twice what 32 bytes need; longer text is not a KEK, and this
  // keeps the decode buffer fixed.
  if (text.size() > 64) return bad_key("it is longer than that");
  std::array<unsigned char, 48> decoded{};
  std::size_t length = 0;
  const char* end = nullptr;
  if (sodium_base642bin(decoded.data(), decoded.size(), text.data(), text.size(), nullptr, &length, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != text.data() + text.size()) {
    sodium_memzero(decoded.data(), decoded.size());
    return bad_key("it is not base64url");
  }
  if (length != kBytes) {
    sodium_memzero(decoded.data(), decoded.size());
    return bad_key("it decodes to " + std::to_string(length) + " bytes");
  }
  KeyEncryptionKey kek(std::span<const unsigned char, kBytes>(decoded.data(), kBytes));
  sodium_memzero(decoded.data(), decoded.size());
  return kek;
}

KeyEncryptionKey::KeyEncryptionKey(std::span<const unsigned char, kBytes> key) {
  // Idempotent and thread-safe; it only picks the fastest implementations, so
  // a failure (never seen) leaves the portable ones.
  [[maybe_unused]] const int initialised = sodium_init();
  std::memcpy(key_.data(), key.data(), kBytes);
  static constexpr std::string_view kCheckInput = "cloakroom:kek-check";
  crypto_generichash(check_.data(), check_.size(), bytes(kCheckInput), kCheckInput.size(), key_.data(), key_.size());
}

KeyEncryptionKey::~KeyEncryptionKey() { sodium_memzero(key_.data(), key_.size()); }

KeyEncryptionKey::KeyEncryptionKey(KeyEncryptionKey&& other) noexcept : key_(other.key_), check_(other.check_) {
  sodium_memzero(other.key_.data(), other.key_.size());
}

std::string KeyEncryptionKey::seal(std::string_view plaintext, std::string_view purpose, Random& random) const {
  std::string blob(kHeaderBytes + plaintext.size() + kTagBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(blob.data());
  out[0] = kVersion;
  std::memcpy(out + 1, check_.data(), kCheckBytes);
  random.fill(std::span<unsigned char>(out + 1 + kCheckBytes, kNonceBytes));
  const std::string ad = associated_data(std::string_view(blob.data(), kHeaderBytes), purpose);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out + kHeaderBytes, &written, bytes(plaintext), plaintext.size(),
                                             bytes(ad), ad.size(), nullptr, out + 1 + kCheckBytes, key_.data());
  blob.resize(kHeaderBytes + written);
  return blob;
}

Result<std::string> KeyEncryptionKey::open(std::string_view blob, std::string_view purpose) const {
  if (blob.size() < kHeaderBytes + kTagBytes || static_cast<unsigned char>(blob[0]) != kVersion)
    return unopened("The sealed data is not in a format this build reads.", "format");
  if (sodium_memcmp(bytes(blob) + 1, check_.data(), kCheckBytes) != 0)
    return unopened("The sealed data was sealed under a different key-encryption key.", "other_key");
  const std::string ad = associated_data(blob.substr(0, kHeaderBytes), purpose);
  const std::string_view sealed = blob.substr(kHeaderBytes);
  std::string plain(sealed.size() - kTagBytes, '\0');
  unsigned long long length = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(plain.data()), &length, nullptr,
                                                 bytes(sealed), sealed.size(), bytes(ad), ad.size(),
                                                 bytes(blob) + 1 + kCheckBytes, key_.data()) != 0)
    return unopened("The sealed data does not open: it was altered, or sealed as another kind of secret.", "altered");
  plain.resize(length);
  return plain;
}

bool KeyEncryptionKey::checks(std::string_view blob) const {
  return blob.size() >= kHeaderBytes && static_cast<unsigned char>(blob[0]) == kVersion &&
         sodium_memcmp(bytes(blob) + 1, check_.data(), kCheckBytes) == 0;
}

Result<KeyRing> parse_key_ring(std::string_view current, std::string_view previous) {
  auto kek = KeyEncryptionKey::parse(current);
  if (!kek) return Error{ErrorCode::config_invalid, "The key-encryption key " + std::string(kek.error().text()) + "."};
  KeyRing ring(std::move(*kek));
  if (previous.empty()) return ring;
  auto earlier = KeyEncryptionKey::parse(previous);
  if (!earlier)
    return Error{ErrorCode::config_invalid,
                 "The previous key-encryption key " + std::string(earlier.error().text()) + "."};
  ring.add_opener(std::move(*earlier));
  return ring;
}

Result<std::string> KeyRing::open(std::string_view blob, std::string_view purpose) const {
  if (!current_.checks(blob))
    for (const auto& opener : openers_)
      if (opener.checks(blob)) return opener.open(blob, purpose);
  return current_.open(blob, purpose);  // its own blob, or its sentence for format / other_key
}

}  // namespace cloakroom
