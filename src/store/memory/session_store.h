#pragma once
// memory:// sessions and events: maps behind a mutex; gone at exit.
#include <map>
#include <mutex>
#include <unordered_map>

#include "store/session_store.h"

namespace cloakroom::memory {

class SessionStore final : public cloakroom::SessionStore {
 public:
  Result<void> create(const SessionRecord& record) override;
  Result<SessionRecord> find(const std::string& id) override;
  Result<std::vector<SessionRecord>> load_active(long long now_ms, long long idle_ms) override;
  Result<std::vector<SessionRecord>> list_user(const std::string& user_id) override;
  Result<void> touch(const std::vector<SessionTouch>& touches) override;
  Result<bool> remove(const std::string& id) override;
  Result<bool> remove(const std::string& id, const std::string& user_id) override;
  Result<std::vector<std::string>> remove_user(const std::string& user_id) override;
  Result<std::size_t> purge_expired(long long now_ms, long long idle_ms) override;

 private:
  std::mutex mu_;
  std::unordered_map<std::string, SessionRecord> by_id_;
};

class EventLog final : public cloakroom::EventLog {
 public:
  Result<void> append(StoreEvent::Kind kind, const std::string& subject, long long now_ms) override;
  Result<std::vector<StoreEvent>> since(long long after) override;
  Result<long long> last_seq() override;
  Result<void> prune(long long before_ms) override;

 private:
  std::mutex mu_;
  std::map<long long, std::pair<StoreEvent, long long>> events_;  // seq -> (event, created_ms)
  long long next_ = 1;
};

}  // namespace cloakroom::memory
