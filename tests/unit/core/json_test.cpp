#include "core/json.h"

#include <gtest/gtest.h>

namespace cloakroom::json {
namespace {

Error parse_error(std::string_view text, Limits limits = {}) {
  auto r = parse(text, limits);
  EXPECT_FALSE(r) << text;
  return r ? Error{ErrorCode::internal} : r.error();
}

// A typical login body parses into members with their types and text.
TEST(JsonParse, ReadsObjectMembers) {
  auto v = parse(R"({"username":"alice","remember":true,"n":-12,"x":null,"a":[1,2.5e3]})");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->find("username")->text, "alice");
  EXPECT_TRUE(v->find("remember")->boolean);
  EXPECT_EQ(v->find("n")->as_int64(), -12);
  EXPECT_EQ(v->find("x")->type, Type::null);
  EXPECT_EQ(v->find("a")->items.size(), 2u);
  EXPECT_FALSE(v->find("a")->items[1].as_int64());
  EXPECT_EQ(v->find("missing"), nullptr);
}

// Escapes, including surrogate pairs, decode to UTF-8.
TEST(JsonParse, DecodesEscapes) {
  auto v = parse(R"("a\"b\\c\/\n\u00e9\ud83d\ude00")");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->text, "a\"b\\c/\n\xc3\xa9\xf0\x9f\x98\x80");
}

// Duplicate member names are rejected: parsers disagree on which one wins.
TEST(JsonParse, RejectsDuplicateMembers) {
  EXPECT_EQ(parse_error(R"({"a":1,"a":2})").code, ErrorCode::malformed_json);
  EXPECT_NE(parse_error(R"({"a":1,"a":2})").text().find("duplicate"), std::string_view::npos);
}

// An object of `n` members "k0":0, "k1":0, ... and `extra` appended verbatim.
std::string object_of(std::size_t n, std::string_view extra = {}) {
  std::string out = "{";
  for (std::size_t i = 0; i < n; ++i) out += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":0";
  out += extra;
  out += "}";
  return out;
}

Failure failure_of(std::string_view text, Limits limits) {
  Failure why = Failure::none;
  (void)parse(text, limits, &why);
  return why;
}

// Duplicates are found in large objects too, wherever they are: among the
// first members, past the scanned prefix, and written with an escape.
TEST(JsonParse, RejectsDuplicatesInLargeObjects) {
  const Limits big{.max_bytes = 1 << 20, .max_depth = 8, .max_members = 20000};
  EXPECT_EQ(failure_of(object_of(9300), big), Failure::none);
  EXPECT_EQ(failure_of(object_of(9300, R"(,"k3":1)"), big), Failure::duplicate_member);
  EXPECT_EQ(failure_of(object_of(9300, R"(,"k9299":1)"), big), Failure::duplicate_member);
  EXPECT_EQ(failure_of(object_of(9300, R"(,"\u006b5000":1)"), big), Failure::duplicate_member);
  EXPECT_EQ(failure_of(object_of(17, R"(,"k16":1)"), big), Failure::duplicate_member);  // just past the scan
  EXPECT_EQ(failure_of(object_of(15, R"(,"k0":1)"), big), Failure::duplicate_member);   // within it
  auto r = parse(object_of(9300, R"(,"k3":1)"), big);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text().find("duplicate member name"), std::string_view::npos);
}

// Members per object are capped (1000 by default): the 1001st is refused with
// its own reason, whatever the size of the text.
TEST(JsonParse, BoundsMembersPerObject) {
  const Limits lim{.max_bytes = 1 << 20, .max_depth = 8};
  EXPECT_EQ(lim.max_members, 1000u);
  EXPECT_EQ(failure_of(object_of(1000), lim), Failure::none);
  EXPECT_EQ(failure_of(object_of(1001), lim), Failure::too_many_members);
  EXPECT_EQ(failure_of(object_of(9300), lim), Failure::too_many_members);
  // The cap is per object: two nested objects of 1000 members each are fine.
  std::string nested = object_of(999, ",\"inner\":" + object_of(1000));
  EXPECT_EQ(failure_of(nested, lim), Failure::none);
  auto r = parse(object_of(1001), lim);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::malformed_json);
  EXPECT_NE(r.error().text().find("an object has more than 1000 members"), std::string_view::npos);
  EXPECT_EQ(failure_of(object_of(3), {.max_members = 2}), Failure::too_many_members);
}

// Each failure reports its own reason to callers that map them.
TEST(JsonParse, ReportsTheFailureKind) {
  EXPECT_EQ(failure_of(R"({"a":1,"a":2})", {}), Failure::duplicate_member);
  EXPECT_EQ(failure_of("[[[1]]]", {.max_depth = 2}), Failure::too_deep);
  EXPECT_EQ(failure_of("{\"a\"}", {}), Failure::syntax);
  EXPECT_EQ(failure_of("[1,2,3]", {.max_bytes = 3}), Failure::too_large);
  EXPECT_EQ(failure_of("{}", {}), Failure::none);
}

// Everything outside strict RFC 8259 is refused.
TEST(JsonParse, RejectsNonStandardInput) {
  for (std::string_view bad : {"", " ", "{", "}", "{\"a\":1,}", "[1,]", "{'a':1}", "{a:1}", "01", "1.", ".5", "+1",
                               "1e", "NaN", "tru", "nul", "\"\\x\"", "\"abc", "{\"a\" 1}", "[1 2]", "1 2", "//c\n1",
                               "\"\x01\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\xc0\x80\"",
                               "\"\xed\xa0\x80\"", "\"\xf5\x80\x80\x80\"", "\"\xe2\x82\""}) {
    EXPECT_EQ(parse_error(bad).code, ErrorCode::malformed_json) << bad;
  }
}

// Deep nesting stops at the limit instead of exhausting the stack.
TEST(JsonParse, BoundsDepth) {
  std::string deep(100000, '[');
  EXPECT_EQ(parse_error(deep, {.max_bytes = 1 << 20, .max_depth = 16}).code, ErrorCode::malformed_json);
  std::string ok = std::string(16, '[') + std::string(16, ']');
  EXPECT_TRUE(parse(ok, {.max_bytes = 100, .max_depth = 16}));
  std::string over = std::string(17, '[') + std::string(17, ']');
  EXPECT_FALSE(parse(over, {.max_bytes = 100, .max_depth = 16}));
}

// Oversize input is refused before parsing.
TEST(JsonParse, BoundsSize) {
  EXPECT_EQ(parse_error("[1,2,3]", {.max_bytes = 3}).code, ErrorCode::body_too_large);
}

// as_int64 accepts only exact integers in range.
TEST(JsonValue, AsInt64IsExact) {
  EXPECT_EQ(parse("9223372036854775807")->as_int64(), INT64_MAX);
  EXPECT_FALSE(parse("9223372036854775808")->as_int64());
  EXPECT_FALSE(parse("1e3")->as_int64());
  EXPECT_FALSE(parse("\"5\"")->as_int64());
}

// The writer escapes what JSON requires and round-trips through the reader.
TEST(JsonWriter, EscapesAndRoundTrips) {
  Writer w;
  w.begin_object();
  w.key("s"); w.string("q\"b\\n\n\x01\x7f");
  w.key("n"); w.number(42LL);
  w.key("a"); w.begin_array(); w.boolean(true); w.null(); w.end_array();
  w.end_object();
  EXPECT_EQ(w.str(), R"({"s":"q\"b\\n\n\u0001\u007f","n":42,"a":[true,null]})");
  auto back = parse(w.str());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->find("s")->text, "q\"b\\n\n\x01\x7f");
}

}  // namespace
}  // namespace cloakroom::json
