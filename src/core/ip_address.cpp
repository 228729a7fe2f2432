#include "core/ip_address.h"

#include <arpa/inet.h>

namespace cloakroom {

std::string canonical_ip(std::string_view text) {
  // Why: bounded and NUL-terminated for inet_pton; the longest IPv6 text is 45 bytes.
  if (text.empty() || text.size() > 45) return {};
  std::string s(text);
  unsigned char buf[16];
  char out[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) return inet_ntop(AF_INET, buf, out, sizeof out) ? out : "";
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) return inet_ntop(AF_INET6, buf, out, sizeof out) ? out : "";
  return {};
}

}  // namespace cloakroom
