#include "token/revocation_list.h"

#include <algorithm>
#include <mutex>

namespace cloakroom {

void RevocationList::add_locked(const Revocation& r) {
  auto [it, inserted] = map_of(r.kind).try_emplace(r.id, r.until_ms);
  if (!inserted) it->second = std::max(it->second, r.until_ms);
}

void RevocationList::load(const std::vector<Revocation>& denylist,
                          const std::vector<std::pair<std::string, long long>>& epochs) {
  {
    std::unique_lock lock(mu_);
    for (const auto& r : denylist) add_locked(r);
    for (const auto& [user, e] : epochs) {
      long long& known = epochs_[user];
      known = std::max(known, e);
    }
  }
  version_.fetch_add(1, std::memory_order_release);
}

void RevocationList::add(const Revocation& revocation) {
  {
    std::unique_lock lock(mu_);
    add_locked(revocation);
  }
  // After the insert: whoever reads the new version also sees the entry.
  version_.fetch_add(1, std::memory_order_release);
}

void RevocationList::raise_epoch(const std::string& user_id, long long epoch) {
  {
    std::unique_lock lock(mu_);
    long long& known = epochs_[user_id];
    if (epoch <= known) return;
    known = epoch;
  }
  version_.fetch_add(1, std::memory_order_release);
}

long long RevocationList::epoch(std::string_view user_id) const {
  std::shared_lock lock(mu_);
  auto it = epochs_.find(user_id);
  return it == epochs_.end() ? 0 : it->second;
}

bool RevocationList::revoked(std::string_view jti, std::string_view sid, std::string_view subject,
                             long long token_epoch) const {
  std::shared_lock lock(mu_);
  if (!jti.empty() && tokens_.find(jti) != tokens_.end()) return true;
  if (!sid.empty() && families_.find(sid) != families_.end()) return true;
  auto it = epochs_.find(subject);
  return it != epochs_.end() && token_epoch < it->second;
}

std::size_t RevocationList::purge(long long now_ms) {
  std::unique_lock lock(mu_);
  auto expired = [&](const auto& kv) { return kv.second <= now_ms; };
  return std::erase_if(tokens_, expired) + std::erase_if(families_, expired);
}

std::size_t RevocationList::denied() const {
  std::shared_lock lock(mu_);
  return tokens_.size() + families_.size();
}

}  // namespace cloakroom
