#pragma once
// redis:// sessions (key layout in store/redis/layout.h): a hash per
// session, the user's index and two global indexes (by expiry, by last
// seen). Each write is one script; removals record their feed entry in it.
//
//   redis::SessionStore sessions(client, redis::Keys{"cloakroom:"});
//   sessions.create(record);      // hash + indexes, TTL at the expiry (+ slack)
//   sessions.remove(id, user);    // one script: delete + XADD session_revoked
#include <memory>

#include "store/redis/layout.h"
#include "store/session_store.h"

namespace cloakroom::redis {

class SessionStore final : public cloakroom::SessionStore {
 public:
  // `wait`: the WAIT after each revoking script (none when null).
  SessionStore(std::shared_ptr<Client> client, Keys keys, std::shared_ptr<ReplicaWait> wait = nullptr);

  Result<void> create(const SessionRecord& record) override;
  Result<SessionRecord> find(const std::string& id) override;
  Result<std::vector<SessionRecord>> load_active(long long now_ms, const IdleBounds& idle) override;
  Result<std::vector<SessionRecord>> list_user(const std::string& user_id) override;
  Result<void> touch(const std::vector<SessionTouch>& touches) override;
  Result<bool> remove(const std::string& id) override;
  Result<bool> remove(const std::string& id, const std::string& user_id) override;
  Result<std::vector<std::string>> remove_user(const std::string& user_id, const std::string& keep = {}) override;
  Result<std::size_t> purge_expired(long long now_ms, const IdleBounds& idle) override;

 private:
  Result<bool> remove_if(const std::string& id, const std::string* user_id);
  // The sessions still stored under `ids`, in that order.
  Result<std::vector<SessionRecord>> read(const std::vector<std::string>& ids);

  const ScriptRunner run_;
  Script create_, touch_, remove_, remove_user_, purge_;
};

}  // namespace cloakroom::redis
