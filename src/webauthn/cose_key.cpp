#include "webauthn/cose_key.h"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <string>
#include <vector>

#include "core/unreachable.h"

namespace cloakroom::webauthn {
namespace {

// COSE_Key labels (RFC 9052 §7, RFC 9053 §7).
constexpr std::int64_t kKty = 1, kAlg = 3;
constexpr std::int64_t kCrvOrN = -1, kXOrE = -2, kY = -3, kD = -4;
constexpr std::int64_t kKtyOkp = 1, kKtyEc2 = 2, kKtyRsa = 3;
constexpr std::int64_t kCrvP256 = 1, kCrvEd25519 = 6;

struct CtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BldFree {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct SigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};

// An OpenSSL failure that is not the input's fault: drop its queued errors
// (they would otherwise surface in an unrelated later call).
template <class T>
T openssl_failed(T value) {
  ERR_clear_error();
  return value;
}

// A public key from OpenSSL parameters. An EC point off the curve must never
// verify anything (invalid-curve attacks): checked, with the quick check
// (on the curve, not infinity, coordinates in range). The full check adds
// order * point == infinity, which P-256's cofactor of 1 already implies, at
// the cost of one more scalar multiplication per sign-in. RSA keys are not run
// through OpenSSL's public check: its SP 800-56B primality test costs ~9 ms
// per key on every sign-in, and a weak modulus only harms the user whose own
// authenticator made it; size and parity are checked by the caller.
Result<std::shared_ptr<EVP_PKEY>, WebauthnError> from_params(const char* type, OSSL_PARAM_BLD* bld, bool check_point) {
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return openssl_failed(WebauthnError::key_weak);
  std::shared_ptr<EVP_PKEY> pkey(raw, EVP_PKEY_free);
  if (!check_point) return pkey;
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (!check || EVP_PKEY_public_check_quick(check.get()) != 1) return openssl_failed(WebauthnError::key_weak);
  return pkey;
}

Result<std::shared_ptr<EVP_PKEY>, WebauthnError> ec2_key(const cbor_item_t* key) {
  auto crv = cbor::as_int(cbor::map_find(key, kCrvOrN));
  auto x = cbor::as_bytes(cbor::map_find(key, kXOrE));
  auto y = cbor::as_bytes(cbor::map_find(key, kY));
  if (!crv) return WebauthnError::key_malformed;
  if (*crv != kCrvP256) return WebauthnError::key_unsupported;
  if (!x || !y || x->size() != 32 || y->size() != 32) return WebauthnError::key_malformed;
  const std::string point = "\x04" + std::string(*x) + std::string(*y);
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1)
    return openssl_failed(WebauthnError::internal);
  return from_params("EC", bld.get(), true);
}

Result<std::shared_ptr<EVP_PKEY>, WebauthnError> okp_key(const cbor_item_t* key) {
  auto crv = cbor::as_int(cbor::map_find(key, kCrvOrN));
  auto x = cbor::as_bytes(cbor::map_find(key, kXOrE));
  if (!crv) return WebauthnError::key_malformed;
  if (*crv != kCrvEd25519) return WebauthnError::key_unsupported;
  if (!x || x->size() != 32) return WebauthnError::key_malformed;
  EVP_PKEY* raw = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                              reinterpret_cast<const unsigned char*>(x->data()), x->size());
  if (!raw) return openssl_failed(WebauthnError::key_weak);
  return std::shared_ptr<EVP_PKEY>(raw, EVP_PKEY_free);
}

Result<std::shared_ptr<EVP_PKEY>, WebauthnError> rsa_key(const cbor_item_t* key) {
  auto n = cbor::as_bytes(cbor::map_find(key, kCrvOrN));
  auto e = cbor::as_bytes(cbor::map_find(key, kXOrE));
  if (!n || !e || n->empty() || e->empty() || (*n)[0] == '\0' || e->size() > 8) return WebauthnError::key_malformed;
  // Why 2048: NIST SP 800-131A; why 8192: a bigger modulus only costs us verify time.
  if (n->size() < 256 || n->size() > 1024) return WebauthnError::key_weak;
  std::unique_ptr<BIGNUM, BnFree> bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()),
                                                 static_cast<int>(n->size()), nullptr));
  std::unique_ptr<BIGNUM, BnFree> bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()),
                                                 static_cast<int>(e->size()), nullptr));
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1)
    return openssl_failed(WebauthnError::internal);
  if (BN_num_bits(bn_n.get()) < 2048 || !BN_is_odd(bn_n.get())) return WebauthnError::key_weak;
  // An even or tiny exponent is no RSA key anyone generates.
  if (!BN_is_odd(bn_e.get()) || BN_num_bits(bn_e.get()) < 2) return WebauthnError::key_weak;
  return from_params("RSA", bld.get(), false);
}

// Strict DER: OpenSSL's decoder forgives some encodings; re-encoding and
// comparing means one signature has exactly one accepted byte string.
bool strict_der_ecdsa(std::string_view signature) {
  const auto* p = reinterpret_cast<const unsigned char*>(signature.data());
  std::unique_ptr<ECDSA_SIG, SigFree> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(signature.size())));
  if (!sig) return openssl_failed(false);
  if (p != reinterpret_cast<const unsigned char*>(signature.data()) + signature.size()) return false;
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &der);
  const bool same = len > 0 && static_cast<std::size_t>(len) == signature.size() &&
                    std::string_view(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len)) == signature;
  OPENSSL_free(der);
  return same;
}

}  // namespace

std::optional<CoseAlg> cose_alg_from_int(std::int64_t value) {
  switch (value) {
    case static_cast<std::int64_t>(CoseAlg::ES256): return CoseAlg::ES256;
    case static_cast<std::int64_t>(CoseAlg::EdDSA): return CoseAlg::EdDSA;
    case static_cast<std::int64_t>(CoseAlg::RS256): return CoseAlg::RS256;
  }
  return std::nullopt;
}

std::string_view cose_alg_name(CoseAlg alg) {
  switch (alg) {
    case CoseAlg::ES256: return "ES256";
    case CoseAlg::EdDSA: return "EdDSA";
    case CoseAlg::RS256: return "RS256";
  }
  unreachable();
}

Result<CoseKey, WebauthnError> CoseKey::parse(std::string_view cose) {
  auto item = cbor::decode_exact(cose, cbor::kKeyLimits);
  if (!item) return item.error();
  return from_item(item->get());
}

Result<CoseKey, WebauthnError> CoseKey::from_item(const cbor_item_t* key) {
  if (!key || !cbor_isa_map(key)) return WebauthnError::key_malformed;
  auto kty = cbor::as_int(cbor::map_find(key, kKty));
  auto alg_value = cbor::as_int(cbor::map_find(key, kAlg));
  // WebAuthn §5.8.5 requires alg in a credential public key.
  if (!kty || !alg_value) return WebauthnError::key_malformed;
  // A private key has no business in a response: refuse rather than ignore.
  if (cbor::map_find(key, kD)) return WebauthnError::key_malformed;
  auto alg = cose_alg_from_int(*alg_value);
  if (!alg) return WebauthnError::key_unsupported;
  // Each alg pinned to its key type: an "RS256" EC2 key is malformed, not converted.
  Result<std::shared_ptr<EVP_PKEY>, WebauthnError> pkey = WebauthnError::internal;
  switch (*alg) {
    case CoseAlg::ES256:
      if (*kty != kKtyEc2) return WebauthnError::key_malformed;
      pkey = ec2_key(key);
      break;
    case CoseAlg::EdDSA:
      if (*kty != kKtyOkp) return WebauthnError::key_malformed;
      pkey = okp_key(key);
      break;
    case CoseAlg::RS256:
      if (*kty != kKtyRsa) return WebauthnError::key_malformed;
      pkey = rsa_key(key);
      break;
  }
  if (!pkey) return pkey.error();
  return CoseKey(*alg, std::move(*pkey));
}

Result<void, WebauthnError> CoseKey::verify(std::string_view message, std::string_view signature) const {
  const EVP_MD* md = nullptr;
  switch (alg_) {
    case CoseAlg::ES256:
      // Why 72: the longest DER encoding of two 32-byte integers (each with a 0x00 pad).
      if (signature.size() < 8 || signature.size() > 72 || !strict_der_ecdsa(signature))
        return WebauthnError::signature_malformed;
      md = EVP_sha256();
      break;
    case CoseAlg::EdDSA:
      if (signature.size() != 64) return WebauthnError::signature_malformed;
      break;  // Ed25519 hashes internally: no digest
    case CoseAlg::RS256:
      if (signature.size() != static_cast<std::size_t>(EVP_PKEY_get_size(pkey_.get())))
        return WebauthnError::signature_malformed;
      md = EVP_sha256();
      break;
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, pkey_.get()) != 1)
    return openssl_failed(WebauthnError::internal);
  if (alg_ == CoseAlg::RS256 && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
    return openssl_failed(WebauthnError::internal);
  const int ok = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                                  signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                                  message.size());
  if (ok != 1) return openssl_failed(WebauthnError::signature_invalid);
  return {};
}

}  // namespace cloakroom::webauthn
