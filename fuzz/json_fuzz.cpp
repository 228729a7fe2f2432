// libFuzzer target for the strict JSON reader.
// Invariants: never crashes or hangs; anything it accepts, written back out
// by json::Writer, parses again to the same structure.
#include <cstdint>
#include <string_view>

#include "core/json.h"

namespace {

using cloakroom::json::Type;
using cloakroom::json::Value;
using cloakroom::json::Writer;

void write(Writer& w, const Value& v) {
  switch (v.type) {
    case Type::null: w.null(); break;
    case Type::boolean: w.boolean(v.boolean); break;
    case Type::number: w.number_literal(v.text); break;
    case Type::string: w.string(v.text); break;
    case Type::array:
      w.begin_array();
      for (const auto& item : v.items) write(w, item);
      w.end_array();
      break;
    case Type::object:
      w.begin_object();
      for (const auto& [k, m] : v.members) {
        w.key(k);
        write(w, m);
      }
      w.end_object();
      break;
  }
}

bool same(const Value& a, const Value& b) {
  if (a.type != b.type || a.boolean != b.boolean || a.text != b.text || a.items.size() != b.items.size() ||
      a.members.size() != b.members.size())
    return false;
  for (std::size_t i = 0; i < a.items.size(); ++i)
    if (!same(a.items[i], b.items[i])) return false;
  for (std::size_t i = 0; i < a.members.size(); ++i)
    if (a.members[i].name != b.members[i].name || !same(a.members[i].value, b.members[i].value)) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = cloakroom::json::parse(text, {.max_bytes = 64 * 1024, .max_depth = 16});
  if (!parsed) return 0;
  Writer w;
  write(w, *parsed);
  auto again = cloakroom::json::parse(w.str(), {.max_bytes = 1 << 20, .max_depth = 16});
  if (!again || !same(*parsed, *again)) __builtin_trap();
  return 0;
}
