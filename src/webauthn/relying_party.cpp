#include "webauthn/relying_party.h"

#include "core/ascii.h"

namespace cloakroom::webauthn {
namespace {

Error invalid(std::string why) {
  return Error{ErrorCode::config_invalid, "public_url cannot serve passkeys: " + std::move(why)};
}

}  // namespace

Result<RelyingParty> RelyingParty::from_public_url(std::string_view public_url, std::string name) {
  const std::string url = ascii_lower(public_url);
  std::string_view rest = url;
  std::string scheme;
  if (rest.starts_with("https://")) scheme = "https";
  else if (rest.starts_with("http://")) scheme = "http";
  else return invalid("it is not http:// or https://.");
  rest.remove_prefix(scheme.size() + 3);
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.starts_with('[')) return invalid("browsers refuse an IP address as WebAuthn rpId; use a domain name.");
  const std::size_t colon = rest.find(':');
  const std::string_view host = rest.substr(0, colon);
  std::string_view port = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
  if (host.empty() || host.find_first_of("/?#@") != std::string_view::npos ||
      port.find_first_not_of("0123456789") != std::string_view::npos)
    return invalid("it is not scheme://host[:port].");
  // A dotted quad is an IP address too (a domain's last label is never all digits).
  const std::string_view last_label = host.substr(host.rfind('.') + 1);
  if (last_label.find_first_not_of("0123456789") == std::string_view::npos)
    return invalid("browsers refuse an IP address as WebAuthn rpId; use a domain name.");
  if ((scheme == "http" && port == "80") || (scheme == "https" && port == "443")) port = {};
  RelyingParty rp;
  rp.id = std::string(host);
  rp.name = std::move(name);
  rp.origin = scheme + "://" + rp.id + (port.empty() ? "" : ":" + std::string(port));
  rp.id_hash = sha256(rp.id);
  return rp;
}

}  // namespace cloakroom::webauthn
