#include "core/random.h"

#include <sodium.h>

#include <vector>

namespace cloakroom {

void OsRandom::fill(std::span<unsigned char> out) { randombytes_buf(out.data(), out.size()); }

std::string base64url_encode(std::span<const unsigned char> data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((data.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    unsigned v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (std::size_t rest = data.size() - i; rest > 0) {
    unsigned v = data[i] << 16;
    if (rest == 2) v |= data[i + 1] << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    if (rest == 2) out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::string random_token(Random& rng, std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  rng.fill(buf);
  std::string out = base64url_encode(buf);
  sodium_memzero(buf.data(), buf.size());
  return out;
}

}  // namespace cloakroom
