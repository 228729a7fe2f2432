#include "jose/jws_verifier.h"

#include <cmath>

namespace cloakroom::jose {
namespace {

// Why: a date claim is a JSON number of seconds; we accept 0 .. year 9999 and
// refuse fractions and exponents' absurd values instead of overflowing.
constexpr long long kMaxDate = 253402300799;

Result<std::optional<long long>, JoseError> date_claim(const json::Value* v) {
  if (!v) return std::optional<long long>{};
  if (v->type != json::Type::number) return JoseError::claim_invalid;
  if (auto exact = v->as_int64()) {
    if (*exact < 0 || *exact > kMaxDate) return JoseError::claim_invalid;
    return std::optional<long long>{*exact};
  }
  double d = std::strtod(v->text.c_str(), nullptr);  // NumericDate may have a fraction (RFC 7519 §2)
  if (!std::isfinite(d) || d < 0 || d > static_cast<double>(kMaxDate)) return JoseError::claim_invalid;
  return std::optional<long long>{static_cast<long long>(std::floor(d))};
}

}  // namespace

Result<VerifiedClaims, JoseError> verify_jws(const ParsedJws& jws, const KeySet& keys, const TokenPolicy& policy,
                                             long long now) {
  // With several keys the kid is required and must match exactly; with one,
  // a missing kid means that key (a present kid must still match).
  const Jwk* key = nullptr;
  if (jws.has_kid) key = keys.find(jws.kid);
  else if (keys.keys().size() == 1) key = &keys.keys().front();
  else return JoseError::kid_missing;
  if (!key) return JoseError::kid_unknown;
  if (key->alg() != jws.alg) return JoseError::alg_mismatch;
  if (auto sig = key->verify(jws.signing_input, jws.signature); !sig) return sig.error();

  // One pass over the claims, then the checks in their order.
  const json::Value *exp_v = nullptr, *nbf_v = nullptr, *iat_v = nullptr, *iss = nullptr, *aud = nullptr,
                    *sub = nullptr, *jti = nullptr, *name = nullptr, *roles = nullptr, *sid = nullptr,
                    *epoch = nullptr;
  for (const auto& [n, v] : jws.claims.members) {
    if (n.size() == 3) {
      if (n == "exp") exp_v = &v;
      else if (n == "nbf") nbf_v = &v;
      else if (n == "iat") iat_v = &v;
      else if (n == "iss") iss = &v;
      else if (n == "aud") aud = &v;
      else if (n == "sub") sub = &v;
      else if (n == "jti") jti = &v;
      else if (n == "sid") sid = &v;
    } else if (n == "username") {
      name = &v;
    } else if (n == "roles") {
      roles = &v;
    } else if (n == "epoch") {
      epoch = &v;
    }
  }
  VerifiedClaims out;
  out.kid = key->kid();
  auto exp = date_claim(exp_v);
  if (!exp) return exp.error();
  if (!*exp) return JoseError::exp_missing;
  auto nbf = date_claim(nbf_v);
  if (!nbf) return nbf.error();
  auto iat = date_claim(iat_v);
  if (!iat) return iat.error();
  const long long leeway = policy.leeway.count();
  if (**exp + leeway <= now) return JoseError::expired;
  if (*nbf && **nbf > now + leeway) return JoseError::not_yet_valid;
  if (*iat && **iat > now + leeway) return JoseError::issued_in_future;
  out.expires_at = **exp;
  out.issued_at = iat->value_or(0);

  if (!iss || !iss->is_string() || iss->text != policy.issuer) return JoseError::issuer_mismatch;
  out.issuer = iss->text;

  if (!aud) return JoseError::audience_mismatch;
  if (aud->is_string()) out.audience.push_back(aud->text);
  else if (aud->type == json::Type::array) {
    for (const auto& a : aud->items) {
      if (!a.is_string()) return JoseError::claim_invalid;
      out.audience.push_back(a.text);
    }
  } else {
    return JoseError::claim_invalid;
  }
  bool ours = false;
  for (const auto& a : out.audience)
    for (const auto& p : policy.audiences) ours = ours || a == p;
  if (!ours) return JoseError::audience_mismatch;

  if (!sub || !sub->is_string() || sub->text.empty()) return JoseError::subject_missing;
  out.subject = sub->text;

  if (jti) {
    if (!jti->is_string()) return JoseError::claim_invalid;
    out.jwt_id = jti->text;
  }
  if (sid) {
    if (!sid->is_string()) return JoseError::claim_invalid;
    out.session_id = sid->text;
  }
  if (epoch) {
    auto e = epoch->type == json::Type::number ? epoch->as_int64() : std::nullopt;
    if (!e || *e < 0) return JoseError::claim_invalid;
    out.epoch = *e;
  }
  if (name) {
    if (!name->is_string()) return JoseError::claim_invalid;
    out.username = name->text;
  }
  if (roles) {
    if (roles->type != json::Type::array) return JoseError::claim_invalid;
    for (const auto& r : roles->items) {
      if (!r.is_string()) return JoseError::claim_invalid;
      out.roles.push_back(r.text);
    }
  }
  return out;
}

}  // namespace cloakroom::jose
