#pragma once
// Whether this build can open a store URL, asked of the backend table in
// store_url.cpp. Config checks store.users and store.sessions with it, so
// its messages list exactly the backends compiled in. Names no config or
// store type, so config/ can include it without depending on the stores.
//
//   check_store_url("sqlite://data/x.db", StoreSlot::users);  // ok
//   check_store_url("redis://h", StoreSlot::users);           // config_invalid: "names a backend that cannot
//                                                             //  hold users; use sqlite://PATH or memory://"
//   check_store_url("redis://h:0", StoreSlot::sessions);      // config_invalid: "has a port that is not 1 to 65535"
//   store_url_forms(StoreSlot::users);                        // "sqlite://PATH or memory://"
#include <string>
#include <string_view>

#include "core/result.h"

namespace cloakroom {

// Which URL: store.users opens the users and, beside them, the event log;
// store.sessions opens the sessions and, beside them, the token state.
enum class StoreSlot { users, sessions };

// ok, or config_invalid with a message that names no key (the caller adds
// it) and ends with the forms this build opens for the slot.
Result<void> check_store_url(std::string_view url, StoreSlot slot);
// The URL forms this build opens for the slot, "sqlite://PATH or memory://".
std::string store_url_forms(StoreSlot slot);

}  // namespace cloakroom
