#include "http/client_address.h"

#include <algorithm>

namespace cloakroom::http {

TrustedProxies::TrustedProxies(const std::vector<std::string>& networks) {
  for (const auto& n : networks)
    if (auto parsed = IpNetwork::parse(n)) trusted_.push_back(*parsed);
}

bool TrustedProxies::trusted(std::string_view ip) const {
  return std::any_of(trusted_.begin(), trusted_.end(), [&](const IpNetwork& n) { return n.contains(ip); });
}

std::string TrustedProxies::client_address(std::string_view peer, std::string_view forwarded_for) const {
  std::string current = canonical_ip(peer);
  if (current.empty()) current = std::string(peer);
  // Walk right to left while the hop that told us is trusted.
  while (trusted(current) && !forwarded_for.empty()) {
    std::size_t comma = forwarded_for.rfind(',');
    std::string_view hop = comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1);
    forwarded_for = comma == std::string_view::npos ? std::string_view() : forwarded_for.substr(0, comma);
    while (!hop.empty() && (hop.front() == ' ' || hop.front() == '\t')) hop.remove_prefix(1);
    while (!hop.empty() && (hop.back() == ' ' || hop.back() == '\t')) hop.remove_suffix(1);
    std::string ip = canonical_ip(hop);
    if (ip.empty()) break;  // garbage: stop at the last address we could trust
    current = std::move(ip);
  }
  return current;
}

std::vector<std::string> wide_trusted_blocks(const std::vector<std::string>& networks) {
  // Why these bounds: the widest private IPv4 range is 10.0.0.0/8 and sites
  // get an IPv6 /48; a wider block is a typo or "trust everything".
  std::vector<std::string> out;
  for (const auto& n : networks)
    if (auto parsed = IpNetwork::parse(n); parsed && parsed->prefix() < (parsed->is_ipv4() ? 8 : 32)) out.push_back(n);
  return out;
}

}  // namespace cloakroom::http
