#pragma once
// Remembers tokens that verified, so a repeat costs a hash lookup instead of
// an ECDSA/EdDSA verify. Bounded; keyed by the whole token (compared in
// full); an entry is never served past its exp. It caches the signature and
// claims checks only: callers check revocation on every hit.
//
//   VerifiedTokenCache<Entry> cache(100'000);        // Entry has `long long expires_at` (seconds)
//   if (auto hit = cache.find(token, now)) use(*hit);
//   else { verify...; cache.insert(token, std::make_shared<const Entry>(...)); }
#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace cloakroom::jose {

template <class Entry>
class VerifiedTokenCache {
 public:
  explicit VerifiedTokenCache(std::size_t capacity) : per_shard_(capacity / kShards > 0 ? capacity / kShards : 1) {}

  std::shared_ptr<const Entry> find(std::string_view token, long long now_seconds) {
    Shard& s = shard_of(token);
    std::lock_guard lock(s.mu);
    auto it = s.entries.find(token);
    if (it == s.entries.end()) return nullptr;
    if (it->second->expires_at <= now_seconds) {  // exp is final; leeway applies only to fresh verification
      s.entries.erase(it);
      return nullptr;
    }
    return it->second;
  }

  void insert(std::string_view token, std::shared_ptr<const Entry> entry) {
    Shard& s = shard_of(token);
    std::lock_guard lock(s.mu);
    // Why: a full shard is emptied rather than grown; a burst of unique tokens
    // costs re-verification, never unbounded memory.
    if (s.entries.size() >= per_shard_) s.entries.clear();
    s.entries.insert_or_assign(std::string(token), std::move(entry));
  }

  // Drops everything (key rotation, retirement).
  void clear() {
    for (Shard& s : shards_) {
      std::lock_guard lock(s.mu);
      s.entries.clear();
    }
  }

  std::size_t size() {
    std::size_t n = 0;
    for (Shard& s : shards_) {
      std::lock_guard lock(s.mu);
      n += s.entries.size();
    }
    return n;
  }

 private:
  static constexpr std::size_t kShards = 16;
  // Transparent hashing: lookups by string_view allocate nothing.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, std::shared_ptr<const Entry>, Hash, std::equal_to<>> entries;
  };
  Shard& shard_of(std::string_view token) { return shards_[Hash{}(token) % kShards]; }

  std::array<Shard, kShards> shards_;
  std::size_t per_shard_;
};

}  // namespace cloakroom::jose
