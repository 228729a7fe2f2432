#include "jose/jose_error.h"

namespace cloakroom::jose {

std::string_view reason_name(JoseError e) {
  switch (e) {
#define R(x) case JoseError::x: return #x;
    R(too_large) R(malformed) R(jwe_not_supported) R(not_canonical) R(header_invalid) R(payload_invalid)
    R(duplicate_member) R(too_deep) R(alg_none) R(alg_unsupported) R(alg_mismatch) R(crit_unsupported)
    R(unencoded_payload) R(embedded_key) R(typ_invalid) R(kid_missing) R(kid_unknown) R(signature_malformed)
    R(signature_invalid) R(exp_missing) R(claim_invalid) R(expired) R(not_yet_valid) R(issued_in_future)
    R(issuer_mismatch) R(audience_mismatch) R(subject_missing) R(revoked) R(key_invalid) R(key_not_private) R(internal)
#undef R
  }
  return "unknown";
}

}  // namespace cloakroom::jose
