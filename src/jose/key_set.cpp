#include "jose/key_set.h"

#include <algorithm>

namespace cloakroom::jose {

KeySet::KeySet(std::vector<Jwk> keys, std::string active_kid, std::vector<long long> retired_at)
    : keys_(std::move(keys)), retired_at_(std::move(retired_at)) {
  retired_at_.resize(keys_.size(), 0);
  // A named active key that is not here means no active key, never "the first one".
  if (!active_kid.empty()) active_ = keys_.size();
  for (std::size_t i = 0; i < keys_.size(); ++i)
    if (!active_kid.empty() && keys_[i].kid() == active_kid) active_ = i;
}

Result<KeySet, JoseError> KeySet::from_jwks(const json::Value& jwks, const std::string& active_kid) {
  const json::Value* list = jwks.is_object() ? jwks.find("keys") : nullptr;
  if (!list || list->type != json::Type::array) return JoseError::key_invalid;
  std::vector<Jwk> keys;
  std::vector<long long> retired;
  for (const auto& item : list->items) {
    auto key = Jwk::from_json(item);
    if (!key) return key.error();
    for (const auto& k : keys)
      if (k.kid() == key->kid()) return JoseError::key_invalid;  // kids must be unique
    long long at = 0;
    if (const json::Value* r = item.find("retired_at")) {
      auto n = r->type == json::Type::number ? r->as_int64() : std::nullopt;
      if (!n || *n <= 0) return JoseError::key_invalid;
      at = *n;
    }
    keys.push_back(std::move(*key));
    retired.push_back(at);
  }
  if (!active_kid.empty() &&
      std::none_of(keys.begin(), keys.end(), [&](const Jwk& k) { return k.kid() == active_kid; }))
    return JoseError::kid_unknown;
  return KeySet(std::move(keys), active_kid, std::move(retired));
}

const Jwk* KeySet::find(std::string_view kid) const {
  for (const auto& k : keys_)
    if (k.kid() == kid) return &k;
  return nullptr;
}

long long KeySet::retired_at(std::string_view kid) const {
  for (std::size_t i = 0; i < keys_.size(); ++i)
    if (keys_[i].kid() == kid) return retired_at_[i];
  return 0;
}

std::string KeySet::active_kid() const { return active() ? active()->kid() : std::string(); }

KeySet KeySet::with_key(Jwk key) const {
  auto keys = keys_;
  auto retired = retired_at_;
  keys.push_back(std::move(key));
  retired.push_back(0);
  return KeySet(std::move(keys), active_kid(), std::move(retired));
}

KeySet KeySet::retired(std::string_view kid, long long at) const {
  auto retired = retired_at_;
  for (std::size_t i = 0; i < keys_.size(); ++i)
    if (keys_[i].kid() == kid) retired[i] = at;
  return KeySet(keys_, active_kid(), std::move(retired));
}

KeySet KeySet::without(std::string_view kid) const {
  std::vector<Jwk> keys;
  std::vector<long long> retired;
  for (std::size_t i = 0; i < keys_.size(); ++i)
    if (keys_[i].kid() != kid) keys.push_back(keys_[i]), retired.push_back(retired_at_[i]);
  return KeySet(std::move(keys), active_kid(), std::move(retired));
}

KeySet KeySet::activated(std::string_view kid, const std::string& signing_kid) const {
  std::vector<Jwk> keys;
  std::vector<long long> retired;
  for (std::size_t i = 0; i < keys_.size(); ++i)
    if (keys_[i].kid() == kid) keys.push_back(keys_[i]), retired.push_back(retired_at_[i]);
  for (std::size_t i = 0; i < keys_.size(); ++i)
    if (keys_[i].kid() != kid) keys.push_back(keys_[i]), retired.push_back(retired_at_[i]);
  return KeySet(std::move(keys), signing_kid, std::move(retired));
}

KeySet KeySet::without_retired_before(long long cutoff) const {
  std::vector<Jwk> keys;
  std::vector<long long> retired;
  for (std::size_t i = 0; i < keys_.size(); ++i)
    if (retired_at_[i] == 0 || retired_at_[i] > cutoff) keys.push_back(keys_[i]), retired.push_back(retired_at_[i]);
  return KeySet(std::move(keys), active_kid(), std::move(retired));
}

long long KeySet::earliest_retirement() const {
  long long earliest = 0;
  for (long long at : retired_at_)
    if (at != 0 && (earliest == 0 || at < earliest)) earliest = at;
  return earliest;
}

std::string KeySet::to_jwks(bool include_private) const {
  json::Writer w;
  w.begin_object();
  w.key("keys");
  w.begin_array();
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    const Jwk& k = keys_[i];
    if (!include_private && k.is_symmetric()) continue;
    w.begin_object();
    k.write_members(w, include_private);
    // Our own bookkeeping, not for verifiers: stored, never published.
    if (include_private && retired_at_[i] != 0) {
      w.key("retired_at");
      w.number(retired_at_[i]);
    }
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.take();
}

}  // namespace cloakroom::jose
