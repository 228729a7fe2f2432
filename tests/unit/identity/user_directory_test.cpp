#include "identity/user_directory.h"

#include <gtest/gtest.h>

#include "store/memory/user_store.h"
#include "support/outcome.h"
#include "support/store_decorators.h"

namespace cloakroom {
namespace {

using testing::outcome;

class UserDirectoryTest : public ::testing::Test {
 protected:
  UserDirectoryTest() {
    EXPECT_TRUE(users.create(alice));
    EXPECT_TRUE(users.create(bob));
  }
  memory::UserStore users;
  testing::SwitchableUserStore store{users};  // counts find_by_id, fails on demand
  UserDirectory directory{store};
  User alice{"u-alice", "alice", "h", {"admin", "ops"}, false, 1};
  User bob{"u-bob", "bob", "h", {}, false, 1};
};

// A principal carries the user's id, name, roles (and the header form) and state.
TEST(MakePrincipal, CopiesTheUser) {
  auto p = make_principal(User{"u1", "carol", "h", {"a", "b"}, true, 1});
  EXPECT_EQ(p->user_id, "u1");
  EXPECT_EQ(p->username, "carol");
  EXPECT_EQ(p->roles, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(p->roles_header, "a,b");
  EXPECT_TRUE(p->disabled);
}

// The slot is read from the store on first use only; later calls share it.
TEST_F(UserDirectoryTest, SlotLoadsOnFirstUse) {
  auto first = directory.slot(alice.id);
  ASSERT_EQ(outcome(first), "ok");
  EXPECT_EQ(store.find_calls, 1);
  EXPECT_EQ((*first)->load()->username, "alice");
  EXPECT_EQ((*first)->load()->roles_header, "admin,ops");
  auto again = directory.slot(alice.id);
  ASSERT_EQ(outcome(again), "ok");
  EXPECT_EQ(again->get(), first->get());
  EXPECT_EQ(store.find_calls, 1);
  EXPECT_EQ(outcome(directory.slot("u-nobody")), "not_found");
}

// load() reads the disabled ids only: every disabled user is known to the
// token check without a slot, and no user is read one by one.
TEST_F(UserDirectoryTest, LoadKnowsEveryDisabledUserWithoutSlots) {
  ASSERT_TRUE(users.set_disabled(bob.id, true));
  ASSERT_EQ(outcome(directory.load()), "ok");
  EXPECT_TRUE(directory.is_disabled(bob.id));
  EXPECT_FALSE(directory.is_disabled(alice.id));
  EXPECT_EQ(directory.cached(), 0u);
  EXPECT_EQ(store.find_calls, 0);
}

// Bounded: past its capacity the directory drops the slots nobody holds,
// never one a cached session keeps (it must go on receiving refreshes).
TEST_F(UserDirectoryTest, DropsOnlyUnheldSlotsPastItsBound) {
  UserDirectory small(store, 4);
  auto held = *small.slot(alice.id);
  for (int i = 0; i < 100; ++i) {
    User u{"u" + std::to_string(i), "user" + std::to_string(i), "h", {}, false, 1};
    ASSERT_TRUE(users.create(u));
    ASSERT_EQ(outcome(small.slot(u.id)), "ok");
    EXPECT_LE(small.cached(), 8u);  // the bound, doubled between passes
  }
  EXPECT_EQ(small.slot(alice.id)->get(), held.get());
  ASSERT_TRUE(users.set_roles(alice.id, {"viewer"}));
  ASSERT_EQ(outcome(small.refresh(alice.id)), "ok");
  EXPECT_EQ(held->load()->roles_header, "viewer");
}

// A login that read the user just before `user disable` (applied from the
// feed to a user with no slot) installs a disabled principal, not its read.
TEST_F(UserDirectoryTest, AdoptTrustsTheDisabledSetOverAStaleRead) {
  User read_before_disable = bob;
  ASSERT_TRUE(users.set_disabled(bob.id, true));
  ASSERT_EQ(outcome(directory.refresh(bob.id)), "ok");
  UserDirectory fresh(store);  // the same, with the refresh's slot gone
  ASSERT_TRUE(fresh.load());
  EXPECT_TRUE(fresh.adopt(read_before_disable)->load()->disabled);
}

// reload() starts over: the disabled set replaced (a re-enabled user is
// no longer refused), every cached slot dropped.
TEST_F(UserDirectoryTest, ReloadStartsOver) {
  ASSERT_TRUE(users.set_disabled(bob.id, true));
  ASSERT_TRUE(directory.load());
  ASSERT_TRUE(directory.slot(alice.id));
  ASSERT_TRUE(users.set_disabled(bob.id, false));  // a change this process never heard of
  ASSERT_EQ(outcome(directory.reload()), "ok");
  EXPECT_FALSE(directory.is_disabled(bob.id));
  EXPECT_EQ(directory.cached(), 0u);
}

// A change reaches holders of the slot only at refresh(), and then in the
// same slot (a session keeps its slot, so it sees the change at once).
TEST_F(UserDirectoryTest, RefreshAfterAChange) {
  auto slot = *directory.slot(alice.id);
  auto before = slot->load();
  ASSERT_TRUE(users.set_roles(alice.id, {"viewer"}));
  ASSERT_TRUE(users.set_disabled(alice.id, true));
  EXPECT_EQ(slot->load(), before);  // not yet
  ASSERT_EQ(outcome(directory.refresh(alice.id)), "ok");
  EXPECT_EQ(slot->load()->roles_header, "viewer");
  EXPECT_TRUE(slot->load()->disabled);
  EXPECT_EQ(directory.slot(alice.id)->get(), slot.get());
  EXPECT_EQ(before->roles_header, "admin,ops");  // a principal already handed out never changes
}

// adopt() installs what the caller read only into a new slot: an existing
// one is kept current by refresh(), and a read that predates the change
// refresh() applied (a login racing `user disable`) must not undo it.
TEST_F(UserDirectoryTest, AdoptNeverUndoesARefresh) {
  auto slot = *directory.slot(alice.id);
  User read_before_disable = alice;  // what a login read a moment ago
  ASSERT_TRUE(users.set_disabled(alice.id, true));
  ASSERT_EQ(outcome(directory.refresh(alice.id)), "ok");  // the change feed's entry
  auto adopted = directory.adopt(read_before_disable);
  EXPECT_EQ(adopted.get(), slot.get());
  EXPECT_TRUE(slot->load()->disabled);

  User carol{"c1", "carol", "h", {"ops"}, false, 1};  // not in the directory yet
  EXPECT_EQ(directory.adopt(carol)->load()->roles_header, "ops");
}

// A user deleted from the store becomes a disabled principal (name and
// roles kept for the logs).
TEST_F(UserDirectoryTest, DeletedUserBecomesDisabled) {
  auto slot = *directory.slot(alice.id);
  store.failure = ErrorCode::not_found;
  ASSERT_EQ(outcome(directory.refresh(alice.id)), "ok");
  EXPECT_TRUE(slot->load()->disabled);
  EXPECT_EQ(slot->load()->username, "alice");
  EXPECT_EQ(slot->load()->roles_header, "admin,ops");
  EXPECT_TRUE(directory.is_disabled(alice.id));
  // One never loaded: its tokens fail too (a deleted user counts as disabled).
  ASSERT_EQ(outcome(directory.refresh(bob.id)), "ok");
  EXPECT_TRUE(directory.is_disabled(bob.id));
  EXPECT_EQ(outcome(directory.slot(bob.id)), "not_found");
}

// When the store cannot be read, refresh() fails and changes nothing, so
// the caller retries instead of losing the change; the retry applies it.
TEST_F(UserDirectoryTest, RefreshFailsWithoutChangingAnything) {
  auto slot = *directory.slot(alice.id);
  auto before = slot->load();
  ASSERT_TRUE(users.set_disabled(alice.id, true));
  store.failure = ErrorCode::store_unavailable;
  EXPECT_EQ(outcome(directory.refresh(alice.id)), "store_unavailable");
  EXPECT_EQ(slot->load(), before);
  EXPECT_FALSE(directory.is_disabled(alice.id));
  // Nor does a lookup of a user not yet loaded invent one.
  EXPECT_EQ(outcome(directory.slot(bob.id)), "store_unavailable");
  store.failure.reset();
  ASSERT_EQ(outcome(directory.refresh(alice.id)), "ok");
  EXPECT_TRUE(directory.is_disabled(alice.id));
}

// is_disabled reads memory only: the store is never asked, and a change in
// the store counts only once refreshed (or loaded at start).
TEST_F(UserDirectoryTest, IsDisabledIsInMemoryOnly) {
  EXPECT_FALSE(directory.is_disabled(alice.id));
  EXPECT_FALSE(directory.is_disabled("u-nobody"));
  EXPECT_EQ(store.find_calls, 0);
  ASSERT_EQ(outcome(directory.slot(alice.id)), "ok");
  ASSERT_TRUE(users.set_disabled(alice.id, true));
  EXPECT_FALSE(directory.is_disabled(alice.id));
  EXPECT_EQ(store.find_calls, 1);
  ASSERT_EQ(outcome(directory.refresh(alice.id)), "ok");
  EXPECT_TRUE(directory.is_disabled(alice.id));
  EXPECT_EQ(store.find_calls, 2);
}

}  // namespace
}  // namespace cloakroom
