#include "token/key_source.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

#include "core/key_encryption.h"
#include "store/memory/change_feed.h"
#include "store/store_url.h"

namespace cloakroom {
namespace {

constexpr const char* kKek = "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA";
constexpr const char* kOtherKek = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

// A shared store's key row, in memory; `down` makes every call fail as an outage would.
class FakeKeyStore final : public KeyStore {
 public:
  Result<SealedKeys> load() override {
    if (down) return ErrorCode::store_unavailable;
    if (!row) return ErrorCode::not_found;
    return *row;
  }
  Result<long long> version() override {
    if (down) return ErrorCode::store_unavailable;
    return row ? row->version : 0;
  }
  Result<SealedKeys> create(const std::string& sealed) override {
    if (down) return ErrorCode::store_unavailable;
    if (!row) row = SealedKeys{1, sealed};
    return *row;
  }
  Result<SealedKeys> update(const std::function<Result<std::string>(const SealedKeys&)>& change) override {
    if (down) return ErrorCode::store_unavailable;
    if (!row) return ErrorCode::not_found;
    auto sealed = change(*row);
    if (!sealed) return sealed.error();
    row = SealedKeys{row->version + 1, *sealed};
    return *row;
  }
  const std::string& name() const override { return name_; }

  std::optional<SealedKeys> row;
  bool down = false;

 private:
  std::string name_ = "postgres:db:5432/auth";
};

class SealedKeySourceTest : public ::testing::Test {
 protected:
  // A node: the shared store, and this node's key-encryption key (empty: none).
  Result<std::unique_ptr<KeySource>> node(const std::string& kek = kKek, const std::string& previous = "") {
    Config config;
    config.jwt.key_encryption_key = kek;
    config.jwt.previous_key_encryption_key = previous;
    Stores stores;
    stores.keys = store;
    return open_key_source(config, stores);
  }
  std::shared_ptr<FakeKeyStore> store = std::make_shared<FakeKeyStore>();
};

// The first node makes the set (created) and stores it sealed: no private
// member of any key is in the stored bytes. A second node with the same key
// reads that set, and makes none of its own.
TEST_F(SealedKeySourceTest, FirstNodeCreatesTheOthersReadIt) {
  bool created = false;
  auto first = (*node())->load_or_create(&created);
  ASSERT_TRUE(first);
  EXPECT_TRUE(created);
  ASSERT_TRUE(store->row);
  const std::string clear = first->to_jwks(true);
  const auto d = clear.find("\"d\":\"");
  ASSERT_NE(d, std::string::npos);
  const std::string private_part = clear.substr(d + 5, clear.find('"', d + 5) - d - 5);
  EXPECT_EQ(store->row->sealed.find(private_part), std::string::npos);
  EXPECT_EQ(store->row->sealed.find("\"kty\""), std::string::npos);

  auto second = (*node())->load_or_create(&created);
  ASSERT_TRUE(second);
  EXPECT_FALSE(created);
  EXPECT_EQ(second->to_jwks(true), clear);
  EXPECT_EQ(store->row->version, 1);
}

// A node without the key-encryption key, or with another one, refuses to
// start with one sentence, and never replaces the stored set with one of its own.
TEST_F(SealedKeySourceTest, WithoutOrWithAnotherKekANodeRefuses) {
  ASSERT_TRUE((*node())->load_or_create(nullptr));
  const SealedKeys before = *store->row;

  auto none = node("");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::config_invalid);
  EXPECT_EQ(none.error().text(),
            "The signing keys in postgres:db:5432/auth are kept encrypted for every node, so this node needs the "
            "key-encryption key: set jwt.key_encryption_key_file or CLOAKROOM_JWT_KEY_ENCRYPTION_KEY, the same on "
            "every node.");

  bool created = true;
  auto other = (*node(kOtherKek))->load_or_create(&created);
  ASSERT_FALSE(other);
  EXPECT_FALSE(created);
  EXPECT_EQ(other.error().code, ErrorCode::config_invalid);
  EXPECT_EQ(other.error().text(),
            "The key set in postgres:db:5432/auth was sealed under another key-encryption key than this node's; give "
            "every node the same one (jwt.key_encryption_key_file or CLOAKROOM_JWT_KEY_ENCRYPTION_KEY).");
  EXPECT_EQ(store->row->sealed, before.sealed);
  EXPECT_EQ(store->row->version, before.version);

  store->row->sealed[40] = static_cast<char>(store->row->sealed[40] ^ 1);
  auto altered = (*node())->load_or_create(nullptr);
  ASSERT_FALSE(altered);
  EXPECT_EQ(altered.error().text(), "The key set in postgres:db:5432/auth does not decrypt: it was altered, or is not a key set.");
}

// A KEK rotation: a node with the new key as current and the old one as
// previous opens the set (its key check picks the old key) without
// changing it; reseal() seals it under the new key through update (the next
// version: every node reloads), once; then the new key alone opens it, and
// a node with neither key still refuses with the same sentence.
TEST_F(SealedKeySourceTest, PreviousKekOpensAndResealMovesTheSet) {
  auto old_keys = (*node())->load_or_create(nullptr);
  ASSERT_TRUE(old_keys);
  const SealedKeys before = *store->row;
  auto rotating = std::move(*node(kOtherKek, kKek));
  auto opened = rotating->load_or_create(nullptr);
  ASSERT_TRUE(opened) << opened.error().text();
  EXPECT_EQ(opened->to_jwks(true), old_keys->to_jwks(true));
  EXPECT_EQ(store->row->version, before.version);  // opening reseals nothing

  auto resealed = rotating->reseal();
  ASSERT_TRUE(resealed) << resealed.error().text();
  EXPECT_TRUE(*resealed);
  EXPECT_EQ(store->row->version, before.version + 1);
  EXPECT_TRUE(KeyEncryptionKey::parse(kOtherKek)->checks(store->row->sealed));
  EXPECT_FALSE(*rotating->reseal());  // rerun: nothing to do, no new version
  EXPECT_EQ(store->row->version, before.version + 1);

  auto new_only = (*node(kOtherKek))->load_or_create(nullptr);
  ASSERT_TRUE(new_only) << new_only.error().text();
  EXPECT_EQ(new_only->to_jwks(true), old_keys->to_jwks(true));
  auto old_only = (*node(kKek))->load_or_create(nullptr);
  ASSERT_FALSE(old_only);
  EXPECT_EQ(old_only.error().text(),
            "The key set in postgres:db:5432/auth was sealed under another key-encryption key than this node's; give "
            "every node the same one (jwt.key_encryption_key_file or CLOAKROOM_JWT_KEY_ENCRYPTION_KEY).");
  auto neither = (*node("BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc", kKek))->reseal();
  ASSERT_FALSE(neither);
  EXPECT_EQ(neither.error().code, ErrorCode::config_invalid);
  EXPECT_EQ(store->row->version, before.version + 1);
}

// A change through one node (the CLI) is stored sealed with the next
// version; the other node's reload finds it once, then nothing until the
// next change. A change that would sign with a retired key is refused.
TEST_F(SealedKeySourceTest, UpdateThenReload) {
  auto serving = std::move(*node());
  auto keys = serving->load_or_create(nullptr);
  ASSERT_TRUE(keys);
  EXPECT_FALSE(*serving->reload_if_changed());
  auto fresh = *jose::Jwk::generate(jose::Alg::EdDSA);
  auto cli = std::move(*node());
  auto kept = cli->update([&](const jose::KeySet& k) -> Result<jose::KeySet> { return k.with_key(fresh); });
  ASSERT_TRUE(kept);
  EXPECT_EQ(store->row->version, 2);
  auto reloaded = serving->reload_if_changed();
  ASSERT_TRUE(reloaded);
  ASSERT_TRUE(*reloaded);
  EXPECT_NE((*reloaded)->find(fresh.kid()), nullptr);
  EXPECT_FALSE(*serving->reload_if_changed());

  const std::string active = keys->active()->kid();
  auto refused = cli->update([&](const jose::KeySet& k) -> Result<jose::KeySet> { return k.retired(active, 5); });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().text(),
            "The key set in postgres:db:5432/auth names a retired key (" + active + ") as the signing key.");
  EXPECT_EQ(store->row->version, 2);
}

// An outage is reported once (the caller logs it), not every second; when
// the store answers again, a change made meanwhile is picked up.
TEST_F(SealedKeySourceTest, AnOutageIsReportedOnce) {
  auto serving = std::move(*node());
  ASSERT_TRUE(serving->load_or_create(nullptr));
  store->down = true;
  auto first = serving->reload_if_changed();
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, ErrorCode::store_unavailable);
  EXPECT_NE(first.error().text().find("The key set in postgres:db:5432/auth cannot be read"), std::string_view::npos);
  auto again = serving->reload_if_changed();
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  store->down = false;
  ASSERT_TRUE((*node())->update([](const jose::KeySet& k) -> Result<jose::KeySet> {
    return k.with_key(*jose::Jwk::generate(jose::Alg::ES256));
  }));
  auto back = serving->reload_if_changed();
  ASSERT_TRUE(back);
  ASSERT_TRUE(*back);
  EXPECT_EQ((*back)->keys().size(), 2u);
}

// The keys file: an update records keys_changed on the feed it was given
// (the CLI's announcement), and the serving side's reload finds the file.
TEST(FileKeySource, UpdateRecordsKeysChangedAndReloadFindsIt) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(::testing::TempDir()) / ("key-source-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  Config config;
  config.jwt.keys = (dir / "keys.jwks.json").string();
  auto feed = std::make_shared<memory::ChangeFeed>();
  auto serving = file_key_source(config, nullptr);
  bool created = false;
  ASSERT_TRUE(serving->load_or_create(&created));
  EXPECT_TRUE(created);
  EXPECT_FALSE(*serving->reload_if_changed());
  EXPECT_EQ(serving->where(), "keys file " + config.jwt.keys);

  auto cli = file_key_source(config, feed);
  auto fresh = *jose::Jwk::generate(jose::Alg::ES256);
  ASSERT_TRUE(cli->update([&](const jose::KeySet& k) -> Result<jose::KeySet> { return k.with_key(fresh); }));
  auto entries = feed->read(0, 10);
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].change.kind, Change::Kind::keys_changed);
  auto reloaded = serving->reload_if_changed();
  ASSERT_TRUE(reloaded);
  ASSERT_TRUE(*reloaded);
  EXPECT_NE((*reloaded)->find(fresh.kid()), nullptr);
  // The keys file is plaintext (0600) by design: reseal has nothing to do
  // and announces nothing.
  EXPECT_FALSE(*cli->reseal());
  EXPECT_EQ(feed->read(0, 10)->size(), 1u);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cloakroom
