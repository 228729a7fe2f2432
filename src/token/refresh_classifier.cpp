#include "token/refresh_classifier.h"

namespace cloakroom {
namespace {

RefreshVerdict invalid(std::string_view why) { return {RefreshVerdict::Outcome::invalid, why}; }

}  // namespace

RefreshVerdict classify_refresh(const RefreshTokenView& token, const RefreshFamilyRecord& family, long long now_ms,
                                long long grace_ms) {
  if (family.expires_ms <= now_ms) return {RefreshVerdict::Outcome::expired, "family_expired"};
  if (token.generation == family.generation) {
    if (!refresh_secret_matches(token.secret, family.current_hash)) return invalid("secret_mismatch");
    return {RefreshVerdict::Outcome::current, {}, next_refresh_secret(family.chain_key, token.secret)};
  }
  if (token.generation > family.generation) return invalid("generation_ahead");
  if (family.generation - token.generation > kMaxChainWalk) return invalid("chain_too_long");

  // An earlier token. Walk it forward to the current generation: only a
  // genuine ancestor lands on the stored hash.
  RefreshSecret walked = token.secret;
  for (long long g = token.generation; g < family.generation; ++g) walked = next_refresh_secret(family.chain_key, walked);
  if (!refresh_secret_matches(walked, family.current_hash)) return invalid("not_an_ancestor");
  const bool repeat = token.generation + 1 == family.generation && now_ms - family.rotated_ms <= grace_ms;
  if (!repeat) return {RefreshVerdict::Outcome::reuse, "spent_token"};
  return {RefreshVerdict::Outcome::repeat, {}, walked};
}

}  // namespace cloakroom
