#include "jose/jws_signer.h"

#include "core/json.h"
#include "jose/base64url.h"

namespace cloakroom::jose {

Result<std::string, JoseError> sign_jwt(const Jwk& key, std::string_view claims_json, std::string_view typ) {
  json::Writer header;
  header.begin_object();
  header.key("alg"); header.string(alg_name(key.alg()));
  header.key("kid"); header.string(key.kid());
  header.key("typ"); header.string(typ);
  header.end_object();
  std::string token = base64url_encode(header.str()) + "." + base64url_encode(claims_json);
  auto signature = key.sign(token);
  if (!signature) return signature.error();
  token += '.';
  token += base64url_encode(*signature);
  return token;
}

}  // namespace cloakroom::jose
