#pragma once
// A strict JSON reader and a small writer, shared by request bodies and (later)
// JOSE headers and claims.
//
//   Result<json::Value> v = json::parse(body, {.max_bytes = 65536, .max_depth = 16});
//   if (!v) return v.error();                    // malformed_json, with a reason
//   const json::Value* name = v->find("username");
//
//   json::Writer w;  w.begin_object(); w.key("id"); w.string(id); w.end_object();
//
// The reader accepts RFC 8259 JSON only: one value, no comments, no trailing
// commas, valid UTF-8 with no lone surrogates, and it rejects duplicate object
// members (RFC 8725 §3.x: parsers disagree on which duplicate wins). The
// duplicate check scans objects of up to 16 members (JOSE headers and
// claims) and sorts the names of larger ones once (n log n), and an object
// may have at most Limits::max_members members. It does not decide what
// fields mean; callers do.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace cloakroom::json {

enum class Type { null, boolean, number, string, array, object };

struct Member;

class Value {
 public:
  Type type = Type::null;
  bool boolean = false;
  std::string text;  // string contents, or a number's literal text
  std::vector<Value> items;
  std::vector<Member> members;  // in document order

  bool is_string() const { return type == Type::string; }
  bool is_object() const { return type == Type::object; }
  // The member named `key`, or nullptr (members are unique, see above).
  const Value* find(std::string_view key) const;
  // An integer number that fits int64 exactly; nullopt for 1.5, 1e3, strings.
  std::optional<std::int64_t> as_int64() const;
};

struct Member {
  std::string name;
  Value value;
};

struct Limits {
  std::size_t max_bytes = 64 * 1024;
  int max_depth = 16;
  // Why 1000: no object we read (bodies, JOSE headers and claims, JWKS
  // members) has more than a few dozen; a cap bounds the work per object.
  std::size_t max_members = 1000;
};

// Why a parse failed, for callers that map reasons to their own codes.
enum class Failure { none, syntax, duplicate_member, too_deep, too_large, too_many_members };

Result<Value> parse(std::string_view text, Limits limits = {}, Failure* why = nullptr);

// Appends JSON to a string. The caller keeps the structure balanced.
class Writer {
 public:
  void begin_object() { comma(); out_ += '{'; first_ = true; }
  void end_object() { out_ += '}'; first_ = false; }
  void begin_array() { comma(); out_ += '['; first_ = true; }
  void end_array() { out_ += ']'; first_ = false; }
  void key(std::string_view k) { comma(); quote(k); out_ += ':'; first_ = true; }
  void string(std::string_view s) { comma(); quote(s); }
  void number(long long n) { comma(); out_ += std::to_string(n); }
  void number(double d);
  // A number already in JSON syntax (e.g. a parsed Value's text), copied as is.
  void number_literal(std::string_view text) { comma(); out_ += text; }
  void boolean(bool b) { comma(); out_ += b ? "true" : "false"; }
  void null() { comma(); out_ += "null"; }

  std::string& str() { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void comma() {
    if (!first_) out_ += ',';
    first_ = false;
  }
  void quote(std::string_view s);
  std::string out_;
  bool first_ = true;
};

// Appends `s` as a quoted JSON string (escaping quotes, backslashes, controls).
void append_quoted(std::string& out, std::string_view s);

}  // namespace cloakroom::json
