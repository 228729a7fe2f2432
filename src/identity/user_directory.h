#pragma once
// An in-process view of users for the request path: a bounded cache of
// slots, one per user id, each holding the current Principal, and the
// complete set of disabled user ids. Sessions keep their user's slot, so a
// change to the user (roles, disabled) reaches every session of that user
// at once; access tokens need no slot, only the disabled set.
//
//   UserDirectory dir(users);
//   dir.load();                                          // startup: the disabled ids, not every user
//   auto slot = dir.slot("u123");                        // loads on first use; not_found if none
//   std::shared_ptr<const Principal> p = (*slot)->load();
//   dir.refresh("u123");                                 // the change feed said the user changed
//   if (dir.is_disabled(sub)) ...                        // memory only, for access tokens
//
// Why a cache and a set: a users table in PostgreSQL may hold millions of
// rows, far more than a process should copy; disabled users are few, and
// an access token is accepted without a store lookup (only in-memory
// revocation state), so their ids are the part that must be complete.
// Slots beyond the bound are dropped only when nothing else holds them (a
// cached session keeps its user's slot, and must keep receiving refreshes).
#include <atomic>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "core/result.h"
#include "identity/principal.h"
#include "store/user_store.h"

namespace cloakroom {

struct UserSlot {
  explicit UserSlot(std::shared_ptr<const Principal> p) : current(std::move(p)) {}
  std::shared_ptr<const Principal> load() const { return current.load(std::memory_order_acquire); }
  std::atomic<std::shared_ptr<const Principal>> current;
};

std::shared_ptr<const Principal> make_principal(const User& user);

class UserDirectory {
 public:
  static constexpr std::size_t kDefaultCapacity = 100'000;
  explicit UserDirectory(UserStore& users, std::size_t capacity = kDefaultCapacity)
      : users_(users), capacity_(capacity), sweep_at_(capacity) {}

  // The disabled ids (startup): one query, not the users table.
  Result<void> load();
  // Starts over from the store (the change feed could not be replayed):
  // the disabled ids replaced, every cached slot dropped. Call it after the
  // session cache was emptied, so no cached session keeps an old slot.
  Result<void> reload();
  // The slot for `user_id`; not_found when the user does not exist.
  Result<std::shared_ptr<UserSlot>> slot(const std::string& user_id);
  // Re-reads the user (cached or not); a deleted user becomes a disabled
  // principal. Fails (store_unavailable) without changing anything when the
  // store cannot be read, so the caller can retry instead of skipping the change.
  Result<void> refresh(const std::string& user_id);
  // The user's slot, installing a principal built from `user` (which the
  // caller just read) only when there is none yet. An existing slot is kept
  // current by refresh() (the change feed); the caller's read may predate a
  // change refresh() already applied (a login racing `user disable`), and
  // must not undo it.
  std::shared_ptr<UserSlot> adopt(const User& user);
  // In memory only (never the store): true when `user_id` is disabled or
  // was deleted. For access tokens, which are otherwise accepted on their
  // own merits: a disabled user's tokens fail at once.
  bool is_disabled(std::string_view user_id) const;
  std::size_t cached() const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  // Installs a principal built from `user`, replacing the current one.
  void put(const User& user);
  void set_disabled(const std::string& user_id, bool disabled);
  // Drops slots nobody else holds once the cache has grown past its bound;
  // amortised: the next pass waits until it has doubled again. Holds mu_.
  void sweep_locked();

  UserStore& users_;
  const std::size_t capacity_;
  std::size_t sweep_at_;
  mutable std::shared_mutex mu_;  // readers on the request path share it
  std::unordered_map<std::string, std::shared_ptr<UserSlot>, Hash, std::equal_to<>> slots_;
  std::unordered_set<std::string, Hash, std::equal_to<>> disabled_;
};

}  // namespace cloakroom
