#include "webauthn/assertion.h"

#include <span>

#include "webauthn/authenticator_data.h"
#include "webauthn/client_data.h"
#include "webauthn/cose_key.h"

namespace cloakroom::webauthn {

Result<AssertionResult, WebauthnError> verify_assertion(const AssertionResponse& response, const RelyingParty& rp,
                                                        const StoredCredential& stored) {
  if (response.client_data_json.size() > kMaxClientData ||
      response.authenticator_data.size() > kMaxAuthenticatorData || response.signature.size() > kMaxSignature ||
      response.user_handle.size() > kMaxUserHandle || response.credential_id.size() > kMaxCredentialId)
    return WebauthnError::too_large;
  // The caller looked the credential up by this id; a mismatch is a caller bug or a swap.
  if (response.credential_id != stored.credential_id) return WebauthnError::credential_id_invalid;
  // §7.2 step 6: a userHandle, when sent, must be the credential's owner.
  if (!response.user_handle.empty() && !constant_time_equal(response.user_handle, stored.user_handle))
    return WebauthnError::user_handle_mismatch;
  if (auto ok = check_client_data(response.client_data_json, Ceremony::get, response.expected_challenge, rp); !ok)
    return ok.error();
  auto ad = parse_authenticator_data(response.authenticator_data);
  if (!ad) return ad.error();
  if (!constant_time_equal(ad->rp_id_hash, rp.id_hash)) return WebauthnError::rp_id_mismatch;
  if (!ad->user_present()) return WebauthnError::user_not_present;
  if (response.require_user_verification && !ad->user_verified()) return WebauthnError::user_verification_required;
  // An assertion carries no new credential.
  if (ad->attested) return WebauthnError::auth_data_malformed;

  auto key = CoseKey::parse(stored.public_key);
  if (!key) return key.error();
  const Sha256 client_hash = sha256(response.client_data_json);
  std::string signed_bytes(response.authenticator_data);
  signed_bytes.append(reinterpret_cast<const char*>(client_hash.data()), client_hash.size());
  if (auto ok = key->verify(signed_bytes, response.signature); !ok) return ok.error();

  // §7.2 step 21: counters that do not move are 0 on both sides (many passkeys never count).
  if ((ad->sign_count != 0 || stored.sign_count != 0) && ad->sign_count <= stored.sign_count)
    return WebauthnError::sign_count_regressed;
  return AssertionResult{ad->sign_count, ad->user_verified(), ad->backup_eligible(), ad->backed_up()};
}

}  // namespace cloakroom::webauthn
