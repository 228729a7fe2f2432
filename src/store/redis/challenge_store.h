#pragma once
// redis:// challenges (key layout in store/redis/layout.h): one hash per
// challenge, {kind, payload, expires, attempts}, with a TTL to its expiry
// (plus slack), so every node on the Redis sees it and Redis forgets it.
// Counting an attempt is one script, so racing nodes never exceed the bound.
//
//   redis::ChallengeStore challenges(client, redis::Keys{"cloakroom:"});
//   challenges.put({hash, "login", payload, now + 300'000}, now);
//
// Not followed by WAIT: a challenge lost in a failover only makes its user
// start the flow again; one used and then revived by a failover still
// needs the same right code or signature a second time.
#include <memory>

#include "store/challenge_store.h"
#include "store/redis/layout.h"

namespace cloakroom::redis {

class ChallengeStore final : public cloakroom::ChallengeStore {
 public:
  // At most `max_per_kind` of each kind outstanding (store/challenge_store.h),
  // counted in the kind's `challenges:<kind>` set.
  ChallengeStore(std::shared_ptr<Client> client, Keys keys, std::size_t max_per_kind = kMaxPendingChallenges);

  Result<void> put(const PendingChallenge& challenge, long long now_ms) override;
  Result<std::optional<PendingChallenge>> attempt(const std::string& id_hash, std::string_view kind, long long now_ms,
                                                  int max_attempts) override;
  Result<bool> consume(const std::string& id_hash) override;
  // Nothing to do: each challenge's TTL removes it (put() trims the count).
  Result<std::size_t> purge_expired(long long now_ms) override;

 private:
  std::shared_ptr<Client> client_;
  Keys keys_;
  std::size_t max_per_kind_;
  Script put_, attempt_, consume_;
};

}  // namespace cloakroom::redis
