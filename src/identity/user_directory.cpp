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

std::shared_ptr<UserSlot> UserDirectory::put(const User& user) {
  auto principal = make_principal(user);
  std::lock_guard lock(mu_);
  auto& slot = slots_[user.id];
  if (slot) slot->current.store(std::move(principal), std::memory_order_release);
  else slot = std::make_shared<UserSlot>(std::move(principal));
  return slot;
}

std::shared_ptr<UserSlot> UserDirectory::adopt(const User& user) {
  {
    std::shared_lock lock(mu_);
    if (auto it = slots_.find(user.id); it != slots_.end()) return it->second;
  }
  auto principal = make_principal(user);
  std::lock_guard lock(mu_);
  auto& slot = slots_[user.id];
  if (!slot) slot = std::make_shared<UserSlot>(std::move(principal));
  return slot;
}

bool UserDirectory::is_disabled(std::string_view user_id) {
  std::shared_lock lock(mu_);
  auto it = slots_.find(user_id);
  return it != slots_.end() && it->second->load()->disabled;
}

Result<void> UserDirectory::preload() {
  auto all = users_.list();
  if (!all) return all.error();
  for (const auto& u : *all) put(u);
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
  if (auto it = slots_.find(user_id); it != slots_.end()) {
    auto gone = std::make_shared<Principal>(*it->second->load());
    gone->disabled = true;
    it->second->current.store(std::move(gone));
  }
  return {};
}

}  // namespace cloakroom
