#pragma once
// memory:// users: a map behind a mutex. For tests and throwaway servers;
// everything is gone when the process exits.
#include <memory>
#include <mutex>
#include <unordered_map>

#include "store/memory/change_feed.h"
#include "store/user_store.h"

namespace cloakroom::memory {

class UserStore final : public cloakroom::UserStore {
 public:
  // Changes are recorded in `feed` (a private one when none is shared).
  explicit UserStore(std::shared_ptr<ChangeFeed> feed = std::make_shared<ChangeFeed>()) : feed_(std::move(feed)) {}
  Result<void> create(const User& user) override;
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
  Result<void> ping() override { return {}; }

 private:
  template <class F>
  Result<void> update(const std::string& id, F&& change);

  std::shared_ptr<ChangeFeed> feed_;
  std::mutex mu_;
  std::unordered_map<std::string, User> by_id_;
  std::unordered_map<std::string, std::string> id_by_key_;  // username_key -> id
  std::unordered_map<std::string, Passkey> passkeys_;        // credential id -> passkey
  struct Totp {
    TotpState state;  // recovery_codes_left unused: counted from `recovery`
    std::unordered_map<std::string, bool> recovery;  // code hash -> used
    // Every earlier code gone, these all unused.
    void set_recovery(const std::vector<std::string>& hashes) {
      recovery.clear();
      for (const auto& h : hashes) recovery.emplace(h, false);
    }
  };
  std::unordered_map<std::string, Totp> totp_;  // by user id
  struct Reset {
    std::string user_id;
    long long expires_ms = 0;
    bool used = false;
  };
  std::unordered_map<std::string, Reset> resets_;  // token hash -> reset
};

}  // namespace cloakroom::memory
