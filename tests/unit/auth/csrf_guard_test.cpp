#include "auth/csrf_guard.h"

#include <gtest/gtest.h>

#include "support/audit_capture.h"

namespace cloakroom {
namespace {

http::Request request(std::string_view method, std::vector<std::pair<std::string_view, std::string_view>> headers) {
  http::Request r;
  r.method = method;
  r.headers = std::move(headers);
  return r;
}

const Credential kCookie{Credential::Source::session_cookie, "t"};
const Credential kHeader{Credential::Source::session_header, "t"};
Metrics metrics({"unmatched"});
testing::AuditCapture audit;

// A cookie-authenticated POST needs our Origin.
TEST(CsrfGuard, CookiePostNeedsMatchingOrigin) {
  CsrfGuard g("https://auth.example.com", metrics, audit.log());
  EXPECT_TRUE(g.check(request("POST", {{"Origin", "https://auth.example.com"}}), kCookie));
  EXPECT_TRUE(g.check(request("POST", {{"Origin", "HTTPS://Auth.Example.com:443"}}), kCookie));
  EXPECT_EQ(g.check(request("POST", {{"Origin", "https://evil.example"}}), kCookie).error().code, ErrorCode::csrf_rejected);
  EXPECT_FALSE(g.check(request("POST", {{"Origin", "https://auth.example.com.evil"}}), kCookie));
  EXPECT_FALSE(g.check(request("POST", {{"Origin", "http://auth.example.com"}}), kCookie));
  EXPECT_FALSE(g.check(request("POST", {{"Origin", "null"}}), kCookie));
  EXPECT_FALSE(g.check(request("DELETE", {}), kCookie));
  EXPECT_GE(metrics.get(Counter::csrf_rejected), 5u);
}

// Every refusal names its reason (for the access log) and is an audit event
// with the Origin seen and the origin expected: from a browser, a refusal is
// what a public_url that differs from the address bar looks like.
TEST(CsrfGuard, RefusalsSayWhyAndWhatWasExpected) {
  testing::AuditCapture seen;
  CsrfGuard g("http://127.0.0.1:8080", metrics, seen.log());
  auto foreign = g.check(request("POST", {{"Origin", "http://localhost:9090"}}), kCookie);
  ASSERT_EQ(seen.lines().size(), 1u);
  const std::string log = seen.lines()[0];
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().reason, "origin_foreign");
  EXPECT_NE(log.find(R"("event":"csrf_refused","outcome":"refused","actor":"api","reason":"origin_foreign","origin":"http://localhost:9090")"),
            std::string::npos) << log;
  EXPECT_NE(log.find(R"("expected":"http://127.0.0.1:8080")"), std::string::npos) << log;
  EXPECT_EQ(g.check(request("POST", {}), kCookie).error().reason, "origin_missing");
  EXPECT_EQ(g.check_foreign_origin(request("POST", {{"Sec-Fetch-Site", "cross-site"}})).error().reason,
            "cross_site_fetch");
}

// The review's case: a second port used to be read as a default port and
// dropped, so "http://127.0.0.1:8080:80" passed as our origin. Origin is now
// parsed strictly, and everything a browser would not send is refused.
TEST(CsrfGuard, OriginIsParsedStrictly) {
  CsrfGuard g("http://127.0.0.1:8080", metrics, audit.log());
  auto post = [&](std::string_view origin) { return g.check(request("POST", {{"Origin", origin}}), kCookie); };
  EXPECT_TRUE(post("http://127.0.0.1:8080"));
  EXPECT_TRUE(post("HTTP://127.0.0.1:8080"));
  for (std::string_view bad :
       {"http://127.0.0.1:8080:80", "http://127.0.0.1:8080:8080", "http://127.0.0.1:8080:",
        "http://user@127.0.0.1:8080", "http://127.0.0.1:8080@evil.example", "http://user:pw@127.0.0.1:8080",
        "http://127.0.0.1:8080/", "http://127.0.0.1:8080/path", "http://127.0.0.1:8080?q", "http://127.0.0.1:8080#f",
        "http://127.0.0.1:8080 ", " http://127.0.0.1:8080", "http://127.0.0.1:8080x", "http://127.0.0.1:80a",
        "http://127.0.0.1", "http://127.0.0.1:80", "https://127.0.0.1:8080", "http://127.0.0.1:", "http://:8080",
        "http:/127.0.0.1:8080", "ftp://127.0.0.1:8080", "http://127.0.0.1:99999", "http://127.0.0.1:0",
        "http://127.0.0.1:+8080", "http://127.0.0.1%3a8080", "null"}) {
    auto r = post(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::csrf_rejected) << bad;
    EXPECT_FALSE(g.check_foreign_origin(request("POST", {{"Origin", bad}}))) << bad;
  }
}

// Default ports are the same origin written or not; case does not matter;
// IPv6 literals work; a malformed public_url accepts no Origin at all.
TEST(CsrfGuard, DefaultPortsCaseAndIpv6) {
  CsrfGuard https("https://auth.example.com", metrics, audit.log());
  auto ok = [](const CsrfGuard& g, std::string_view origin) {
    return static_cast<bool>(g.check(request("POST", {{"Origin", origin}}), kCookie));
  };
  EXPECT_TRUE(ok(https, "https://auth.example.com:443"));
  EXPECT_TRUE(ok(https, "HTTPS://AUTH.Example.COM"));
  EXPECT_FALSE(ok(https, "https://auth.example.com:443:443"));
  EXPECT_FALSE(ok(https, "https://auth.example.com:80"));
  EXPECT_FALSE(ok(https, "https://auth.example.com:4443"));
  EXPECT_FALSE(ok(https, "https://auth.example.com."));
  CsrfGuard http80("http://Auth.Example.com:80", metrics, audit.log());
  EXPECT_TRUE(ok(http80, "http://auth.example.com"));
  EXPECT_TRUE(ok(http80, "http://auth.example.com:80"));
  EXPECT_FALSE(ok(http80, "http://auth.example.com:443"));
  CsrfGuard v6("http://[::1]:8080", metrics, audit.log());
  EXPECT_TRUE(ok(v6, "http://[::1]:8080"));
  EXPECT_FALSE(ok(v6, "http://[::1]:8080:80"));
  EXPECT_FALSE(ok(v6, "http://[::1]"));
  EXPECT_FALSE(ok(v6, "http://[::1"));
  EXPECT_FALSE(ok(v6, "http://[::g]:8080"));
  CsrfGuard broken("https://auth.example.com/path", metrics, audit.log());
  EXPECT_FALSE(ok(broken, "https://auth.example.com"));
}

// The issue: with public_url http://127.0.0.1:P, a browser that opened
// http://localhost:P got 403 at sign-in. A loopback public_url now accepts
// every loopback name at the same scheme and port, for cookie checks and
// for login alike; another port or scheme is still refused.
TEST(CsrfGuard, LoopbackPublicUrlAcceptsLoopbackAliases) {
  for (std::string_view public_url : {"http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080"}) {
    CsrfGuard g{std::string(public_url), metrics, audit.log()};
    for (std::string_view alias : {"http://127.0.0.1:8080", "http://localhost:8080", "http://LOCALHOST:8080",
                                   "http://[::1]:8080", "http://127.0.0.2:8080", "http://127.255.0.1:8080"}) {
      EXPECT_TRUE(g.check(request("POST", {{"Origin", alias}}), kCookie)) << public_url << " " << alias;
      EXPECT_TRUE(g.check_foreign_origin(request("POST", {{"Origin", alias}}))) << public_url << " " << alias;
    }
    for (std::string_view other : {"http://localhost:8081", "https://localhost:8080", "http://localhost",
                                   "http://128.0.0.1:8080", "http://localhost.evil.example:8080",
                                   "http://x.localhost:8080", "http://[::2]:8080", "http://0.0.0.0:8080",
                                   "http://192.168.1.5:8080"}) {
      auto r = g.check(request("POST", {{"Origin", other}}), kCookie);
      ASSERT_FALSE(r) << public_url << " " << other;
      EXPECT_EQ(r.error().reason, "origin_foreign") << public_url << " " << other;
      EXPECT_EQ(g.check_foreign_origin(request("POST", {{"Origin", other}})).error().reason, "origin_foreign");
    }
  }
}

// Never loosened for a public_url elsewhere: a loopback Origin is foreign
// to https://auth.example.com, whatever its port, and so is a loopback
// Origin to a public_url that names a LAN address.
TEST(CsrfGuard, NonLoopbackPublicUrlHasNoAliases) {
  CsrfGuard g("https://auth.example.com", metrics, audit.log());
  CsrfGuard lan("http://192.168.1.5:8080", metrics, audit.log());
  for (std::string_view loopback : {"https://localhost", "https://localhost:443", "https://127.0.0.1", "https://[::1]"})
    EXPECT_EQ(g.check_foreign_origin(request("POST", {{"Origin", loopback}})).error().reason, "origin_foreign")
        << loopback;
  for (std::string_view loopback : {"http://localhost:8080", "http://127.0.0.1:8080", "http://[::1]:8080"})
    EXPECT_EQ(lan.check(request("POST", {{"Origin", loopback}}), kCookie).error().reason, "origin_foreign")
        << loopback;
}

// The startup sentence: said when browsers that open the listener would be
// refused at sign-in, silent for the usual proxy setup and when the two agree.
TEST(PublicUrlWarning, SaysWhenBrowsersAtTheListenerWouldBeRefused) {
  // The issue's setup, had public_url been set: 8080 named, 19200 served.
  EXPECT_EQ(public_url_warning("http://127.0.0.1:8080", false, "127.0.0.1:19200"),
            "public_url http://127.0.0.1:8080 names this listener's host with port 8080, but cloakroom serves plain "
            "HTTP on 127.0.0.1:19200: browsers that open http://127.0.0.1:19200 have sign-in refused. Unless a proxy "
            "or port mapping serves public_url, set public_url to http://127.0.0.1:19200.");
  EXPECT_TRUE(public_url_warning("http://localhost:8080", false, "[::1]:19200"));
  EXPECT_TRUE(public_url_warning("http://127.0.0.1:8080", false, "0.0.0.0:19200"));  // a wildcard includes loopback
  EXPECT_TRUE(public_url_warning("https://127.0.0.1:8080", false, "127.0.0.1:8080"));  // we speak plain HTTP
  EXPECT_TRUE(public_url_warning("http://192.0.2.10:9090", false, "192.0.2.10:8080"));
  EXPECT_EQ(public_url_warning("http://127.0.0.1:8080", false, "192.0.2.10:8080"),
            "public_url http://127.0.0.1:8080 names this machine only, but cloakroom listens on 192.0.2.10:8080: "
            "browsers on other machines have sign-in refused; set public_url to the address they use "
            "(http://192.0.2.10:8080 if they connect directly).");
  // Derived from a wildcard: only this machine's browsers pass, so say so.
  EXPECT_EQ(public_url_warning("http://127.0.0.1:8080", true, "0.0.0.0:8080"),
            "cloakroom listens on every interface (0.0.0.0:8080) but public_url is not set, so it is "
            "http://127.0.0.1:8080 and only browsers on this machine can sign in; set public_url (or --public-url) to "
            "the address browsers use.");
  EXPECT_TRUE(public_url_warning("http://127.0.0.1:8080", true, "[::]:8080"));
  // Silent: derived from one address, agreeing, or a proxy in front.
  EXPECT_EQ(public_url_warning("http://127.0.0.1:41234", true, "127.0.0.1:41234"), std::nullopt);
  EXPECT_EQ(public_url_warning("http://localhost:8080", false, "127.0.0.1:8080"), std::nullopt);
  EXPECT_EQ(public_url_warning("http://127.0.0.1:8080", false, "0.0.0.0:8080"), std::nullopt);
  EXPECT_EQ(public_url_warning("https://auth.example.com", false, "127.0.0.1:8080"), std::nullopt);
  EXPECT_EQ(public_url_warning("https://auth.example.com", false, "0.0.0.0:8080"), std::nullopt);
  EXPECT_EQ(public_url_warning("http://192.0.2.10:8080", false, "0.0.0.0:8080"), std::nullopt);
}

// parse_origin yields scheme, lower-case host and effective port.
TEST(ParseOrigin, EffectivePort) {
  EXPECT_EQ(parse_origin("https://Example.com"), (Origin{"https", "example.com", 443}));
  EXPECT_EQ(parse_origin("http://example.com"), (Origin{"http", "example.com", 80}));
  EXPECT_EQ(parse_origin("http://example.com:8080"), (Origin{"http", "example.com", 8080}));
  EXPECT_EQ(parse_origin("http://[::1]:1"), (Origin{"http", "[::1]", 1}));
  EXPECT_EQ(parse_origin("http://example.com:8080:80"), std::nullopt);
}

// Sec-Fetch-Site: same-origin is accepted when there is no Origin.
TEST(CsrfGuard, SecFetchSiteSameOrigin) {
  CsrfGuard g("http://127.0.0.1:8080", metrics, audit.log());
  EXPECT_TRUE(g.check(request("POST", {{"Sec-Fetch-Site", "same-origin"}}), kCookie));
  EXPECT_FALSE(g.check(request("POST", {{"Sec-Fetch-Site", "cross-site"}}), kCookie));
  EXPECT_FALSE(g.check(request("POST", {{"Sec-Fetch-Site", "same-site"}}), kCookie));
}

// Safe methods and header-authenticated requests are exempt.
TEST(CsrfGuard, ExemptCases) {
  CsrfGuard g("https://auth.example.com", metrics, audit.log());
  EXPECT_TRUE(g.check(request("GET", {{"Origin", "https://evil.example"}}), kCookie));
  EXPECT_TRUE(g.check(request("POST", {{"Origin", "https://evil.example"}}), kHeader));
}

// Login CSRF: a foreign Origin is refused, no Origin (curl) is fine.
TEST(CsrfGuard, ForeignOriginOnLogin) {
  CsrfGuard g("https://auth.example.com", metrics, audit.log());
  EXPECT_TRUE(g.check_foreign_origin(request("POST", {})));
  EXPECT_TRUE(g.check_foreign_origin(request("POST", {{"Origin", "https://auth.example.com"}})));
  EXPECT_FALSE(g.check_foreign_origin(request("POST", {{"Origin", "https://evil.example"}})));
  EXPECT_FALSE(g.check_foreign_origin(request("POST", {{"Sec-Fetch-Site", "cross-site"}})));
}

}  // namespace
}  // namespace cloakroom
