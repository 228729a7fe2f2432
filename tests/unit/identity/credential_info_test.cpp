#include "identity/credential_info.h"

#include <gtest/gtest.h>

#include "store/session_store.h"
#include "store/token_store.h"

namespace cloakroom {
namespace {

CredentialInfo made(std::string id, CredentialInfo::Mode mode, long long created_ms) {
  return CredentialInfo{.id = std::move(id), .mode = mode, .created_ms = created_ms};
}

std::vector<std::string> ids(const std::vector<CredentialInfo>& all) {
  std::vector<std::string> out;
  for (const auto& c : all) out.push_back(c.id);
  return out;
}

// Both kinds in one list by login time; a tie keeps sessions first and each kind's own order.
TEST(OldestFirst, MergesByCreationSessionsFirstOnTies) {
  using Mode = CredentialInfo::Mode;
  auto all = oldest_first({made("s30", Mode::session, 30), made("s10a", Mode::session, 10), made("s10b", Mode::session, 10)},
                          {made("f10", Mode::token, 10), made("f5", Mode::token, 5), made("f40", Mode::token, 40)});
  EXPECT_EQ(ids(all), (std::vector<std::string>{"f5", "s10a", "s10b", "f10", "s30", "f40"}));
}

// Either list may be empty.
TEST(OldestFirst, EmptyListsMerge) {
  EXPECT_TRUE(oldest_first({}, {}).empty());
  EXPECT_EQ(ids(oldest_first({}, {made("f", CredentialInfo::Mode::token, 1)})), std::vector<std::string>{"f"});
}

// The words the API and the CLI show.
TEST(ModeName, NamesBothModes) {
  EXPECT_EQ(mode_name(CredentialInfo::Mode::session), "session");
  EXPECT_EQ(mode_name(CredentialInfo::Mode::token), "token");
}

// A session takes the caller's times (the cache's), everything else from the record.
TEST(InfoOf, SessionRecordWithCallersTimes) {
  const SessionRecord r{.id = "sid", .user_id = "u1", .created_ms = 100, .last_seen_ms = 200, .expires_ms = 900,
                        .ip = "1.2.3.4", .user_agent = "ua", .remember = true};
  CredentialInfo c = info_of(r, 250, 700);
  EXPECT_EQ(c.id, "sid");
  EXPECT_EQ(c.user_id, "u1");
  EXPECT_EQ(c.mode, CredentialInfo::Mode::session);
  EXPECT_EQ(c.created_ms, 100);
  EXPECT_EQ(c.last_seen_ms, 250);
  EXPECT_EQ(c.expires_ms, 700);
  EXPECT_EQ(c.ip, "1.2.3.4");
  EXPECT_EQ(c.user_agent, "ua");
  EXPECT_TRUE(c.remember);
}

// A family's last seen is its last rotation.
TEST(InfoOf, FamilyRecordLastSeenIsRotation) {
  const RefreshFamilyRecord f{.id = "fid", .user_id = "u2", .created_ms = 100, .rotated_ms = 300, .expires_ms = 5000,
                              .ip = "::1", .user_agent = "curl", .remember = false};
  CredentialInfo c = info_of(f);
  EXPECT_EQ(c.id, "fid");
  EXPECT_EQ(c.user_id, "u2");
  EXPECT_EQ(c.mode, CredentialInfo::Mode::token);
  EXPECT_EQ(c.created_ms, 100);
  EXPECT_EQ(c.last_seen_ms, 300);
  EXPECT_EQ(c.expires_ms, 5000);
  EXPECT_EQ(c.ip, "::1");
  EXPECT_EQ(c.user_agent, "curl");
  EXPECT_FALSE(c.remember);
}

}  // namespace
}  // namespace cloakroom
