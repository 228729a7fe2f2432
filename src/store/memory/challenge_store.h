#pragma once
// Challenges in this process (memory:// sessions; tests). Gone at exit.
//
//   memory::ChallengeStore challenges;           // at most 100,000 held
//   challenges.put({hash, "login", payload, now + 300'000}, now);
//
// Memory is bounded (store/challenge_store.h): when `max_held` are held,
// expired ones are dropped; if none has expired, put() is refused
// (overloaded: 503), never an unbounded map.
#include <mutex>
#include <unordered_map>

#include "store/challenge_store.h"

namespace cloakroom::memory {

class ChallengeStore final : public cloakroom::ChallengeStore {
 public:
  explicit ChallengeStore(std::size_t max_held = kMaxPendingChallenges) : max_held_(max_held) {}

  Result<void> put(const PendingChallenge& challenge, long long now_ms) override;
  Result<std::optional<PendingChallenge>> attempt(const std::string& id_hash, std::string_view kind, long long now_ms,
                                                  int max_attempts) override;
  Result<bool> consume(const std::string& id_hash) override;
  Result<std::size_t> purge_expired(long long now_ms) override;

 private:
  std::size_t purge_locked(long long now_ms);
  const std::size_t max_held_;
  std::mutex mutex_;
  std::unordered_map<std::string, PendingChallenge> held_;
};

}  // namespace cloakroom::memory
