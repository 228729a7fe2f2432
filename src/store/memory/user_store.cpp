#include "store/memory/user_store.h"

#include "store/totp_refusal.h"

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
Result<bool> UserStore::set_password_hash_if(const std::string& id, const std::string& expected,
                                            const std::string& hash) {
  std::lock_guard lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end() || it->second.password_hash != expected) return false;
  it->second.password_hash = hash;
  if (auto r = feed_->append(Change{Change::Kind::user_changed, id}); !r) return r.error();
  return true;
}
Result<void> UserStore::set_roles(const std::string& id, const std::vector<std::string>& roles) {
  return update(id, [&](User& u) { u.roles = roles; });
}

Result<void> UserStore::add_passkey(const Passkey& passkey) {
  std::lock_guard lock(mu_);
  if (!passkeys_.emplace(passkey.credential_id, passkey).second) return ErrorCode::conflict;
  return {};
}

Result<Passkey> UserStore::find_passkey(const std::string& credential_id) {
  std::lock_guard lock(mu_);
  auto it = passkeys_.find(credential_id);
  if (it == passkeys_.end()) return ErrorCode::not_found;
  return it->second;
}

Result<std::vector<Passkey>> UserStore::list_passkeys(const std::string& user_id) {
  std::lock_guard lock(mu_);
  std::vector<Passkey> out;
  for (const auto& [id, p] : passkeys_)
    if (p.user_id == user_id) out.push_back(p);
  std::sort(out.begin(), out.end(), [](const Passkey& a, const Passkey& b) {
    return std::tie(a.created_at, a.credential_id) < std::tie(b.created_at, b.credential_id);
  });
  return out;
}

Result<void> UserStore::delete_passkey(const std::string& user_id, const std::string& credential_id) {
  std::lock_guard lock(mu_);
  auto it = passkeys_.find(credential_id);
  if (it == passkeys_.end() || it->second.user_id != user_id) return ErrorCode::not_found;
  passkeys_.erase(it);
  return {};
}

Result<void> UserStore::record_passkey_use(const std::string& credential_id, long long expected_count,
                                           long long new_count, bool backed_up, long long used_at) {
  std::lock_guard lock(mu_);
  auto it = passkeys_.find(credential_id);
  if (it == passkeys_.end()) return ErrorCode::not_found;
  if (it->second.sign_count != expected_count) return ErrorCode::conflict;
  it->second.sign_count = new_count;
  it->second.backed_up = backed_up;
  it->second.last_used_at = used_at;
  return {};
}

Result<void> UserStore::flag_passkey(const std::string& credential_id) {
  std::lock_guard lock(mu_);
  auto it = passkeys_.find(credential_id);
  if (it == passkeys_.end()) return ErrorCode::not_found;
  it->second.flagged = true;
  return {};
}
Result<std::vector<TotpRecord>> UserStore::list_totp() {
  std::lock_guard lock(mu_);
  std::vector<TotpRecord> out;
  for (const auto& [user_id, t] : totp_) {
    if (t.state.secret.empty() && t.state.pending.empty()) continue;
    TotpRecord r{user_id, t.state, {}};
    for (const auto& [hash, used] : t.recovery)
      if (!used) r.recovery_hashes.push_back(hash);
    r.state.recovery_codes_left = static_cast<int>(r.recovery_hashes.size());
    out.push_back(std::move(r));
  }
  return out;
}

Result<TotpState> UserStore::totp(const std::string& user_id) {
  std::lock_guard lock(mu_);
  auto it = totp_.find(user_id);
  if (it == totp_.end()) return TotpState{};
  TotpState out = it->second.state;
  out.recovery_codes_left = static_cast<int>(
      std::count_if(it->second.recovery.begin(), it->second.recovery.end(), [](const auto& c) { return !c.second; }));
  return out;
}

Result<void> UserStore::begin_totp(const std::string& user_id, const std::string& sealed, long long now) {
  std::lock_guard lock(mu_);
  if (!by_id_.contains(user_id)) return ErrorCode::not_found;
  TotpState& state = totp_[user_id].state;
  if (!state.secret.empty()) return totp_is_on();
  state.pending = sealed;
  state.pending_created = now;
  return {};
}

Result<bool> UserStore::confirm_totp(const std::string& user_id, const std::string& pending, long long step,
                                     const std::vector<std::string>& recovery_hashes) {
  std::lock_guard lock(mu_);
  auto it = totp_.find(user_id);
  if (it == totp_.end() || pending.empty() || it->second.state.pending != pending) return false;
  Totp& t = it->second;
  t.state.secret = pending;
  t.state.pending.clear();
  t.state.pending_created = 0;
  t.state.last_step = step;
  t.set_recovery(recovery_hashes);
  return true;
}

Result<bool> UserStore::replace_recovery_codes(const std::string& user_id,
                                               const std::vector<std::string>& recovery_hashes) {
  std::lock_guard lock(mu_);
  auto it = totp_.find(user_id);
  if (it == totp_.end() || it->second.state.secret.empty()) return false;
  it->second.set_recovery(recovery_hashes);
  return true;
}

Result<bool> UserStore::accept_totp_step(const std::string& user_id, long long step) {
  std::lock_guard lock(mu_);
  auto it = totp_.find(user_id);
  if (it == totp_.end() || it->second.state.secret.empty() || step <= it->second.state.last_step) return false;
  it->second.state.last_step = step;
  return true;
}

Result<bool> UserStore::use_recovery_code(const std::string& user_id, const std::string& code_hash) {
  std::lock_guard lock(mu_);
  auto it = totp_.find(user_id);
  if (it == totp_.end()) return false;
  auto code = it->second.recovery.find(code_hash);
  if (code == it->second.recovery.end() || code->second) return false;
  code->second = true;
  return true;
}

Result<void> UserStore::clear_totp(const std::string& user_id) {
  std::lock_guard lock(mu_);
  totp_.erase(user_id);
  return {};
}

Result<std::vector<SealedTotp>> UserStore::sealed_totp(const std::string& after, std::size_t limit) {
  std::lock_guard lock(mu_);
  std::vector<SealedTotp> page;
  for (const auto& [id, t] : totp_)
    if (id > after) page.push_back({id, t.state.pending, t.state.secret});
  std::sort(page.begin(), page.end(), [](const SealedTotp& a, const SealedTotp& b) { return a.user_id < b.user_id; });
  if (page.size() > limit) page.resize(limit);
  return page;
}

Result<std::size_t> UserStore::reseal_totp(const std::vector<TotpReseal>& reseals) {
  std::lock_guard lock(mu_);
  std::size_t changed = 0;
  for (const auto& r : reseals) {
    auto it = totp_.find(r.user_id);
    if (it == totp_.end() || r.was.empty()) continue;
    std::string& kept = r.pending ? it->second.state.pending : it->second.state.secret;
    if (kept != r.was) continue;
    kept = r.now;
    ++changed;
  }
  return changed;
}

}  // namespace memory
}  // namespace cloakroom
