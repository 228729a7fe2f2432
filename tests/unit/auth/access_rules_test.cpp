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

// The role verdict for a password sign-in (what every rule without second_factor judges).
bool allows(const AccessPolicy& policy, std::string_view path, std::string_view method, const Principal& who) {
  return policy.decide(path, method, who, AuthMethods::password()) == Access::allowed;
}

// A second_factor rule wants a multi-factor sign-in on top of its roles;
// roles are judged first, and other rules do not care how the user signed in.
TEST(AccessPolicy, SecondFactorRule) {
  Config c;
  c.access_rules = {{"/admin", {}, {"admin"}, /*second_factor=*/true}, {"/app", {}, {}}};
  AccessPolicy policy(c);
  const AuthMethods pwd = AuthMethods::password();
  const AuthMethods pwd_otp = pwd.with(AuthMethod::otp);
  const AuthMethods passkey = AuthMethods{}.with(AuthMethod::hwk).with(AuthMethod::user);
  EXPECT_EQ(policy.decide("/admin/x", "GET", with_roles({"admin"}), pwd), Access::second_factor_required);
  EXPECT_EQ(policy.decide("/admin/x", "GET", with_roles({"admin"}), AuthMethods{}), Access::second_factor_required);
  EXPECT_EQ(policy.decide("/admin/x", "GET", with_roles({"admin"}), pwd_otp), Access::allowed);
  EXPECT_EQ(policy.decide("/admin/x", "GET", with_roles({"admin"}), passkey), Access::allowed);
  EXPECT_EQ(policy.decide("/admin/x", "GET", with_roles({}), pwd), Access::denied);
  EXPECT_EQ(policy.decide("/admin/x", "GET", with_roles({}), pwd_otp), Access::denied);
  EXPECT_EQ(policy.decide("/app/x", "GET", with_roles({}), pwd), Access::allowed);
  EXPECT_EQ(policy.decide("/app/x", "GET", with_roles({}), AuthMethods{}), Access::allowed);
}

// First match wins; every listed role is required; prefixes ignore case.
TEST(AccessPolicy, FirstMatchAllRoles) {
  Config c;
  c.access_rules = {{"/admin/public", {}, {}}, {"/admin", {}, {"admin"}}, {"/ops", {}, {"ops", "oncall"}}};
  AccessPolicy policy(c);
  EXPECT_TRUE(allows(policy, "/admin/public/x", "GET", with_roles({})));
  EXPECT_FALSE(allows(policy, "/admin/users", "GET", with_roles({"user"})));
  EXPECT_FALSE(allows(policy, "/ADMIN/users", "GET", with_roles({"user"})));
  EXPECT_TRUE(allows(policy, "/admin/users", "GET", with_roles({"admin"})));
  EXPECT_FALSE(allows(policy, "/ops", "GET", with_roles({"ops"})));
  EXPECT_TRUE(allows(policy, "/ops", "GET", with_roles({"oncall", "ops"})));
  EXPECT_TRUE(allows(policy, "/elsewhere", "GET", with_roles({})));
}

// Method-limited rules apply to their methods, and when the method is unknown.
TEST(AccessPolicy, MethodsAndDefault) {
  Config c;
  c.access_rules = {{"/api", {"POST", "DELETE"}, {"writer"}}};
  c.access.deny_unmatched = true;
  AccessPolicy policy(c);
  EXPECT_FALSE(allows(policy, "/api/x", "POST", with_roles({})));
  EXPECT_FALSE(allows(policy, "/api/x", "", with_roles({})));
  EXPECT_FALSE(allows(policy, "/api/x", "GET", with_roles({})));  // no rule matched: default deny
  EXPECT_TRUE(allows(policy, "/api/x", "DELETE", with_roles({"writer"})));
}

// A method in another case is still the rule's method: "post" does not slip past a POST rule.
TEST(AccessPolicy, MethodsIgnoreAsciiCase) {
  Config c;
  c.access_rules = {{"/api", {"POST", "DELETE"}, {"writer"}}};
  AccessPolicy policy(c);
  for (std::string_view m : {"POST", "post", "Post", "pOsT", "delete"})
    EXPECT_FALSE(allows(policy, "/api/x", m, with_roles({}))) << m;
  EXPECT_TRUE(allows(policy, "/api/x", "post", with_roles({"writer"})));
  EXPECT_TRUE(allows(policy, "/api/x", "GET", with_roles({})));
  EXPECT_TRUE(allows(policy, "/api/x", "POSTX", with_roles({})));  // a different method, not a prefix match
}

http::Request request_with(std::vector<std::pair<std::string_view, std::string_view>> headers) {
  http::Request r;
  r.headers = std::move(headers);
  return r;
}

OriginalRequestProblem problem_of(const http::Request& r) {
  auto o = original_request(r);
  EXPECT_FALSE(o) << "accepted uri=" << (o ? o->uri : "") << " method=" << (o ? o->method : "");
  return o ? OriginalRequestProblem::uri_missing : o.error().problem;
}

// Either header name works alone; both agreeing is what a proxy that sets both sends.
TEST(OriginalRequest, OneSourceOrAgreeingSources) {
  auto o = original_request(request_with({{"X-Forwarded-Uri", "/admin/x?q=1"}, {"X-Forwarded-Method", "POST"}}));
  ASSERT_TRUE(o);
  EXPECT_EQ(o->uri, "/admin/x?q=1");
  EXPECT_EQ(o->method, "POST");
  o = original_request(request_with({{"x-original-uri", "/a"}, {"X-ORIGINAL-METHOD", "GET"}}));
  ASSERT_TRUE(o);
  EXPECT_EQ(o->uri, "/a");
  EXPECT_EQ(o->method, "GET");
  o = original_request(request_with({{"X-Original-URI", "/a"}, {"X-Forwarded-Uri", "/a"},
                                     {"X-Original-Method", "GET"}, {"X-Forwarded-Method", "GET"}}));
  ASSERT_TRUE(o);
  EXPECT_EQ(o->uri, "/a");
  EXPECT_EQ(o->method, "GET");
  o = original_request(request_with({{"Cookie", "sid=x"}}));
  ASSERT_TRUE(o);
  EXPECT_EQ(o->uri, "");
  EXPECT_EQ(o->method, "");
}

// The nginx bypass: the proxy set X-Original-URI, the client's X-Forwarded-Uri came along.
// Whichever comes first, two different values are refused, and both reach the log.
TEST(OriginalRequest, DisagreeingUrisAreRefused) {
  auto o = original_request(request_with({{"X-Forwarded-Uri", "/public"}, {"X-Original-URI", "/admin/users"}}));
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().problem, OriginalRequestProblem::uri_conflict);
  EXPECT_EQ(o.error().seen, "/public");
  EXPECT_EQ(o.error().other, "/admin/users");
  EXPECT_EQ(problem_of(request_with({{"X-Original-URI", "/admin"}, {"X-Forwarded-Uri", "/public"}})),
            OriginalRequestProblem::uri_conflict);
  // Present but empty is a value too: it cannot hide behind "absent".
  EXPECT_EQ(problem_of(request_with({{"X-Original-URI", "/admin"}, {"X-Forwarded-Uri", ""}})),
            OriginalRequestProblem::uri_conflict);
}

// POST /api/x with a forged X-Forwarded-Method: GET next to the proxy's X-Original-Method: POST.
TEST(OriginalRequest, DisagreeingMethodsAreRefused) {
  auto o = original_request(request_with({{"X-Original-URI", "/api/x"}, {"X-Forwarded-Method", "GET"},
                                          {"X-Original-Method", "POST"}}));
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().problem, OriginalRequestProblem::method_conflict);
  EXPECT_EQ(o.error().seen, "GET");
  EXPECT_EQ(o.error().other, "POST");
  // Case is a difference here: a proxy that sets both sends the same bytes.
  EXPECT_EQ(problem_of(request_with({{"X-Forwarded-Method", "post"}, {"X-Original-Method", "POST"}})),
            OriginalRequestProblem::method_conflict);
}

// A header sent twice is refused even when both copies agree: the proxy that
// set it would have replaced the client's copy, so one of them is the client's.
TEST(OriginalRequest, RepeatedHeadersAreRefused) {
  EXPECT_EQ(problem_of(request_with({{"X-Forwarded-Uri", "/public"}, {"X-Forwarded-Uri", "/admin"}})),
            OriginalRequestProblem::uri_conflict);
  EXPECT_EQ(problem_of(request_with({{"X-Forwarded-Uri", "/admin"}, {"x-forwarded-uri", "/admin"}})),
            OriginalRequestProblem::uri_conflict);
  EXPECT_EQ(problem_of(request_with({{"X-Forwarded-Uri", "/a"}, {"X-Original-URI", "/a"}, {"X-Original-URI", "/a"}})),
            OriginalRequestProblem::uri_conflict);
  EXPECT_EQ(problem_of(request_with({{"X-Original-Method", "GET"}, {"X-Original-Method", "GET"}})),
            OriginalRequestProblem::method_conflict);
}

// '#' never reaches a server in a request-target; one in the URI is client text.
TEST(OriginalRequest, FragmentIsRefused) {
  for (std::string_view uri : {"/public#/../admin", "/admin#", "#", "/a?x=#"}) {
    auto o = original_request(request_with({{"X-Original-URI", uri}}));
    ASSERT_FALSE(o) << uri;
    EXPECT_EQ(o.error().problem, OriginalRequestProblem::uri_fragment) << uri;
  }
}

// path(): no URI with rules is uri_missing; what normalisation refuses is uri_unreadable.
TEST(OriginalRequest, PathNeedsAReadableUri) {
  OriginalRequest none{"", "GET"};
  ASSERT_FALSE(none.path());
  EXPECT_EQ(none.path().error().problem, OriginalRequestProblem::uri_missing);
  OriginalRequest encoded{"/a%2Fb", "GET"};
  ASSERT_FALSE(encoded.path());
  EXPECT_EQ(encoded.path().error().problem, OriginalRequestProblem::uri_unreadable);
  EXPECT_EQ(encoded.path().error().seen, "/a%2Fb");
  OriginalRequest fine{"//x/../admin;p?q", "GET"};
  ASSERT_TRUE(fine.path());
  EXPECT_EQ(*fine.path(), "/admin");
}

// What reaches the log is bounded, has no query and is printable ASCII.
TEST(OriginalRequest, LoggedValuesAreTrimmed) {
  std::string long_path = "/" + std::string(1000, 'a');
  auto o = original_request(request_with({{"X-Forwarded-Uri", "/p?token=secret"}, {"X-Original-URI", long_path},
                                          {"X-Forwarded-Method", "GET"}}));
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().seen, "/p?...");
  EXPECT_EQ(o.error().other, long_path.substr(0, 256) + "...");
  o = original_request(request_with({{"X-Forwarded-Uri", "/a b\x01\xff"}, {"X-Original-URI", "/a"}}));
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().seen, "/a%20b%01%FF");
}

// rd's URL: X-Original-URL, or built from X-Forwarded-Proto/-Host and the URI; "" when neither.
TEST(OriginalUrl, FromEitherForm) {
  auto u = original_url(request_with({{"X-Original-URL", "https://app.example.com/x?y=1"}}));
  ASSERT_TRUE(u);
  EXPECT_EQ(*u, "https://app.example.com/x?y=1");
  u = original_url(request_with({{"X-Forwarded-Proto", "https"}, {"X-Forwarded-Host", "app.example.com"},
                                 {"X-Forwarded-Uri", "/x"}}));
  ASSERT_TRUE(u);
  EXPECT_EQ(*u, "https://app.example.com/x");
  // The documented nginx block sends all of them, consistently.
  u = original_url(request_with({{"X-Original-URL", "http://app.example.com:8080/x?y"}, {"X-Forwarded-Proto", "http"},
                                 {"X-Forwarded-Host", "app.example.com:8080"}, {"X-Forwarded-Uri", "/x?y"},
                                 {"X-Original-URI", "/x?y"}}));
  ASSERT_TRUE(u);
  EXPECT_EQ(*u, "http://app.example.com:8080/x?y");
  u = original_url(request_with({{"X-Forwarded-Proto", "https"}}));
  ASSERT_TRUE(u);
  EXPECT_EQ(*u, "");
}

// A forged X-Original-URL (or Host) next to the proxy's own headers gets no rd at all.
TEST(OriginalUrl, DisagreementIsRefused) {
  using P = OriginalRequestProblem;
  auto problem = [](std::vector<std::pair<std::string_view, std::string_view>> h) {
    auto u = original_url(request_with(std::move(h)));
    EXPECT_FALSE(u) << (u ? *u : "");
    return u ? P::uri_missing : u.error().problem;
  };
  EXPECT_EQ(problem({{"X-Original-URL", "https://evil.example/x"}, {"X-Forwarded-Proto", "https"},
                     {"X-Forwarded-Host", "app.example.com"}, {"X-Forwarded-Uri", "/x"}}), P::url_conflict);
  EXPECT_EQ(problem({{"X-Original-URL", "https://app.example.com/x"}, {"X-Forwarded-Proto", "http"}}), P::url_conflict);
  EXPECT_EQ(problem({{"X-Original-URL", "https://app.example.com/x"}, {"X-Original-URI", "/y"}}), P::url_conflict);
  EXPECT_EQ(problem({{"X-Original-URL", "https://app.example.com/x"}, {"X-Original-URL", "https://app.example.com/x"}}),
            P::url_conflict);
  EXPECT_EQ(problem({{"X-Forwarded-Host", "app.example.com"}, {"X-Forwarded-Host", "evil.example"},
                     {"X-Forwarded-Proto", "https"}}), P::url_conflict);
  EXPECT_EQ(problem({{"X-Original-URL", "https://app.example.com/x#y"}}), P::uri_fragment);
  EXPECT_EQ(problem({{"X-Forwarded-Uri", "/x"}, {"X-Original-URI", "/y"}}), P::uri_conflict);
}

}  // namespace
}  // namespace cloakroom
