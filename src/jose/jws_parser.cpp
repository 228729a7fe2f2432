#include "jose/jws_parser.h"

#include "core/ascii.h"
#include "jose/base64url.h"

namespace cloakroom::jose {
namespace {

Result<json::Value, JoseError> parse_object(std::string_view text, JoseError not_object) {
  json::Failure why = json::Failure::none;
  auto v = json::parse(text, {.max_bytes = kMaxTokenBytes, .max_depth = 8}, &why);
  if (!v) {
    if (why == json::Failure::duplicate_member) return JoseError::duplicate_member;
    if (why == json::Failure::too_deep) return JoseError::too_deep;
    return not_object;
  }
  if (!v->is_object()) return not_object;
  return std::move(*v);
}

}  // namespace

std::optional<std::string> decode_segment(std::string_view segment) { return base64url_decode(segment); }

Result<ParsedJws, JoseError> parse_jws(std::string_view token) {
  if (token.size() > kMaxTokenBytes) return JoseError::too_large;
  std::size_t dots = 0;
  for (char c : token) dots += c == '.';
  if (dots == 4) return JoseError::jwe_not_supported;
  if (dots != 2) return JoseError::malformed;
  std::size_t d1 = token.find('.');
  std::size_t d2 = token.find('.', d1 + 1);
  std::string_view h64 = token.substr(0, d1), p64 = token.substr(d1 + 1, d2 - d1 - 1), s64 = token.substr(d2 + 1);
  if (h64.empty() || p64.empty() || s64.empty()) return JoseError::malformed;
  // The decoded JSON texts are needed only while parsing: reuse per-thread buffers.
  thread_local std::string header_text, payload_text;
  ParsedJws out;
  if (!base64url_decode_into(h64, header_text) || !base64url_decode_into(p64, payload_text) ||
      !base64url_decode_into(s64, out.signature))
    return JoseError::not_canonical;

  out.signing_input = token.substr(0, d2);
  auto header = parse_object(header_text, JoseError::header_invalid);
  if (!header) return header.error();
  out.header = std::move(*header);
  const json::Value& h = out.header;

  // One pass over the header members (no repeated lookups on the hot path).
  const json::Value *alg = nullptr, *typ = nullptr, *kid = nullptr, *b64 = nullptr;
  bool embedded_key = false, crit = false;
  for (const auto& [name, value] : h.members) {
    if (name == "alg") alg = &value;
    else if (name == "kid") kid = &value;
    else if (name == "typ") typ = &value;
    else if (name == "b64") b64 = &value;
    else if (name == "crit") crit = true;
    // Keys come from our key set only, never from the token itself (RFC 8725 §3.10).
    else if (name == "jwk" || name == "jku" || name == "x5u" || name == "x5c" || name == "x5t" || name == "x5t#S256")
      embedded_key = true;
  }
  if (!alg || !alg->is_string()) return JoseError::header_invalid;
  if (iequals_ascii(alg->text, "none")) return JoseError::alg_none;
  auto a = alg_from_name(alg->text);
  if (!a) return JoseError::alg_unsupported;
  out.alg = *a;
  if (embedded_key) return JoseError::embedded_key;
  if (b64) {
    if (b64->type == json::Type::boolean && !b64->boolean) return JoseError::unencoded_payload;
    return JoseError::header_invalid;
  }
  // We implement no extension, so any crit is one we do not understand (RFC 7515 §4.1.11).
  if (crit) return JoseError::crit_unsupported;
  if (typ) {
    if (!typ->is_string()) return JoseError::typ_invalid;
    std::string_view t = typ->text;
    if (!iequals_ascii(t, "JWT") && !iequals_ascii(t, "at+jwt") && !iequals_ascii(t, "application/at+jwt"))
      return JoseError::typ_invalid;
  }
  if (kid) {
    if (!kid->is_string()) return JoseError::header_invalid;
    out.kid = kid->text;
    out.has_kid = true;
  }
  auto claims = parse_object(payload_text, JoseError::payload_invalid);
  if (!claims) return claims.error();
  out.claims = std::move(*claims);
  return out;
}

}  // namespace cloakroom::jose
