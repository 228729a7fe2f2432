#include "store/memory/challenge_store.h"

namespace cloakroom::memory {

std::size_t ChallengeStore::purge_locked(long long now_ms) {
  return std::erase_if(held_, [now_ms](const auto& entry) { return entry.second.expires_ms <= now_ms; });
}

Result<void> ChallengeStore::put(const PendingChallenge& challenge, long long now_ms) {
  std::lock_guard lock(mutex_);
  if (held_.size() >= max_held_) purge_locked(now_ms);
  if (held_.size() >= max_held_)
    return challenges_full();
  PendingChallenge kept = challenge;
  kept.attempts = 0;
  if (!held_.emplace(challenge.id_hash, std::move(kept)).second)
    return Error{ErrorCode::internal, "challenge id collision"};
  return {};
}

Result<std::optional<PendingChallenge>> ChallengeStore::attempt(const std::string& id_hash, std::string_view kind,
                                                                long long now_ms, int max_attempts) {
  std::lock_guard lock(mutex_);
  auto it = held_.find(id_hash);
  if (it == held_.end() || it->second.kind != kind) return std::optional<PendingChallenge>{};
  if (it->second.expires_ms <= now_ms || it->second.attempts >= max_attempts) {
    held_.erase(it);
    return std::optional<PendingChallenge>{};
  }
  ++it->second.attempts;
  return std::optional<PendingChallenge>{it->second};
}

Result<bool> ChallengeStore::consume(const std::string& id_hash) {
  std::lock_guard lock(mutex_);
  return held_.erase(id_hash) > 0;
}

Result<std::size_t> ChallengeStore::purge_expired(long long now_ms) {
  std::lock_guard lock(mutex_);
  return purge_locked(now_ms);
}

}  // namespace cloakroom::memory
