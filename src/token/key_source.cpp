#include "token/key_source.h"

#include <sys/stat.h>

#include <filesystem>

#include "core/key_encryption.h"
#include "core/random.h"
#include "jose/keys_file.h"
#include "store/store_url.h"

namespace cloakroom {
namespace {

// jwt.keys: the file, replaced whole by every change (see jose/keys_file.h).
class FileKeySource final : public KeySource {
 public:
  FileKeySource(const Config& config, std::shared_ptr<ChangeFeed> feed)
      : path_(config.jwt.keys), signing_kid_(config.jwt.signing_kid), where_("keys file " + path_), feed_(std::move(feed)) {}

  Result<jose::KeySet> load_or_create(bool* created) override {
    // Taken before reading: a change made meanwhile is read again, never missed.
    stamp_ = stamp_of(path_);
    bool made = false;
    auto keys = jose::load_or_create_keys(path_, signing_kid_, &made);
    if (made) stamp_ = stamp_of(path_);
    if (created) *created = made;
    return keys;
  }

  Result<std::optional<jose::KeySet>> load() override {
    std::error_code ec;
    if (!std::filesystem::exists(path_, ec)) return std::optional<jose::KeySet>{};
    auto keys = jose::load_signing_keys(path_, signing_kid_);
    if (!keys) return keys.error();
    return std::optional<jose::KeySet>(std::move(*keys));
  }

  Result<bool> create(const jose::KeySet& keys) override { return jose::create_keys(path_, keys); }

  Result<std::optional<jose::KeySet>> reload_if_changed() override {
    const FileStamp now = stamp_of(path_);
    // A missing file (stamp zero) keeps the keys in use: deleting it is not a rotation.
    if (now == FileStamp{} || now == stamp_) return std::optional<jose::KeySet>{};
    stamp_ = now;  // judged once per change, not reported every second
    auto keys = jose::load_signing_keys(path_, signing_kid_);
    if (!keys) return keys.error();
    return std::optional<jose::KeySet>(std::move(*keys));
  }

  Result<jose::KeySet> update(const std::function<Result<jose::KeySet>(const jose::KeySet&)>& change) override {
    auto kept = jose::update_keys(path_, signing_kid_, change);
    if (!kept || !feed_) return kept;
    if (auto told = feed_->append(Change{Change::Kind::keys_changed}); !told)
      return Error{told.error().code, "The " + where_ + " was changed, but the change feed could not be written (" +
                                          std::string(told.error().text()) +
                                          "); serving processes still reload the file within a second."};
    return kept;
  }

  // The keys file is plaintext (mode 0600) by design: nothing to reseal.
  Result<bool> reseal() override { return false; }

  const std::string& where() const override { return where_; }

 private:
  // What the file looked like when last read. ctime is in it so a `chmod
  // 600` that fixes a refused file is noticed; the inode, because every
  // change renames a new file into place.
  struct FileStamp {
    long long mtime_ns = 0, ctime_ns = 0;
    unsigned long long inode = 0;
    bool operator==(const FileStamp&) const = default;
  };
  static FileStamp stamp_of(const std::string& path) {
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) return {};
    auto ns = [](const timespec& t) { return static_cast<long long>(t.tv_sec) * 1'000'000'000 + t.tv_nsec; };
    return {ns(st.st_mtim), ns(st.st_ctim), static_cast<unsigned long long>(st.st_ino)};
  }

  const std::string path_, signing_kid_, where_;
  std::shared_ptr<ChangeFeed> feed_;
  FileStamp stamp_;
};

// A shared store's key set, sealed under the key-encryption key: the store
// holds only the sealed blob; it is opened here, in this process.
class SealedKeySource final : public KeySource {
 public:
  SealedKeySource(std::shared_ptr<KeyStore> store, KeyRing keks, std::string signing_kid)
      : store_(std::move(store)), keks_(std::move(keks)), signing_kid_(std::move(signing_kid)),
        where_("key set in " + store_->name()) {}

  Result<jose::KeySet> load_or_create(bool* created) override {
    if (created) *created = false;
    auto kept = load();
    if (!kept) return kept.error();
    // Only when the store holds no set at all: a set this node cannot open
    // (another key-encryption key) is an error above, never replaced.
    if (!*kept) {
      if (!signing_kid_.empty()) return invalid("does not exist yet, so jwt.signing_kid cannot name a key in it");
      auto key = jose::Jwk::generate(jose::Alg::ES256);
      if (!key) return invalid("could not be created (key generation failed)");
      auto made = create(jose::KeySet({*key}));
      if (!made) return made.error();
      if (created) *created = *made;  // false: another node's came first
      kept = load();
      if (!kept) return kept.error();
      if (!*kept) return invalid("was created, but cannot be read back");
    }
    return std::move(**kept);
  }

  Result<std::optional<jose::KeySet>> load() override {
    auto stored = store_->load();
    if (!stored && stored.error().code == ErrorCode::not_found) return std::optional<jose::KeySet>{};
    if (!stored) return unreadable(stored.error());
    auto keys = open(*stored);
    if (!keys) return keys.error();
    version_ = stored->version;
    return std::optional<jose::KeySet>(std::move(*keys));
  }

  Result<bool> create(const jose::KeySet& keys) override {
    if (auto ok = jose::check_signer(keys, where_); !ok) return ok.error();
    const std::string ours = keks_.seal(keys.to_jwks(true), kSealedKeySet, random_);
    auto stored = store_->create(ours);
    if (!stored) return unreadable(stored.error());
    return stored->sealed == ours;
  }

  Result<std::optional<jose::KeySet>> reload_if_changed() override {
    auto version = store_->version();
    if (!version) return failed(version.error());
    failing_ = false;
    if (*version == version_) return std::optional<jose::KeySet>{};
    auto stored = store_->load();
    if (!stored) return failed(stored.error());
    version_ = stored->version;  // judged once per change, not reported every second
    auto keys = open(*stored);
    if (!keys) return keys.error();
    return std::optional<jose::KeySet>(std::move(*keys));
  }

  Result<jose::KeySet> update(const std::function<Result<jose::KeySet>(const jose::KeySet&)>& change) override {
    jose::KeySet kept;
    auto written = store_->update([&](const SealedKeys& now) -> Result<std::string> {
      auto keys = open(now);
      if (!keys) return keys.error();
      auto next = change(*keys);
      if (!next) return next.error();
      if (auto ok = jose::check_signer(*next, where_); !ok) return ok.error();
      kept = *next;
      return keks_.seal(next->to_jwks(true), kSealedKeySet, random_);
    });
    if (!written) return written.error().code == ErrorCode::store_unavailable ? unreadable(written.error()) : written.error();
    return kept;
  }

  Result<bool> reseal() override {
    auto stored = store_->load();
    if (!stored && stored.error().code == ErrorCode::not_found) return false;
    if (!stored) return unreadable(stored.error());
    if (keks_.is_current(stored->sealed)) return false;
    // Through update: the same checks, a new version and keys_changed, so
    // every node reloads (the set itself is unchanged).
    auto kept = update([](const jose::KeySet& keys) -> Result<jose::KeySet> { return keys; });
    if (!kept) return kept.error();
    return true;
  }

  const std::string& where() const override { return where_; }

 private:
  Error invalid(const std::string& why) const { return Error{ErrorCode::config_invalid, "The " + where_ + " " + why + "."}; }
  Error unreadable(const Error& e) const {
    return Error{e.code, "The " + where_ + " cannot be read: " + std::string(e.text())};
  }
  // The first failure of a run is reported; the rest are nullopt until the store answers again.
  Result<std::optional<jose::KeySet>> failed(const Error& e) {
    if (failing_) return std::optional<jose::KeySet>{};
    failing_ = true;
    return unreadable(e);
  }

  // Opens and checks a stored blob. A wrong key-encryption key says so: a
  // node with another key refuses to start, and never makes a set of its own.
  Result<jose::KeySet> open(const SealedKeys& stored) const {
    auto text = keks_.open(stored.sealed, kSealedKeySet);
    if (!text) {
      if (text.error().reason == "other_key")
        return invalid("was sealed under another key-encryption key than this node's; give every node the same one "
                       "(jwt.key_encryption_key_file or CLOAKROOM_JWT_KEY_ENCRYPTION_KEY)");
      return invalid("does not decrypt: it was altered, or is not a key set");
    }
    return jose::parse_signing_keys(*text, signing_kid_, where_);
  }

  std::shared_ptr<KeyStore> store_;
  KeyRing keks_;  // the current KEK, and the previous one while a rotation is under way
  const std::string signing_kid_, where_;
  OsRandom random_;
  long long version_ = -1;  // of the set last loaded
  bool failing_ = false;
};

}  // namespace

std::unique_ptr<KeySource> file_key_source(const Config& config, std::shared_ptr<ChangeFeed> feed) {
  return std::make_unique<FileKeySource>(config, std::move(feed));
}

Result<std::unique_ptr<KeySource>> open_key_source(const Config& config, const Stores& stores) {
  if (!stores.keys) return file_key_source(config, stores.feeds.empty() ? nullptr : stores.feeds.front());
  if (config.jwt.key_encryption_key.empty())
    return Error{ErrorCode::config_invalid,
                 "The signing keys in " + stores.keys->name() + " are kept encrypted for every node, so this node "
                 "needs the key-encryption key: set jwt.key_encryption_key_file or CLOAKROOM_JWT_KEY_ENCRYPTION_KEY, "
                 "the same on every node."};
  // load_config checked them already; a Config built by hand may not have been.
  auto keks = parse_key_ring(config.jwt.key_encryption_key, config.jwt.previous_key_encryption_key);
  if (!keks) return keks.error();
  return std::unique_ptr<KeySource>(
      std::make_unique<SealedKeySource>(stores.keys, std::move(*keks), config.jwt.signing_kid));
}

}  // namespace cloakroom
