#include "jose/jwk.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <mutex>
#include <cstring>
#include <vector>

#include "core/digest.h"
#include "core/unreachable.h"
#include "jose/base64url.h"

namespace cloakroom::jose {
namespace {

// ---- small RAII helpers for OpenSSL ---------------------------------------

struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct PkeyCtxFree { void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); } };
struct MdCtxFree { void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); } };
struct MacCtxFree { void operator()(EVP_MAC_CTX* p) const { EVP_MAC_CTX_free(p); } };
struct BnFree { void operator()(BIGNUM* p) const { BN_clear_free(p); } };
struct BldFree { void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); } };
struct ParamFree { void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); } };
struct SigFree { void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); } };

using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Bn = std::unique_ptr<BIGNUM, BnFree>;

// OpenSSL records why a call failed on a per-thread error queue. We never
// read it, but it outlives the call: left there, a stale entry would be taken
// for the failure of a later, unrelated call on the same thread (anything
// that checks ERR_get_error or ERR_peek_error). Every OpenSSL failure path
// returns through this.
template <class T>
T openssl_failed(T result) {
  ERR_clear_error();
  return result;
}

// The digest an HS* algorithm names; nullptr for the others (not HMAC).
const char* hmac_digest_name(Alg alg) {
  switch (alg) {
    case Alg::HS256: return "SHA256";
    case Alg::HS384: return "SHA384";
    case Alg::HS512: return "SHA512";
    case Alg::RS256:
    case Alg::PS256:
    case Alg::ES256:
    case Alg::EdDSA: return nullptr;
  }
  unreachable();
}

// The HMAC output (and minimum key) size in bytes; 0 for the others (not HMAC).
std::size_t hmac_size(Alg alg) {
  switch (alg) {
    case Alg::HS256: return 32;
    case Alg::HS384: return 48;
    case Alg::HS512: return 64;
    case Alg::RS256:
    case Alg::PS256:
    case Alg::ES256:
    case Alg::EdDSA: return 0;
  }
  unreachable();
}

// The order n of P-256, big-endian: ECDSA r and s must lie in [1, n-1].
constexpr std::array<unsigned char, 32> kP256Order = {
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51};

bool in_scalar_range(const unsigned char* v) {
  bool zero = std::all_of(v, v + 32, [](unsigned char c) { return c == 0; });
  return !zero && std::memcmp(v, kP256Order.data(), 32) < 0;  // big-endian compare
}

Bn bn_from(std::string_view bytes) {
  return Bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()), nullptr));
}

std::string bn_bytes(const BIGNUM* bn, int pad = 0) {
  int n = pad > 0 ? pad : BN_num_bytes(bn);
  std::string out(static_cast<std::size_t>(n), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), n);
  return out;
}

std::string get_bn(EVP_PKEY* pkey, const char* name, int pad = 0) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) return openssl_failed(std::string());
  Bn bn(raw);
  return bn_bytes(bn.get(), pad);
}

// Fetched once: naming the digest per call makes OpenSSL look it up every time.
const EVP_MD* sha256_md() {
  static EVP_MD* md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched ? fetched : openssl_failed(fetched);
  }();
  return md;
}

const EVP_MAC* hmac() {
  static EVP_MAC* mac = [] {
    EVP_MAC* fetched = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    return fetched ? fetched : openssl_failed(fetched);
  }();
  return mac;
}

}  // namespace

struct Jwk::Impl {
  Alg alg{};
  std::string kid;
  bool has_private = false;
  // oct
  std::string secret;
  std::unique_ptr<EVP_MAC_CTX, MacCtxFree> mac_template;  // keyed once
  // Keyed contexts ready for reuse: EVP_MAC_init with a NULL key resets one to
  // the keyed state without the allocations of a dup.
  mutable std::mutex mac_pool_mu;
  mutable std::vector<EVP_MAC_CTX*> mac_pool;
  // RSA / EC
  Pkey pkey;
  // Ed25519 (libsodium: verify is ~2x faster than OpenSSL 3.0's)
  std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> ed_public{};
  std::array<unsigned char, crypto_sign_SECRETKEYBYTES> ed_secret{};

  ~Impl() {
    for (EVP_MAC_CTX* c : mac_pool) EVP_MAC_CTX_free(c);
    sodium_memzero(ed_secret.data(), ed_secret.size());
    sodium_memzero(secret.data(), secret.size());
  }
};

namespace {

using Impl = Jwk::Impl;

Result<void, JoseError> init_hmac(Impl& k) {
  const char* digest = hmac_digest_name(k.alg);
  if (!digest) return JoseError::internal;  // not an HMAC key: a bug in the caller
  k.mac_template.reset(EVP_MAC_CTX_new(const_cast<EVP_MAC*>(hmac())));
  if (!k.mac_template) return openssl_failed(JoseError::internal);
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest), 0),
                         OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(k.mac_template.get(), reinterpret_cast<const unsigned char*>(k.secret.data()), k.secret.size(),
                   params) != 1)
    return openssl_failed(JoseError::internal);
  return {};
}

// HMAC of `input` into `out` (EVP_MAX_MD_SIZE bytes); false on a library failure.
bool hmac_compute(const Impl& k, std::string_view input, unsigned char* out, std::size_t* len) {
  EVP_MAC_CTX* ctx = nullptr;
  {
    std::lock_guard lock(k.mac_pool_mu);
    if (!k.mac_pool.empty()) {
      ctx = k.mac_pool.back();
      k.mac_pool.pop_back();
    }
  }
  bool fresh = ctx == nullptr;
  if (fresh && k.mac_template) ctx = EVP_MAC_CTX_dup(k.mac_template.get());
  bool ok = ctx && (fresh || EVP_MAC_init(ctx, nullptr, 0, nullptr) == 1) &&
            EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1 &&
            EVP_MAC_final(ctx, out, len, EVP_MAX_MD_SIZE) == 1;
  if (!ctx) return openssl_failed(false);
  {
    std::lock_guard lock(k.mac_pool_mu);
    // Why 64: enough for every I/O thread at once; more would only hold memory.
    if (ok && k.mac_pool.size() < 64) k.mac_pool.push_back(ctx);
    else EVP_MAC_CTX_free(ctx);
  }
  return ok ? true : openssl_failed(false);
}

Result<std::string, JoseError> hmac_sign(const Impl& k, std::string_view input) {
  unsigned char out[EVP_MAX_MD_SIZE];
  std::size_t len = 0;
  if (!hmac_compute(k, input, out, &len)) return JoseError::internal;
  return std::string(reinterpret_cast<char*>(out), len);
}

// Configures PSS as RFC 7518 §3.5 fixes it: MGF1 with the same hash, salt = hash length.
bool set_pss(EVP_PKEY_CTX* pctx) {
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
}

Result<std::string, JoseError> pkey_sign(const Impl& k, std::string_view input) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> md(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!md || EVP_DigestSignInit(md.get(), &pctx, sha256_md(), nullptr, k.pkey.get()) != 1)
    return openssl_failed(JoseError::internal);
  if (k.alg == Alg::PS256 && !set_pss(pctx)) return openssl_failed(JoseError::internal);
  std::size_t len = 0;
  auto in = reinterpret_cast<const unsigned char*>(input.data());
  if (EVP_DigestSign(md.get(), nullptr, &len, in, input.size()) != 1) return openssl_failed(JoseError::internal);
  std::string sig(len, '\0');
  if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in, input.size()) != 1)
    return openssl_failed(JoseError::internal);
  sig.resize(len);
  if (k.alg != Alg::ES256) return sig;
  // OpenSSL speaks DER; JWS wants the raw 64-byte r||s (RFC 7518 §3.4).
  const unsigned char* p = reinterpret_cast<const unsigned char*>(sig.data());
  std::unique_ptr<ECDSA_SIG, SigFree> ecdsa(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())));
  if (!ecdsa) return openssl_failed(JoseError::internal);
  return bn_bytes(ECDSA_SIG_get0_r(ecdsa.get()), 32) + bn_bytes(ECDSA_SIG_get0_s(ecdsa.get()), 32);
}

Result<void, JoseError> pkey_verify(const Impl& k, std::string_view input, std::string_view signature) {
  std::string der;
  if (k.alg == Alg::ES256) {
    // Raw r||s only (DER is refused by length), and r, s in [1, n-1] before
    // any arithmetic: the "psychic signature" (r = s = 0) never reaches OpenSSL.
    if (signature.size() != 64) return JoseError::signature_malformed;
    auto raw = reinterpret_cast<const unsigned char*>(signature.data());
    if (!in_scalar_range(raw) || !in_scalar_range(raw + 32)) return JoseError::signature_malformed;
    std::unique_ptr<ECDSA_SIG, SigFree> ecdsa(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(raw, 32, nullptr);
    BIGNUM* s = BN_bin2bn(raw + 32, 32, nullptr);
    if (!ecdsa || !r || !s || ECDSA_SIG_set0(ecdsa.get(), r, s) != 1) {
      BN_free(r);
      BN_free(s);
      return openssl_failed(JoseError::internal);
    }
    unsigned char* out = nullptr;
    int len = i2d_ECDSA_SIG(ecdsa.get(), &out);
    if (len <= 0) return openssl_failed(JoseError::internal);
    der.assign(reinterpret_cast<char*>(out), static_cast<std::size_t>(len));
    OPENSSL_free(out);
    signature = der;
  } else if (static_cast<int>(signature.size()) != EVP_PKEY_get_size(k.pkey.get())) {
    return JoseError::signature_malformed;
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> md(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!md || EVP_DigestVerifyInit(md.get(), &pctx, sha256_md(), nullptr, k.pkey.get()) != 1)
    return openssl_failed(JoseError::internal);
  if (k.alg == Alg::PS256 && !set_pss(pctx)) return openssl_failed(JoseError::internal);
  int ok = EVP_DigestVerify(md.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                            reinterpret_cast<const unsigned char*>(input.data()), input.size());
  // A wrong signature is an OpenSSL failure too: it queues "bad signature".
  if (ok != 1) return openssl_failed(JoseError::signature_invalid);
  return {};
}

// Member `name` of a JWK as decoded base64url bytes; nullopt when absent or bad.
std::optional<std::string> member_bytes(const json::Value& jwk, std::string_view name) {
  const json::Value* v = jwk.find(name);
  if (!v || !v->is_string()) return std::nullopt;
  return base64url_decode(v->text);
}

std::string text_member(const json::Value& jwk, std::string_view name) {
  const json::Value* v = jwk.find(name);
  return v && v->is_string() ? v->text : std::string();
}

Pkey pkey_fromdata(const char* type, OSSL_PARAM_BLD* bld, bool with_private) {
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* out = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &out, with_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return openssl_failed(Pkey());
  Pkey pkey(out);
  // A point off the curve or an inconsistent RSA key must not be usable.
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return openssl_failed(Pkey());
  // A private half that does not belong to the public half would sign tokens
  // nobody can verify: refuse it at import.
  if (with_private && EVP_PKEY_pairwise_check(check.get()) != 1) return openssl_failed(Pkey());
  return pkey;
}

Result<void, JoseError> import_rsa(Impl& k, const json::Value& jwk) {
  auto n = member_bytes(jwk, "n");
  auto e = member_bytes(jwk, "e");
  if (!n || !e || n->empty() || e->empty() || (*n)[0] == '\0') return JoseError::key_invalid;
  // Why: RFC 7518 §3.3 requires 2048 bits or more.
  if (n->size() < 256) return JoseError::key_invalid;
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  std::vector<Bn> keep;
  auto push = [&](const char* name, const std::string& bytes) {
    keep.push_back(bn_from(bytes));
    return keep.back() && OSSL_PARAM_BLD_push_BN(bld.get(), name, keep.back().get()) == 1;
  };
  if (!bld || !push(OSSL_PKEY_PARAM_RSA_N, *n) || !push(OSSL_PKEY_PARAM_RSA_E, *e))
    return openssl_failed(JoseError::key_invalid);
  if (jwk.find("d")) {
    auto d = member_bytes(jwk, "d");
    auto p = member_bytes(jwk, "p");
    auto q = member_bytes(jwk, "q");
    auto dp = member_bytes(jwk, "dp");
    auto dq = member_bytes(jwk, "dq");
    auto qi = member_bytes(jwk, "qi");
    if (!d || !p || !q || !dp || !dq || !qi) return JoseError::key_invalid;
    if (!push(OSSL_PKEY_PARAM_RSA_D, *d) || !push(OSSL_PKEY_PARAM_RSA_FACTOR1, *p) ||
        !push(OSSL_PKEY_PARAM_RSA_FACTOR2, *q) || !push(OSSL_PKEY_PARAM_RSA_EXPONENT1, *dp) ||
        !push(OSSL_PKEY_PARAM_RSA_EXPONENT2, *dq) || !push(OSSL_PKEY_PARAM_RSA_COEFFICIENT1, *qi))
      return openssl_failed(JoseError::key_invalid);
    k.has_private = true;
  }
  k.pkey = pkey_fromdata("RSA", bld.get(), k.has_private);
  if (!k.pkey) return JoseError::key_invalid;
  return {};
}

Result<void, JoseError> import_ec(Impl& k, const json::Value& jwk) {
  if (text_member(jwk, "crv") != "P-256") return JoseError::key_invalid;
  auto x = member_bytes(jwk, "x");
  auto y = member_bytes(jwk, "y");
  if (!x || !y || x->size() != 32 || y->size() != 32) return JoseError::key_invalid;
  std::string point = "\x04" + *x + *y;
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  Bn d;
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1)
    return openssl_failed(JoseError::key_invalid);
  if (jwk.find("d")) {
    auto dd = member_bytes(jwk, "d");
    if (!dd || dd->size() != 32 || !in_scalar_range(reinterpret_cast<const unsigned char*>(dd->data())))
      return JoseError::key_invalid;
    d = bn_from(*dd);
    if (!d || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()) != 1)
      return openssl_failed(JoseError::key_invalid);
    k.has_private = true;
  }
  k.pkey = pkey_fromdata("EC", bld.get(), k.has_private);
  if (!k.pkey) return JoseError::key_invalid;
  return {};
}

Result<void, JoseError> import_okp(Impl& k, const json::Value& jwk) {
  if (text_member(jwk, "crv") != "Ed25519") return JoseError::key_invalid;
  auto x = member_bytes(jwk, "x");
  if (!x || x->size() != crypto_sign_PUBLICKEYBYTES) return JoseError::key_invalid;
  std::memcpy(k.ed_public.data(), x->data(), x->size());
  if (jwk.find("d")) {
    auto d = member_bytes(jwk, "d");
    if (!d || d->size() != crypto_sign_SEEDBYTES) return JoseError::key_invalid;
    std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> derived{};
    crypto_sign_seed_keypair(derived.data(), k.ed_secret.data(), reinterpret_cast<const unsigned char*>(d->data()));
    if (sodium_memcmp(derived.data(), k.ed_public.data(), derived.size()) != 0) return JoseError::key_invalid;
    k.has_private = true;
  }
  return {};
}

Result<void, JoseError> import_oct(Impl& k, const json::Value& jwk) {
  auto secret = member_bytes(jwk, "k");
  // Why: RFC 7518 §3.2: a key at least as long as the hash output.
  if (!secret || secret->size() < hmac_size(k.alg)) return JoseError::key_invalid;
  k.secret = std::move(*secret);
  k.has_private = true;
  return init_hmac(k);
}

void put_b64(json::Writer& w, std::string_view name, std::string_view bytes) {
  w.key(name);
  w.string(base64url_encode(bytes));
}

// The members RFC 7638 requires, in its lexicographic order: the thumbprint
// input and the start of every JWK we write (member order is free in JWKs).
void write_required_members(json::Writer& w, const Impl& k) {
  switch (k.alg) {
    case Alg::ES256:
      w.key("crv"); w.string("P-256");
      w.key("kty"); w.string("EC");
      put_b64(w, "x", get_bn(k.pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32));
      put_b64(w, "y", get_bn(k.pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32));
      break;
    case Alg::RS256:
    case Alg::PS256:
      put_b64(w, "e", get_bn(k.pkey.get(), OSSL_PKEY_PARAM_RSA_E));
      w.key("kty"); w.string("RSA");
      put_b64(w, "n", get_bn(k.pkey.get(), OSSL_PKEY_PARAM_RSA_N));
      break;
    case Alg::EdDSA:
      w.key("crv"); w.string("Ed25519");
      w.key("kty"); w.string("OKP");
      put_b64(w, "x", std::string_view(reinterpret_cast<const char*>(k.ed_public.data()), k.ed_public.size()));
      break;
    case Alg::HS256:
    case Alg::HS384:
    case Alg::HS512:
      put_b64(w, "k", k.secret);
      w.key("kty"); w.string("oct");
      break;
  }
}

std::string thumbprint_input(const Impl& k) {
  json::Writer w;
  w.begin_object();
  write_required_members(w, k);
  w.end_object();
  return w.take();
}

}  // namespace

Result<Jwk, JoseError> Jwk::from_json(const json::Value& jwk) {
  if (!jwk.is_object()) return JoseError::key_invalid;
  auto impl = std::make_shared<Impl>();
  std::string kty = text_member(jwk, "kty");
  std::string alg = text_member(jwk, "alg");
  // Each key is pinned to one algorithm. EC and OKP keys imply theirs; RSA
  // and oct keys must say which (RS256 vs PS256, HS256 vs HS512...).
  std::optional<Alg> a = alg_from_name(alg);
  if (!alg.empty() && !a) return JoseError::key_invalid;
  if (kty == "EC") {
    if (a && *a != Alg::ES256) return JoseError::key_invalid;
    impl->alg = Alg::ES256;
    if (auto r = import_ec(*impl, jwk); !r) return r.error();
  } else if (kty == "OKP") {
    if (a && *a != Alg::EdDSA) return JoseError::key_invalid;
    impl->alg = Alg::EdDSA;
    if (auto r = import_okp(*impl, jwk); !r) return r.error();
  } else if (kty == "RSA") {
    if (!a || (*a != Alg::RS256 && *a != Alg::PS256)) return JoseError::key_invalid;
    impl->alg = *a;
    if (auto r = import_rsa(*impl, jwk); !r) return r.error();
  } else if (kty == "oct") {
    if (!a || !is_hmac(*a)) return JoseError::key_invalid;
    impl->alg = *a;
    if (auto r = import_oct(*impl, jwk); !r) return r.error();
  } else {
    return JoseError::key_invalid;
  }
  std::string use = text_member(jwk, "use");
  if (!use.empty() && use != "sig") return JoseError::key_invalid;
  impl->kid = text_member(jwk, "kid");
  Jwk key(impl);
  if (impl->kid.empty()) impl->kid = key.thumbprint();
  return key;
}

Result<Jwk, JoseError> Jwk::generate(Alg alg) {
  auto impl = std::make_shared<Impl>();
  impl->alg = alg;
  impl->has_private = true;
  switch (alg) {
    case Alg::HS256:
    case Alg::HS384:
    case Alg::HS512: {
      impl->secret.resize(hmac_size(alg));
      randombytes_buf(impl->secret.data(), impl->secret.size());
      if (auto r = init_hmac(*impl); !r) return r.error();
      break;
    }
    case Alg::RS256:
    case Alg::PS256:
      impl->pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)));
      if (!impl->pkey) return openssl_failed(JoseError::internal);
      break;
    case Alg::ES256:
      impl->pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
      if (!impl->pkey) return openssl_failed(JoseError::internal);
      break;
    case Alg::EdDSA:
      crypto_sign_keypair(impl->ed_public.data(), impl->ed_secret.data());
      break;
  }
  Jwk key(impl);
  impl->kid = key.thumbprint();
  return key;
}

Jwk Jwk::with_kid(std::string kid) const {
  // Impl is immutable after construction except through this copy; OpenSSL
  // handles are shared by bumping their reference counts.
  auto copy = std::make_shared<Impl>();
  copy->alg = impl_->alg;
  copy->kid = std::move(kid);
  copy->has_private = impl_->has_private;
  copy->secret = impl_->secret;
  if (impl_->mac_template) {
    copy->mac_template.reset(EVP_MAC_CTX_dup(impl_->mac_template.get()));
    if (!copy->mac_template) ERR_clear_error();  // the copy then fails every HMAC as internal (hmac_compute)
  }
  if (impl_->pkey) {
    EVP_PKEY_up_ref(impl_->pkey.get());
    copy->pkey.reset(impl_->pkey.get());
  }
  copy->ed_public = impl_->ed_public;
  copy->ed_secret = impl_->ed_secret;
  return Jwk(copy);
}

std::string Jwk::thumbprint() const { return base64url_encode(std::string_view(
    reinterpret_cast<const char*>(sha256(thumbprint_input(*impl_)).data()), 32)); }

const std::string& Jwk::kid() const { return impl_->kid; }
Alg Jwk::alg() const { return impl_->alg; }
bool Jwk::has_private() const { return impl_->has_private; }

void Jwk::write_json(json::Writer& w, bool include_private) const {
  w.begin_object();
  write_members(w, include_private);
  w.end_object();
}

void Jwk::write_members(json::Writer& w, bool include_private) const {
  const Impl& k = *impl_;
  if (is_hmac(k.alg) && !include_private) {
    w.key("kty"); w.string("oct");  // the secret is all an HMAC key has: nothing public to write
  } else {
    write_required_members(w, k);
  }
  if (include_private && k.has_private) {
    switch (k.alg) {
      case Alg::ES256:
        put_b64(w, "d", get_bn(k.pkey.get(), OSSL_PKEY_PARAM_PRIV_KEY, 32));
        break;
      case Alg::RS256:
      case Alg::PS256:
        put_b64(w, "d", get_bn(k.pkey.get(), OSSL_PKEY_PARAM_RSA_D));
        put_b64(w, "p", get_bn(k.pkey.get(), OSSL_PKEY_PARAM_RSA_FACTOR1));
        put_b64(w, "q", get_bn(k.pkey.get(), OSSL_PKEY_PARAM_RSA_FACTOR2));
        put_b64(w, "dp", get_bn(k.pkey.get(), OSSL_PKEY_PARAM_RSA_EXPONENT1));
        put_b64(w, "dq", get_bn(k.pkey.get(), OSSL_PKEY_PARAM_RSA_EXPONENT2));
        put_b64(w, "qi", get_bn(k.pkey.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1));
        break;
      case Alg::EdDSA:
        put_b64(w, "d", std::string_view(reinterpret_cast<const char*>(k.ed_secret.data()), crypto_sign_SEEDBYTES));
        break;
      case Alg::HS256:
      case Alg::HS384:
      case Alg::HS512:
        break;  // "k" is among the required members
    }
  }
  w.key("kid"); w.string(k.kid);
  w.key("alg"); w.string(alg_name(k.alg));
  w.key("use"); w.string("sig");
}

Result<std::string, JoseError> Jwk::sign(std::string_view input) const {
  const Impl& k = *impl_;
  if (!k.has_private) return JoseError::key_not_private;
  switch (k.alg) {
    case Alg::HS256:
    case Alg::HS384:
    case Alg::HS512:
      return hmac_sign(k, input);
    case Alg::EdDSA: {
      std::string sig(crypto_sign_BYTES, '\0');
      crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                           reinterpret_cast<const unsigned char*>(input.data()), input.size(), k.ed_secret.data());
      return sig;
    }
    case Alg::RS256:
    case Alg::PS256:
    case Alg::ES256:
      return pkey_sign(k, input);
  }
  unreachable();
}

Result<void, JoseError> Jwk::verify(std::string_view input, std::string_view signature) const {
  const Impl& k = *impl_;
  switch (k.alg) {
    case Alg::HS256:
    case Alg::HS384:
    case Alg::HS512: {
      if (signature.size() != hmac_size(k.alg)) return JoseError::signature_malformed;
      unsigned char expected[EVP_MAX_MD_SIZE];
      std::size_t len = 0;
      if (!hmac_compute(k, input, expected, &len) || len != signature.size()) return JoseError::internal;
      if (CRYPTO_memcmp(expected, signature.data(), len) != 0) return JoseError::signature_invalid;
      return {};
    }
    case Alg::EdDSA:
      if (signature.size() != crypto_sign_BYTES) return JoseError::signature_malformed;
      if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                      reinterpret_cast<const unsigned char*>(input.data()), input.size(),
                                      k.ed_public.data()) != 0)
        return JoseError::signature_invalid;
      return {};
    case Alg::RS256:
    case Alg::PS256:
    case Alg::ES256:
      return pkey_verify(k, input, signature);
  }
  unreachable();
}

}  // namespace cloakroom::jose
