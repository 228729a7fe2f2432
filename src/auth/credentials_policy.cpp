#include "auth/credentials_policy.h"

#include "config/config.h"

namespace cloakroom {

bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3 : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
    if (len == 0 || i + static_cast<std::size_t>(len) > s.size()) return false;
    unsigned cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += static_cast<std::size_t>(len);
  }
  return true;
}

Result<void> check_username(std::string_view name) {
  auto bad = [](const char* why) { return Error{ErrorCode::invalid_field, std::string("username ") + why}; };
  if (name.empty()) return bad("must not be empty.");
  if (name.size() > kUsernameMax) return bad("must be at most 128 bytes.");
  if (!is_valid_utf8(name)) return bad("must be valid UTF-8.");
  for (char ch : name) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) return bad("must not contain control characters.");
  }
  if (name.front() == ' ' || name.back() == ' ') return bad("must not start or end with a space.");
  return {};
}

Result<void> check_password(std::string_view password, std::size_t min_bytes) {
  if (password.size() < min_bytes)
    return Error{ErrorCode::invalid_field, "password must be at least " + std::to_string(min_bytes) + " bytes."};
  if (password.size() > kPasswordMax)
    return Error{ErrorCode::invalid_field, "password must be at most " + std::to_string(kPasswordMax) + " bytes."};
  return {};
}

Result<void> check_role(std::string_view role) {
  if (role.empty() || role.size() > kRoleMax ||
      role.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-") !=
          std::string_view::npos)
    return Error{ErrorCode::invalid_field,
                 "role \"" + std::string(role.substr(0, kRoleMax)) +
                     "\" must be 1 to 64 characters of letters, digits, '_', '.', ':' or '-'."};
  return {};
}

}  // namespace cloakroom
