#include "auth/access_rules.h"

#include <gtest/gtest.h>

namespace cloakroom {
namespace {

std::string norm(std::string_view s) {
  auto r = normalize_request_path(s);
  return r ? *r : "ERROR";
}

// Ordinary paths pass through; the query and fragment are dropped.
TEST(NormalizeRequestPath, Ordinary) {
  EXPECT_EQ(norm("/"), "/");
  EXPECT_EQ(norm("/app/page"), "/app/page");
  EXPECT_EQ(norm("/app/page/"), "/app/page/");
  EXPECT_EQ(norm("/app?next=/admin"), "/app");
  EXPECT_EQ(norm("/app#frag"), "/app");
}

// The usual bypasses all land on /admin.
TEST(NormalizeRequestPath, BypassesLandOnTheRealPath) {
  for (std::string_view p : {"//admin", "///admin", "/./admin", "/x/../admin", "/admin/.", "/admin;x=1", "/%61dmin",
                             "/%2e/admin", "/x/%2e%2e/admin/..%3b/admin", "/x\\..\\admin", "/admin;/", "/ADMIN"})
    EXPECT_TRUE(norm(p) == "/admin" || norm(p) == "/admin/" || norm(p) == "/ADMIN") << p << " -> " << norm(p);
}

// What cannot be read safely is refused.
TEST(NormalizeRequestPath, RefusesAmbiguousPaths) {
  for (std::string_view p : {"", "admin", "/a%2Fb", "/a%5cb", "/a%00", "/%", "/%4", "/%zz", "/..", "/a/../../b", "/%25",
                             "http://x/admin", "\\admin"})
    EXPECT_EQ(norm(p), "ERROR") << p;
}

Principal with_roles(std::vector<std::string> roles) {
  Principal p;
  p.roles = std::move(roles);
  return p;
}

// First match wins; every listed role is required; prefixes ignore case.
TEST(AccessPolicy, FirstMatchAllRoles) {
  Config c;
  c.access_rules = {{"/admin/public", {}, {}}, {"/admin", {}, {"admin"}}, {"/ops", {}, {"ops", "oncall"}}};
  AccessPolicy policy(c);
  EXPECT_TRUE(policy.allows("/admin/public/x", "GET", with_roles({})));
  EXPECT_FALSE(policy.allows("/admin/users", "GET", with_roles({"user"})));
  EXPECT_FALSE(policy.allows("/ADMIN/users", "GET", with_roles({"user"})));
  EXPECT_TRUE(policy.allows("/admin/users", "GET", with_roles({"admin"})));
  EXPECT_FALSE(policy.allows("/ops", "GET", with_roles({"ops"})));
  EXPECT_TRUE(policy.allows("/ops", "GET", with_roles({"oncall", "ops"})));
  EXPECT_TRUE(policy.allows("/elsewhere", "GET", with_roles({})));
}

// Method-limited rules apply to their methods, and when the method is unknown.
TEST(AccessPolicy, MethodsAndDefault) {
  Config c;
  c.access_rules = {{"/api", {"POST", "DELETE"}, {"writer"}}};
  c.access.deny_unmatched = true;
  AccessPolicy policy(c);
  EXPECT_FALSE(policy.allows("/api/x", "POST", with_roles({})));
  EXPECT_FALSE(policy.allows("/api/x", "", with_roles({})));
  EXPECT_FALSE(policy.allows("/api/x", "GET", with_roles({})));  // no rule matched: default deny
  EXPECT_TRUE(policy.allows("/api/x", "DELETE", with_roles({"writer"})));
}

}  // namespace
}  // namespace cloakroom
