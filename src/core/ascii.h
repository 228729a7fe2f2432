#pragma once
// ASCII-only case handling for protocol tokens (header names, schemes,
// hosts, algorithm names). Never for user text: Unicode case is not ASCII's.
//
//   ascii_lower("HTTPS://Example.COM") == "https://example.com"
//   iequals_ascii("Bearer", "bEaReR")
//   trim_ascii("  a b\t") == "a b"
#include <string>
#include <string_view>

namespace cloakroom {

inline char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

inline bool iequals_ascii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

// `s` without the spaces and tabs around it.
inline std::string_view trim_ascii(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

// 0-15 for a hexadecimal digit of either case, -1 otherwise (percent-decoding).
inline int hex_digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The byte a "%XY" escape at s[i] stands for, or -1 when s[i..i+2] is not a
// complete one. Callers decide what a decoded byte may be.
inline int percent_escape_at(std::string_view s, std::size_t i) {
  if (i + 2 >= s.size() || s[i] != '%') return -1;
  int hi = hex_digit_value(s[i + 1]), lo = hex_digit_value(s[i + 2]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

// Percent-encodes everything but unreserved characters (RFC 3986 §2.3).
inline std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    bool unreserved = (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || c == '-' ||
                      c == '.' || c == '_' || c == '~';
    if (unreserved) out += c;
    else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

}  // namespace cloakroom
