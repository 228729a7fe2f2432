#pragma once
// postgres:// signing keys: one row of table cloakroom_signing_keys (the
// sealed private JWKS as bytea, and its version) on the user store's
// Database; every change records keys_changed in the users' change feed in
// the same transaction (postgres/change_feed.h), so every node reloads.
//
//   postgres::KeyStore keys(db);
//   auto first = keys.create(sealed);     // INSERT ... ON CONFLICT DO NOTHING, then read what is there
//   keys.update(reseal);                  // SELECT ... FOR UPDATE, UPDATE, feed entry: one transaction
#include <memory>

#include "store/key_store.h"
#include "store/postgres/database.h"

namespace cloakroom::postgres {

class KeyStore final : public cloakroom::KeyStore {
 public:
  explicit KeyStore(std::shared_ptr<Database> db) : db_(std::move(db)) {}

  Result<SealedKeys> load() override;
  Result<long long> version() override;
  Result<SealedKeys> create(const std::string& sealed) override;
  Result<SealedKeys> update(const std::function<Result<std::string>(const SealedKeys&)>& change) override;
  const std::string& name() const override { return db_->name(); }

 private:
  std::shared_ptr<Database> db_;
};

}  // namespace cloakroom::postgres
