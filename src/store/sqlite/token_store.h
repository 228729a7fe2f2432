#pragma once
// sqlite:// token state (tables refresh_families, denylist, token_epochs).
#include <memory>

#include "store/sqlite/database.h"
#include "store/token_store.h"

namespace cloakroom::sqlite {

class TokenStore final : public cloakroom::TokenStore {
 public:
  explicit TokenStore(std::shared_ptr<Database> db) : db_(std::move(db)) {}

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
  std::shared_ptr<Database> db_;
};

}  // namespace cloakroom::sqlite
