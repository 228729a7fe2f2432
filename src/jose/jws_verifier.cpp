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

// Key lookup. With several keys the kid is required and must match exactly;
// with one, a missing kid means that key (a present kid must still match).
// Does not look at the algorithm.
Result<const Jwk*, JoseError> find_key(const ParsedJws& jws, const KeySet& keys) {
  const Jwk* key = nullptr;
  if (jws.has_kid) key = keys.find(jws.kid);
  else if (keys.keys().size() == 1) key = &keys.keys().front();
  else return JoseError::kid_missing;
  if (!key) return JoseError::kid_unknown;
  return key;
}

// The claims the checks read, found in one pass over the payload's members
// (no repeated lookups on the hot path); nullptr when absent.
struct ClaimRefs {
  const json::Value *exp = nullptr, *nbf = nullptr, *iat = nullptr, *iss = nullptr, *aud = nullptr, *sub = nullptr,
                    *jti = nullptr, *username = nullptr, *roles = nullptr, *sid = nullptr, *epoch = nullptr,
                    *amr = nullptr, *auth_time = nullptr;
};

ClaimRefs find_claims(const json::Value& claims) {
  ClaimRefs c;
  for (const auto& [n, v] : claims.members) {
    if (n.size() == 3) {
      if (n == "exp") c.exp = &v;
      else if (n == "nbf") c.nbf = &v;
      else if (n == "iat") c.iat = &v;
      else if (n == "iss") c.iss = &v;
      else if (n == "aud") c.aud = &v;
      else if (n == "sub") c.sub = &v;
      else if (n == "jti") c.jti = &v;
      else if (n == "sid") c.sid = &v;
      else if (n == "amr") c.amr = &v;
    } else if (n == "username") {
      c.username = &v;
    } else if (n == "roles") {
      c.roles = &v;
    } else if (n == "epoch") {
      c.epoch = &v;
    } else if (n == "auth_time") {
      c.auth_time = &v;
    }
  }
  return c;
}

// Time claims: exp is required; exp, nbf and iat must be well-formed dates
// (all three are read before any is compared), then expiry, nbf and iat are
// checked against `now` with the leeway, in that order.
Result<void, JoseError> check_times(const ClaimRefs& c, long long leeway, long long now, VerifiedClaims& out) {
  auto exp = date_claim(c.exp);
  if (!exp) return exp.error();
  if (!*exp) return JoseError::exp_missing;
  auto nbf = date_claim(c.nbf);
  if (!nbf) return nbf.error();
  auto iat = date_claim(c.iat);
  if (!iat) return iat.error();
  if (**exp + leeway <= now) return JoseError::expired;
  if (*nbf && **nbf > now + leeway) return JoseError::not_yet_valid;
  if (*iat && **iat > now + leeway) return JoseError::issued_in_future;
  out.expires_at = **exp;
  out.issued_at = iat->value_or(0);
  return {};
}

// iss must be a string equal to ours.
Result<void, JoseError> check_issuer(const json::Value* iss, const TokenPolicy& policy, VerifiedClaims& out) {
  if (!iss || !iss->is_string() || iss->text != policy.issuer) return JoseError::issuer_mismatch;
  out.issuer = iss->text;
  return {};
}

// aud is required, a string or an array of strings, and must name one of ours.
Result<void, JoseError> check_audience(const json::Value* aud, const TokenPolicy& policy, VerifiedClaims& out) {
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
  return {};
}

// sub is required: a non-empty string.
Result<void, JoseError> check_subject(const json::Value* sub, VerifiedClaims& out) {
  if (!sub || !sub->is_string() || sub->text.empty()) return JoseError::subject_missing;
  out.subject = sub->text;
  return {};
}

// The optional claims: absent is fine, present with the wrong type is not.
Result<void, JoseError> read_optional_claims(const ClaimRefs& c, VerifiedClaims& out) {
  if (c.jti) {
    if (!c.jti->is_string()) return JoseError::claim_invalid;
    out.jwt_id = c.jti->text;
  }
  if (c.sid) {
    if (!c.sid->is_string()) return JoseError::claim_invalid;
    out.session_id = c.sid->text;
  }
  if (c.epoch) {
    auto e = c.epoch->type == json::Type::number ? c.epoch->as_int64() : std::nullopt;
    if (!e || *e < 0) return JoseError::claim_invalid;
    out.epoch = *e;
  }
  if (c.username) {
    if (!c.username->is_string()) return JoseError::claim_invalid;
    out.username = c.username->text;
  }
  if (c.roles) {
    if (c.roles->type != json::Type::array) return JoseError::claim_invalid;
    for (const auto& r : c.roles->items) {
      if (!r.is_string()) return JoseError::claim_invalid;
      out.roles.push_back(r.text);
    }
  }
  if (c.amr) {
    if (c.amr->type != json::Type::array) return JoseError::claim_invalid;
    for (const auto& m : c.amr->items) {
      if (!m.is_string()) return JoseError::claim_invalid;
      out.amr.push_back(m.text);
    }
  }
  if (c.auth_time) {
    auto t = date_claim(c.auth_time);
    if (!t) return t.error();
    out.auth_time = t->value_or(0);
  }
  return {};
}

}  // namespace

// The steps in the order of jws_verifier.h: no claim is trusted before the
// signature, and each step returns the first reason it finds.
Result<VerifiedClaims, JoseError> verify_jws(const ParsedJws& jws, const KeySet& keys, const TokenPolicy& policy,
                                             long long now) {
  auto key = find_key(jws, keys);
  if (!key) return key.error();
  const Jwk& k = **key;
  // The key's pinned algorithm decides, never the header (no HS/RS confusion).
  if (k.alg() != jws.alg) return JoseError::alg_mismatch;
  if (auto sig = k.verify(jws.signing_input, jws.signature); !sig) return sig.error();

  const ClaimRefs claims = find_claims(jws.claims);
  VerifiedClaims out;
  out.kid = k.kid();
  if (auto r = check_times(claims, policy.leeway.count(), now, out); !r) return r.error();
  if (auto r = check_issuer(claims.iss, policy, out); !r) return r.error();
  if (auto r = check_audience(claims.aud, policy, out); !r) return r.error();
  if (auto r = check_subject(claims.sub, out); !r) return r.error();
  if (auto r = read_optional_claims(claims, out); !r) return r.error();
  return out;
}

}  // namespace cloakroom::jose
