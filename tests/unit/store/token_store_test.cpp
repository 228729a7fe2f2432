#include "store/token_store.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "store/memory/token_store.h"
#include "store/redis/token_store.h"
#include "store/sqlite/token_store.h"
#include "support/redis_server.h"
#include "support/temp_sqlite.h"

namespace cloakroom {
namespace {

struct MemoryBackend {
  std::unique_ptr<TokenStore> make() { return std::make_unique<memory::TokenStore>(); }
};

struct SqliteBackend {
  testing::TempSqlite file;
  std::unique_ptr<TokenStore> make() { return std::make_unique<sqlite::TokenStore>(file.db()); }
};

struct RedisBackend {
  testing::RedisSpace space;
  std::unique_ptr<TokenStore> make() { return std::make_unique<redis::TokenStore>(space.client, space.keys); }
};

template <class Backend>
class TokenStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store = backend.make(); }
  static RefreshFamilyRecord family(std::string id, std::string user, long long created, long long expires) {
    return RefreshFamilyRecord{std::move(id), std::move(user), std::string(32, '\x07'), std::string(32, '\x01'), 0,
                               created,       created,         expires,                 "10.0.0.1", "curl/8", false};
  }
  Backend backend;
  std::unique_ptr<TokenStore> store;
};

using Backends = ::testing::Types<MemoryBackend, SqliteBackend, RedisBackend>;
TYPED_TEST_SUITE(TokenStoreTest, Backends);

// Every field round-trips, binary ones included.
TYPED_TEST(TokenStoreTest, FamilyRoundTrip) {
  RefreshFamilyRecord f = this->family("f1", "u1", 1000, 9000);
  f.chain_key = std::string("\x00\xff", 2) + std::string(30, 'k');
  f.current_hash = std::string("\x00\x01", 2) + std::string(30, 'h');
  f.remember = true;
  ASSERT_TRUE(this->store->create_family(f));
  auto back = this->store->find_family("f1");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->chain_key, f.chain_key);
  EXPECT_EQ(back->current_hash, f.current_hash);
  EXPECT_EQ(back->user_id, "u1");
  EXPECT_EQ(back->generation, 0);
  EXPECT_EQ(back->created_ms, 1000);
  EXPECT_EQ(back->rotated_ms, 1000);
  EXPECT_EQ(back->expires_ms, 9000);
  EXPECT_EQ(back->ip, "10.0.0.1");
  EXPECT_EQ(back->user_agent, "curl/8");
  EXPECT_TRUE(back->remember);
  EXPECT_EQ(this->store->find_family("nope").error().code, ErrorCode::not_found);
  EXPECT_FALSE(this->store->create_family(f));  // an id collision is an error, never an overwrite
}

// How and when the user signed in round-trips, and a rotation keeps it
// (a refresh is not a new sign-in).
TYPED_TEST(TokenStoreTest, AmrAndAuthTimeSurviveRotation) {
  RefreshFamilyRecord f = this->family("f1", "u1", 1000, 9000);
  f.amr = AuthMethods{}.with(AuthMethod::hwk).with(AuthMethod::user);
  f.auth_time_ms = 1200;
  ASSERT_TRUE(this->store->create_family(f));
  ASSERT_TRUE(*this->store->rotate_family("f1", 0, std::string(32, 'n'), 5000, 20000));
  auto back = this->store->find_family_and_epoch("f1");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->family.generation, 1);
  EXPECT_EQ(back->family.amr, f.amr);
  EXPECT_EQ(back->family.auth_time_ms, 1200);
  auto listed = this->store->list_user_families("u1", 5000);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_TRUE(listed->front().amr.multi_factor());
}

// Rotation is a compare-and-swap on the generation: a second rotation from
// the same generation changes nothing.
TYPED_TEST(TokenStoreTest, RotateIsCompareAndSwap) {
  ASSERT_TRUE(this->store->create_family(this->family("f1", "u1", 1000, 9000)));
  auto first = this->store->rotate_family("f1", 0, std::string(32, '\x02'), 2000, 12000);
  ASSERT_TRUE(first);
  EXPECT_TRUE(*first);
  auto second = this->store->rotate_family("f1", 0, std::string(32, '\x03'), 2001, 12001);
  ASSERT_TRUE(second);
  EXPECT_FALSE(*second);
  auto f = this->store->find_family("f1");
  EXPECT_EQ(f->generation, 1);
  EXPECT_EQ(f->current_hash, std::string(32, '\x02'));
  EXPECT_EQ(f->rotated_ms, 2000);
  EXPECT_EQ(f->expires_ms, 12000);
  EXPECT_FALSE(*this->store->rotate_family("gone", 0, std::string(32, '\x02'), 2000, 12000));
}

// Listing is per user, oldest first, without expired families.
TYPED_TEST(TokenStoreTest, ListUserFamilies) {
  ASSERT_TRUE(this->store->create_family(this->family("b", "u1", 2000, 9000)));
  ASSERT_TRUE(this->store->create_family(this->family("a", "u1", 1000, 9000)));
  ASSERT_TRUE(this->store->create_family(this->family("old", "u1", 500, 1500)));
  ASSERT_TRUE(this->store->create_family(this->family("c", "u2", 1000, 9000)));
  auto mine = this->store->list_user_families("u1", 3000);
  ASSERT_TRUE(mine);
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_EQ((*mine)[0].id, "a");
  EXPECT_EQ((*mine)[1].id, "b");
  auto all = this->store->list_active_families(3000);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[2].id, "b");  // oldest first, across users; "old" has expired
}

// Revoking a family removes it and denies its tokens, in one step.
TYPED_TEST(TokenStoreTest, RevokeFamilyAlsoDeniesIt) {
  ASSERT_TRUE(this->store->create_family(this->family("f1", "u1", 1000, 9000)));
  EXPECT_TRUE(*this->store->revoke_family("f1", 5000));
  EXPECT_FALSE(this->store->find_family("f1"));
  EXPECT_FALSE(*this->store->revoke_family("f1", 6000));  // already gone: still denied, later deadline kept
  auto denied = this->store->load_denylist(0);
  ASSERT_TRUE(denied);
  ASSERT_EQ(denied->size(), 1u);
  EXPECT_EQ((*denied)[0].kind, Revocation::Kind::family);
  EXPECT_EQ((*denied)[0].id, "f1");
  EXPECT_EQ((*denied)[0].until_ms, 6000);
}

// The owned revoke acts only on a live family of that user: another user's
// or an expired one answers false, stays, and nothing is denied.
TYPED_TEST(TokenStoreTest, RevokeOwnedFamilyOnly) {
  ASSERT_TRUE(this->store->create_family(this->family("mine", "u1", 1000, 9000)));
  ASSERT_TRUE(this->store->create_family(this->family("theirs", "u2", 1000, 9000)));
  ASSERT_TRUE(this->store->create_family(this->family("expired", "u1", 500, 1500)));
  EXPECT_FALSE(*this->store->revoke_family("theirs", "u1", 3000, 5000));
  EXPECT_EQ(this->store->find_family("theirs")->user_id, "u2");
  EXPECT_FALSE(*this->store->revoke_family("expired", "u1", 3000, 5000));
  EXPECT_TRUE(this->store->find_family("expired"));
  EXPECT_FALSE(*this->store->revoke_family("missing", "u1", 3000, 5000));
  EXPECT_TRUE(this->store->load_denylist(0)->empty());
  EXPECT_TRUE(*this->store->revoke_family("mine", "u1", 3000, 5000));
  EXPECT_EQ(this->store->find_family("mine").error().code, ErrorCode::not_found);
  auto denied = this->store->load_denylist(0);
  ASSERT_TRUE(denied);
  ASSERT_EQ(denied->size(), 1u);
  EXPECT_EQ((*denied)[0].kind, Revocation::Kind::family);
  EXPECT_EQ((*denied)[0].id, "mine");
  EXPECT_EQ((*denied)[0].until_ms, 5000);
}

// Logout-all: the user's epoch rises and every family of theirs goes, in
// one call; another user's family and epoch stay.
TYPED_TEST(TokenStoreTest, EndUserFamiliesRaisesTheEpochAndRemovesThem) {
  ASSERT_TRUE(this->store->create_family(this->family("a", "u1", 1000, 9000)));
  ASSERT_TRUE(this->store->create_family(this->family("b", "u1", 1000, 9000)));
  ASSERT_TRUE(this->store->create_family(this->family("c", "u2", 1000, 9000)));
  auto ended = this->store->end_user_families("u1");
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->epoch, 1);
  std::sort(ended->ids.begin(), ended->ids.end());
  EXPECT_EQ(ended->ids, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(this->store->find_family("a").error().code, ErrorCode::not_found);
  EXPECT_TRUE(this->store->find_family("c"));
  EXPECT_EQ(*this->store->epoch("u1"), 1);
  EXPECT_EQ(*this->store->epoch("u2"), 0);
  EXPECT_EQ(this->store->end_user_families("u1")->epoch, 2);  // nothing left to remove, the epoch still rises
}

// A password change: the epoch rises and every family but the kept one goes;
// the kept one is still listed and readable.
TYPED_TEST(TokenStoreTest, EndUserFamiliesKeepsOne) {
  ASSERT_TRUE(this->store->create_family(this->family("a", "u1", 1000, 9000)));
  ASSERT_TRUE(this->store->create_family(this->family("b", "u1", 1000, 9000)));
  auto ended = this->store->end_user_families("u1", "b");
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->epoch, 1);
  EXPECT_EQ(ended->ids, std::vector<std::string>{"a"});
  EXPECT_EQ(this->store->find_family("a").error().code, ErrorCode::not_found);
  EXPECT_EQ(this->store->find_family_and_epoch("b")->user_epoch, 1);
  auto left = this->store->list_user_families("u1", 2000);
  ASSERT_TRUE(left);
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ(left->front().id, "b");
}

// A refresh's read: the family with its user's epoch (0 before any logout-all).
TYPED_TEST(TokenStoreTest, FindFamilyAndEpoch) {
  ASSERT_TRUE(this->store->create_family(this->family("a", "u1", 1000, 9000)));
  auto before = this->store->find_family_and_epoch("a");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->family.user_id, "u1");
  EXPECT_EQ(before->family.expires_ms, 9000);
  EXPECT_EQ(before->user_epoch, 0);
  ASSERT_TRUE(this->store->bump_epoch("u1"));
  ASSERT_TRUE(this->store->bump_epoch("u2"));
  ASSERT_TRUE(this->store->bump_epoch("u2"));
  EXPECT_EQ(this->store->find_family_and_epoch("a")->user_epoch, 1);
  EXPECT_EQ(this->store->find_family_and_epoch("nope").error().code, ErrorCode::not_found);
}

// The denylist keeps the later deadline of a repeat and loads only entries in force.
TYPED_TEST(TokenStoreTest, DenylistLoadAndPurge) {
  ASSERT_TRUE(this->store->deny({Revocation::Kind::token, "j1", 5000}));
  ASSERT_TRUE(this->store->deny({Revocation::Kind::token, "j1", 4000}));
  ASSERT_TRUE(this->store->deny({Revocation::Kind::token, "j2", 1000}));
  ASSERT_TRUE(this->store->deny({Revocation::Kind::family, "j1", 3000}));  // same id, other kind: distinct
  auto in_force = this->store->load_denylist(2000);
  ASSERT_TRUE(in_force);
  ASSERT_EQ(in_force->size(), 2u);
  for (const auto& r : *in_force) EXPECT_EQ(r.id, "j1");
  ASSERT_TRUE(this->store->create_family(this->family("f", "u1", 0, 1500)));
  auto purged = this->store->purge_expired(2000);
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 2u);  // j2 and the expired family
  EXPECT_EQ(this->store->load_denylist(0)->size(), 2u);
}

TYPED_TEST(TokenStoreTest, EpochsStartAtZeroAndOnlyRise) {
  EXPECT_EQ(*this->store->epoch("u1"), 0);
  EXPECT_EQ(*this->store->bump_epoch("u1"), 1);
  EXPECT_EQ(*this->store->bump_epoch("u1"), 2);
  EXPECT_EQ(*this->store->bump_epoch("u2"), 1);
  EXPECT_EQ(*this->store->epoch("u1"), 2);
  auto all = this->store->load_epochs();
  ASSERT_TRUE(all);
  std::sort(all->begin(), all->end());
  EXPECT_EQ(*all, (std::vector<std::pair<std::string, long long>>{{"u1", 2}, {"u2", 1}}));
}

// A family hash written before `amr` and `auth_time_ms` existed reads as a
// password login at its creation.
TEST(RedisTokenStore, FamilyWithoutAmrReadsAsPasswordAtCreation) {
  testing::RedisSpace space;
  redis::TokenStore store(space.client, space.keys);
  RefreshFamilyRecord f{"old", "u1", std::string(32, 'k'), std::string(32, 'h'), 0, 1000, 1000, 9000,
                        "10.0.0.1", "curl/8", false};
  f.amr = AuthMethods::password().with(AuthMethod::otp);
  f.auth_time_ms = 1500;
  ASSERT_TRUE(store.create_family(f));
  ASSERT_TRUE(space.client->command({"HDEL", space.keys.family("old"), "amr", "auth_time_ms"}));
  auto back = store.find_family("old");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->amr, AuthMethods::password());
  EXPECT_EQ(back->auth_time_ms, 1000);
}

}  // namespace
}  // namespace cloakroom
