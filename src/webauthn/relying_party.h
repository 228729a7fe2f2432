#pragma once
// Who we are to an authenticator: the rpId (a domain) and the one origin our
// pages run at, both from public_url, built once and shared read-only.
//
//   auto rp = RelyingParty::from_public_url("https://auth.example.com:8443", "cloakroom");
//   rp->id;        // "auth.example.com"   (the host, no port: what credentials are scoped to)
//   rp->origin;    // "https://auth.example.com:8443"   (scheme://host[:port], as browsers serialise it)
//   rp->id_hash;   // SHA-256(id): what authenticator data must start with
//
// Browsers refuse an IP address as rpId (it must be a domain; "localhost"
// works over http too), so a public_url whose host is an IP literal is
// config_invalid here: passkeys need a name.
#include <string>
#include <string_view>

#include "core/digest.h"
#include "core/result.h"

namespace cloakroom::webauthn {

struct RelyingParty {
  std::string id;
  std::string name;    // shown by the authenticator ("cloakroom")
  std::string origin;  // scheme://host[:port], default ports left out
  Sha256 id_hash{};

  // `public_url` as config checked it (scheme://host[:port], no path);
  // scheme and host are lower-cased, :80 on http and :443 on https dropped.
  static Result<RelyingParty> from_public_url(std::string_view public_url, std::string name);
};

}  // namespace cloakroom::webauthn
