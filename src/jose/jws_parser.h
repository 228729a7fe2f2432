#pragma once
// Step one of two: parse a JWS compact token (header.payload.signature)
// strictly, without any cryptography.
//
//   auto parsed = parse_jws(token);            // Result<ParsedJws, JoseError>
//   if (!parsed) log(reason_name(parsed.error()));
//   ... then verify_jws(*parsed, keys, policy, now) (jws_verifier.h)
//
// Checked here, cheapest first: size, shape (3 parts; 5 is a JWE), canonical
// base64url, header JSON (object, no duplicates, bounded depth), alg (never
// "none", only what we implement), crit, b64, embedded keys (jwk, jku, x5u,
// x5c, x5t), typ, kid type; payload JSON object.
// NOT checked here: the signature, the kid against a key set, any claim.
#include <string>
#include <string_view>

#include "core/json.h"
#include "core/result.h"
#include "jose/algorithm.h"
#include "jose/jose_error.h"

namespace cloakroom::jose {

// Why 8 KiB: our tokens are well under 1 KiB and SPEC accepts up to 4 KiB;
// anything larger is refused before base64 or JSON work is spent on it.
inline constexpr std::size_t kMaxTokenBytes = 8 * 1024;

struct ParsedJws {
  std::string_view signing_input;  // "header.payload", a view into the token
  Alg alg{};
  std::string kid;                 // empty when absent
  bool has_kid = false;
  json::Value header;
  json::Value claims;
  std::string signature;           // raw bytes
};

Result<ParsedJws, JoseError> parse_jws(std::string_view token);

// Decodes a base64url JSON segment without judging it (for `token inspect`).
std::optional<std::string> decode_segment(std::string_view segment);

}  // namespace cloakroom::jose
