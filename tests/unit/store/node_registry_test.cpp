#include "store/node_registry.h"

#include <gtest/gtest.h>

#include "store/memory/change_feed.h"
#include "store/redis/change_feed.h"
#include "store/sqlite/change_feed.h"
#include "support/redis_server.h"
#include "support/temp_sqlite.h"

namespace cloakroom {
namespace {

// A kid cloakroom makes (an RFC 7638 thumbprint) is reported as it is.
constexpr const char* kThumbprint = "eONfBc2KAR6C0ZMHFEjBrWSZSQp5mWKcmtdmciW1lFE";

// Kids are reported as they are when base64url and short, else as a digest
// that is not base64url (so never mistaken for another key's kid); holds()
// maps the kid it is asked about the same way.
TEST(HeldKeys, ReportsShortBase64urlKidsAsTheyAreAndOthersAsADigest) {
  EXPECT_EQ(HeldKeys::reported(kThumbprint), kThumbprint);
  const std::string odd = HeldKeys::reported("key one");
  EXPECT_EQ(odd.size(), 44u);
  EXPECT_EQ(odd[0], '~');
  const std::string long_kid(HeldKeys::kMaxKidChars + 1, 'a');
  EXPECT_EQ(HeldKeys::reported(long_kid).size(), 44u);
  EXPECT_NE(HeldKeys::reported(long_kid), HeldKeys::reported(long_kid + "a"));
  const HeldKeys held = HeldKeys::of({kThumbprint, "key one", long_kid}, false);
  EXPECT_TRUE(held.holds(kThumbprint));
  EXPECT_TRUE(held.holds("key one"));
  EXPECT_TRUE(held.holds(long_kid));
  EXPECT_FALSE(held.holds("key two"));
  EXPECT_FALSE(held.holds(odd));  // the digest itself is no kid it holds
}

// At most kMaxKids are reported; the joined form reads back to the same kids.
TEST(HeldKeys, IsBoundedAndRoundTripsThroughItsJoinedForm) {
  std::vector<std::string> kids;
  for (std::size_t i = 0; i < HeldKeys::kMaxKids + 5; ++i) kids.push_back("kid" + std::to_string(i));
  const HeldKeys held = HeldKeys::of(kids, true);
  ASSERT_EQ(held.kids.size(), HeldKeys::kMaxKids);
  EXPECT_FALSE(held.holds("kid64"));
  const HeldKeys back = HeldKeys::from_joined(held.joined(), true);
  EXPECT_EQ(back.kids, held.kids);
  EXPECT_TRUE(back.refused);
  EXPECT_FALSE(HeldKeys::from_joined("", false).reported_any());
}

// A set past kMaxKids says so (a kid missing from the list may be held):
// the flag rides in the joined form as a last " +", which no kid can be,
// and a joined form longer than kMaxKids (an older writer) reads as truncated.
TEST(HeldKeys, SaysWhenItsListIsTruncated) {
  std::vector<std::string> kids;
  for (std::size_t i = 0; i < HeldKeys::kMaxKids; ++i) kids.push_back("kid" + std::to_string(i));
  const HeldKeys full = HeldKeys::of(kids, false);
  EXPECT_FALSE(full.truncated);
  EXPECT_EQ(full.joined().find('+'), std::string::npos);
  EXPECT_FALSE(HeldKeys::from_joined(full.joined(), false).truncated);
  kids.push_back("kid64");
  const HeldKeys over = HeldKeys::of(kids, false);
  EXPECT_TRUE(over.truncated);
  EXPECT_EQ(over.kids.size(), HeldKeys::kMaxKids);
  EXPECT_TRUE(over.joined().ends_with(" kid63 +")) << over.joined();
  const HeldKeys back = HeldKeys::from_joined(over.joined(), false);
  EXPECT_TRUE(back.truncated);
  EXPECT_EQ(back.kids, over.kids);
  EXPECT_FALSE(back.holds("+"));
  std::string longer = full.joined() + " kid64";
  EXPECT_TRUE(HeldKeys::from_joined(longer, false).truncated);
  EXPECT_EQ(HeldKeys::from_joined(longer, false).kids, full.kids);
}

// Each backend behind NodeRegistry, as open_stores makes it.
struct MemoryRegistry {
  static constexpr const char* kName = "Memory";
  memory::NodeRegistry registry;
};
struct SqliteRegistry {
  static constexpr const char* kName = "Sqlite";
  testing::TempSqlite file;
  sqlite::NodeRegistry registry{file.db()};
};
struct RedisRegistry {
  static constexpr const char* kName = "Redis";
  testing::RedisSpace space;
  redis::NodeRegistry registry{space.client, space.keys};
};

template <class B>
class NodeRegistryTest : public ::testing::Test {
 protected:
  B backend;
};
using Backends = ::testing::Types<MemoryRegistry, SqliteRegistry, RedisRegistry>;
struct BackendName {
  template <class B>
  static std::string GetName(int) { return B::kName; }
};
TYPED_TEST_SUITE(NodeRegistryTest, Backends, BackendName);

// A heartbeat's key report (kids, refused) is listed as it was beaten, and
// the next beat replaces it: a key set reloaded (or refused) shows at once.
TYPED_TEST(NodeRegistryTest, ListsTheKeysOfTheLastBeat) {
  NodeRegistry& registry = this->backend.registry;
  ASSERT_TRUE(registry.beat(NodeRecord{"h/a:1", "h", "a:1", 10, 100, 1000, {{"feed-a", 5}},
                                       HeldKeys::of({kThumbprint, "key one"}, false)}));
  ASSERT_TRUE(registry.beat(NodeRecord{"h/a:2", "h", "a:2", 11, 200, 1000, {{"feed-a", 5}},
                                       HeldKeys::of({kThumbprint}, true)}));
  ASSERT_TRUE(registry.beat(NodeRecord{"h/a:3", "h", "a:3", 12, 300, 1000, {{"feed-a", 5}}}));  // an older build
  auto nodes = registry.list();
  ASSERT_TRUE(nodes);
  ASSERT_EQ(nodes->size(), 3u);
  EXPECT_EQ((*nodes)[0].keys.kids, HeldKeys::of({kThumbprint, "key one"}, false).kids);
  EXPECT_TRUE((*nodes)[0].keys.holds("key one"));
  EXPECT_FALSE((*nodes)[0].keys.refused);
  EXPECT_EQ((*nodes)[1].keys.kids, std::vector<std::string>{kThumbprint});
  EXPECT_TRUE((*nodes)[1].keys.refused);
  EXPECT_FALSE((*nodes)[2].keys.reported_any());
  EXPECT_EQ((*nodes)[0].applied_on("feed-a"), 5);
  EXPECT_FALSE((*nodes)[0].keys.truncated);

  // A truncated report keeps its flag through the backend.
  std::vector<std::string> many;
  for (std::size_t i = 0; i <= HeldKeys::kMaxKids; ++i) many.push_back("kid" + std::to_string(i));
  ASSERT_TRUE(registry.beat(NodeRecord{"h/a:3", "h", "a:3", 12, 300, 1000, {{"feed-a", 5}}, HeldKeys::of(many, false)}));
  nodes = registry.list();
  ASSERT_TRUE(nodes);
  ASSERT_EQ(nodes->size(), 3u);
  EXPECT_TRUE((*nodes)[2].keys.truncated);
  EXPECT_EQ((*nodes)[2].keys.kids.size(), HeldKeys::kMaxKids);

  ASSERT_TRUE(registry.beat(NodeRecord{"h/a:2", "h", "a:2", 11, 200, 1500, {{"feed-a", 6}},
                                       HeldKeys::of({kThumbprint, "key one"}, false)}));
  nodes = registry.list();
  ASSERT_TRUE(nodes);
  EXPECT_TRUE((*nodes)[1].keys.holds("key one"));
  EXPECT_FALSE((*nodes)[1].keys.refused);
  EXPECT_EQ((*nodes)[1].applied_on("feed-a"), 6);
}

}  // namespace
}  // namespace cloakroom
