#include "api/jwks_routes.h"

namespace cloakroom::api {

http::Task JwksApi::jwks(http::Request&) {
  http::Response r = http::json_response(200, tokens_.keys()->to_jwks(false));
  r.content_type = "application/jwk-set+json";
  // Why 5 minutes: verifiers pick up a rotated key quickly, and a retired key
  // should stay published at least this long after its last token was issued.
  r.headers.emplace_back("Cache-Control", "public, max-age=300");
  co_return r;
}

}  // namespace cloakroom::api
