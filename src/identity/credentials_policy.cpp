#include "identity/credentials_policy.h"

#include <cstdio>
#include <memory>

#include <unicode/uchar.h>
#include <unicode/uspoof.h>
#include <unicode/utf8.h>

#include "config/config.h"
#include "store/user_store.h"

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

namespace {

Error bad_username(std::string_view why) { return Error{ErrorCode::invalid_field, "username " + std::string(why)}; }

// "must not contain X (U+200B)."
Error bad_code_point(std::string_view what, UChar32 c) {
  char hex[16];
  std::snprintf(hex, sizeof hex, "U+%04X", static_cast<unsigned>(c));
  return bad_username("must not contain " + std::string(what) + " (" + hex + ").");
}

// The rules one code point can break on its own, most specific first.
Result<void> check_code_point(UChar32 c) {
  const auto type = static_cast<UCharCategory>(u_charType(c));
  if (type == U_CONTROL_CHAR) return bad_code_point("control characters", c);
  // Why: U+202E and friends reorder what is displayed around them.
  if (u_hasBinaryProperty(c, UCHAR_BIDI_CONTROL)) return bad_code_point("bidirectional controls", c);
  // Why: invisible characters make two names that look the same, like ali\u200Bce.
  if (type == U_FORMAT_CHAR || u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT))
    return bad_code_point("invisible or formatting characters", c);
  if ((type == U_SPACE_SEPARATOR && c != 0x20) || type == U_LINE_SEPARATOR || type == U_PARAGRAPH_SEPARATOR)
    return bad_code_point("spaces other than U+0020", c);
  // Why: what these will look like is unknown (a later Unicode version, a font).
  if (type == U_UNASSIGNED || type == U_PRIVATE_USE_CHAR || type == U_SURROGATE)
    return bad_code_point("unassigned, noncharacter or private-use code points", c);
  return {};
}

// UTS #39 restriction level and mixed numbers, on the NFC form.
Result<void> check_scripts(std::string_view nfc) {
  UErrorCode status = U_ZERO_ERROR;
  // Why per call, not shared: a checker is cheap next to a registration's
  // Argon2id hash, and a shared one would be global state.
  std::unique_ptr<USpoofChecker, decltype(&uspoof_close)> checker(uspoof_open(&status), &uspoof_close);
  uspoof_setRestrictionLevel(checker.get(), USPOOF_MODERATELY_RESTRICTIVE);
  uspoof_setChecks(checker.get(), USPOOF_RESTRICTION_LEVEL | USPOOF_MIXED_NUMBERS, &status);
  const int32_t found = uspoof_checkUTF8(checker.get(), nfc.data(), static_cast<int32_t>(nfc.size()), nullptr, &status);
  // Fail closed: a name we could not check is not accepted.
  if (U_FAILURE(status)) return Error{ErrorCode::internal, "The username could not be checked."};
  if (found & USPOOF_RESTRICTION_LEVEL)
    return bad_username("must not mix scripts that look alike (such as Latin with Cyrillic or Greek).");
  if (found & USPOOF_MIXED_NUMBERS) return bad_username("must not mix digits from different numbering systems.");
  return {};
}

}  // namespace

Result<void> check_username(std::string_view name) {
  if (name.empty()) return bad_username("must not be empty.");
  if (name.size() > kUsernameMax) return bad_username("must be at most 128 bytes.");
  if (!is_valid_utf8(name)) return bad_username("must be valid UTF-8.");
  if (name.front() == ' ' || name.back() == ' ') return bad_username("must not start or end with a space.");
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(name.data());
  const auto length = static_cast<int32_t>(name.size());  // <= kUsernameMax
  bool ascii = true;
  for (int32_t i = 0; i < length;) {
    UChar32 c;
    U8_NEXT(bytes, i, length, c);  // valid: checked above
    if (auto r = check_code_point(c); !r) return r;
    ascii = ascii && c < 0x80;
  }
  if (ascii) return {};  // one script (Latin or none), one numbering system
  // Why check the NFC form: it is what is stored, shown and compared.
  const std::string nfc = canonical_username(name);
  if (nfc.size() > kUsernameMax) return bad_username("must be at most 128 bytes.");
  return check_scripts(nfc);
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
