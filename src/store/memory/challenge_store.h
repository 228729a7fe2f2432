#pragma once
// Challenges in this process (memory:// sessions; tests). Gone at exit.
//
//   memory::ChallengeStore challenges;           // at most 100,000 of each kind
//   challenges.put({hash, "login", payload, now + 300'000}, now);
//
// Memory is bounded (store/challenge_store.h): when `max_per_kind` of a
// kind are held, expired ones are dropped; if none of that kind has
// expired, put() is refused (overloaded: 503), never an unbounded map.
#include <mutex>
#include <unordered_map>

#include "store/challenge_store.h"

namespace cloakroom::memory {

class ChallengeStore final : public cloakroom::ChallengeStore {
 public:
  explicit ChallengeStore(std::size_t max_per_kind = kMaxPendingChallenges) : max_per_kind_(max_per_kind) {}

  Result<void> put(const PendingChallenge& challenge, long long now_ms) override;
  Result<std::optional<PendingChallenge>> attempt(const std::string& id_hash, std::string_view kind, long long now_ms,
                                                  int max_attempts) override;
  Result<bool> consume(const std::string& id_hash) override;
  Result<std::size_t> purge_expired(long long now_ms) override;

 private:
  std::size_t purge_locked(long long now_ms);
  void erase_locked(std::unordered_map<std::string, PendingChallenge>::iterator it);
  const std::size_t max_per_kind_;
  std::mutex mutex_;
  std::unordered_map<std::string, PendingChallenge> held_;
  std::unordered_map<std::string, std::size_t> held_by_kind_;  // the bound's count, without a scan
};

}  // namespace cloakroom::memory
