#include "store/memory/user_store.h"

#include <algorithm>

namespace cloakroom {

namespace memory {

Result<void> UserStore::create(const User& user) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = id_by_key_.emplace(username_key(user.username), user.id);
  if (!inserted) return ErrorCode::username_taken;
  by_id_.emplace(user.id, user);
  return {};
}

Result<User> UserStore::find_by_name(const std::string& username) {
  std::lock_guard lock(mu_);
  auto it = id_by_key_.find(username_key(username));
  if (it == id_by_key_.end()) return ErrorCode::not_found;
  return by_id_.at(it->second);
}

Result<User> UserStore::find_by_id(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return ErrorCode::not_found;
  return it->second;
}

Result<std::vector<User>> UserStore::list() {
  std::lock_guard lock(mu_);
  std::vector<User> out;
  out.reserve(by_id_.size());
  for (const auto& [id, u] : by_id_) out.push_back(u);
  std::sort(out.begin(), out.end(), [](const User& a, const User& b) {
    return std::tie(a.created_at, a.username) < std::tie(b.created_at, b.username);
  });
  return out;
}

Result<std::vector<std::string>> UserStore::disabled_ids() {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, u] : by_id_)
    if (u.disabled) out.push_back(id);
  return out;
}

Result<void> UserStore::add_password_reset(const PasswordReset& reset) {
  std::lock_guard lock(mu_);
  // Used and long-expired links go with each new one (see kResetKeepMs).
  std::erase_if(resets_, [&](const auto& kv) {
    return kv.second.used || kv.second.expires_ms < reset.expires_ms - kResetKeepMs;
  });
  if (!resets_.emplace(reset.token_hash, Reset{reset.user_id, reset.expires_ms, false}).second) return ErrorCode::conflict;
  return {};
}

Result<std::string> UserStore::use_password_reset(const std::string& token_hash, long long now_ms) {
  std::lock_guard lock(mu_);
  auto it = resets_.find(token_hash);
  if (it == resets_.end() || it->second.used || it->second.expires_ms <= now_ms) return ErrorCode::not_found;
  it->second.used = true;
  return it->second.user_id;
}

template <class F>
Result<void> UserStore::update(const std::string& id, F&& change) {
  std::lock_guard lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return ErrorCode::not_found;
  change(it->second);
  return feed_->append(Change{Change::Kind::user_changed, id});
}

Result<void> UserStore::set_disabled(const std::string& id, bool disabled) {
  return update(id, [&](User& u) { u.disabled = disabled; });
}
Result<void> UserStore::set_password_hash(const std::string& id, const std::string& hash) {
  return update(id, [&](User& u) { u.password_hash = hash; });
}
Result<void> UserStore::set_roles(const std::string& id, const std::vector<std::string>& roles) {
  return update(id, [&](User& u) { u.roles = roles; });
}

}  // namespace memory
}  // namespace cloakroom
