#include "webauthn/cbor.h"

#include <vector>

namespace cloakroom::webauthn::cbor {
namespace {

// The pre-pass's state: how many items each open container still expects.
struct Scan {
  const Limits* limits;
  std::vector<std::uint64_t> open;
  std::optional<WebauthnError> error;

  void fail(WebauthnError e) {
    if (!error) error = e;
  }
  // A complete item (a scalar or an empty container) fills a slot of the
  // innermost open container; containers whose slots are all filled close.
  void item() {
    if (open.empty()) return;
    --open.back();
    while (!open.empty() && open.back() == 0) open.pop_back();
  }
  // A container's header: it takes its parent's slot now, but the parent
  // stays open (and counts towards depth) until this one is complete.
  void container(std::uint64_t members, std::uint64_t slots) {
    if (members > limits->max_members) return fail(WebauthnError::cbor_too_many_members);
    if (open.size() + 1 > static_cast<std::size_t>(limits->max_depth)) return fail(WebauthnError::cbor_too_deep);
    if (slots == 0) return item();
    if (!open.empty()) --open.back();
    open.push_back(slots);
  }
};

Scan& scan(void* ctx) { return *static_cast<Scan*>(ctx); }

template <class T>
void on_scalar(void* ctx, T) {
  scan(ctx).item();
}
void on_simple(void* ctx) { scan(ctx).item(); }
void on_string(void* ctx, cbor_data, uint64_t) { scan(ctx).item(); }
void on_not_canonical(void* ctx) { scan(ctx).fail(WebauthnError::cbor_not_canonical); }
template <class T>
void on_not_canonical_value(void* ctx, T) {
  scan(ctx).fail(WebauthnError::cbor_not_canonical);
}
void on_array(void* ctx, uint64_t size) { scan(ctx).container(size, size); }
void on_map(void* ctx, uint64_t size) {
  // Why the check before doubling: a declared size near 2^64 must not wrap.
  if (size > scan(ctx).limits->max_members) return scan(ctx).fail(WebauthnError::cbor_too_many_members);
  scan(ctx).container(size, 2 * size);
}

cbor_callbacks make_callbacks() {
  cbor_callbacks cb = cbor_empty_callbacks;
  cb.uint8 = on_scalar<uint8_t>;
  cb.uint16 = on_scalar<uint16_t>;
  cb.uint32 = on_scalar<uint32_t>;
  cb.uint64 = on_scalar<uint64_t>;
  cb.negint8 = on_scalar<uint8_t>;
  cb.negint16 = on_scalar<uint16_t>;
  cb.negint32 = on_scalar<uint32_t>;
  cb.negint64 = on_scalar<uint64_t>;
  cb.byte_string = on_string;
  cb.string = on_string;
  cb.array_start = on_array;
  cb.map_start = on_map;
  cb.null = on_simple;
  cb.undefined = on_simple;
  cb.boolean = on_scalar<bool>;
  // Indefinite lengths, tags and floats: outside CTAP2 canonical CBOR.
  cb.byte_string_start = on_not_canonical;
  cb.string_start = on_not_canonical;
  cb.indef_array_start = on_not_canonical;
  cb.indef_map_start = on_not_canonical;
  cb.indef_break = on_not_canonical;
  cb.tag = on_not_canonical_value<uint64_t>;
  cb.float2 = on_not_canonical_value<float>;
  cb.float4 = on_not_canonical_value<float>;
  cb.float8 = on_not_canonical_value<double>;
  return cb;
}

// Walks one item's headers with the streaming decoder (no allocation per
// declared member) over at most limits.max_bytes of `bytes`; how many bytes
// the item spans. An item that would run past the limit is too_large.
Result<std::size_t, WebauthnError> measure(std::string_view bytes, const Limits& limits) {
  static const cbor_callbacks callbacks = make_callbacks();
  const bool cut = bytes.size() > limits.max_bytes;
  const std::string_view window = bytes.substr(0, limits.max_bytes);
  const WebauthnError short_input = cut ? WebauthnError::too_large : WebauthnError::cbor_malformed;
  Scan s{&limits, {}, std::nullopt};
  std::size_t at = 0;
  do {
    if (at >= window.size()) return short_input;  // a container ends early
    auto r = cbor_stream_decode(reinterpret_cast<cbor_data>(window.data()) + at, window.size() - at, &callbacks, &s);
    if (r.status == CBOR_DECODER_NEDATA) return short_input;
    if (r.status != CBOR_DECODER_FINISHED) return WebauthnError::cbor_malformed;
    at += r.read;
    if (s.error) return *s.error;
  } while (!s.open.empty());
  return at;
}

bool same_key(const cbor_item_t* a, const cbor_item_t* b) {
  if (cbor_typeof(a) != cbor_typeof(b)) return false;
  if (cbor_isa_string(a)) {
    return cbor_string_length(a) == cbor_string_length(b) &&
           std::string_view(reinterpret_cast<const char*>(cbor_string_handle(a)), cbor_string_length(a)) ==
               std::string_view(reinterpret_cast<const char*>(cbor_string_handle(b)), cbor_string_length(b));
  }
  return cbor_get_int(a) == cbor_get_int(b);
}

// Map keys are integers or text, each at most once (parsers disagree on which
// duplicate wins: refuse the question), in every map of the tree.
Result<void, WebauthnError> check_keys(const cbor_item_t* item) {
  if (cbor_isa_array(item)) {
    for (std::size_t i = 0; i < cbor_array_size(item); ++i)
      if (auto r = check_keys(cbor_array_handle(item)[i]); !r) return r;
    return {};
  }
  if (!cbor_isa_map(item)) return {};
  const cbor_pair* pairs = cbor_map_handle(item);
  const std::size_t n = cbor_map_size(item);
  for (std::size_t i = 0; i < n; ++i) {
    const cbor_item_t* key = pairs[i].key;
    if (!cbor_isa_uint(key) && !cbor_isa_negint(key) && !cbor_isa_string(key))
      return WebauthnError::cbor_not_canonical;
    // Quadratic, but n <= Limits::max_members (16).
    for (std::size_t j = 0; j < i; ++j)
      if (same_key(key, pairs[j].key)) return WebauthnError::cbor_malformed;
    if (auto r = check_keys(pairs[i].value); !r) return r;
  }
  return {};
}

}  // namespace

Result<Item, WebauthnError> decode_prefix(std::string_view bytes, const Limits& limits, std::size_t* consumed) {
  auto size = measure(bytes, limits);
  if (!size) return size.error();
  cbor_load_result loaded{};
  Item item(cbor_load(reinterpret_cast<cbor_data>(bytes.data()), *size, &loaded));
  if (!item) return loaded.error.code == CBOR_ERR_MEMERROR ? WebauthnError::internal : WebauthnError::cbor_malformed;
  if (loaded.read != *size) return WebauthnError::cbor_malformed;  // the two decoders disagree: refuse
  if (auto r = check_keys(item.get()); !r) return r.error();
  *consumed = *size;
  return item;
}

Result<Item, WebauthnError> decode_exact(std::string_view bytes, const Limits& limits) {
  if (bytes.size() > limits.max_bytes) return WebauthnError::too_large;
  std::size_t used = 0;
  auto item = decode_prefix(bytes, limits, &used);
  if (!item) return item.error();
  if (used != bytes.size()) return WebauthnError::cbor_malformed;  // trailing bytes
  return item;
}

const cbor_item_t* map_find(const cbor_item_t* map, std::string_view key) {
  if (!map || !cbor_isa_map(map)) return nullptr;
  const cbor_pair* pairs = cbor_map_handle(map);
  for (std::size_t i = 0; i < cbor_map_size(map); ++i)
    if (as_text(pairs[i].key) == key) return pairs[i].value;
  return nullptr;
}

const cbor_item_t* map_find(const cbor_item_t* map, std::int64_t key) {
  if (!map || !cbor_isa_map(map)) return nullptr;
  const cbor_pair* pairs = cbor_map_handle(map);
  for (std::size_t i = 0; i < cbor_map_size(map); ++i)
    if (as_int(pairs[i].key) == key) return pairs[i].value;
  return nullptr;
}

std::optional<std::int64_t> as_int(const cbor_item_t* item) {
  if (!item) return std::nullopt;
  const bool negative = cbor_isa_negint(item);
  if (!negative && !cbor_isa_uint(item)) return std::nullopt;
  const std::uint64_t raw = cbor_get_int(item);
  if (raw > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
  // A CBOR negative integer n encodes -1 - n.
  return negative ? -1 - static_cast<std::int64_t>(raw) : static_cast<std::int64_t>(raw);
}

std::optional<std::string_view> as_bytes(const cbor_item_t* item) {
  if (!item || !cbor_isa_bytestring(item) || !cbor_bytestring_is_definite(item)) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(cbor_bytestring_handle(item)), cbor_bytestring_length(item));
}

std::optional<std::string_view> as_text(const cbor_item_t* item) {
  if (!item || !cbor_isa_string(item) || !cbor_string_is_definite(item)) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(cbor_string_handle(item)), cbor_string_length(item));
}

}  // namespace cloakroom::webauthn::cbor
