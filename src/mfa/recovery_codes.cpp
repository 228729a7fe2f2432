#include "mfa/recovery_codes.h"

#include <sodium.h>

#include <array>

#include "core/digest.h"

namespace cloakroom {
namespace {

constexpr char kAlphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
static_assert(sizeof kAlphabet - 1 == 32);

// The canonical character for a typed one, or 0 when it has none.
char canonical(char c) {
  if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  if (c == 'i' || c == 'l') return '1';
  if (c == 'o') return '0';
  for (const char* a = kAlphabet; *a; ++a)
    if (*a == c) return c;
  return 0;
}

}  // namespace

std::vector<std::string> new_recovery_codes(Random& random) {
  std::vector<std::string> codes;
  codes.reserve(kRecoveryCodeCount);
  for (int i = 0; i < kRecoveryCodeCount; ++i) {
    std::array<unsigned char, kRecoveryCodeChars> bytes{};
    random.fill(bytes);
    std::string code;
    for (std::size_t j = 0; j < bytes.size(); ++j) {
      if (j > 0 && j % 4 == 0) code += '-';
      code += kAlphabet[bytes[j] & 31];  // 256 is a multiple of 32: uniform
    }
    sodium_memzero(bytes.data(), bytes.size());
    codes.push_back(std::move(code));
  }
  return codes;
}

std::optional<std::string> recovery_code_hash(std::string_view user_id, std::string_view typed) {
  // Why 64: far more than a code with separators; longer input is not one.
  if (typed.size() > 64) return std::nullopt;
  std::string input(user_id);
  input += '\0';
  std::size_t chars = 0;
  for (char c : typed) {
    if (c == '-' || c == ' ') continue;
    const char k = canonical(c);
    if (k == 0 || ++chars > kRecoveryCodeChars) return std::nullopt;
    input += k;
  }
  if (chars != kRecoveryCodeChars) return std::nullopt;
  const Sha256 h = sha256(input);
  sodium_memzero(input.data(), input.size());
  return std::string(reinterpret_cast<const char*>(h.data()), h.size());
}

}  // namespace cloakroom
