#include "jose/algorithm.h"

#include "core/unreachable.h"

namespace cloakroom::jose {

std::string_view alg_name(Alg alg) {
  switch (alg) {
    case Alg::HS256: return "HS256";
    case Alg::HS384: return "HS384";
    case Alg::HS512: return "HS512";
    case Alg::RS256: return "RS256";
    case Alg::PS256: return "PS256";
    case Alg::ES256: return "ES256";
    case Alg::EdDSA: return "EdDSA";
  }
  unreachable();
}

std::optional<Alg> alg_from_name(std::string_view name) {
  for (Alg a : {Alg::HS256, Alg::HS384, Alg::HS512, Alg::RS256, Alg::PS256, Alg::ES256, Alg::EdDSA})
    if (alg_name(a) == name) return a;
  return std::nullopt;
}

bool is_hmac(Alg alg) {
  switch (alg) {
    case Alg::HS256:
    case Alg::HS384:
    case Alg::HS512: return true;
    case Alg::RS256:
    case Alg::PS256:
    case Alg::ES256:
    case Alg::EdDSA: return false;
  }
  unreachable();
}

}  // namespace cloakroom::jose
