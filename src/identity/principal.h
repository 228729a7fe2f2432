#pragma once
// Who a credential belongs to: what forward auth and /auth/me report.
// Immutable; a change to the user produces a new Principal (see UserDirectory).
#include <memory>
#include <string>
#include <vector>

namespace cloakroom {

struct Principal {
  std::string user_id;
  std::string username;
  std::vector<std::string> roles;
  std::string roles_header;  // "a,b": precomputed for X-Auth-Roles
  bool disabled = false;
};

}  // namespace cloakroom
