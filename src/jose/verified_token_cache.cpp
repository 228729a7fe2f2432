#include "jose/verified_token_cache.h"

namespace cloakroom::jose {

VerifiedTokenCache::VerifiedTokenCache(std::size_t capacity) : per_shard_(std::max<std::size_t>(1, capacity / kShards)) {}

std::shared_ptr<const VerifiedClaims> VerifiedTokenCache::find(std::string_view token, long long now) {
  std::size_t h = std::hash<std::string_view>{}(token);
  Shard& s = shard_of(h);
  std::lock_guard lock(s.mu);
  auto it = s.entries.find(token);
  if (it == s.entries.end()) return nullptr;
  if (it->second->expires_at <= now) {  // exp is final; leeway applies only to fresh verification
    s.entries.erase(it);
    return nullptr;
  }
  return it->second;
}

void VerifiedTokenCache::insert(std::string_view token, std::shared_ptr<const VerifiedClaims> claims) {
  std::size_t h = std::hash<std::string_view>{}(token);
  Shard& s = shard_of(h);
  std::lock_guard lock(s.mu);
  // Why: a full shard is emptied rather than grown; a burst of unique tokens
  // costs re-verification, never unbounded memory.
  if (s.entries.size() >= per_shard_) s.entries.clear();
  s.entries.insert_or_assign(std::string(token), std::move(claims));
}

void VerifiedTokenCache::clear() {
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    s.entries.clear();
  }
}

std::size_t VerifiedTokenCache::size() {
  std::size_t n = 0;
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.entries.size();
  }
  return n;
}

}  // namespace cloakroom::jose
