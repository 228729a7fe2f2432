#pragma once
// A Result as one string, so a test asserts the exact refusal in one line:
// "ok", "<wire code>" or "<wire code>:<reason>" (Error::reason, when set).
//
//   EXPECT_EQ(testing::outcome(svc.authenticate(t)), "unauthenticated:session_expired");
//   EXPECT_EQ(testing::outcome(svc.refresh(t, ip, ua)), "ok");
//
// A test that checked only `!ok` could pass for the wrong reason (an
// expired token where a revoked one was meant).
#include <string>

#include "core/result.h"

namespace cloakroom::testing {

template <class T>
std::string outcome(const Result<T>& r) {
  if (r) return "ok";
  std::string out(wire_error(r.error().code).code);
  if (!r.error().reason.empty()) out += ":" + std::string(r.error().reason);
  return out;
}

}  // namespace cloakroom::testing
