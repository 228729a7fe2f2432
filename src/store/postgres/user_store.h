#pragma once
// postgres:// users, in table cloakroom_users of a postgres::Database (the
// stores' pool); each change records its change feed entry in the same
// transaction (postgres/change_feed.h), so every node hears of it.
//
//   auto db = postgres::Database::open(url);            // migrates
//   postgres::UserStore users(*db);
//   users.set_disabled(id, true);                        // + user_changed(id), atomically
#include <memory>

#include "store/postgres/database.h"
#include "store/user_store.h"

namespace cloakroom::postgres {

class UserStore final : public cloakroom::UserStore {
 public:
  explicit UserStore(std::shared_ptr<Database> db) : db_(std::move(db)) {}

  Result<void> create(const User& user) override;
  // A multi-row INSERT ... ON CONFLICT (id) DO NOTHING per 500 users.
  Result<std::size_t> create_all(std::span<const User> users) override;
  Result<User> find_by_name(const std::string& username) override;
  Result<User> find_by_id(const std::string& id) override;
  Result<std::vector<User>> list() override;
  Result<void> set_disabled(const std::string& id, bool disabled) override;
  Result<void> set_password_hash(const std::string& id, const std::string& hash) override;
  Result<bool> set_password_hash_if(const std::string& id, const std::string& expected,
                                    const std::string& hash) override;
  Result<void> set_roles(const std::string& id, const std::vector<std::string>& roles) override;
  Result<void> add_password_reset(const PasswordReset& reset) override;
  Result<std::string> use_password_reset(const std::string& token_hash, long long now_ms) override;
  Result<std::vector<std::string>> disabled_ids() override;
  Result<void> add_passkey(const Passkey& passkey) override;
  Result<Passkey> find_passkey(const std::string& credential_id) override;
  Result<std::vector<Passkey>> list_passkeys(const std::string& user_id) override;
  Result<void> delete_passkey(const std::string& user_id, const std::string& credential_id) override;
  Result<void> record_passkey_use(const std::string& credential_id, long long expected_count, long long new_count,
                                  bool backed_up, long long used_at) override;
  Result<void> flag_passkey(const std::string& credential_id) override;
  Result<std::vector<Passkey>> list_all_passkeys() override;
  Result<std::vector<TotpRecord>> list_totp() override;
  Result<TotpState> totp(const std::string& user_id) override;
  Result<void> begin_totp(const std::string& user_id, const std::string& sealed, long long now) override;
  Result<bool> confirm_totp(const std::string& user_id, const std::string& pending, long long step,
                            const std::vector<std::string>& recovery_hashes) override;
  Result<bool> accept_totp_step(const std::string& user_id, long long step) override;
  Result<bool> use_recovery_code(const std::string& user_id, const std::string& code_hash) override;
  Result<bool> replace_recovery_codes(const std::string& user_id,
                                      const std::vector<std::string>& recovery_hashes) override;
  Result<void> clear_totp(const std::string& user_id) override;
  Result<std::vector<SealedTotp>> sealed_totp(const std::string& after, std::size_t limit) override;
  Result<std::size_t> reseal_totp(const std::vector<TotpReseal>& reseals) override;
  // Reachable, and a primary (a standby cannot take a login's writes).
  Result<void> ping() override;

 private:
  // An UPDATE of one user, $1 = value and $2 = id; not_found when no row matched.
  template <class Value>
  Result<void> update(const char* statement, const std::string& id, const Value& value);

  std::shared_ptr<Database> db_;
};

}  // namespace cloakroom::postgres
