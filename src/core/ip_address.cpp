#include "core/ip_address.h"

#include <arpa/inet.h>

#include <algorithm>

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

std::string client_network(std::string_view ip) {
  if (ip.empty() || ip.size() > 45) return std::string(ip);
  std::string s(ip);
  unsigned char buf[16];
  char out[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) return inet_ntop(AF_INET, buf, out, sizeof out) ? out : s;
  if (inet_pton(AF_INET6, s.c_str(), buf) != 1) return s;
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(kMapped, kMapped + 12, buf)) return inet_ntop(AF_INET, buf + 12, out, sizeof out) ? out : s;
  std::fill(buf + 8, buf + 16, 0);
  if (!inet_ntop(AF_INET6, buf, out, sizeof out)) return s;
  return std::string(out) + "/64";
}

}  // namespace cloakroom
