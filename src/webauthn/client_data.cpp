#include "webauthn/client_data.h"

#include <span>

#include "core/json.h"
#include "jose/base64url.h"

namespace cloakroom::webauthn {

Result<void, WebauthnError> check_client_data(std::string_view client_data_json, Ceremony ceremony,
                                              std::string_view expected_challenge, const RelyingParty& rp) {
  if (client_data_json.size() > kMaxClientData) return WebauthnError::too_large;
  auto doc = json::parse(client_data_json, {.max_bytes = kMaxClientData, .max_depth = 4, .max_members = 32});
  if (!doc || !doc->is_object()) return WebauthnError::client_data_malformed;
  const json::Value* type = doc->find("type");
  const json::Value* challenge = doc->find("challenge");
  const json::Value* origin = doc->find("origin");
  const json::Value* cross = doc->find("crossOrigin");
  if (!type || !type->is_string() || !challenge || !challenge->is_string() || !origin || !origin->is_string())
    return WebauthnError::client_data_malformed;
  if (cross && cross->type != json::Type::boolean) return WebauthnError::client_data_malformed;
  // Cheap checks first: type, then the challenge, then where it came from.
  if (type->text != (ceremony == Ceremony::create ? "webauthn.create" : "webauthn.get"))
    return WebauthnError::type_mismatch;
  auto sent = jose::base64url_decode(challenge->text);
  if (!sent || !constant_time_equal(*sent, expected_challenge) || expected_challenge.empty())
    return WebauthnError::challenge_mismatch;
  if (origin->text != rp.origin) return WebauthnError::origin_mismatch;
  if (cross && cross->boolean) return WebauthnError::cross_origin;
  return {};
}

}  // namespace cloakroom::webauthn
