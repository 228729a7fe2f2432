#include "core/ip_address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

#include "core/ascii.h"

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

constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool is_mapped_ipv4(const unsigned char* bytes) { return std::equal(kMapped, kMapped + 12, bytes); }

// Whether the first `prefix` bits of `a` and `b` are the same.
bool same_prefix(const unsigned char* a, const unsigned char* b, int prefix) {
  int full = prefix / 8;
  if (!std::equal(a, a + full, b)) return false;
  int rest = prefix % 8;
  if (rest == 0) return true;
  unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

Error network_error(std::string message) { return Error{ErrorCode::config_invalid, std::move(message)}; }

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
  if (is_mapped_ipv4(bytes)) return ip_text(AF_INET, bytes + 12);
  std::fill(bytes + 8, bytes + 16, 0);
  return ip_text(AF_INET6, bytes) + "/64";
}

Result<IpNetwork> IpNetwork::parse(std::string_view text) {
  const std::string quoted = "\"" + std::string(text.substr(0, 64)) + "\"";
  IpNetwork n;
  const std::size_t slash = text.find('/');
  n.family_ = parse_ip(text.substr(0, slash), n.bytes_);
  if (n.family_ == 0) return network_error(quoted + " is not an IP address or a CIDR block like \"10.0.0.0/8\"");
  const int bits = n.family_ == AF_INET ? 32 : 128;
  n.prefix_ = bits;
  if (slash == std::string_view::npos) return n;
  std::string_view len = text.substr(slash + 1);
  int prefix = -1;
  auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), prefix);
  // Why at most 3 digits: from_chars would take "0032" as 32; nobody writes that.
  if (len.empty() || len.size() > 3 || ec != std::errc{} || end != len.data() + len.size() || prefix < 0 ||
      prefix > bits)
    return network_error(quoted + " has a prefix length that is not a number from 0 to " + std::to_string(bits));
  n.prefix_ = prefix;
  unsigned char network[16] = {};
  std::copy(n.bytes_, n.bytes_ + bits / 8, network);
  for (int i = prefix; i < bits; ++i) network[i / 8] &= static_cast<unsigned char>(~(0x80 >> (i % 8)));
  if (!std::equal(network, network + bits / 8, n.bytes_))
    return network_error(quoted + " has bits set past its /" + std::to_string(prefix) + " prefix: write \"" +
                         ip_text(n.family_, network) + "/" + std::to_string(prefix) + "\" for the block or \"" +
                         ip_text(n.family_, n.bytes_) + "\" for one address");
  return n;
}

bool IpNetwork::is_ipv4() const { return family_ == AF_INET; }

bool IpNetwork::contains(std::string_view ip) const {
  unsigned char bytes[16];
  int family = parse_ip(ip, bytes);
  const unsigned char* address = bytes;
  if (family == AF_INET6 && family_ == AF_INET && is_mapped_ipv4(bytes)) {
    family = AF_INET;
    address = bytes + 12;
  }
  return family != 0 && family == family_ && same_prefix(address, bytes_, prefix_);
}

bool is_loopback_host(std::string_view host) {
  if (iequals_ascii(host, "localhost")) return true;
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  unsigned char bytes[16];
  switch (parse_ip(host, bytes)) {
    case AF_INET: return !bracketed && bytes[0] == 127;  // brackets hold IPv6 only
    case AF_INET6: return std::all_of(bytes, bytes + 15, [](unsigned char b) { return b == 0; }) && bytes[15] == 1;
    default: return false;
  }
}

}  // namespace cloakroom
