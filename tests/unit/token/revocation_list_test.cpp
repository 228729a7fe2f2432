#include "token/revocation_list.h"

#include <gtest/gtest.h>

namespace cloakroom {
namespace {

TEST(RevocationList, DeniesByJtiFamilyAndEpoch) {
  RevocationList list;
  EXPECT_FALSE(list.revoked("j1", "f1", "u1", 0));
  list.add({Revocation::Kind::token, "j1", 1000});
  list.add({Revocation::Kind::family, "f1", 1000});
  EXPECT_TRUE(list.revoked("j1", "", "u1", 0));
  EXPECT_TRUE(list.revoked("j2", "f1", "u1", 0));
  EXPECT_FALSE(list.revoked("j2", "f2", "u1", 0));
  EXPECT_FALSE(list.revoked("", "", "u1", 0));  // empty jti/sid match nothing
  list.raise_epoch("u1", 2);
  EXPECT_TRUE(list.revoked("j2", "f2", "u1", 1));
  EXPECT_FALSE(list.revoked("j2", "f2", "u1", 2));
  EXPECT_FALSE(list.revoked("j2", "f2", "u2", 0));
  EXPECT_EQ(list.epoch("u1"), 2);
  EXPECT_EQ(list.epoch("nobody"), 0);
}

// A family id and a jti that happen to be equal are different entries.
TEST(RevocationList, KindsAreSeparate) {
  RevocationList list;
  list.add({Revocation::Kind::family, "same", 1000});
  EXPECT_FALSE(list.revoked("same", "", "u", 0));
  EXPECT_TRUE(list.revoked("", "same", "u", 0));
}

// Every change moves the version (what lets cached tokens skip the lookup);
// a lower epoch changes nothing.
TEST(RevocationList, VersionMovesOnEveryChange) {
  RevocationList list;
  auto v0 = list.version();
  EXPECT_GE(v0, 1u);
  list.add({Revocation::Kind::token, "j", 1000});
  auto v1 = list.version();
  EXPECT_GT(v1, v0);
  list.raise_epoch("u", 3);
  auto v2 = list.version();
  EXPECT_GT(v2, v1);
  list.raise_epoch("u", 2);
  EXPECT_EQ(list.version(), v2);
  EXPECT_EQ(list.epoch("u"), 3);
}

TEST(RevocationList, LoadAndPurge) {
  RevocationList list;
  list.load({{Revocation::Kind::token, "a", 1000}, {Revocation::Kind::token, "b", 3000},
             {Revocation::Kind::family, "f", 2000}},
            {{"u", 4}});
  EXPECT_EQ(list.denied(), 3u);
  EXPECT_EQ(list.epoch("u"), 4);
  EXPECT_EQ(list.purge(2000), 2u);
  EXPECT_EQ(list.denied(), 1u);
  EXPECT_TRUE(list.revoked("b", "", "x", 0));
}

}  // namespace
}  // namespace cloakroom
