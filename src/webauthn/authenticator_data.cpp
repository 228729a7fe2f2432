#include "webauthn/authenticator_data.h"

#include <algorithm>

#include "webauthn/cbor.h"

namespace cloakroom::webauthn {
namespace {

constexpr std::size_t kFixed = 37;  // rpIdHash + flags + signCount

std::uint32_t big_endian(std::string_view b) {
  std::uint32_t v = 0;
  for (char c : b) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

}  // namespace

Result<AuthenticatorData, WebauthnError> parse_authenticator_data(std::string_view bytes) {
  if (bytes.size() > kMaxAuthenticatorData) return WebauthnError::too_large;
  if (bytes.size() < kFixed) return WebauthnError::auth_data_malformed;
  AuthenticatorData ad;
  std::copy_n(reinterpret_cast<const unsigned char*>(bytes.data()), ad.rp_id_hash.size(), ad.rp_id_hash.begin());
  ad.flags = static_cast<std::uint8_t>(bytes[32]);
  ad.sign_count = big_endian(bytes.substr(33, 4));
  // §6.1: backed up (BS) only makes sense for a credential that may be (BE).
  if ((ad.flags & AuthenticatorData::BS) && !(ad.flags & AuthenticatorData::BE))
    return WebauthnError::auth_data_malformed;
  std::string_view rest = bytes.substr(kFixed);

  if (ad.flags & AuthenticatorData::AT) {
    if (rest.size() < 18) return WebauthnError::auth_data_malformed;
    AttestedCredential c;
    c.aaguid = std::string(rest.substr(0, 16));
    const std::size_t id_length = big_endian(rest.substr(16, 2));
    rest.remove_prefix(18);
    if (id_length == 0 || id_length > kMaxCredentialId) return WebauthnError::credential_id_invalid;
    if (rest.size() < id_length) return WebauthnError::auth_data_malformed;
    c.credential_id = std::string(rest.substr(0, id_length));
    rest.remove_prefix(id_length);
    std::size_t used = 0;
    auto key = cbor::decode_prefix(rest, cbor::kKeyLimits, &used);
    if (!key) return key.error();
    if (!cbor_isa_map(key->get())) return WebauthnError::key_malformed;
    c.public_key = std::string(rest.substr(0, used));
    rest.remove_prefix(used);
    ad.attested = std::move(c);
  }
  if (ad.flags & AuthenticatorData::ED) {
    std::size_t used = 0;
    auto extensions = cbor::decode_prefix(rest, cbor::kExtensionLimits, &used);
    if (!extensions) return extensions.error();
    if (!cbor_isa_map(extensions->get())) return WebauthnError::auth_data_malformed;
    rest.remove_prefix(used);
  }
  if (!rest.empty()) return WebauthnError::auth_data_malformed;  // bytes no flag accounts for
  return ad;
}

}  // namespace cloakroom::webauthn
