#pragma once
// Why UserStore::begin_totp refused, shared by the backends whose write
// matched no row: conflict when the user has a confirmed secret (TOTP is
// on), else not_found (no such user).
//
//   if (*changed == 0) return begin_totp_refused(*this, user_id);
#include <string>

#include "store/user_store.h"

namespace cloakroom {

inline Error totp_is_on() { return Error{ErrorCode::conflict, "Two-factor authentication is on already; turn it off first."}; }

inline Error begin_totp_refused(UserStore& users, const std::string& user_id) {
  auto state = users.totp(user_id);
  if (!state) return state.error();
  return state->secret.empty() ? Error{ErrorCode::not_found} : totp_is_on();
}

}  // namespace cloakroom
