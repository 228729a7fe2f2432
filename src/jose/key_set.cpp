#include "jose/key_set.h"

#include <algorithm>

namespace cloakroom::jose {

KeySet::KeySet(std::vector<Jwk> keys, std::string active_kid) : keys_(std::move(keys)) {
  for (std::size_t i = 0; i < keys_.size(); ++i)
    if (!active_kid.empty() && keys_[i].kid() == active_kid) active_ = i;
}

Result<KeySet, JoseError> KeySet::from_jwks(const json::Value& jwks, const std::string& active_kid) {
  const json::Value* list = jwks.is_object() ? jwks.find("keys") : nullptr;
  if (!list || list->type != json::Type::array) return JoseError::key_invalid;
  std::vector<Jwk> keys;
  for (const auto& item : list->items) {
    auto key = Jwk::from_json(item);
    if (!key) return key.error();
    for (const auto& k : keys)
      if (k.kid() == key->kid()) return JoseError::key_invalid;  // kids must be unique
    keys.push_back(std::move(*key));
  }
  if (!active_kid.empty() &&
      std::none_of(keys.begin(), keys.end(), [&](const Jwk& k) { return k.kid() == active_kid; }))
    return JoseError::kid_unknown;
  return KeySet(std::move(keys), active_kid);
}

const Jwk* KeySet::find(std::string_view kid) const {
  for (const auto& k : keys_)
    if (k.kid() == kid) return &k;
  return nullptr;
}

std::string KeySet::to_jwks(bool include_private) const {
  json::Writer w;
  w.begin_object();
  w.key("keys");
  w.begin_array();
  for (const auto& k : keys_) {
    if (!include_private && k.is_symmetric()) continue;
    k.write_json(w, include_private);
  }
  w.end_array();
  w.end_object();
  return w.take();
}

}  // namespace cloakroom::jose
