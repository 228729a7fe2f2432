#pragma once
// Signs a JWT: header {"alg","kid","typ"} and the given claims, compact form.
//
//   json::Writer claims; claims.begin_object(); ... claims.end_object();
//   auto token = sign_jwt(keys.active(), claims.str(), "at+jwt");
#include <string>
#include <string_view>

#include "jose/jwk.h"

namespace cloakroom::jose {

// `claims_json` must be a JSON object (the caller builds it with json::Writer).
Result<std::string, JoseError> sign_jwt(const Jwk& key, std::string_view claims_json, std::string_view typ = "at+jwt");

}  // namespace cloakroom::jose
