#pragma once
// An in-process view of users for the request path: one slot per user id,
// holding the current Principal. Sessions keep the slot, so a change to the
// user (roles, disabled) reaches every session of that user at once.
//
//   UserDirectory dir(users);
//   auto slot = dir.slot("u123");                        // loads on first use; not_found if none
//   std::shared_ptr<const Principal> p = (*slot)->load();
//   dir.refresh("u123");                                 // after the user changed
#include <atomic>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

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
  explicit UserDirectory(UserStore& users) : users_(users) {}

  // Loads every user once (startup), so filling the session cache costs one query.
  Result<void> preload();
  // The slot for `user_id`; not_found when the user does not exist.
  Result<std::shared_ptr<UserSlot>> slot(const std::string& user_id);
  // Re-reads the user; a deleted user becomes a disabled principal. Fails
  // (store_unavailable) without changing anything when the store cannot be
  // read, so the caller can retry instead of skipping the change.
  Result<void> refresh(const std::string& user_id);
  // The user's slot, installing a principal built from `user` (which the
  // caller just read) only when there is none yet. An existing slot is kept
  // current by refresh() (the change feed); the caller's read may predate a
  // change refresh() already applied (a login racing `user disable`), and
  // must not undo it.
  std::shared_ptr<UserSlot> adopt(const User& user);
  // In memory only (never the store): true when `user_id` is a known user
  // who is disabled. For access tokens, which are otherwise accepted on their
  // own merits: a disabled user's tokens fail at once.
  bool is_disabled(std::string_view user_id);

 private:
  // Installs a principal built from `user`, replacing the current one.
  std::shared_ptr<UserSlot> put(const User& user);

  UserStore& users_;
  std::shared_mutex mu_;  // readers on the request path share it
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::shared_ptr<UserSlot>, Hash, std::equal_to<>> slots_;
};

}  // namespace cloakroom
