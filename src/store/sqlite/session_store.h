#pragma once
// sqlite:// sessions (table `sessions`); removals record their change feed entry.
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
  Result<std::vector<SessionRecord>> load_active(long long now_ms, const IdleBounds& idle) override;
  Result<std::vector<SessionRecord>> list_user(const std::string& user_id) override;
  Result<void> touch(const std::vector<SessionTouch>& touches) override;
  Result<bool> remove(const std::string& id) override;
  Result<bool> remove(const std::string& id, const std::string& user_id) override;
  Result<std::vector<std::string>> remove_user(const std::string& user_id, const std::string& keep = {}) override;
  Result<std::size_t> purge_expired(long long now_ms, const IdleBounds& idle) override;

 private:
  Result<bool> remove_where(const char* statement, const std::string& id, const std::string* user_id);
  std::shared_ptr<Database> db_;
};

}  // namespace cloakroom::sqlite
