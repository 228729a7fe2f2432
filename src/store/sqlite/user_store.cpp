#include "store/sqlite/user_store.h"

#include "store/sqlite/change_feed.h"

namespace cloakroom::sqlite {
namespace {

constexpr char kColumns[] = "id, username, password_hash, roles, disabled, created_at";
constexpr auto kFindByName = sql("SELECT ", kColumns, " FROM users WHERE username_key = ?1");
constexpr auto kFindById = sql("SELECT ", kColumns, " FROM users WHERE id = ?1");
constexpr auto kList = sql("SELECT ", kColumns, " FROM users ORDER BY created_at, username");

User read_user(const Statement& st) {
  return User{st.text(0), st.text(1), st.text(2), split_roles(st.text(3)), st.boolean(4), st.integer(5)};
}

}  // namespace

Result<void> UserStore::create(const User& user) {
  auto inserted = db_->run([&](Connection& c) {
    return c.exec(
        "INSERT INTO users (id, username, username_key, password_hash, roles, disabled, created_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        user.id, user.username, username_key(user.username), user.password_hash, join_roles(user.roles),
        user.disabled, user.created_at);
  });
  // The one place a clash becomes the client's answer: the name (ignoring case) exists.
  if (!inserted && inserted.error().code == ErrorCode::conflict) return ErrorCode::username_taken;
  return done(inserted);
}

Result<User> UserStore::find_by_name(const std::string& username) {
  return db_->run([&](Connection& c) { return c.one(kFindByName, read_user, username_key(username)); });
}

Result<User> UserStore::find_by_id(const std::string& id) {
  return db_->run([&](Connection& c) { return c.one(kFindById, read_user, id); });
}

Result<std::vector<User>> UserStore::list() {
  return db_->run([&](Connection& c) { return c.query(kList, read_user); });
}

// One column of one user, and its change feed entry, in one transaction.
template <class Value>
Result<void> UserStore::update(const char* statement, const std::string& id, const Value& value) {
  return db_->transaction([&](Connection& c) -> Result<void> {
    auto changed = c.exec(statement, value, id);
    if (!changed) return changed.error();
    if (*changed == 0) return ErrorCode::not_found;
    return record_change(c, Change::Kind::user_changed, id);
  });
}

Result<void> UserStore::set_disabled(const std::string& id, bool disabled) {
  return update("UPDATE users SET disabled = ?1 WHERE id = ?2", id, disabled);
}
Result<void> UserStore::set_password_hash(const std::string& id, const std::string& hash) {
  return update("UPDATE users SET password_hash = ?1 WHERE id = ?2", id, hash);
}
Result<void> UserStore::set_roles(const std::string& id, const std::vector<std::string>& roles) {
  return update("UPDATE users SET roles = ?1 WHERE id = ?2", id, join_roles(roles));
}

Result<void> UserStore::add_password_reset(const PasswordReset& reset) {
  return done(db_->run([&](Connection& c) {
    // Used and long-expired links go with each new one: the table stays small without a sweeper.
    if (auto r = c.exec("DELETE FROM password_resets WHERE used = 1 OR expires_ms < ?1",
                        reset.expires_ms - kResetKeepMs);
        !r)
      return r;
    return c.exec("INSERT INTO password_resets (token_hash, user_id, expires_ms) VALUES (?1, ?2, ?3)",
                  reset.token_hash, reset.user_id, reset.expires_ms);
  }));
}

Result<std::string> UserStore::use_password_reset(const std::string& token_hash, long long now_ms) {
  return db_->run([&](Connection& c) {
    return c.one("UPDATE password_resets SET used = 1 WHERE token_hash = ?1 AND used = 0 AND expires_ms > ?2 "
                 "RETURNING user_id",
                 [](const Statement& st) { return st.text(0); }, token_hash, now_ms);
  });
}

Result<std::vector<std::string>> UserStore::disabled_ids() {
  return db_->run([](Connection& c) {
    return c.query("SELECT id FROM users WHERE disabled = 1", [](const Statement& row) { return row.text(0); });
  });
}

Result<void> UserStore::ping() {
  // Why a write probe: in WAL mode reads succeed while another process holds
  // the write lock, yet logins and logouts would fail; ready means writable.
  return db_->probe_writable(std::chrono::milliseconds(500));
}

}  // namespace cloakroom::sqlite
