#pragma once
// The client's address when cloakroom runs behind reverse proxies.
//
//   TrustedProxies proxies({"127.0.0.1", "::1"});
//   std::string ip = proxies.client_address(peer_ip, req.header("x-forwarded-for"));
//
// X-Forwarded-For is believed only when the TCP peer is a trusted proxy, and
// then only up to the first address (from the right) that is not one: every
// hop before it could have been written by the client. With no trusted
// proxies configured the peer address is the answer, whatever headers say.
#include <string>
#include <string_view>
#include <vector>

#include "core/ip_address.h"  // canonical_ip

namespace cloakroom::http {

class TrustedProxies {
 public:
  explicit TrustedProxies(std::vector<std::string> addresses);
  std::string client_address(std::string_view peer, std::string_view forwarded_for) const;
  bool empty() const { return trusted_.empty(); }

 private:
  bool trusted(std::string_view ip) const;
  std::vector<std::string> trusted_;  // canonical_ip text
};

}  // namespace cloakroom::http
