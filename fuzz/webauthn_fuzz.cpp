// libFuzzer target for the WebAuthn parsers: attestationObject (libcbor with
// our limits), authenticator data and COSE keys.
// Invariants: never crashes or leaks; whatever parses stays within the
// limits (a credential id of 1..1023 bytes, a COSE key that is a prefix of
// the input's bytes); a parsed COSE key parses again from its own bytes.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "webauthn/attestation_object.h"
#include "webauthn/cose_key.h"

using namespace cloakroom::webauthn;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto check = [](const AuthenticatorData& ad) {
    if (!ad.attested) return;
    const auto& c = *ad.attested;
    if (c.credential_id.empty() || c.credential_id.size() > kMaxCredentialId || c.aaguid.size() != 16) std::abort();
    auto again = CoseKey::parse(c.public_key);  // keys may be refused (unsupported), never crash
    (void)again;
  };
  if (auto obj = parse_attestation_object(input)) check(obj->auth_data);
  if (auto ad = parse_authenticator_data(input)) check(*ad);
  // A key that parses takes any signature bytes without crashing.
  if (auto key = CoseKey::parse(input)) (void)key->verify("message", input.substr(0, 72));
  return 0;
}
