#pragma once
// A UserStore that forwards every call to another one; tests derive from it
// and override the one call they want to fail or change.
//
//   struct Failing : testing::UserStoreDecorator {
//     using UserStoreDecorator::UserStoreDecorator;
//     Result<User> find_by_id(const std::string&) override { return ErrorCode::store_unavailable; }
//   };
//   SwitchableUserStore users(memory_users);   // ready-made: forwards until
//   users.failure = ErrorCode::not_found;      // find_by_id is told to fail
#include <optional>

#include "store/user_store.h"

namespace cloakroom::testing {

class UserStoreDecorator : public UserStore {
 public:
  explicit UserStoreDecorator(UserStore& inner) : inner_(inner) {}
  Result<void> create(const User& user) override { return inner_.create(user); }
  Result<User> find_by_name(const std::string& username) override { return inner_.find_by_name(username); }
  Result<User> find_by_id(const std::string& id) override { return inner_.find_by_id(id); }
  Result<std::vector<User>> list() override { return inner_.list(); }
  Result<void> set_disabled(const std::string& id, bool disabled) override { return inner_.set_disabled(id, disabled); }
  Result<void> set_password_hash(const std::string& id, const std::string& hash) override {
    return inner_.set_password_hash(id, hash);
  }
  Result<void> set_roles(const std::string& id, const std::vector<std::string>& roles) override {
    return inner_.set_roles(id, roles);
  }
  Result<void> ping() override { return inner_.ping(); }

 protected:
  UserStore& inner_;
};

// The inner store, until told otherwise: then find_by_id answers `failure`
// (not_found plays a deleted user, store_unavailable an outage) and counts
// its calls.
class SwitchableUserStore : public UserStoreDecorator {
 public:
  using UserStoreDecorator::UserStoreDecorator;
  Result<User> find_by_id(const std::string& id) override {
    ++find_calls;
    if (failure) return Error{*failure};
    return inner_.find_by_id(id);
  }
  std::optional<ErrorCode> failure;
  int find_calls = 0;
};

}  // namespace cloakroom::testing
