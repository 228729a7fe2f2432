#pragma once
// Forwarding decorators for every store interface, for tests: each forwards
// every call to the store it wraps, unless its switch is on — then the call
// answers store_unavailable the way a backend outage does. A test that needs
// one call paused, counted or failed differently derives and overrides it.
//
//   testing::FailingStores backing;                       // memory stores underneath
//   auto app = api::App::create(cfg, backing.stores());   // hand the decorators over
//   backing.fail(true);                                   // every store call now fails
//   backing.failing.sessions = false;                     // or flip one store alone
//
//   struct Pausing : testing::SessionStoreDecorator {     // one call changed
//     using SessionStoreDecorator::SessionStoreDecorator;
//     Result<void> create(const SessionRecord& r) override { ...; return inner_.create(r); }
//   };
//
// A decorator refers to the store and switch it was given: they must outlive it.
#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <utility>

#include "store/memory/challenge_store.h"
#include "store/memory/change_feed.h"
#include "store/memory/session_store.h"
#include "store/memory/throttle_store.h"
#include "store/memory/token_store.h"
#include "store/memory/user_store.h"
#include "store/store_url.h"

namespace cloakroom::testing {

// What every decorator shares: the wrapped store and the switch.
template <class Store>
class Decorator : public Store {
 public:
  explicit Decorator(Store& inner, const std::atomic<bool>* failing = nullptr) : inner_(inner), failing_(failing) {}

 protected:
  // Runs `call` unless the switch is on.
  template <class Call>
  auto forward(Call call) -> decltype(call()) {
    if (failing_ && failing_->load()) return Error{ErrorCode::store_unavailable, "The test switched this store off."};
    return call();
  }
  Store& inner_;

 private:
  const std::atomic<bool>* failing_;
};

class UserStoreDecorator : public Decorator<UserStore> {
 public:
  using Decorator::Decorator;
  Result<void> create(const User& u) override { return forward([&] { return inner_.create(u); }); }
  Result<User> find_by_name(const std::string& name) override {
    return forward([&] { return inner_.find_by_name(name); });
  }
  Result<User> find_by_id(const std::string& id) override {
    return forward([&] { return inner_.find_by_id(id); });
  }
  Result<std::vector<User>> list() override { return forward([&] { return inner_.list(); }); }
  Result<void> set_disabled(const std::string& id, bool disabled) override {
    return forward([&] { return inner_.set_disabled(id, disabled); });
  }
  Result<void> set_password_hash(const std::string& id, const std::string& hash) override {
    return forward([&] { return inner_.set_password_hash(id, hash); });
  }
  Result<bool> set_password_hash_if(const std::string& id, const std::string& expected,
                                    const std::string& hash) override {
    return forward([&] { return inner_.set_password_hash_if(id, expected, hash); });
  }
  Result<void> set_roles(const std::string& id, const std::vector<std::string>& roles) override {
    return forward([&] { return inner_.set_roles(id, roles); });
  }
  Result<void> add_password_reset(const PasswordReset& r) override {
    return forward([&] { return inner_.add_password_reset(r); });
  }
  Result<std::string> use_password_reset(const std::string& hash, long long now_ms) override {
    return forward([&] { return inner_.use_password_reset(hash, now_ms); });
  }
  Result<std::vector<std::string>> disabled_ids() override { return forward([&] { return inner_.disabled_ids(); }); }
  Result<void> add_passkey(const Passkey& p) override { return forward([&] { return inner_.add_passkey(p); }); }
  Result<Passkey> find_passkey(const std::string& id) override {
    return forward([&] { return inner_.find_passkey(id); });
  }
  Result<std::vector<Passkey>> list_passkeys(const std::string& user_id) override {
    return forward([&] { return inner_.list_passkeys(user_id); });
  }
  Result<std::vector<Passkey>> list_all_passkeys() override { return forward([&] { return inner_.list_all_passkeys(); }); }
  Result<std::vector<TotpRecord>> list_totp() override { return forward([&] { return inner_.list_totp(); }); }
  Result<bool> import_totp(const TotpRecord& r) override { return forward([&] { return inner_.import_totp(r); }); }
  Result<void> delete_passkey(const std::string& user_id, const std::string& id) override {
    return forward([&] { return inner_.delete_passkey(user_id, id); });
  }
  Result<void> record_passkey_use(const std::string& id, long long expected, long long count, bool backed_up,
                                  long long used_at) override {
    return forward([&] { return inner_.record_passkey_use(id, expected, count, backed_up, used_at); });
  }
  Result<void> flag_passkey(const std::string& id) override { return forward([&] { return inner_.flag_passkey(id); }); }
  Result<TotpState> totp(const std::string& id) override { return forward([&] { return inner_.totp(id); }); }
  Result<void> begin_totp(const std::string& id, const std::string& sealed, long long now) override {
    return forward([&] { return inner_.begin_totp(id, sealed, now); });
  }
  Result<bool> confirm_totp(const std::string& id, const std::string& pending, long long step,
                            const std::vector<std::string>& hashes) override {
    return forward([&] { return inner_.confirm_totp(id, pending, step, hashes); });
  }
  Result<bool> accept_totp_step(const std::string& id, long long step) override {
    return forward([&] { return inner_.accept_totp_step(id, step); });
  }
  Result<bool> use_recovery_code(const std::string& id, const std::string& hash) override {
    return forward([&] { return inner_.use_recovery_code(id, hash); });
  }
  Result<bool> replace_recovery_codes(const std::string& id, const std::vector<std::string>& hashes) override {
    return forward([&] { return inner_.replace_recovery_codes(id, hashes); });
  }
  Result<void> clear_totp(const std::string& id) override { return forward([&] { return inner_.clear_totp(id); }); }
  Result<std::vector<SealedTotp>> sealed_totp(const std::string& after, std::size_t limit) override {
    return forward([&] { return inner_.sealed_totp(after, limit); });
  }
  Result<std::size_t> reseal_totp(const std::vector<TotpReseal>& reseals) override {
    return forward([&] { return inner_.reseal_totp(reseals); });
  }
  Result<void> ping() override { return forward([&] { return inner_.ping(); }); }
};

class SessionStoreDecorator : public Decorator<SessionStore> {
 public:
  using Decorator::Decorator;
  Result<void> create(const SessionRecord& r) override {
    return forward([&] { return inner_.create(r); });
  }
  Result<SessionRecord> find(const std::string& id) override {
    return forward([&] { return inner_.find(id); });
  }
  Result<std::vector<SessionRecord>> load_active(long long now_ms, const IdleBounds& idle) override {
    return forward([&] { return inner_.load_active(now_ms, idle); });
  }
  Result<std::vector<SessionRecord>> list_user(const std::string& user_id) override {
    return forward([&] { return inner_.list_user(user_id); });
  }
  Result<void> touch(const std::vector<SessionTouch>& touches) override {
    return forward([&] { return inner_.touch(touches); });
  }
  Result<bool> remove(const std::string& id) override {
    return forward([&] { return inner_.remove(id); });
  }
  Result<bool> remove(const std::string& id, const std::string& user_id) override {
    return forward([&] { return inner_.remove(id, user_id); });
  }
  Result<std::vector<std::string>> remove_user(const std::string& user_id, const std::string& keep = {}) override {
    return forward([&] { return inner_.remove_user(user_id, keep); });
  }
  Result<std::size_t> purge_expired(long long now_ms, const IdleBounds& idle) override {
    return forward([&] { return inner_.purge_expired(now_ms, idle); });
  }
};

class TokenStoreDecorator : public Decorator<TokenStore> {
 public:
  using Decorator::Decorator;
  Result<void> create_family(const RefreshFamilyRecord& f) override {
    return forward([&] { return inner_.create_family(f); });
  }
  Result<RefreshFamilyRecord> find_family(const std::string& id) override {
    return forward([&] { return inner_.find_family(id); });
  }
  Result<FamilyAndEpoch> find_family_and_epoch(const std::string& id) override {
    return forward([&] { return inner_.find_family_and_epoch(id); });
  }
  Result<bool> rotate_family(const std::string& id, long long from_generation, const std::string& next_hash,
                             long long now_ms, long long expires_ms) override {
    return forward([&] { return inner_.rotate_family(id, from_generation, next_hash, now_ms, expires_ms); });
  }
  Result<std::vector<RefreshFamilyRecord>> list_user_families(const std::string& user_id, long long now_ms) override {
    return forward([&] { return inner_.list_user_families(user_id, now_ms); });
  }
  Result<std::vector<RefreshFamilyRecord>> list_active_families(long long now_ms) override {
    return forward([&] { return inner_.list_active_families(now_ms); });
  }
  Result<bool> revoke_family(const std::string& id, long long until_ms) override {
    return forward([&] { return inner_.revoke_family(id, until_ms); });
  }
  Result<bool> revoke_family(const std::string& id, const std::string& user_id, long long now_ms,
                             long long until_ms) override {
    return forward([&] { return inner_.revoke_family(id, user_id, now_ms, until_ms); });
  }
  Result<EndedFamilies> end_user_families(const std::string& user_id, const std::string& keep = {}) override {
    return forward([&] { return inner_.end_user_families(user_id, keep); });
  }
  Result<void> deny(const Revocation& r) override { return forward([&] { return inner_.deny(r); }); }
  Result<std::vector<Revocation>> load_denylist(long long now_ms) override {
    return forward([&] { return inner_.load_denylist(now_ms); });
  }
  Result<long long> bump_epoch(const std::string& user_id) override {
    return forward([&] { return inner_.bump_epoch(user_id); });
  }
  Result<long long> epoch(const std::string& user_id) override {
    return forward([&] { return inner_.epoch(user_id); });
  }
  Result<std::vector<std::pair<std::string, long long>>> load_epochs() override {
    return forward([&] { return inner_.load_epochs(); });
  }
  Result<std::size_t> purge_expired(long long now_ms) override {
    return forward([&] { return inner_.purge_expired(now_ms); });
  }
};

class ChangeFeedDecorator : public Decorator<ChangeFeed> {
 public:
  using Decorator::Decorator;
  Result<void> append(const Change& change) override { return forward([&] { return inner_.append(change); }); }
  Result<std::vector<FeedEntry>> read(long long position, std::size_t max) override {
    return forward([&] { return inner_.read(position, max); });
  }
  Result<FeedBounds> bounds() override { return forward([&] { return inner_.bounds(); }); }
  Result<bool> changed() override { return forward([&] { return inner_.changed(); }); }
  Result<void> prune(long long before_ms) override { return forward([&] { return inner_.prune(before_ms); }); }
  const std::string& name() const override { return inner_.name(); }
};

class NodeRegistryDecorator : public Decorator<NodeRegistry> {
 public:
  using Decorator::Decorator;
  Result<void> beat(const NodeRecord& node) override { return forward([&] { return inner_.beat(node); }); }
  Result<void> leave(const std::string& id) override { return forward([&] { return inner_.leave(id); }); }
  Result<std::vector<NodeRecord>> list() override { return forward([&] { return inner_.list(); }); }
  Result<void> prune(long long before_ms) override { return forward([&] { return inner_.prune(before_ms); }); }
};

class ThrottleStoreDecorator : public Decorator<ThrottleStore> {
 public:
  using Decorator::Decorator;
  Result<std::optional<long long>> take(const std::vector<Bucket>& buckets, long long now_ms) override {
    return forward([&] { return inner_.take(buckets, now_ms); });
  }
  Result<void> settle(const std::vector<Bucket>& refund, const std::vector<Bucket>& clear, long long now_ms) override {
    return forward([&] { return inner_.settle(refund, clear, now_ms); });
  }
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

// A step a test makes happen once, at a chosen point of a request (armed
// before the request, taken by the store call that reaches the point).
class OneShotGap {
 public:
  void arm(std::function<void()> step) {
    std::lock_guard lock(mu_);
    step_ = std::move(step);
  }
  // Runs the armed step, if any, and disarms it (so a call the step makes itself passes).
  void run() {
    std::function<void()> step;
    {
      std::lock_guard lock(mu_);
      step = std::exchange(step_, nullptr);
    }
    if (step) step();
  }

 private:
  std::mutex mu_;
  std::function<void()> step_;
};

// A user store that runs its gap right after a user read (find_by_id or
// find_by_name) returns from the store: the request is paused between what
// it read and what it does next, while the gap makes another change land
// there (a password change racing a login, say). It runs on the store-pool
// thread.
class GappedUserStore : public UserStoreDecorator {
 public:
  GappedUserStore(UserStore& inner, const std::atomic<bool>* failing, OneShotGap& gap)
      : UserStoreDecorator(inner, failing), gap_(gap) {}
  Result<User> find_by_name(const std::string& name) override {
    return after(UserStoreDecorator::find_by_name(name));
  }
  Result<User> find_by_id(const std::string& id) override { return after(UserStoreDecorator::find_by_id(id)); }

 private:
  Result<User> after(Result<User> read) {
    gap_.run();
    return read;
  }
  OneShotGap& gap_;
};

// Memory stores, one switch per store, and the decorators over them.
class FailingStores {
 public:
  struct Switches {
    std::atomic<bool> users{false}, sessions{false}, tokens{false}, feed{false}, throttles{false};
  };
  Switches failing;
  // Armed: runs once, right after the next user read (GappedUserStore).
  OneShotGap after_user_read;

  // A fresh set of decorators over the same memory stores (one set per App).
  Stores stores() {
    return Stores{std::make_unique<GappedUserStore>(users_, &failing.users, after_user_read),
                  std::make_unique<SessionStoreDecorator>(sessions_, &failing.sessions),
                  std::make_unique<TokenStoreDecorator>(tokens_, &failing.tokens),
                  {std::make_shared<ChangeFeedDecorator>(*feed_, &failing.feed)},
                  std::make_shared<NodeRegistryDecorator>(nodes_, &failing.feed),
                  nullptr,  // keys: the keys file
                  std::make_unique<ThrottleStoreDecorator>(throttles_, &failing.throttles),
                  std::make_unique<memory::ChallengeStore>()};
  }
  // Every store at once.
  void fail(bool on) {
    for (auto* s : {&failing.users, &failing.sessions, &failing.tokens, &failing.feed, &failing.throttles}) s->store(on);
  }

 private:
  std::shared_ptr<memory::ChangeFeed> feed_ = std::make_shared<memory::ChangeFeed>();
  memory::NodeRegistry nodes_;
  memory::UserStore users_{feed_};
  memory::SessionStore sessions_{feed_};
  memory::TokenStore tokens_{feed_};
  memory::ThrottleStore throttles_{100'000};
};

}  // namespace cloakroom::testing
