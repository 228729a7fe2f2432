#pragma once
// What a presented refresh token is to its family, decided without I/O: no
// clock, no store, no metrics. TokenService::refresh reads the family, asks
// this, then acts (rotate, answer a repeat, revoke, refuse).
//
//   RefreshVerdict v = classify_refresh(*parse_refresh_token(text), family, now_ms, grace_ms);
//   switch (v.outcome) {
//     case RefreshVerdict::Outcome::current: /* CAS to v.secret's hash, hand out v.secret */ break;
//     case RefreshVerdict::Outcome::repeat:  /* hand out v.secret again (bounded) */ break;
//     case RefreshVerdict::Outcome::reuse:   /* revoke the family; v.reason for the log */ break;
//     case RefreshVerdict::Outcome::expired:
//     case RefreshVerdict::Outcome::invalid: /* refuse; the family is untouched */ break;
//   }
//
// It does not look at the user (gone, disabled) nor count repeats: those
// need the directory and memory, so refresh() does them.
#include <string_view>

#include "store/token_store.h"
#include "token/refresh_token.h"

namespace cloakroom {

// Why: the chain walk that recognises an old token costs one HMAC per
// rotation since it; past this many (months of 15-minute refreshes) the
// token is refused as invalid without the walk.
inline constexpr long long kMaxChainWalk = 10'000;

struct RefreshVerdict {
  enum class Outcome {
    current,  // the family's current token: rotate
    repeat,   // the previous token within the grace window: answer with the current secret again
    reuse,    // a genuine older token, already exchanged: the family must end (RFC 9700 §4.14)
    expired,  // the family outlived jwt.refresh_ttl since its last rotation
    invalid,  // not a token of this family (forged, or a generation it never had or we will not walk)
  };
  Outcome outcome;
  // Why, for logs and Error::reason (static storage): "spent_token",
  // "family_expired", "secret_mismatch", "not_an_ancestor",
  // "generation_ahead", "chain_too_long"; empty for current and repeat.
  std::string_view reason;
  // The secret to hand out: generation+1's for current (its hash is what
  // the rotation stores), the family's current one for a repeat. Zero otherwise.
  RefreshSecret secret{};
};

// `token` is judged against `family` (same id: the caller looked it up by
// it) at `now_ms`. A repeat is the previous generation presented at most
// `grace_ms` after the family's last rotation (the boundary itself counts).
// A wrong secret is invalid at every generation, never reuse: only a
// genuine ancestor walks forward onto the stored hash, so a guess can never
// end someone else's login.
RefreshVerdict classify_refresh(const RefreshTokenView& token, const RefreshFamilyRecord& family, long long now_ms,
                                long long grace_ms);

}  // namespace cloakroom
