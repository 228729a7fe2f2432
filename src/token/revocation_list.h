#pragma once
// The in-process revocation state of access tokens: the denylist (by jti,
// and by refresh family for every token a family issued) and per-user
// epochs. Loaded at start, updated on every revoke; what the request path
// consults, so a revoked JWT fails at once without a store round trip.
//
//   RevocationList list;
//   list.load(*store.load_denylist(now), *store.load_epochs());
//   list.add({Revocation::Kind::token, jti, exp_ms});      // after the store has it
//   list.raise_epoch(user_id, 3);                          // tokens with epoch < 3 fail
//   if (list.revoked(jti, sid, sub, token_epoch)) -> 401
//
// version() changes on every addition, so a cache of tokens already found
// clean can skip the lookups until something new is revoked.
#include <atomic>
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/token_store.h"

namespace cloakroom {

class RevocationList {
 public:
  void load(const std::vector<Revocation>& denylist, const std::vector<std::pair<std::string, long long>>& epochs);
  void add(const Revocation& revocation);
  // Keeps the higher of the known and the given epoch.
  void raise_epoch(const std::string& user_id, long long epoch);

  long long epoch(std::string_view user_id) const;
  // true when the token's jti or family is denied, or it was issued in an
  // epoch before the user's current one. Empty jti/sid match nothing.
  bool revoked(std::string_view jti, std::string_view sid, std::string_view subject, long long token_epoch) const;

  // Starts at 1; every add() or raise_epoch() increases it (acquire/release).
  std::uint64_t version() const { return version_.load(std::memory_order_acquire); }
  // Drops entries whose deadline passed (their tokens have expired anyway).
  std::size_t purge(long long now_ms);
  std::size_t denied() const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  using Map = std::unordered_map<std::string, long long, Hash, std::equal_to<>>;
  Map& map_of(Revocation::Kind k) { return k == Revocation::Kind::token ? tokens_ : families_; }
  void add_locked(const Revocation& r);

  mutable std::shared_mutex mu_;
  Map tokens_;    // jti -> until_ms
  Map families_;  // family id (sid) -> until_ms
  Map epochs_;    // user id -> epoch
  std::atomic<std::uint64_t> version_{1};
};

}  // namespace cloakroom
