#include "webauthn/attestation_object.h"

#include "webauthn/cbor.h"

namespace cloakroom::webauthn {

Result<AttestationObject, WebauthnError> parse_attestation_object(std::string_view bytes) {
  auto root = cbor::decode_exact(bytes, cbor::kAttestationLimits);
  if (!root) return root.error();
  const cbor_item_t* map = root->get();
  if (!cbor_isa_map(map) || cbor_map_size(map) != 3) return WebauthnError::attestation_invalid;
  auto fmt = cbor::as_text(cbor::map_find(map, "fmt"));
  const cbor_item_t* statement = cbor::map_find(map, "attStmt");
  auto auth_data = cbor::as_bytes(cbor::map_find(map, "authData"));
  if (!fmt || fmt->empty() || !statement || !cbor_isa_map(statement) || !auth_data)
    return WebauthnError::attestation_invalid;
  // "none" must come with an empty statement (§8.7); other formats' are ignored.
  if (*fmt == "none" && cbor_map_size(statement) != 0) return WebauthnError::attestation_invalid;
  auto parsed = parse_authenticator_data(*auth_data);
  if (!parsed) return parsed.error();
  return AttestationObject{std::string(*fmt), std::string(*auth_data), std::move(*parsed)};
}

}  // namespace cloakroom::webauthn
