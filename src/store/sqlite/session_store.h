#pragma once
// sqlite:// sessions (table `sessions`) and events (table `events`).
#include <atomic>
#include <memory>
#include <string>

#include "store/session_store.h"
#include "store/sqlite/database.h"

namespace cloakroom::sqlite {

class SessionStore final : public cloakroom::SessionStore {
 public:
  explicit SessionStore(std::shared_ptr<Database> db) : db_(std::move(db)) {}

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
  std::shared_ptr<Database> db_;
};

class EventLog final : public cloakroom::EventLog {
 public:
  explicit EventLog(std::shared_ptr<Database> db) : db_(std::move(db)) {}

  Result<void> append(StoreEvent::Kind kind, const std::string& subject, long long now_ms) override;
  Result<std::vector<StoreEvent>> since(long long after) override;
  Result<long long> last_seq() override;
  Result<void> prune(long long before_ms) override;
  // PRAGMA data_version: it moves only when another connection (the CLI,
  // another server) committed, and reading it touches no table.
  Result<bool> changed() override;

 private:
  std::shared_ptr<Database> db_;
  std::atomic<long long> seen_version_{-1};
};

}  // namespace cloakroom::sqlite
