#include "store/node_registry.h"

#include <algorithm>

#include "core/digest.h"
#include "core/random.h"
#include "jose/base64url.h"

namespace cloakroom {
namespace {
constexpr std::string_view kTruncatedMark = "+";
}  // namespace

HeldKeys HeldKeys::of(const std::vector<std::string>& kids, bool refused) {
  HeldKeys held{{}, refused, kids.size() > kMaxKids};
  const std::size_t n = std::min(kids.size(), kMaxKids);
  held.kids.reserve(n);
  for (std::size_t i = 0; i < n; ++i) held.kids.push_back(reported(kids[i]));
  return held;
}

std::string HeldKeys::reported(std::string_view kid) {
  if (!kid.empty() && kid.size() <= kMaxKidChars && jose::is_base64url(kid)) return std::string(kid);
  const Sha256 h = sha256(kid);
  return "~" + base64url_encode(h);
}

bool HeldKeys::holds(std::string_view kid) const {
  const std::string r = reported(kid);
  return std::find(kids.begin(), kids.end(), r) != kids.end();
}

std::string HeldKeys::joined() const {
  std::string out;
  for (const std::string& kid : kids) (out.empty() ? out : out += ' ') += kid;
  if (truncated) (out.empty() ? out : out += ' ') += kTruncatedMark;
  return out;
}

HeldKeys HeldKeys::from_joined(std::string_view joined, bool refused) {
  HeldKeys held{{}, refused};
  while (!joined.empty()) {
    const std::size_t space = joined.find(' ');
    const std::string_view kid = joined.substr(0, space);
    if (kid == kTruncatedMark || (!kid.empty() && held.kids.size() == kMaxKids)) held.truncated = true;
    else if (!kid.empty()) held.kids.emplace_back(kid);
    if (space == std::string_view::npos) break;
    joined.remove_prefix(space + 1);
  }
  return held;
}

}  // namespace cloakroom
