#pragma once
// A credential a user can see and end: a server-side session or a refresh
// family (one token-mode login). SessionService and TokenService list them;
// GET /auth/sessions, `cloakroom session list` and the login cap show or
// count both kinds together.
//
//   auto sessions = session_service.list_user(user_id);    // Result<std::vector<CredentialInfo>>
//   auto families = token_service.list_user(user_id);
//   for (const CredentialInfo& c : oldest_first(std::move(*sessions), std::move(*families)))
//     std::cout << c.id << " " << mode_name(c.mode) << "\n";   // "session" or "token"
#include <string>
#include <string_view>
#include <vector>

namespace cloakroom {

struct SessionRecord;        // store/session_store.h
struct RefreshFamilyRecord;  // store/token_store.h

struct CredentialInfo {
  enum class Mode { session, token };
  std::string id;  // the session id or the family id
  std::string user_id;
  Mode mode = Mode::session;
  long long created_ms = 0;    // the login
  long long last_seen_ms = 0;  // a session's last request; a family's last rotation
  long long expires_ms = 0;    // a session: the earlier of absolute and idle expiry
  std::string ip;              // at the login
  std::string user_agent;      // at the login
  bool remember = false;
};

// What the user sees of a stored session. The times are the caller's:
// SessionService's cache runs ahead of the store (last seen, idle expiry).
CredentialInfo info_of(const SessionRecord& r, long long last_seen_ms, long long expires_ms);
// What the user sees of a refresh family: last seen is its last rotation.
CredentialInfo info_of(const RefreshFamilyRecord& f);

// "session" or "token": the word the API's `mode` and the CLI's MODE column show.
std::string_view mode_name(CredentialInfo::Mode mode);

// Sessions and families in one list, oldest login first; on equal creation
// times sessions come first, each kind in the order given.
std::vector<CredentialInfo> oldest_first(std::vector<CredentialInfo> sessions, std::vector<CredentialInfo> families);

}  // namespace cloakroom
