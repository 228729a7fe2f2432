#include "store/redis/url.h"

#include <charconv>

namespace cloakroom::redis {
namespace {

// A phrase the caller puts after the config key's name, as store_url.cpp's own messages.
Error invalid(std::string what) { return Error{ErrorCode::config_invalid, std::move(what)}; }

// A decimal in [lo, hi]; false for anything else (signs, spaces, overflow).
bool parse_int(std::string_view text, int lo, int hi, int& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size() && out >= lo && out <= hi;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 percent-decoding; false on a broken %XX.
bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

// Why so narrow: the prefix starts every key; braces would change which part
// of a key Redis Cluster hashes, and spaces or quotes only cause grief in tools.
bool prefix_ok(std::string_view p) {
  if (p.empty() || p.size() > 64) return false;
  for (char c : p)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' || c == '_' ||
          c == '-' || c == '.'))
      return false;
  return true;
}

}  // namespace

std::string Url::endpoint() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return "redis://" + h + ":" + std::to_string(port) + "/" + std::to_string(db) + "?prefix=" + prefix;
}

std::string Url::display() const {
  if (user.empty() && password.empty()) return endpoint();
  return "redis://" + user + (password.empty() ? "" : ":***") + "@" + endpoint().substr(8);
}

Result<Url> parse_url(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  if (!url.starts_with(kScheme)) return invalid("must start with redis://");
  std::string_view rest = url.substr(kScheme.size());
  Url out;

  // The query first: the prefix may not hold '@', so the last '@' before it ends the credentials.
  std::string_view query;
  if (auto q = rest.rfind('?'); q != std::string_view::npos && rest.find('@', q) == std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    auto colon = userinfo.find(':');
    if (!percent_decode(userinfo.substr(0, colon), out.user))
      return invalid("has a broken %-escape in its user name");
    if (colon != std::string_view::npos && !percent_decode(userinfo.substr(colon + 1), out.password))
      return invalid("has a broken %-escape in its password (write a literal % as %25)");
    if (out.password.empty() && !out.user.empty()) return invalid("names a user without a password");
  }

  std::string_view authority = rest.substr(0, rest.find('/'));
  std::string_view path = authority.size() < rest.size() ? rest.substr(authority.size() + 1) : std::string_view{};
  std::string_view port;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return invalid("has an IPv6 host without its closing ]");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return invalid("has something after its IPv6 host that is not :PORT");
    if (!after.empty()) port = after.substr(1);
  } else {
    auto colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return invalid("needs a host (redis://HOST:PORT/DB)");
  if (authority.find(':') != std::string_view::npos && !authority.starts_with('[') && port.empty())
    return invalid("has an empty port");
  if (!port.empty() && !parse_int(port, 1, 65535, out.port)) return invalid("has a port that is not 1 to 65535");
  if (!path.empty() && !parse_int(path, 0, 1'000'000, out.db))
    return invalid("has a database that is not a number (redis://HOST:PORT/DB, DB 0 and up)");

  while (!query.empty()) {
    std::string_view pair = query.substr(0, query.find('&'));
    query = pair.size() < query.size() ? query.substr(pair.size() + 1) : std::string_view{};
    if (!pair.starts_with("prefix=")) return invalid("has an unknown option (only ?prefix=PREFIX is known)");
    std::string_view p = pair.substr(7);
    if (!prefix_ok(p)) return invalid("has a prefix that is not 1 to 64 of the characters A-Z a-z 0-9 : _ - .");
    out.prefix = std::string(p);
  }
  return out;
}

}  // namespace cloakroom::redis
