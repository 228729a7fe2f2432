#include "store/change_feed.h"

namespace cloakroom {
namespace {
constexpr Change::Kind kKinds[] = {Change::Kind::session_revoked, Change::Kind::user_sessions_revoked,
                                   Change::Kind::family_revoked,  Change::Kind::token_denied,
                                   Change::Kind::epoch_raised,    Change::Kind::user_changed,
                                   Change::Kind::keys_changed};
}  // namespace

// These names are stored: never rename one.
std::string_view kind_name(Change::Kind kind) {
  switch (kind) {
    case Change::Kind::session_revoked: return "session_revoked";
    case Change::Kind::user_sessions_revoked: return "user_sessions_revoked";
    case Change::Kind::family_revoked: return "family_revoked";
    case Change::Kind::token_denied: return "token_denied";
    case Change::Kind::epoch_raised: return "epoch_raised";
    case Change::Kind::user_changed: return "user_changed";
    case Change::Kind::keys_changed: return "keys_changed";
  }
  return "";
}

bool kind_from_name(std::string_view name, Change::Kind& out) {
  for (Change::Kind k : kKinds)
    if (kind_name(k) == name) {
      out = k;
      return true;
    }
  return false;
}

}  // namespace cloakroom
