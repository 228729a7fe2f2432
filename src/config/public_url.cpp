#include "config/public_url.h"

#include <algorithm>
#include <charconv>

#include "core/ascii.h"
#include "core/ip_address.h"

namespace cloakroom {

ListenAddress split_listen(std::string_view listen) {
  ListenAddress a;
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos) return a;
  std::string_view host = listen.substr(0, colon), port = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int p = -1;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (host.empty() || port.empty() || ec != std::errc{} || end != port.data() + port.size() || p < 0 || p > 65535)
    return a;
  a.host = ascii_lower(host);
  a.port = p;
  const std::string ip = canonical_ip(a.host);
  a.wildcard = ip == "0.0.0.0" || ip == "::";
  return a;
}

std::string derive_public_url(std::string_view listen, int bound_port) {
  ListenAddress a = split_listen(listen);
  // Why 127.0.0.1 for a wildcard: a browser on this machine reaches it there;
  // any other name is a guess (the startup warning asks for public_url).
  std::string host = a.wildcard || a.host.empty() ? "127.0.0.1" : a.host;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  // Port 0 not yet bound stays ":0", which no Origin matches (fail closed).
  const int port = a.port > 0 ? a.port : std::max(bound_port, 0);
  return "http://" + host + (port == 80 ? "" : ":" + std::to_string(port));
}

}  // namespace cloakroom
