#pragma once
// "The password changed", written once for every caller (POST /auth/password,
// the reset link, `user passwd`): the new hash is stored (its user_changed
// feed entry with it), then every refresh family of the user ends and their
// epoch rises, so every access token issued before fails, then every session
// ends. A change made from a signed-in client keeps that client's own session
// or family (`keep`); a reset keeps nothing.
//
//   CredentialEnds ends{[&](const auto& u, const auto& k) { return tokens.revoke_user(u, k); },
//                       [&](const auto& u, const auto& k) { return sessions.revoke_user(u, k); }};
//   auto ended = change_password(users, ends, user_id, new_hash, {.session_id = current});
//   // ended->sessions, ended->families: how many other credentials ended
//
// The server passes its services (caches are updated at once, the stores
// record the feed entries other processes follow); the CLI passes the stores.
#include <cstddef>
#include <functional>
#include <string>

#include "core/result.h"
#include "store/user_store.h"

namespace cloakroom {

struct EndedCredentials {
  std::size_t sessions = 0;
  std::size_t families = 0;
};

// What ends a user's credentials; each returns how many ended and takes the
// id to keep (empty: none).
struct CredentialEnds {
  // Every refresh family but the kept one, and the user's epoch rises: one step.
  std::function<Result<std::size_t>(const std::string& user_id, const std::string& keep)> families;
  std::function<Result<std::size_t>(const std::string& user_id, const std::string& keep)> sessions;
};

// The caller's own credential, kept through a password change it made.
struct KeepCredential {
  std::string session_id;
  std::string family_id;
};

// Families (and the epoch) first: every access token is dead even if the
// session store then fails.
Result<EndedCredentials> end_credentials(const CredentialEnds& ends, const std::string& user_id,
                                         const KeepCredential& keep = {});

// Stores `password_hash` for the user, then end_credentials. not_found when
// there is no such user (nothing ended).
Result<EndedCredentials> change_password(UserStore& users, const CredentialEnds& ends, const std::string& user_id,
                                         const std::string& password_hash, const KeepCredential& keep = {});

}  // namespace cloakroom
