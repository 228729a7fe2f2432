#include "store/memory/challenge_store.h"

namespace cloakroom::memory {

void ChallengeStore::erase_locked(std::unordered_map<std::string, PendingChallenge>::iterator it) {
  auto count = held_by_kind_.find(it->second.kind);
  if (--count->second == 0) held_by_kind_.erase(count);
  held_.erase(it);
}

std::size_t ChallengeStore::purge_locked(long long now_ms) {
  std::size_t purged = 0;
  for (auto it = held_.begin(); it != held_.end();) {
    auto next = std::next(it);
    if (it->second.expires_ms <= now_ms) {
      erase_locked(it);
      ++purged;
    }
    it = next;
  }
  return purged;
}

Result<void> ChallengeStore::put(const PendingChallenge& challenge, long long now_ms) {
  std::lock_guard lock(mutex_);
  auto held_of_kind = [&] {
    auto count = held_by_kind_.find(challenge.kind);
    return count == held_by_kind_.end() ? std::size_t{0} : count->second;
  };
  if (held_of_kind() >= max_per_kind_) purge_locked(now_ms);
  if (held_of_kind() >= max_per_kind_) return challenges_full();
  PendingChallenge kept = challenge;
  kept.attempts = 0;
  if (!held_.emplace(challenge.id_hash, std::move(kept)).second)
    return Error{ErrorCode::internal, "challenge id collision"};
  ++held_by_kind_[challenge.kind];
  return {};
}

Result<std::optional<PendingChallenge>> ChallengeStore::attempt(const std::string& id_hash, std::string_view kind,
                                                                long long now_ms, int max_attempts) {
  std::lock_guard lock(mutex_);
  auto it = held_.find(id_hash);
  if (it == held_.end() || it->second.kind != kind) return std::optional<PendingChallenge>{};
  if (it->second.expires_ms <= now_ms || it->second.attempts >= max_attempts) {
    erase_locked(it);
    return std::optional<PendingChallenge>{};
  }
  ++it->second.attempts;
  return std::optional<PendingChallenge>{it->second};
}

Result<bool> ChallengeStore::consume(const std::string& id_hash) {
  std::lock_guard lock(mutex_);
  auto it = held_.find(id_hash);
  if (it == held_.end()) return false;
  erase_locked(it);
  return true;
}

Result<std::size_t> ChallengeStore::purge_expired(long long now_ms) {
  std::lock_guard lock(mutex_);
  return purge_locked(now_ms);
}

}  // namespace cloakroom::memory
