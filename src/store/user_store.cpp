#include "store/user_store.h"

namespace cloakroom {

std::string username_key(const std::string& username) {
  std::string key = username;
  for (char& c : key)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return key;
}

}  // namespace cloakroom
