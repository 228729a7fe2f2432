#pragma once
// sqlite:// challenges (table `challenges`): every process on the file sees
// them, so a flow's second request may reach another process. At most
// `max_per_kind` rows of each kind (store/challenge_store.h), checked by the
// insert itself against a per-kind counter (table `challenge_counts`) that
// triggers keep in the statements that insert and delete challenges.
#include <memory>

#include "store/challenge_store.h"
#include "store/sqlite/database.h"

namespace cloakroom::sqlite {

class ChallengeStore final : public cloakroom::ChallengeStore {
 public:
  explicit ChallengeStore(std::shared_ptr<Database> db, std::size_t max_per_kind = kMaxPendingChallenges)
      : db_(std::move(db)), max_per_kind_(max_per_kind) {}

  Result<void> put(const PendingChallenge& challenge, long long now_ms) override;
  Result<std::optional<PendingChallenge>> attempt(const std::string& id_hash, std::string_view kind, long long now_ms,
                                                  int max_attempts) override;
  Result<bool> consume(const std::string& id_hash) override;
  Result<std::size_t> purge_expired(long long now_ms) override;

 private:
  std::shared_ptr<Database> db_;
  const std::size_t max_per_kind_;
};

}  // namespace cloakroom::sqlite
