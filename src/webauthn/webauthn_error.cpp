#include "webauthn/webauthn_error.h"

#include "core/unreachable.h"

namespace cloakroom::webauthn {

std::string_view reason_name(WebauthnError e) {
  switch (e) {
#define R(x) \
  case WebauthnError::x: return #x;
    R(too_large) R(cbor_malformed) R(cbor_not_canonical) R(cbor_too_deep) R(cbor_too_many_members)
    R(attestation_invalid) R(auth_data_malformed) R(attested_data_missing) R(credential_id_invalid)
    R(key_malformed) R(key_unsupported) R(key_weak) R(client_data_malformed) R(type_mismatch)
    R(challenge_mismatch) R(origin_mismatch) R(cross_origin) R(rp_id_mismatch) R(user_not_present)
    R(user_verification_required) R(user_handle_mismatch) R(signature_malformed) R(signature_invalid)
    R(sign_count_regressed) R(internal)
#undef R
  }
  unreachable();
}

}  // namespace cloakroom::webauthn
