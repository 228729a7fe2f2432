#include "core/ip_address.h"

#include <arpa/inet.h>

#include <algorithm>

namespace cloakroom {
namespace {

// An IPv4 or IPv6 literal's bytes: its family, or 0 when `text` is none.
int parse_ip(std::string_view text, unsigned char (&bytes)[16]) {
  // Why: bounded and NUL-terminated for inet_pton; the longest IPv6 text is 45 bytes.
  if (text.empty() || text.size() > 45) return 0;
  std::string s(text);
  if (inet_pton(AF_INET, s.c_str(), bytes) == 1) return AF_INET;
  if (inet_pton(AF_INET6, s.c_str(), bytes) == 1) return AF_INET6;
  return 0;
}

std::string ip_text(int family, const unsigned char* bytes) {
  char out[INET6_ADDRSTRLEN];
  return inet_ntop(family, bytes, out, sizeof out) ? out : "";
}

}  // namespace

std::string canonical_ip(std::string_view text) {
  unsigned char bytes[16];
  int family = parse_ip(text, bytes);
  return family ? ip_text(family, bytes) : std::string();
}

std::string client_network(std::string_view ip) {
  unsigned char bytes[16];
  int family = parse_ip(ip, bytes);
  if (family == 0) return std::string(ip);
  if (family == AF_INET) return ip_text(AF_INET, bytes);
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(kMapped, kMapped + 12, bytes)) return ip_text(AF_INET, bytes + 12);
  std::fill(bytes + 8, bytes + 16, 0);
  return ip_text(AF_INET6, bytes) + "/64";
}

}  // namespace cloakroom
