#include "webauthn/registration.h"

#include "webauthn/attestation_object.h"
#include "webauthn/cbor.h"
#include "webauthn/client_data.h"

namespace cloakroom::webauthn {

Result<NewCredential, WebauthnError> verify_registration(const RegistrationResponse& response,
                                                         const RelyingParty& rp) {
  if (response.client_data_json.size() > kMaxClientData ||
      response.attestation_object.size() > cbor::kAttestationLimits.max_bytes)
    return WebauthnError::too_large;
  if (auto ok = check_client_data(response.client_data_json, Ceremony::create, response.expected_challenge, rp); !ok)
    return ok.error();
  auto object = parse_attestation_object(response.attestation_object);
  if (!object) return object.error();
  const AuthenticatorData& ad = object->auth_data;
  if (!constant_time_equal(ad.rp_id_hash, rp.id_hash)) return WebauthnError::rp_id_mismatch;
  if (!ad.user_present()) return WebauthnError::user_not_present;
  if (response.require_user_verification && !ad.user_verified()) return WebauthnError::user_verification_required;
  if (!ad.attested) return WebauthnError::attested_data_missing;
  auto key = CoseKey::parse(ad.attested->public_key);
  if (!key) return key.error();
  return NewCredential{
      .credential_id = ad.attested->credential_id,
      .public_key = ad.attested->public_key,
      .alg = key->alg(),
      .sign_count = ad.sign_count,
      .user_verified = ad.user_verified(),
      .backup_eligible = ad.backup_eligible(),
      .backed_up = ad.backed_up(),
      .aaguid = ad.attested->aaguid,
      .attestation_format = object->fmt,
  };
}

}  // namespace cloakroom::webauthn
