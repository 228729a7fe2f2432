#pragma once
// Step two of two: verify a ParsedJws against our keys, a policy and `now`.
//
//   auto claims = verify_jws(*parsed, keys, policy, now_seconds);
//   if (!claims) -> 401, log reason_name(claims.error())
//
// Order (cheap first, signature before trusting any claim):
// kid → key (pinned alg must equal the header's) → signature → exp (required)
// → nbf → iat → iss → aud → sub → optional claims' types.
// NOT checked here: revocation (denylist, epochs): callers do that next.
#include <string>
#include <vector>

#include "jose/jws_parser.h"
#include "jose/key_set.h"
#include "jose/token_policy.h"

namespace cloakroom::jose {

struct VerifiedClaims {
  std::string subject;
  std::string issuer;
  std::vector<std::string> audience;
  long long expires_at = 0;     // seconds
  long long issued_at = 0;      // 0 when absent
  std::string jwt_id;           // empty when absent
  std::string username;         // empty when absent
  std::vector<std::string> roles;
  std::string session_id;       // "sid": the refresh family that issued it; empty when absent
  long long epoch = 0;          // "epoch": the user's epoch at issue (logout-all raises it); 0 when absent
  std::vector<std::string> amr; // "amr" (RFC 8176): how the user signed in; empty when absent
  long long auth_time = 0;      // "auth_time" (OIDC Core), seconds; 0 when absent
  std::string kid;
};

Result<VerifiedClaims, JoseError> verify_jws(const ParsedJws& jws, const KeySet& keys, const TokenPolicy& policy,
                                             long long now_seconds);

}  // namespace cloakroom::jose
