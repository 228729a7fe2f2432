#include "store/user_store.h"

#include <algorithm>
#include <cstdint>
#include <map>

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/utf8.h>

#include "core/ascii.h"

namespace cloakroom {

Result<std::size_t> UserStore::create_all(std::span<const User> users) {
  std::size_t written = 0;
  for (const User& user : users) {
    auto there = find_by_id(user.id);
    if (there) continue;  // the same id: copied before
    if (there.error().code != ErrorCode::not_found) return there.error();
    if (auto r = create(user); !r) return r.error();
    ++written;
  }
  return written;
}

Result<std::vector<Passkey>> UserStore::list_all_passkeys() {
  auto users = list();
  if (!users) return users.error();
  std::vector<Passkey> all;
  for (const User& user : *users) {
    auto theirs = list_passkeys(user.id);
    if (!theirs) return theirs.error();
    all.insert(all.end(), theirs->begin(), theirs->end());
  }
  return all;
}

std::vector<TotpRecord> with_recovery_codes(std::vector<TotpRecord> rows,
                                            const std::vector<std::pair<std::string, std::string>>& codes) {
  std::map<std::string, TotpRecord*> by_user;
  for (TotpRecord& r : rows) by_user[r.user_id] = &r;
  for (const auto& [user_id, hash] : codes)
    if (auto it = by_user.find(user_id); it != by_user.end()) it->second->recovery_hashes.push_back(hash);
  for (TotpRecord& r : rows) r.state.recovery_codes_left = static_cast<int>(r.recovery_hashes.size());
  return rows;
}

Result<bool> UserStore::import_totp(const TotpRecord& record) {
  auto here = totp(record.user_id);
  if (!here) return here.error();
  if (!here->secret.empty() || !here->pending.empty()) return false;
  const TotpState& s = record.state;
  if (s.secret.empty()) {
    if (s.pending.empty()) return false;  // nothing to write
    if (auto begun = begin_totp(record.user_id, s.pending, s.pending_created); !begun) return begun.error();
    return true;
  }
  // The confirmed secret goes in as a pending one and is confirmed at once,
  // with the source's replay guard: the one write path that sets a secret.
  if (auto begun = begin_totp(record.user_id, s.secret, 0); !begun) return begun.error();
  return confirm_totp(record.user_id, s.secret, s.last_step, record.recovery_hashes);
}

std::string canonical_username(std::string_view username) {
  // Why the scan: ASCII (nearly every name) is already NFC, and ill-formed
  // UTF-8 is left as it is rather than repaired into some other name.
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(username.data());
  const auto length = static_cast<std::int32_t>(std::min<std::size_t>(username.size(), INT32_MAX));
  bool ascii = true;
  for (std::int32_t i = 0; i < length;) {
    UChar32 c;
    U8_NEXT(bytes, i, length, c);
    if (c < 0) return std::string(username);
    ascii = ascii && c < 0x80;
  }
  if (ascii || length != static_cast<std::int64_t>(username.size())) return std::string(username);
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  const icu::StringPiece piece(username.data(), length);
  if (U_FAILURE(status) || nfc->isNormalizedUTF8(piece, status) || U_FAILURE(status)) return std::string(username);
  std::string out;
  icu::StringByteSink<std::string> sink(&out);
  nfc->normalizeUTF8(0, piece, sink, nullptr, status);
  return U_FAILURE(status) ? std::string(username) : out;
}

std::string username_key(const std::string& username) {
  return ascii_lower(canonical_username(username));
}

std::string join_roles(const std::vector<std::string>& roles) {
  std::string out;
  for (const auto& r : roles) out += (out.empty() ? "" : ",") + r;
  return out;
}

std::vector<std::string> split_roles(std::string_view text) {
  std::vector<std::string> out;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) out.emplace_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

}  // namespace cloakroom
