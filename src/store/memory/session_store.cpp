#include "store/memory/session_store.h"

#include <algorithm>

namespace cloakroom::memory {
namespace {
bool active(const SessionRecord& r, long long now_ms, const IdleBounds& idle) {
  return idle.deadline(r, r.last_seen_ms) > now_ms;
}
}  // namespace

Result<void> SessionStore::create(const SessionRecord& record) {
  std::lock_guard lock(mu_);
  if (!by_id_.emplace(record.id, record).second) return Error{ErrorCode::internal, "session id collision"};
  return {};
}

Result<SessionRecord> SessionStore::find(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return ErrorCode::not_found;
  return it->second;
}

Result<std::vector<SessionRecord>> SessionStore::load_active(long long now_ms, const IdleBounds& idle) {
  std::lock_guard lock(mu_);
  std::vector<SessionRecord> out;
  for (const auto& [id, r] : by_id_)
    if (active(r, now_ms, idle)) out.push_back(r);
  return out;
}

Result<std::vector<SessionRecord>> SessionStore::list_user(const std::string& user_id) {
  std::lock_guard lock(mu_);
  std::vector<SessionRecord> out;
  for (const auto& [id, r] : by_id_)
    if (r.user_id == user_id) out.push_back(r);
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.created_ms < b.created_ms; });
  return out;
}

Result<void> SessionStore::touch(const std::vector<SessionTouch>& touches) {
  std::lock_guard lock(mu_);
  for (const auto& t : touches)
    if (auto it = by_id_.find(t.id); it != by_id_.end()) it->second.last_seen_ms = std::max(it->second.last_seen_ms, t.last_seen_ms);
  return {};
}

Result<bool> SessionStore::remove(const std::string& id) {
  std::lock_guard lock(mu_);
  if (by_id_.erase(id) == 0) return false;
  (void)feed_->append(Change{Change::Kind::session_revoked, id});
  return true;
}

Result<bool> SessionStore::remove(const std::string& id, const std::string& user_id) {
  std::lock_guard lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end() || it->second.user_id != user_id) return false;
  by_id_.erase(it);
  (void)feed_->append(Change{Change::Kind::session_revoked, id});
  return true;
}

Result<std::vector<std::string>> SessionStore::remove_user(const std::string& user_id, const std::string& keep) {
  std::lock_guard lock(mu_);
  std::vector<std::string> ids;
  for (auto it = by_id_.begin(); it != by_id_.end();) {
    if (it->second.user_id == user_id && it->first != keep) {
      ids.push_back(it->first);
      it = by_id_.erase(it);
    } else {
      ++it;
    }
  }
  (void)feed_->append(Change{Change::Kind::user_sessions_revoked, user_id});
  return ids;
}

Result<std::size_t> SessionStore::purge_expired(long long now_ms, const IdleBounds& idle) {
  std::lock_guard lock(mu_);
  return std::erase_if(by_id_, [&](const auto& kv) { return !active(kv.second, now_ms, idle); });
}

}  // namespace cloakroom::memory
