#include "cli/commands.h"

#include <gtest/gtest.h>

#include "core/clock.h"
#include "store/store_url.h"

namespace cloakroom::cli {
namespace {

// confirm_applied over memory:// stores, with serving processes written
// straight into the registry as their heartbeats would be.
class ConfirmApplied : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = open_stores({"memory://", "memory://", ::testing::TempDir()});
    ASSERT_TRUE(opened) << opened.error().text();
    stores = std::move(*opened);
    ASSERT_TRUE(stores.feeds.front()->append(Change{Change::Kind::keys_changed}));
    args.flags.emplace("wait", "100ms");
  }
  // A live process that applied `position` on every feed and reports `keys`.
  void beat(const std::string& id, long long position, HeldKeys keys) {
    NodeRecord n{id, "h", id, 7, 1, unix_millis(SystemClock{}.now()), {}, std::move(keys)};
    for (auto& feed : stores.feeds) n.applied.emplace_back(feed->name(), position);
    ASSERT_TRUE(stores.nodes->beat(n));
  }
  int confirm(const NodeCondition& also, std::string* said) {
    ::testing::internal::CaptureStderr();
    const int code = confirm_applied(stores, args, also);
    *said = ::testing::internal::GetCapturedStderr();
    return code;
  }

  Stores stores;
  Args args;
};

// What a key command asks beyond the position: every process that applied
// the change must meet `also`; one that does not is named with its reason.
TEST_F(ConfirmApplied, NamesAProcessThatAppliedTheChangeButIsNotThereYet) {
  beat("a", 1, HeldKeys::of({"k1", "k2"}, false));
  beat("b", 1, HeldKeys::of({"k1"}, false));
  auto holds_k2 = [](const NodeRecord& n) -> std::optional<NotYet> {
    if (n.keys.holds("k2")) return std::nullopt;
    return NotYet{"does not hold k2"};
  };
  std::string said;
  EXPECT_EQ(confirm(holds_k2, &said), kExitNo);
  EXPECT_NE(said.find("in force on 1 of 2 serving processes, but after 100ms these have not applied it yet: b (pid 7, "),
            std::string::npos) << said;
  EXPECT_NE(said.find("ago): does not hold k2"), std::string::npos) << said;
  beat("b", 1, HeldKeys::of({"k1", "k2"}, false));
  EXPECT_EQ(confirm(holds_k2, &said), kExitOk) << said;
}

// A process still behind the change is waited for on its position alone
// (its keys are not the new ones yet); a settled "not yet" (it refused the
// set) ends the wait at once rather than after the bound.
TEST_F(ConfirmApplied, JudgesOnlyProcessesThatAppliedAndEndsAtOnceWhenSettled) {
  beat("a", 0, HeldKeys::of({"k1"}, false));
  int asked = 0;
  auto refused = [&](const NodeRecord&) -> std::optional<NotYet> {
    ++asked;
    return NotYet{"refused the new key set", true};
  };
  std::string said;
  EXPECT_EQ(confirm(refused, &said), kExitNo);
  EXPECT_EQ(asked, 0);
  EXPECT_NE(said.find("after 100ms these have not applied it yet: a (pid 7, "), std::string::npos) << said;
  args.flags.erase("wait");
  args.flags.emplace("wait", "1h");  // ends at once all the same
  beat("a", 1, HeldKeys::of({"k1"}, true));
  EXPECT_EQ(confirm(refused, &said), kExitNo);
  EXPECT_GT(asked, 0);
  EXPECT_NE(said.find("these have not applied it and will not: a (pid 7, "), std::string::npos) << said;
  EXPECT_NE(said.find("ago): refused the new key set"), std::string::npos) << said;
}

// A process whose key set is past what a heartbeat lists (65 keys, say):
// a kid missing from its list is unknown, not dropped or absent. `key retire
// KID --now` must not be acknowledged for it, nor a publish judged "not yet"
// for ever; both end at once with the true reason.
TEST_F(ConfirmApplied, AKidPastATruncatedListIsUnknown) {
  std::vector<std::string> kids;
  for (std::size_t i = 0; i <= HeldKeys::kMaxKids; ++i) kids.push_back("kid" + std::to_string(i));
  beat("a", 1, HeldKeys::of(kids, false));
  const std::string unknown =
      "ago): holds more than 64 keys and reports only the first 64, so whether it verifies with kid64 is unknown; "
      "retire old keys until the set holds at most 64";
  for (KeyWant want : {KeyWant::dropped, KeyWant::holds}) {
    std::string said;
    EXPECT_EQ(confirm([&](const NodeRecord& n) { return key_state(n, want, "kid64"); }, &said), kExitNo);
    EXPECT_NE(said.find("these have not applied it and will not: a (pid 7, "), std::string::npos) << said;
    EXPECT_NE(said.find(unknown), std::string::npos) << said;
  }
  // A kid it lists is judged as before; a kid it does not list, on a list that is whole, is dropped.
  std::string said;
  EXPECT_EQ(confirm([](const NodeRecord& n) { return key_state(n, KeyWant::holds, "kid3"); }, &said), kExitOk) << said;
  kids.pop_back();
  beat("a", 1, HeldKeys::of(kids, false));
  EXPECT_EQ(confirm([](const NodeRecord& n) { return key_state(n, KeyWant::dropped, "kid64"); }, &said), kExitOk)
      << said;
}

// --no-wait returns before anything is judged, as for any revoking command.
TEST_F(ConfirmApplied, NoWaitJudgesNothing) {
  beat("a", 0, HeldKeys::of({"k1"}, true));
  args.flags.emplace("no-wait", "");
  std::string said;
  EXPECT_EQ(confirm([](const NodeRecord&) { return std::optional<NotYet>{NotYet{"never", true}}; }, &said), kExitOk);
}

}  // namespace
}  // namespace cloakroom::cli
