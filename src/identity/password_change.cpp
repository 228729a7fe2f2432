#include "identity/password_change.h"

namespace cloakroom {

Result<EndedCredentials> end_credentials(const CredentialEnds& ends, const std::string& user_id,
                                         const KeepCredential& keep) {
  auto families = ends.families(user_id, keep.family_id);
  if (!families) return families.error();
  auto sessions = ends.sessions(user_id, keep.session_id);
  if (!sessions) return sessions.error();
  return EndedCredentials{*sessions, *families};
}

Result<EndedCredentials> change_password(UserStore& users, const CredentialEnds& ends, const std::string& user_id,
                                         const std::string& password_hash, const KeepCredential& keep) {
  // The hash first: whoever knew the old password cannot log in again
  // between the ends and the change.
  if (auto r = users.set_password_hash(user_id, password_hash); !r) return r.error();
  return end_credentials(ends, user_id, keep);
}

}  // namespace cloakroom
