#include "identity/user_directory.h"

namespace cloakroom {

std::shared_ptr<const Principal> make_principal(const User& user) {
  auto p = std::make_shared<Principal>();
  p->user_id = user.id;
  p->username = user.username;
  p->roles = user.roles;
  for (const auto& r : user.roles) p->roles_header += (p->roles_header.empty() ? "" : ",") + r;
  p->disabled = user.disabled;
  return p;
}

void UserDirectory::sweep_locked() {
  if (slots_.size() < sweep_at_) return;
  // use_count() == 1: only this map holds it. Nobody can copy it meanwhile: copies are taken under mu_.
  std::erase_if(slots_, [](const auto& kv) { return kv.second.use_count() == 1; });
  sweep_at_ = std::max(capacity_, 2 * slots_.size());
}

void UserDirectory::put(const User& user) {
  auto principal = make_principal(user);
  std::lock_guard lock(mu_);
  sweep_locked();  // first, so the slot installed now is kept until the next pass
  auto& slot = slots_[user.id];
  if (slot) slot->current.store(std::move(principal), std::memory_order_release);
  else slot = std::make_shared<UserSlot>(std::move(principal));
  if (user.disabled) disabled_.insert(user.id);
  else disabled_.erase(user.id);
}

std::shared_ptr<UserSlot> UserDirectory::adopt(const User& user) {
  {
    std::shared_lock lock(mu_);
    if (auto it = slots_.find(user.id); it != slots_.end()) return it->second;
  }
  std::lock_guard lock(mu_);
  sweep_locked();
  auto& slot = slots_[user.id];
  if (slot) return slot;
  // The set is current (refresh() keeps it); the caller's read may not be.
  User as_known = user;
  as_known.disabled = user.disabled || disabled_.contains(user.id);
  slot = std::make_shared<UserSlot>(make_principal(as_known));
  return slot;
}

bool UserDirectory::is_disabled(std::string_view user_id) const {
  std::shared_lock lock(mu_);
  return disabled_.find(user_id) != disabled_.end();
}

std::size_t UserDirectory::cached() const {
  std::shared_lock lock(mu_);
  return slots_.size();
}

Result<void> UserDirectory::load() {
  auto ids = users_.disabled_ids();
  if (!ids) return ids.error();
  std::lock_guard lock(mu_);
  // Merged, not replaced: an id refresh() added meanwhile stays.
  for (auto& id : *ids) disabled_.insert(std::move(id));
  return {};
}

Result<void> UserDirectory::reload() {
  auto ids = users_.disabled_ids();
  if (!ids) return ids.error();
  std::lock_guard lock(mu_);
  disabled_ = {ids->begin(), ids->end()};
  slots_.clear();
  sweep_at_ = capacity_;
  return {};
}

Result<std::shared_ptr<UserSlot>> UserDirectory::slot(const std::string& user_id) {
  {
    std::shared_lock lock(mu_);
    if (auto it = slots_.find(user_id); it != slots_.end()) return it->second;
  }
  auto user = users_.find_by_id(user_id);
  if (!user) return user.error();
  return adopt(*user);
}

Result<void> UserDirectory::refresh(const std::string& user_id) {
  auto user = users_.find_by_id(user_id);
  if (user) {
    put(*user);
    return {};
  }
  if (user.error().code != ErrorCode::not_found) return user.error();
  std::lock_guard lock(mu_);
  disabled_.insert(user_id);
  if (auto it = slots_.find(user_id); it != slots_.end()) {
    auto gone = std::make_shared<Principal>(*it->second->load());
    gone->disabled = true;
    it->second->current.store(std::move(gone));
  }
  return {};
}

}  // namespace cloakroom
