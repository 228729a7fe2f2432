#include "store/user_store.h"

#include "core/ascii.h"

namespace cloakroom {

std::string username_key(const std::string& username) {
  return ascii_lower(username);
}

}  // namespace cloakroom
