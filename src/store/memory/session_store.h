#pragma once
// memory:// sessions: a map behind a mutex; gone at exit.
#include <memory>
#include <mutex>
#include <unordered_map>

#include "store/memory/change_feed.h"
#include "store/session_store.h"

namespace cloakroom::memory {

class SessionStore final : public cloakroom::SessionStore {
 public:
  // Changes are recorded in `feed` (a private one when none is shared).
  explicit SessionStore(std::shared_ptr<ChangeFeed> feed = std::make_shared<ChangeFeed>()) : feed_(std::move(feed)) {}
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
  std::shared_ptr<ChangeFeed> feed_;
  std::mutex mu_;
  std::unordered_map<std::string, SessionRecord> by_id_;
};

}  // namespace cloakroom::memory
