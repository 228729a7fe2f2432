#pragma once
// GET /.well-known/jwks.json: our public verification keys (never private
// members, never symmetric keys), cacheable for five minutes.
#include "http/router.h"
#include "token/access_tokens.h"

namespace cloakroom::api {

class JwksApi {
 public:
  explicit JwksApi(AccessTokens& tokens) : tokens_(tokens) {}
  http::Task jwks(http::Request& req);

 private:
  AccessTokens& tokens_;
};

}  // namespace cloakroom::api
