#include "store/sqlite/user_store.h"

#include <sstream>

namespace cloakroom::sqlite {
namespace {

constexpr const char* kColumns = "id, username, password_hash, roles, disabled, created_at";

std::string join_roles(const std::vector<std::string>& roles) {
  std::string out;
  for (const auto& r : roles) out += (out.empty() ? "" : ",") + r;
  return out;
}

std::vector<std::string> split_roles(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string r; std::getline(ss, r, ',');)
    if (!r.empty()) out.push_back(r);
  return out;
}

User read_user(const Statement& st) {
  return User{st.text(0), st.text(1), st.text(2), split_roles(st.text(3)), st.integer(4) != 0, st.integer(5)};
}

}  // namespace

Result<void> UserStore::create(const User& user) {
  return db_->run([&](Connection& c) -> Result<void> {
    auto st = c.prepare(
        "INSERT INTO users (id, username, username_key, password_hash, roles, disabled, created_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    st.bind(1, user.id);
    st.bind(2, user.username);
    st.bind(3, username_key(user.username));
    st.bind(4, user.password_hash);
    st.bind(5, join_roles(user.roles));
    st.bind(6, static_cast<long long>(user.disabled));
    st.bind(7, user.created_at);
    auto r = st.step();
    if (!r) return r.error();
    return {};
  });
}

Result<User> UserStore::find_one(const char* sql, const std::string& arg) {
  return db_->run([&](Connection& c) -> Result<User> {
    auto st = c.prepare(sql);
    st.bind(1, arg);
    auto row = st.step();
    if (!row) return row.error();
    if (!*row) return ErrorCode::not_found;
    return read_user(st);
  });
}

Result<User> UserStore::find_by_name(const std::string& username) {
  static const std::string sql = std::string("SELECT ") + kColumns + " FROM users WHERE username_key = ?1";
  return find_one(sql.c_str(), username_key(username));
}

Result<User> UserStore::find_by_id(const std::string& id) {
  static const std::string sql = std::string("SELECT ") + kColumns + " FROM users WHERE id = ?1";
  return find_one(sql.c_str(), id);
}

Result<std::vector<User>> UserStore::list() {
  static const std::string sql = std::string("SELECT ") + kColumns + " FROM users ORDER BY created_at, username";
  return db_->run([&](Connection& c) -> Result<std::vector<User>> {
    auto st = c.prepare(sql.c_str());
    return st.collect([](const Statement& row) { return read_user(row); });
  });
}

Result<void> UserStore::update(const char* sql, const std::string& id, const std::string& text_value) {
  return db_->run([&](Connection& c) -> Result<void> {
    auto st = c.prepare(sql);
    st.bind(1, text_value);
    st.bind(2, id);
    auto r = st.step();
    if (!r) return r.error();
    if (c.changes() == 0) return ErrorCode::not_found;
    return {};
  });
}

Result<void> UserStore::set_disabled(const std::string& id, bool disabled) {
  return update("UPDATE users SET disabled = CAST(?1 AS INTEGER) WHERE id = ?2", id, disabled ? "1" : "0");
}
Result<void> UserStore::set_password_hash(const std::string& id, const std::string& hash) {
  return update("UPDATE users SET password_hash = ?1 WHERE id = ?2", id, hash);
}
Result<void> UserStore::set_roles(const std::string& id, const std::vector<std::string>& roles) {
  return update("UPDATE users SET roles = ?1 WHERE id = ?2", id, join_roles(roles));
}

Result<void> UserStore::ping() {
  // Why a write probe: in WAL mode reads succeed while another process holds
  // the write lock, yet logins and logouts would fail; ready means writable.
  return db_->probe_writable(std::chrono::milliseconds(500));
}

}  // namespace cloakroom::sqlite
