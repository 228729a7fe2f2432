#pragma once
// Remembers tokens that verified, so a repeat costs a hash lookup instead of
// an ECDSA/EdDSA verify. Bounded; keyed by the whole token (compared in
// full); an entry is never served past its exp. It caches the signature and
// claims checks only: callers check revocation on every hit.
//
//   VerifiedTokenCache cache(100'000);
//   if (auto hit = cache.find(token, now)) use(*hit);
//   else { verify...; cache.insert(token, claims); }
#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "jose/jws_verifier.h"

namespace cloakroom::jose {

class VerifiedTokenCache {
 public:
  explicit VerifiedTokenCache(std::size_t capacity);

  std::shared_ptr<const VerifiedClaims> find(std::string_view token, long long now_seconds);
  void insert(std::string_view token, std::shared_ptr<const VerifiedClaims> claims);
  // Drops everything (key rotation, retirement).
  void clear();
  std::size_t size();

 private:
  static constexpr std::size_t kShards = 16;
  // Transparent hashing: lookups by string_view allocate nothing.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, std::shared_ptr<const VerifiedClaims>, Hash, std::equal_to<>> entries;
  };
  Shard& shard_of(std::size_t hash) { return shards_[hash % kShards]; }
  std::array<Shard, kShards> shards_;
  std::size_t per_shard_;
};

}  // namespace cloakroom::jose
