#pragma once
// The JWS algorithms cloakroom implements (RFC 7518, RFC 8037). There is no
// "none": it cannot be named, so no code path can select it.
#include <optional>
#include <string_view>

namespace cloakroom::jose {

enum class Alg { HS256, HS384, HS512, RS256, PS256, ES256, EdDSA };

std::string_view alg_name(Alg alg);
// Exact, case-sensitive match of a registered name we implement.
std::optional<Alg> alg_from_name(std::string_view name);
bool is_hmac(Alg alg);

}  // namespace cloakroom::jose
