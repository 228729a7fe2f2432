#pragma once
// redis:// token state (key layout in store/redis/layout.h): a hash per
// refresh family with the user's index and a global one by expiry, the
// denylist as one sorted set by deadline, and the epochs as one hash.
//
//   redis::TokenStore tokens(client, redis::Keys{"cloakroom:"});
//   tokens.rotate_family(id, gen, hash, now, until);  // one script: compare the generation, then swap
//   tokens.revoke_family(id, until);                  // one script: delete, deny, XADD family_revoked
//   tokens.end_user_families(user);                   // one script: epoch + 1, XADD epoch_raised, delete all
#include <memory>

#include "store/redis/layout.h"
#include "store/token_store.h"

namespace cloakroom::redis {

class TokenStore final : public cloakroom::TokenStore {
 public:
  // `wait`: the WAIT after each revoking script (none when null).
  TokenStore(std::shared_ptr<Client> client, Keys keys, std::shared_ptr<ReplicaWait> wait = nullptr);

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
  Result<bool> revoke(const std::string& id, const std::string* user_id, long long now_ms, long long until_ms);
  // The families still stored under `ids` that have not expired at `now_ms`, in that order.
  Result<std::vector<RefreshFamilyRecord>> read_live(const std::vector<std::string>& ids, long long now_ms);

  const ScriptRunner run_;
  Script create_, rotate_, revoke_, find_with_epoch_, end_user_, deny_, bump_epoch_, purge_;
};

}  // namespace cloakroom::redis
