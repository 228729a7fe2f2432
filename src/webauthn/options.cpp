#include "webauthn/options.h"

#include "core/json.h"
#include "jose/base64url.h"
#include "webauthn/cose_key.h"

namespace cloakroom::webauthn {
namespace {

std::string random_bytes(Random& rng, std::size_t n) {
  std::string out(n, '\0');
  rng.fill({reinterpret_cast<unsigned char*>(out.data()), out.size()});
  return out;
}

void credential_list(json::Writer& w, std::string_view name, const std::vector<std::string>& ids) {
  w.key(name);
  w.begin_array();
  for (const std::string& id : ids) {
    w.begin_object();
    w.key("type"); w.string("public-key");
    w.key("id"); w.string(jose::base64url_encode(id));
    w.end_object();
  }
  w.end_array();
}

}  // namespace

std::string new_challenge(Random& rng) { return random_bytes(rng, kChallengeBytes); }
std::string new_user_handle(Random& rng) { return random_bytes(rng, kUserHandleBytes); }

std::string creation_options_json(const CreationOptions& o) {
  json::Writer w;
  w.begin_object();
  w.key("rp");
  w.begin_object();
  w.key("id"); w.string(o.rp.id);
  w.key("name"); w.string(o.rp.name);
  w.end_object();
  w.key("user");
  w.begin_object();
  w.key("id"); w.string(jose::base64url_encode(o.user_handle));
  w.key("name"); w.string(o.user_name);
  w.key("displayName"); w.string(o.display_name);
  w.end_object();
  w.key("challenge"); w.string(jose::base64url_encode(o.challenge));
  w.key("pubKeyCredParams");
  w.begin_array();
  for (CoseAlg alg : {CoseAlg::ES256, CoseAlg::EdDSA, CoseAlg::RS256}) {
    w.begin_object();
    w.key("type"); w.string("public-key");
    w.key("alg"); w.number(static_cast<long long>(alg));
    w.end_object();
  }
  w.end_array();
  w.key("timeout"); w.number(o.timeout_ms);
  credential_list(w, "excludeCredentials", o.exclude_credential_ids);
  w.key("authenticatorSelection");
  w.begin_object();
  w.key("residentKey"); w.string("required");
  w.key("requireResidentKey"); w.boolean(true);  // Level 1 browsers read only this one
  w.key("userVerification"); w.string("preferred");
  w.end_object();
  w.key("attestation"); w.string("none");
  w.end_object();
  return w.take();
}

std::string request_options_json(const RequestOptions& o) {
  json::Writer w;
  w.begin_object();
  w.key("challenge"); w.string(jose::base64url_encode(o.challenge));
  w.key("timeout"); w.number(o.timeout_ms);
  w.key("rpId"); w.string(o.rp.id);
  credential_list(w, "allowCredentials", o.allow_credential_ids);
  w.key("userVerification"); w.string("preferred");
  w.end_object();
  return w.take();
}

}  // namespace cloakroom::webauthn
