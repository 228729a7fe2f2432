#include "store/memory/token_store.h"

#include <algorithm>

namespace cloakroom::memory {

Result<void> TokenStore::create_family(const RefreshFamilyRecord& family) {
  std::lock_guard lock(mu_);
  if (!families_.emplace(family.id, family).second) return Error{ErrorCode::internal, "refresh family id collision"};
  return {};
}

Result<RefreshFamilyRecord> TokenStore::find_family(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = families_.find(id);
  if (it == families_.end()) return ErrorCode::not_found;
  return it->second;
}

Result<FamilyAndEpoch> TokenStore::find_family_and_epoch(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = families_.find(id);
  if (it == families_.end()) return ErrorCode::not_found;
  auto e = epochs_.find(it->second.user_id);
  return FamilyAndEpoch{it->second, e == epochs_.end() ? 0 : e->second};
}

Result<bool> TokenStore::rotate_family(const std::string& id, long long from_generation, const std::string& next_hash,
                                       long long now_ms, long long expires_ms) {
  std::lock_guard lock(mu_);
  auto it = families_.find(id);
  if (it == families_.end() || it->second.generation != from_generation) return false;
  RefreshFamilyRecord& f = it->second;
  f.generation = from_generation + 1;
  f.current_hash = next_hash;
  f.rotated_ms = now_ms;
  f.expires_ms = expires_ms;
  return true;
}

std::vector<RefreshFamilyRecord> TokenStore::live_families(const std::string* user_id, long long now_ms) {
  std::lock_guard lock(mu_);
  std::vector<RefreshFamilyRecord> out;
  for (const auto& [id, f] : families_)
    if ((!user_id || f.user_id == *user_id) && f.expires_ms > now_ms) out.push_back(f);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.created_ms < b.created_ms; });
  return out;
}

Result<std::vector<RefreshFamilyRecord>> TokenStore::list_user_families(const std::string& user_id, long long now_ms) {
  return live_families(&user_id, now_ms);
}

Result<std::vector<RefreshFamilyRecord>> TokenStore::list_active_families(long long now_ms) {
  return live_families(nullptr, now_ms);
}

void TokenStore::deny_locked(const Revocation& r) {
  long long& until = denylist_[{r.kind, r.id}];
  until = std::max(until, r.until_ms);
  (void)feed_->append(Change{
      r.kind == Revocation::Kind::token ? Change::Kind::token_denied : Change::Kind::family_revoked, r.id, r.until_ms});
}

Result<bool> TokenStore::revoke_family(const std::string& id, long long until_ms) {
  std::lock_guard lock(mu_);
  bool existed = families_.erase(id) > 0;
  deny_locked(Revocation{Revocation::Kind::family, id, until_ms});
  return existed;
}

Result<bool> TokenStore::revoke_family(const std::string& id, const std::string& user_id, long long now_ms,
                                       long long until_ms) {
  std::lock_guard lock(mu_);
  auto it = families_.find(id);
  if (it == families_.end() || it->second.user_id != user_id || it->second.expires_ms <= now_ms) return false;
  families_.erase(it);
  deny_locked(Revocation{Revocation::Kind::family, id, until_ms});
  return true;
}

Result<EndedFamilies> TokenStore::end_user_families(const std::string& user_id, const std::string& keep) {
  std::lock_guard lock(mu_);
  EndedFamilies ended{raise_epoch_locked(user_id), {}};
  std::erase_if(families_, [&](const auto& kv) {
    if (kv.second.user_id != user_id || kv.first == keep) return false;
    ended.ids.push_back(kv.first);
    return true;
  });
  return ended;
}

Result<void> TokenStore::deny(const Revocation& revocation) {
  std::lock_guard lock(mu_);
  deny_locked(revocation);
  return {};
}

Result<std::vector<Revocation>> TokenStore::load_denylist(long long now_ms) {
  std::lock_guard lock(mu_);
  std::vector<Revocation> out;
  for (const auto& [key, until] : denylist_)
    if (until > now_ms) out.push_back(Revocation{key.first, key.second, until});
  return out;
}

long long TokenStore::raise_epoch_locked(const std::string& user_id) {
  long long epoch = ++epochs_[user_id];
  (void)feed_->append(Change{Change::Kind::epoch_raised, user_id, epoch});
  return epoch;
}

Result<long long> TokenStore::bump_epoch(const std::string& user_id) {
  std::lock_guard lock(mu_);
  return raise_epoch_locked(user_id);
}

Result<long long> TokenStore::epoch(const std::string& user_id) {
  std::lock_guard lock(mu_);
  auto it = epochs_.find(user_id);
  return it == epochs_.end() ? 0 : it->second;
}

Result<std::vector<std::pair<std::string, long long>>> TokenStore::load_epochs() {
  std::lock_guard lock(mu_);
  return std::vector<std::pair<std::string, long long>>(epochs_.begin(), epochs_.end());
}

Result<std::size_t> TokenStore::purge_expired(long long now_ms) {
  std::lock_guard lock(mu_);
  std::size_t n = std::erase_if(families_, [&](const auto& kv) { return kv.second.expires_ms <= now_ms; });
  n += std::erase_if(denylist_, [&](const auto& kv) { return kv.second <= now_ms; });
  return n;
}

}  // namespace cloakroom::memory
