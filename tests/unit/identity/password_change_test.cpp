#include "identity/password_change.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/memory/user_store.h"

namespace cloakroom {
namespace {

// Records each end in order, with the id it was told to keep.
struct Recorder {
  std::vector<std::string> calls;
  ErrorCode fail_families = ErrorCode::count_;
  CredentialEnds ends() {
    return CredentialEnds{[this](const std::string& user, const std::string& keep) -> Result<std::size_t> {
                            calls.push_back("families " + user + " keep=" + keep);
                            if (fail_families != ErrorCode::count_) return fail_families;
                            return 2;
                          },
                          [this](const std::string& user, const std::string& keep) -> Result<std::size_t> {
                            calls.push_back("sessions " + user + " keep=" + keep);
                            return 3;
                          }};
  }
};

User alice() { return User{"u1", "alice", "old-hash", {}, false, 1}; }

// The hash is stored, then families (with the epoch) end before sessions,
// each told what to keep.
TEST(ChangePassword, StoresTheHashThenEndsFamiliesThenSessions) {
  memory::UserStore users;
  ASSERT_TRUE(users.create(alice()));
  Recorder r;
  auto ended = change_password(users, r.ends(), "u1", "new-hash", {"sess-1", ""});
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->families, 2u);
  EXPECT_EQ(ended->sessions, 3u);
  EXPECT_EQ(users.find_by_id("u1")->password_hash, "new-hash");
  EXPECT_EQ(r.calls, (std::vector<std::string>{"families u1 keep=", "sessions u1 keep=sess-1"}));
}

// No such user: not_found, and nothing is ended.
TEST(ChangePassword, UnknownUserEndsNothing) {
  memory::UserStore users;
  Recorder r;
  EXPECT_EQ(change_password(users, r.ends(), "nobody", "h").error().code, ErrorCode::not_found);
  EXPECT_TRUE(r.calls.empty());
}

// A failing token store stops before the sessions and says why.
TEST(EndCredentials, FamiliesFailureStopsThere) {
  Recorder r;
  r.fail_families = ErrorCode::store_unavailable;
  EXPECT_EQ(end_credentials(r.ends(), "u1", {"", "fam-1"}).error().code, ErrorCode::store_unavailable);
  EXPECT_EQ(r.calls, std::vector<std::string>{"families u1 keep=fam-1"});
}

}  // namespace
}  // namespace cloakroom
