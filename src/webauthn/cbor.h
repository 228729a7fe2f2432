#pragma once
// Strict CBOR decoding for WebAuthn, on Debian's libcbor: limits are checked
// with libcbor's streaming decoder before libcbor builds any item, so a
// hostile header ("a map of 2^32 pairs") never turns into an allocation.
//
//   std::size_t used = 0;
//   auto key = cbor::decode_prefix(rest, cbor::kKeyLimits, &used);   // one item, maybe followed by more
//   auto obj = cbor::decode_exact(bytes, cbor::kAttestationLimits);  // one item and nothing after it
//   if (!obj) return obj.error();                                     // a WebauthnError, e.g. cbor_malformed
//   const cbor_item_t* fmt = cbor::map_find(obj->get(), "fmt");       // nullptr when absent
//
// Accepted: CTAP2's subset: definite lengths only, no tags, no floats; map
// keys are integers or text and never repeat. Not checked: key order and
// minimal integer encoding (the WebAuthn spec tells relying parties not to
// insist on them). Callers decide what the items mean.
#include <cbor.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "core/result.h"
#include "webauthn/webauthn_error.h"

namespace cloakroom::webauthn::cbor {

struct Limits {
  std::size_t max_bytes;
  int max_depth;
  std::size_t max_members;  // per map (pairs) or array (items)
};
// Why these: an attestationObject is a map of three with authData (a few
// hundred bytes) and an attStmt that may carry a certificate chain (x5c: a
// few KB); a COSE_Key is a flat map of at most 5 members (RSA: n of 512
// bytes for 4096 bits); extensions are small maps. Depth 4 covers
// attStmt.x5c[i]; nothing legitimate nests deeper.
inline constexpr Limits kAttestationLimits{16 * 1024, 4, 16};
inline constexpr Limits kKeyLimits{2048, 1, 8};
inline constexpr Limits kExtensionLimits{1024, 4, 16};

struct ItemFree {
  void operator()(cbor_item_t* item) const { cbor_decref(&item); }
};
using Item = std::unique_ptr<cbor_item_t, ItemFree>;

// One item at the start of `bytes`; *consumed = how many bytes it spans
// (the rest is the caller's). Checks limits, canonical subset, unique keys.
Result<Item, WebauthnError> decode_prefix(std::string_view bytes, const Limits& limits, std::size_t* consumed);
// One item spanning all of `bytes`: trailing bytes are cbor_malformed.
Result<Item, WebauthnError> decode_exact(std::string_view bytes, const Limits& limits);

// The value of a map member by text or integer key; nullptr when `map` is
// no map or has no such key (keys are unique: decode checked).
const cbor_item_t* map_find(const cbor_item_t* map, std::string_view key);
const cbor_item_t* map_find(const cbor_item_t* map, std::int64_t key);
// An integer item (unsigned or negative) that fits int64; else nullopt.
std::optional<std::int64_t> as_int(const cbor_item_t* item);
// The bytes of a byte string / text string item; nullopt for any other type.
std::optional<std::string_view> as_bytes(const cbor_item_t* item);
std::optional<std::string_view> as_text(const cbor_item_t* item);

}  // namespace cloakroom::webauthn::cbor
