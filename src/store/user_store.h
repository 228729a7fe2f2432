#pragma once
// Where users live. One interface, one implementation per backend
// (store/memory/user_store.h, store/sqlite/user_store.h), chosen by URL in
// store/store_url.h, so handlers never know which backend they talk to.
//
//   Result<User> u = users.find_by_name("alice");
//   if (!u && u.error().code == ErrorCode::not_found) ...   // no such user
//
// Usernames are compared in Unicode NFC, ignoring ASCII case: "Alice" and
// "alice" are one user, and so are "café" typed precomposed (U+00E9) or
// decomposed (e + U+0301). The stored spelling is the NFC form of the one
// given at registration (canonical_username).
// Every method is safe to call from several threads at once.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace cloakroom {

struct User {
  std::string id;             // opaque, random, never reused
  std::string username;
  std::string password_hash;  // PHC string; never leaves the process
  std::vector<std::string> roles;
  bool disabled = false;
  long long created_at = 0;   // unix seconds
};

// A password reset link (`user reset-link`): only the SHA-256 of its token
// is stored (lower-case hex), so a copy of the store opens no account.
struct PasswordReset {
  std::string token_hash;
  std::string user_id;
  long long expires_ms = 0;
};

class UserStore {
 public:
  virtual ~UserStore() = default;

  // username_taken if the name exists (ignoring ASCII case).
  virtual Result<void> create(const User& user) = 0;
  // not_found when absent; store_unavailable when the backend fails.
  virtual Result<User> find_by_name(const std::string& username) = 0;
  virtual Result<User> find_by_id(const std::string& id) = 0;
  virtual Result<std::vector<User>> list() = 0;
  virtual Result<void> set_disabled(const std::string& id, bool disabled) = 0;
  virtual Result<void> set_password_hash(const std::string& id, const std::string& hash) = 0;
  virtual Result<void> set_roles(const std::string& id, const std::vector<std::string>& roles) = 0;
  virtual Result<void> add_password_reset(const PasswordReset& reset) = 0;
  // Marks the reset used and returns its user id, in one step, so a link
  // works once even when two requests race. not_found when the hash is
  // unknown, already used or expired at `now_ms` (one answer for all three).
  virtual Result<std::string> use_password_reset(const std::string& token_hash, long long now_ms) = 0;
  // The ids of every disabled user (few; the request path keeps them all).
  virtual Result<std::vector<std::string>> disabled_ids() = 0;
  // Cheap round trip for /readyz: fails when a write could not start now.
  virtual Result<void> ping() = 0;
};

// Why 7 days past the new link's expiry: no link lives longer (--ttl is at
// most 7d), so an older expired row can never be redeemed; the stores drop
// such rows, and used ones, when a new link is added.
inline constexpr long long kResetKeepMs = 7LL * 86'400'000;

// The spelling to store and show: the NFC form (UAX #15) of valid UTF-8;
// anything else comes back unchanged (it then matches no stored name).
std::string canonical_username(std::string_view username);
// "Alice" -> "alice", "cafe\u0301" -> "café": the uniqueness key for usernames
// (canonical_username, then ASCII lower case). Every lookup goes through it.
std::string username_key(const std::string& username);

// Roles as one comma-separated text, as the SQL stores keep them (role names
// have no commas: see check_role), and back; empty items are dropped.
std::string join_roles(const std::vector<std::string>& roles);
std::vector<std::string> split_roles(std::string_view text);

}  // namespace cloakroom
