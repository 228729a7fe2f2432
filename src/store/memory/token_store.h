#pragma once
// memory:// token state: maps behind a mutex; gone at exit.
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "store/memory/change_feed.h"
#include "store/token_store.h"

namespace cloakroom::memory {

class TokenStore final : public cloakroom::TokenStore {
 public:
  // Changes are recorded in `feed` (a private one when none is shared).
  explicit TokenStore(std::shared_ptr<ChangeFeed> feed = std::make_shared<ChangeFeed>()) : feed_(std::move(feed)) {}
  Result<void> create_family(const RefreshFamilyRecord& family) override;
  Result<RefreshFamilyRecord> find_family(const std::string& id) override;
  Result<FamilyAndEpoch> find_family_and_epoch(const std::string& id) override;
  Result<bool> rotate_family(const std::string& id, long long from_generation, const std::string& next_hash,
                             long long now_ms, long long expires_ms) override;
  Result<std::vector<RefreshFamilyRecord>> list_user_families(const std::string& user_id, long long now_ms) override;
  Result<std::vector<RefreshFamilyRecord>> list_active_families(long long now_ms) override;
  Result<bool> revoke_family(const std::string& id, long long until_ms) override;
  Result<bool> revoke_family(const std::string& id, const std::string& user_id, long long now_ms,
                             long long until_ms) override;
  Result<EndedFamilies> end_user_families(const std::string& user_id, const std::string& keep = {}) override;
  Result<void> deny(const Revocation& revocation) override;
  Result<std::vector<Revocation>> load_denylist(long long now_ms) override;
  Result<long long> bump_epoch(const std::string& user_id) override;
  Result<long long> epoch(const std::string& user_id) override;
  Result<std::vector<std::pair<std::string, long long>>> load_epochs() override;
  Result<std::size_t> purge_expired(long long now_ms) override;

 private:
  void deny_locked(const Revocation& r);
  long long raise_epoch_locked(const std::string& user_id);
  // Unexpired families, of one user or (nullptr) of all, oldest first.
  std::vector<RefreshFamilyRecord> live_families(const std::string* user_id, long long now_ms);
  std::shared_ptr<ChangeFeed> feed_;
  std::mutex mu_;
  std::unordered_map<std::string, RefreshFamilyRecord> families_;
  std::map<std::pair<Revocation::Kind, std::string>, long long> denylist_;  // -> until_ms
  std::unordered_map<std::string, long long> epochs_;
};

}  // namespace cloakroom::memory
