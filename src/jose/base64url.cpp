#include "jose/base64url.h"

#include <array>
#include <span>

#include "core/random.h"

namespace cloakroom::jose {
namespace {

constexpr std::array<signed char, 256> make_table() {
  std::array<signed char, 256> t{};
  for (auto& v : t) v = -1;
  const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<signed char>(i);
  return t;
}
constexpr auto kTable = make_table();

}  // namespace

std::optional<std::string> base64url_decode(std::string_view text) {
  std::string out;
  if (!base64url_decode_into(text, out)) return std::nullopt;
  return out;
}

bool base64url_decode_into(std::string_view text, std::string& out) {
  const std::size_t rem = text.size() % 4;
  if (rem == 1) return false;
  const std::size_t full = text.size() / 4;
  out.resize(full * 3 + (rem ? rem - 1 : 0));
  auto v = [&](std::size_t i) { return static_cast<int>(kTable[static_cast<unsigned char>(text[i])]); };
  char* o = out.data();
  int bad = 0;  // any -1 from the table turns this negative
  for (std::size_t g = 0; g < full; ++g, o += 3) {
    int a = v(4 * g), b = v(4 * g + 1), c = v(4 * g + 2), d = v(4 * g + 3);
    bad |= a | b | c | d;
    unsigned n = (static_cast<unsigned>(a) << 18) | (static_cast<unsigned>(b) << 12) |
                 (static_cast<unsigned>(c) << 6) | static_cast<unsigned>(d);
    o[0] = static_cast<char>(n >> 16);
    o[1] = static_cast<char>(n >> 8);
    o[2] = static_cast<char>(n);
  }
  if (rem >= 2) {
    std::size_t i = 4 * full;
    int a = v(i), b = v(i + 1), c = rem == 3 ? v(i + 2) : 0;
    bad |= a | b | c;
    if (bad >= 0) {
      // Leftover bits must be zero for the encoding to be canonical.
      if (rem == 2 && (b & 0x0F) != 0) return false;
      if (rem == 3 && (c & 0x03) != 0) return false;
      o[0] = static_cast<char>((a << 2) | (b >> 4));
      if (rem == 3) o[1] = static_cast<char>(((b & 0x0F) << 4) | (c >> 2));
    }
  }
  return bad >= 0;
}

bool is_base64url(std::string_view text) {
  for (char c : text)
    if (kTable[static_cast<unsigned char>(c)] < 0) return false;
  return true;
}

std::string base64url_encode(std::string_view bytes) {
  return cloakroom::base64url_encode(
      std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()));
}

}  // namespace cloakroom::jose
