#include "identity/credential_info.h"

#include <algorithm>
#include <iterator>

#include "core/unreachable.h"
#include "store/session_store.h"
#include "store/token_store.h"

namespace cloakroom {

CredentialInfo info_of(const SessionRecord& r, long long last_seen_ms, long long expires_ms) {
  return CredentialInfo{.id = r.id, .user_id = r.user_id, .mode = CredentialInfo::Mode::session,
                        .created_ms = r.created_ms, .last_seen_ms = last_seen_ms, .expires_ms = expires_ms,
                        .ip = r.ip, .user_agent = r.user_agent, .remember = r.remember};
}

CredentialInfo info_of(const RefreshFamilyRecord& f) {
  return CredentialInfo{.id = f.id, .user_id = f.user_id, .mode = CredentialInfo::Mode::token,
                        .created_ms = f.created_ms, .last_seen_ms = f.rotated_ms, .expires_ms = f.expires_ms,
                        .ip = f.ip, .user_agent = f.user_agent, .remember = f.remember};
}

std::string_view mode_name(CredentialInfo::Mode mode) {
  switch (mode) {
    case CredentialInfo::Mode::session: return "session";
    case CredentialInfo::Mode::token: return "token";
  }
  unreachable();
}

std::vector<CredentialInfo> oldest_first(std::vector<CredentialInfo> sessions, std::vector<CredentialInfo> families) {
  std::vector<CredentialInfo> all = std::move(sessions);
  all.reserve(all.size() + families.size());
  std::move(families.begin(), families.end(), std::back_inserter(all));
  // Stable: equal times keep sessions ahead of families, as both lists always showed them.
  std::stable_sort(all.begin(), all.end(),
                   [](const CredentialInfo& a, const CredentialInfo& b) { return a.created_ms < b.created_ms; });
  return all;
}

}  // namespace cloakroom
