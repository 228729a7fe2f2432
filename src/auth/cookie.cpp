#include "auth/cookie.h"

namespace cloakroom {
namespace {

bool is_token_char(unsigned char c) {
  // RFC 9110 tchar.
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_token_char(static_cast<unsigned char>(c))) return false;
  return true;
}

// RFC 6265 cookie-octet: visible ASCII except DQUOTE, comma, semicolon, backslash.
bool is_cookie_octet(unsigned char c) {
  return c == 0x21 || (c >= 0x23 && c <= 0x2B) || (c >= 0x2D && c <= 0x3A) || (c >= 0x3C && c <= 0x5B) ||
         (c >= 0x5D && c <= 0x7E);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls f(pair) for each well-formed pair until f returns true.
template <class F>
void for_each_cookie(std::string_view header, F&& f) {
  while (!header.empty()) {
    std::size_t semi = header.find(';');
    std::string_view part = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    part = trim(part);
    std::size_t eq = part.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = trim(part.substr(0, eq));
    std::string_view value = trim(part.substr(eq + 1));
    if (!is_token(name) || name.size() + value.size() > kMaxCookieBytes) continue;
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    bool clean = true;
    for (char c : value) {
      auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7F) { clean = false; break; }
    }
    if (!clean) continue;
    if (f(CookiePair{name, value})) return;
  }
}

}  // namespace

Result<std::string> build_set_cookie(const SetCookie& c) {
  auto refuse = [](std::string why) { return Error{ErrorCode::invalid_field, "cookie " + std::move(why)}; };
  if (!is_token(c.name)) return refuse("name must be a token");
  for (char ch : c.value)
    if (!is_cookie_octet(static_cast<unsigned char>(ch))) return refuse("value has a character outside cookie-octet");
  if (c.name.size() + c.value.size() > kMaxCookieBytes) return refuse("is larger than 4096 bytes");
  if (c.path.empty() || c.path.front() != '/' || c.path.find_first_of(";\r\n") != std::string::npos)
    return refuse("path must start with '/' and contain no ';'");
  // RFC 6265bis §4.1.3: the prefixes are promises browsers enforce; build
  // nothing a browser would drop.
  if (c.name.starts_with("__Host-") && (!c.secure || c.path != "/"))
    return refuse("with the __Host- prefix needs Secure and Path=/");
  if (c.name.starts_with("__Secure-") && !c.secure) return refuse("with the __Secure- prefix needs Secure");
  if (c.same_site == SameSite::none && !c.secure) return refuse("with SameSite=None needs Secure");

  std::string out = c.name + "=" + c.value + "; Path=" + c.path;
  if (c.max_age) out += "; Max-Age=" + std::to_string(*c.max_age < 0 ? 0 : *c.max_age);
  if (c.http_only) out += "; HttpOnly";
  if (c.secure) out += "; Secure";
  switch (c.same_site) {
    case SameSite::strict: out += "; SameSite=Strict"; break;
    case SameSite::lax: out += "; SameSite=Lax"; break;
    case SameSite::none: out += "; SameSite=None"; break;
  }
  return out;
}

std::vector<CookiePair> parse_cookie_header(std::string_view header) {
  std::vector<CookiePair> out;
  for_each_cookie(header, [&](CookiePair p) {
    out.push_back(p);
    return false;
  });
  return out;
}

std::optional<std::string_view> find_cookie(std::string_view header, std::string_view name) {
  std::optional<std::string_view> found;
  for_each_cookie(header, [&](CookiePair p) {
    if (p.name != name) return false;
    found = p.value;
    return true;
  });
  return found;
}

}  // namespace cloakroom
