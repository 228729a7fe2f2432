#pragma once
// A SessionStore that forwards every call to another one; tests derive from
// it and override the one call they want to slow down, pause or fail.
//
//   struct Failing : testing::SessionStoreDecorator {
//     using SessionStoreDecorator::SessionStoreDecorator;
//     Result<void> create(const SessionRecord&) override { return ErrorCode::store_unavailable; }
//   };
#include "store/session_store.h"

namespace cloakroom::testing {

class SessionStoreDecorator : public SessionStore {
 public:
  explicit SessionStoreDecorator(SessionStore& inner) : inner_(inner) {}
  Result<void> create(const SessionRecord& r) override { return inner_.create(r); }
  Result<SessionRecord> find(const std::string& id) override { return inner_.find(id); }
  Result<std::vector<SessionRecord>> load_active(long long now_ms, long long idle_ms) override {
    return inner_.load_active(now_ms, idle_ms);
  }
  Result<std::vector<SessionRecord>> list_user(const std::string& user_id) override { return inner_.list_user(user_id); }
  Result<void> touch(const std::vector<SessionTouch>& touches) override { return inner_.touch(touches); }
  Result<bool> remove(const std::string& id) override { return inner_.remove(id); }
  Result<bool> remove(const std::string& id, const std::string& user_id) override { return inner_.remove(id, user_id); }
  Result<std::vector<std::string>> remove_user(const std::string& user_id) override {
    return inner_.remove_user(user_id);
  }
  Result<std::size_t> purge_expired(long long now_ms, long long idle_ms) override {
    return inner_.purge_expired(now_ms, idle_ms);
  }

 protected:
  SessionStore& inner_;
};

}  // namespace cloakroom::testing
