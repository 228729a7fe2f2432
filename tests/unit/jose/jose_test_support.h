#pragma once
// Helpers shared by the jose unit tests: JSON building and token surgery.
#include <string>

#include "core/json.h"
#include "jose/base64url.h"
#include "jose/jwk.h"
#include "jose/jws_signer.h"

namespace cloakroom::jose::testing {

inline json::Value parse_json(std::string_view text) {
  auto v = json::parse(text);
  return v ? *v : json::Value{};
}

inline Jwk import(std::string_view jwk_json) { return *Jwk::from_json(parse_json(jwk_json)); }

// A token signed by `key` with a hand-written header and payload (both raw JSON).
inline std::string forge(const Jwk& key, std::string_view header, std::string_view payload) {
  std::string input = base64url_encode(header) + "." + base64url_encode(payload);
  return input + "." + base64url_encode(*key.sign(input));
}

// Claims our policy accepts at t = 1'800'000'000.
inline constexpr long long kNow = 1'800'000'000;
inline std::string good_claims() {
  return R"({"iss":"https://auth.example.com","sub":"u1","aud":"api","exp":1800000600,"iat":1800000000,"nbf":1800000000,"jti":"j1","username":"alice","roles":["admin"]})";
}

}  // namespace cloakroom::jose::testing
