#pragma once
// What counts as an acceptable username, password and role name. Shared by
// the HTTP API and the CLI so both refuse the same things with the same words.
//
//   if (auto r = check_username(name); !r) return r.error();   // invalid_field + sentence
#include <string_view>

#include "core/result.h"

namespace cloakroom {

inline constexpr std::size_t kUsernameMax = 128;
inline constexpr std::size_t kRoleMax = 64;

// The username profile (docs/security.md, "Usernames"): 1..128 bytes of valid
// UTF-8, also after NFC; no control characters, no space at either end, no
// space but U+0020, no invisible or format characters (Cf, default
// ignorables), no bidi controls, no unassigned, noncharacter or private-use
// code points, and one script per name as UTS #39 "moderately restrictive"
// allows (Latin may join one other script, never Cyrillic, Greek or
// Cherokee), with digits from one numbering system. Each refusal is
// invalid_field with a sentence naming the rule (and the code point). Names
// are then stored in NFC (canonical_username in store/user_store.h).
Result<void> check_username(std::string_view name);
// min..1024 bytes (SPEC), any content: passphrases may contain anything.
Result<void> check_password(std::string_view password, std::size_t min_bytes);
// 1..64 of [A-Za-z0-9_.:-].
Result<void> check_role(std::string_view role);

bool is_valid_utf8(std::string_view s);

}  // namespace cloakroom
