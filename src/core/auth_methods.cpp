#include "core/auth_methods.h"

#include <array>
#include <utility>

namespace cloakroom {
namespace {

constexpr std::array<std::pair<AuthMethod, std::string_view>, 4> kNames{{
    {AuthMethod::pwd, "pwd"}, {AuthMethod::otp, "otp"}, {AuthMethod::hwk, "hwk"}, {AuthMethod::user, "user"}}};

}  // namespace

std::optional<AuthMethod> AuthMethods::named(std::string_view name) {
  for (const auto& [m, n] : kNames)
    if (n == name) return m;
  return std::nullopt;
}

std::vector<std::string_view> AuthMethods::names() const {
  std::vector<std::string_view> out;
  for (const auto& [m, n] : kNames)
    if (has(m)) out.push_back(n);
  if (multi_factor()) out.push_back("mfa");
  return out;
}

std::string AuthMethods::text() const {
  std::string out;
  for (const auto& [m, n] : kNames) {
    if (!has(m)) continue;
    if (!out.empty()) out += ',';
    out += n;
  }
  return out;
}

AuthMethods AuthMethods::from_names(const std::vector<std::string>& names) {
  AuthMethods out;
  for (const auto& n : names)
    if (auto m = named(n)) out = out.with(*m);
  return out;
}

AuthMethods AuthMethods::parse(std::string_view text) {
  AuthMethods out;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    if (auto m = named(text.substr(0, comma))) out = out.with(*m);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  return out;
}

}  // namespace cloakroom
