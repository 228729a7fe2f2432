#pragma once
// The client's address when cloakroom runs behind reverse proxies.
//
//   TrustedProxies proxies({"127.0.0.1", "::1", "172.16.0.0/12"});
//   std::string ip = proxies.client_address(peer_ip, req.header("x-forwarded-for"));
//
// X-Forwarded-For is believed only when the TCP peer is a trusted proxy, and
// then only up to the first address (from the right) that is not one: every
// hop before it could have been written by the client. With no trusted
// proxies configured the peer address is the answer, whatever headers say.
// A trusted proxy is one address or a CIDR block (a proxy fleet, a container
// network).
#include <string>
#include <string_view>
#include <vector>

#include "core/ip_address.h"  // canonical_ip, IpNetwork

namespace cloakroom::http {

class TrustedProxies {
 public:
  // Entries that do not parse as IpNetwork are skipped (config refuses them first).
  explicit TrustedProxies(const std::vector<std::string>& networks);
  std::string client_address(std::string_view peer, std::string_view forwarded_for) const;
  bool empty() const { return trusted_.empty(); }

 private:
  bool trusted(std::string_view ip) const;
  std::vector<IpNetwork> trusted_;
};

// The configured blocks wider than a proxy network plausibly is (shorter
// than /8 for IPv4, /32 for IPv6): every address in them may forge
// X-Forwarded-For. Logged at startup; config refuses a /0 outright.
std::vector<std::string> wide_trusted_blocks(const std::vector<std::string>& networks);

}  // namespace cloakroom::http
