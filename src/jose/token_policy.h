#pragma once
// What a verified token must say about itself, built once from config and
// shared read-only. exp is always required (there is no switch to relax it).
//
//   TokenPolicy policy{.issuer = cfg.jwt.issuer, .audiences = cfg.jwt.audience, .leeway = 60s};
#include <chrono>
#include <string>
#include <vector>

namespace cloakroom::jose {

struct TokenPolicy {
  std::string issuer;                  // iss must equal this
  std::vector<std::string> audiences;  // aud (string or array) must contain one of these
  std::chrono::seconds leeway{60};     // clock skew allowed on exp, nbf and iat
};

}  // namespace cloakroom::jose
