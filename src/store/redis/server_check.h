#pragma once
// What cloakroom needs of the Redis it keeps revocations in, checked once
// when a redis:// store is opened (`serve` and every CLI command), so a
// wrong address, password or setting is one sentence at start rather than
// a surprise later:
//
//   redis::Client client(*redis::parse_url(url));
//   if (auto ok = redis::check_server(client); !ok) return ok.error();
//   // store_unavailable: "Cannot use Redis at redis://10.0.0.5:6379/0?prefix=...: it requires a password, ..."
//   // config_invalid:    "Redis at redis://10.0.0.5:6379/0?prefix=... may evict keys ... set maxmemory-policy noeviction ..."
//   // config_invalid:    "Redis at ... is version 6.2.14; cloakroom needs 7.0 or later ..."
//
// Version: the scripts call PEXPIRETIME (new in 7.0; ZADD GT and XTRIM
// MINID need 6.2). On an older Redis the first revocation's script would
// fail, so it is refused at start instead (INFO server, redis_version).
//
// Eviction: under any maxmemory-policy but noeviction, a full Redis deletes
// keys to make room: a denylist entry, an epoch or a revoked family's mark
// can vanish silently, and the revoked credential works again. With
// noeviction a full Redis refuses writes instead (logins and revocations
// answer 503: fail closed). A Redis that does not let us read the policy
// (CONFIG renamed or forbidden, as managed services do) is used, with a
// warning that says what to check.
#include <string>
#include <string_view>

#include "core/result.h"
#include "store/redis/client.h"

namespace cloakroom::redis {

// PING, CONFIG GET maxmemory-policy and INFO server, in one round trip.
Result<void> check_server(Client& client);

// The version part of the check, on INFO server's text (for `where`, the
// URL as displayed): refused below 7.0 as config_invalid; an INFO without a
// readable redis_version passes with a warning (a proxy may hide it).
Result<void> check_version(std::string_view info_server, const std::string& where);

}  // namespace cloakroom::redis
