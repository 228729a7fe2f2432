#include "auth/redirect_guard.h"

#include <algorithm>

#include "core/ascii.h"

namespace cloakroom {
RedirectGuard::RedirectGuard(std::string public_url, std::vector<std::string> allowed_domains)
    : origin_(ascii_lower(public_url)) {
  while (!origin_.empty() && origin_.back() == '/') origin_.pop_back();
  for (auto& d : allowed_domains) allowed_.push_back(ascii_lower(d));
}

bool RedirectGuard::is_safe(std::string_view url) const {
  // Why: 2 KiB is far beyond any real return URL; longer ones are not ours.
  if (url.empty() || url.size() > 2048) return false;
  for (char c : url) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F || c == '\\') return false;
  }
  if (url.front() == '/') return url.size() == 1 || url[1] != '/';  // a local path, not "//host"
  std::string lowered = ascii_lower(url);
  std::string_view rest;
  if (lowered.starts_with("https://")) rest = std::string_view(lowered).substr(8);
  else if (lowered.starts_with("http://")) rest = std::string_view(lowered).substr(7);
  else return false;
  std::size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  if (authority.empty() || authority.find_first_of("@%") != std::string_view::npos) return false;
  std::string origin = lowered.substr(0, lowered.size() - rest.size()) + std::string(authority);
  if (origin == origin_) return true;
  std::string_view host = authority;
  if (std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    std::string_view port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos) return false;
    host = authority.substr(0, colon);
  }
  for (const auto& d : allowed_) {
    if (d.front() == '.') {
      if (host.size() > d.size() && host.ends_with(d)) return true;
    } else if (host == d) {
      return true;
    }
  }
  return false;
}

std::optional<std::string> query_param(std::string_view target, std::string_view name) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view rest = target.substr(q + 1);
  rest = rest.substr(0, rest.find('#'));
  while (!rest.empty()) {
    std::string_view pair = rest.substr(0, rest.find('&'));
    rest.remove_prefix(std::min(rest.size(), pair.size() + 1));
    std::string_view key = pair.substr(0, pair.find('='));
    if (key != name) continue;
    std::string_view raw = key.size() < pair.size() ? pair.substr(key.size() + 1) : std::string_view();
    std::string out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '+') out += ' ';
      else if (raw[i] != '%') out += raw[i];
      else {
        int escaped = percent_escape_at(raw, i);
        if (escaped < 0) return std::nullopt;
        out += static_cast<char>(escaped);
        i += 2;
      }
    }
    return out;
  }
  return std::nullopt;
}

}  // namespace cloakroom
