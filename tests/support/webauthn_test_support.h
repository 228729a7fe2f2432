#pragma once
// Builds WebAuthn responses inside tests and benchmarks (bench/webauthn_bench.cpp),
// as an authenticator and a browser would: OpenSSL keys (ES256, Ed25519, RSA),
// COSE keys and attestation objects encoded with libcbor, authenticator data
// and clientDataJSON, signed. No GoogleTest here, so benchmarks can use it.
//
//   TestAuthenticator a(CoseAlg::ES256);
//   std::string ad = auth_data(rp.id_hash, UP | UV | AT, 0, a.attested("cred-1"));
//   std::string ao = attestation_object("none", ad);
//   std::string cdj = client_data("webauthn.create", challenge, rp.origin);
//   std::string sig = a.sign(ad + sha256_bytes(cdj));
#include <cbor.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/digest.h"
#include "jose/base64url.h"
#include "webauthn/cose_key.h"

namespace cloakroom::webauthn::testing {

struct ItemFree {
  void operator()(cbor_item_t* item) const { cbor_decref(&item); }
};
using Item = std::unique_ptr<cbor_item_t, ItemFree>;

// The shortest encoding, as CTAP2 canonical CBOR has it (libcbor keeps the width it is given).
inline cbor_item_t* cbor_int(std::int64_t v) {
  const std::uint64_t u = v >= 0 ? static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(-1 - v);
  cbor_item_t* item = u <= 0xff ? cbor_build_uint8(static_cast<std::uint8_t>(u))
                      : u <= 0xffff ? cbor_build_uint16(static_cast<std::uint16_t>(u))
                      : u <= 0xffffffff ? cbor_build_uint32(static_cast<std::uint32_t>(u))
                                        : cbor_build_uint64(u);
  if (v < 0) cbor_mark_negint(item);
  return item;
}
inline cbor_item_t* cbor_bytes(std::string_view b) {
  return cbor_build_bytestring(reinterpret_cast<cbor_data>(b.data()), b.size());
}
inline void put(cbor_item_t* map, cbor_item_t* key, cbor_item_t* value) {
  cbor_map_add(map, cbor_pair{cbor_move(key), cbor_move(value)});
}
inline std::string serialize(const cbor_item_t* item) {
  unsigned char* buf = nullptr;
  std::size_t size = 0;
  const std::size_t written = cbor_serialize_alloc(item, &buf, &size);
  std::string out(reinterpret_cast<const char*>(buf), written);
  free(buf);
  return out;
}

// A COSE_Key map with the given (label, value) members, values as CBOR items.
inline std::string cose_map(std::vector<std::pair<std::int64_t, cbor_item_t*>> members) {
  Item map(cbor_new_definite_map(members.size()));
  for (auto& [label, value] : members) put(map.get(), cbor_int(label), value);
  return serialize(map.get());
}

inline std::string bn_bytes(const EVP_PKEY* pkey, const char* name) {
  BIGNUM* bn = nullptr;
  EVP_PKEY_get_bn_param(pkey, name, &bn);
  std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

class TestAuthenticator {
 public:
  explicit TestAuthenticator(CoseAlg alg, std::size_t rsa_bits = 2048) : alg_(alg) {
    switch (alg) {
      case CoseAlg::ES256: pkey_.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")); break;
      case CoseAlg::EdDSA: pkey_.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")); break;
      case CoseAlg::RS256: pkey_.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", rsa_bits)); break;
    }
  }

  // The public key as a COSE_Key, as an authenticator encodes it.
  std::string cose() const {
    switch (alg_) {
      case CoseAlg::ES256: {
        unsigned char point[65];
        std::size_t len = 0;
        EVP_PKEY_get_octet_string_param(pkey_.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &len);
        std::string p(reinterpret_cast<char*>(point), len);
        return cose_map({{1, cbor_int(2)}, {3, cbor_int(-7)}, {-1, cbor_int(1)},
                         {-2, cbor_bytes(p.substr(1, 32))}, {-3, cbor_bytes(p.substr(33, 32))}});
      }
      case CoseAlg::EdDSA: {
        unsigned char raw[32];
        std::size_t len = sizeof raw;
        EVP_PKEY_get_raw_public_key(pkey_.get(), raw, &len);
        return cose_map({{1, cbor_int(1)}, {3, cbor_int(-8)}, {-1, cbor_int(6)},
                         {-2, cbor_bytes(std::string_view(reinterpret_cast<char*>(raw), len))}});
      }
      case CoseAlg::RS256:
        return cose_map({{1, cbor_int(3)}, {3, cbor_int(-257)},
                         {-1, cbor_bytes(bn_bytes(pkey_.get(), OSSL_PKEY_PARAM_RSA_N))},
                         {-2, cbor_bytes(bn_bytes(pkey_.get(), OSSL_PKEY_PARAM_RSA_E))}});
    }
    return {};
  }

  // ES256: DER; EdDSA: 64 raw bytes; RS256: PKCS#1 v1.5 (OpenSSL's default).
  std::string sign(std::string_view message) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EVP_DigestSignInit(ctx.get(), nullptr, alg_ == CoseAlg::EdDSA ? nullptr : EVP_sha256(), nullptr, pkey_.get());
    std::size_t len = 0;
    const auto* m = reinterpret_cast<const unsigned char*>(message.data());
    EVP_DigestSign(ctx.get(), nullptr, &len, m, message.size());
    std::string sig(len, '\0');
    EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, m, message.size());
    sig.resize(len);
    return sig;
  }

  // aaguid (16 zero bytes) | idLength | credential id | COSE_Key
  std::string attested(std::string_view credential_id) const { return attested_with(credential_id, cose()); }
  static std::string attested_with(std::string_view credential_id, std::string_view cose_key) {
    std::string out(16, '\0');
    out += static_cast<char>(credential_id.size() >> 8);
    out += static_cast<char>(credential_id.size() & 0xff);
    out += credential_id;
    out += cose_key;
    return out;
  }

  CoseAlg alg() const { return alg_; }

 private:
  CoseAlg alg_;
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey_{nullptr, EVP_PKEY_free};
};

inline constexpr std::uint8_t UP = 0x01, UV = 0x04, BE = 0x08, BS = 0x10, AT = 0x40, ED = 0x80;

inline std::string hash_bytes(const Sha256& h) { return std::string(reinterpret_cast<const char*>(h.data()), h.size()); }

// rpIdHash | flags | signCount | rest (attested credential data, extensions)
inline std::string auth_data(const Sha256& rp_id_hash, std::uint8_t flags, std::uint32_t count,
                             std::string_view rest = {}) {
  std::string out = hash_bytes(rp_id_hash);
  out += static_cast<char>(flags);
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((count >> shift) & 0xff);
  out += rest;
  return out;
}

inline std::string attestation_object(std::string_view fmt, std::string_view auth_data_bytes) {
  Item map(cbor_new_definite_map(3));
  put(map.get(), cbor_build_string("fmt"), cbor_build_stringn(fmt.data(), fmt.size()));
  put(map.get(), cbor_build_string("attStmt"), cbor_new_definite_map(0));
  put(map.get(), cbor_build_string("authData"), cbor_bytes(auth_data_bytes));
  return serialize(map.get());
}

inline std::string client_data(std::string_view type, std::string_view challenge, std::string_view origin,
                               std::string_view cross_origin = "false") {
  return std::string("{\"type\":\"") + std::string(type) + "\",\"challenge\":\"" + jose::base64url_encode(challenge) +
         "\",\"origin\":\"" + std::string(origin) + "\",\"crossOrigin\":" + std::string(cross_origin) + "}";
}

}  // namespace cloakroom::webauthn::testing
