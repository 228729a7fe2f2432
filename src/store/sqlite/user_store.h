#pragma once
// sqlite:// users, in the `users` table of a shared sqlite::Database.
#include <memory>

#include "store/sqlite/database.h"
#include "store/user_store.h"

namespace cloakroom::sqlite {

class UserStore final : public cloakroom::UserStore {
 public:
  explicit UserStore(std::shared_ptr<Database> db) : db_(std::move(db)) {}

  Result<void> create(const User& user) override;
  Result<User> find_by_name(const std::string& username) override;
  Result<User> find_by_id(const std::string& id) override;
  Result<std::vector<User>> list() override;
  Result<void> set_disabled(const std::string& id, bool disabled) override;
  Result<void> set_password_hash(const std::string& id, const std::string& hash) override;
  Result<void> set_roles(const std::string& id, const std::vector<std::string>& roles) override;
  Result<void> add_password_reset(const PasswordReset& reset) override;
  Result<std::string> use_password_reset(const std::string& token_hash, long long now_ms) override;
  Result<std::vector<std::string>> disabled_ids() override;
  Result<void> ping() override;

 private:
  // An UPDATE of one user, ?1 = value and ?2 = id; not_found when no row matched.
  template <class Value>
  Result<void> update(const char* statement, const std::string& id, const Value& value);

  std::shared_ptr<Database> db_;
};

}  // namespace cloakroom::sqlite
