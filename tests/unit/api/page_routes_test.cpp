#include "api/page_routes.h"

#include <gtest/gtest.h>

#include "pages/page_assets.h"

namespace cloakroom::api {
namespace {

TEST(PageRoutes, HtmlEscapeCoversTextAndAttributes) {
  EXPECT_EQ(html_escape(R"(<a href="x" title='y'>&</a>)"),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  EXPECT_EQ(html_escape("plain /path?a=1"), "plain /path?a=1");
}

// Every asset is embedded with a content type, and the pages reference only
// embedded, same-origin files: nothing inline for the CSP to refuse.
TEST(PageRoutes, AssetsAreEmbeddedAndSelfContained) {
  for (const char* name : {"login.html", "account.html", "reset.html", "style.css", "login.js", "account.js", "reset.js",
                           "favicon.svg"}) {
    const pages::Asset* a = pages::find_asset(name);
    ASSERT_NE(a, nullptr) << name;
    EXPECT_FALSE(a->body.empty()) << name;
    EXPECT_FALSE(a->content_type.empty()) << name;
  }
  EXPECT_EQ(pages::find_asset("missing.js"), nullptr);
  for (const char* page : {"login.html", "account.html", "reset.html"}) {
    std::string_view body = pages::find_asset(page)->body;
    EXPECT_EQ(body.find("<style"), std::string_view::npos) << page;
    EXPECT_EQ(body.find(" style="), std::string_view::npos) << page;
    EXPECT_EQ(body.find("http://"), std::string_view::npos) << page;  // no CDN
    EXPECT_EQ(body.find("https://"), std::string_view::npos) << page;
    for (std::size_t at = body.find("<script"); at != std::string_view::npos; at = body.find("<script", at + 1))
      EXPECT_NE(body.substr(at, body.find('>', at) - at).find("src=\"/auth/assets/"), std::string_view::npos) << page;
  }
  EXPECT_NE(pages::find_asset("login.html")->body.find("{{rd}}"), std::string_view::npos);
}

}  // namespace
}  // namespace cloakroom::api
