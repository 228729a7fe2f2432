#include "core/json.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace cloakroom::json {

const Value* Value::find(std::string_view key) const {
  for (const auto& [k, v] : members)
    if (k == key) return &v;
  return nullptr;
}

std::optional<std::int64_t> Value::as_int64() const {
  if (type != Type::number) return std::nullopt;
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return n;
}

namespace {

// Objects up to this size are checked for duplicate names by scanning the
// members already read. Why 16: JOSE headers and claims (the hot path) stay
// under it, and a scan of a few short names beats any index.
constexpr std::size_t kScanMembers = 16;

class Parser {
 public:
  Parser(std::string_view text, const Limits& limits)
      : s_(text), max_depth_(limits.max_depth), max_members_(limits.max_members) {}

  Result<Value> document() {
    Value v;
    if (!value(v, 0)) return fail();
    skip_ws();
    if (pos_ != s_.size()) { reason_ = "unexpected data after the JSON value"; return fail(); }
    return v;
  }

  Failure failure() const { return failure_; }

 private:
  Error fail() const {
    return Error{ErrorCode::malformed_json,
                 "The request body is not valid JSON: " + reason_ + " at byte " + std::to_string(pos_) + "."};
  }
  bool error(std::string why, Failure kind = Failure::syntax) {
    reason_ = std::move(why);
    failure_ = kind;
    return false;
  }

  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return error("invalid literal");
    pos_ += word.size();
    return true;
  }

  bool value(Value& out, int depth) {
    skip_ws();
    if (pos_ >= s_.size()) return error("unexpected end of input");
    switch (s_[pos_]) {
      case '{': return object(out, depth + 1);
      case '[': return array(out, depth + 1);
      case '"': out.type = Type::string; return string(out.text);
      case 't': out.type = Type::boolean; out.boolean = true; return literal("true");
      case 'f': out.type = Type::boolean; out.boolean = false; return literal("false");
      case 'n': out.type = Type::null; return literal("null");
      default: out.type = Type::number; return number(out.text);
    }
  }

  bool object(Value& out, int depth) {
    // Why: recursion depth is bounded so hostile nesting cannot exhaust the stack.
    if (depth > max_depth_) return error("nesting is too deep", Failure::too_deep);
    out.type = Type::object;
    out.members.reserve(8);  // typical JWT headers and claims: one allocation
    ++pos_;
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == '}') { ++pos_; return true; }
    std::size_t count = 0;  // = out.members.size(), without a division per member
    for (;;) {
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != '"') return error("expected a member name");
      // Why: bounds the memory and the duplicate check one object can cost.
      if (count >= max_members_)
        return error("an object has more than " + std::to_string(max_members_) + " members",
                     Failure::too_many_members);
      std::string key;
      if (!string(key)) return false;
      // Small objects are checked as they are read; larger ones once, at '}'.
      if (count < kScanMembers && out.find(key))
        return error("duplicate member name", Failure::duplicate_member);
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != ':') return error("expected ':'");
      ++pos_;
      Value member;
      if (!value(member, depth)) return false;
      out.members.push_back(Member{std::move(key), std::move(member)});
      ++count;
      skip_ws();
      if (pos_ >= s_.size()) return error("unexpected end of input");
      if (s_[pos_] == ',') { ++pos_; continue; }
      if (s_[pos_] == '}') {
        ++pos_;
        return count <= kScanMembers || names_unique(out.members);
      }
      return error("expected ',' or '}'");
    }
  }

  // Sorts views of the names and compares neighbours: n log n whatever the
  // names are (a hash set would be linear on average, but an unseeded hash
  // can be flooded with colliding names). The views stay valid: `members`
  // no longer changes.
  bool names_unique(const std::vector<Member>& members) {
    std::vector<std::string_view> names;
    names.reserve(members.size());
    for (const auto& m : members) names.push_back(m.name);
    std::sort(names.begin(), names.end());
    if (std::adjacent_find(names.begin(), names.end()) != names.end())
      return error("duplicate member name", Failure::duplicate_member);
    return true;
  }

  bool array(Value& out, int depth) {
    if (depth > max_depth_) return error("nesting is too deep", Failure::too_deep);
    out.type = Type::array;
    ++pos_;
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == ']') { ++pos_; return true; }
    for (;;) {
      Value item;
      if (!value(item, depth)) return false;
      out.items.push_back(std::move(item));
      skip_ws();
      if (pos_ >= s_.size()) return error("unexpected end of input");
      if (s_[pos_] == ',') { ++pos_; continue; }
      if (s_[pos_] == ']') { ++pos_; return true; }
      return error("expected ',' or ']'");
    }
  }

  bool number(std::string& out) {
    std::size_t start = pos_;
    auto digit = [&] { return pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9'; };
    if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
    if (!digit()) return error("invalid value");
    if (s_[pos_] == '0') ++pos_;
    else while (digit()) ++pos_;
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (!digit()) return error("invalid number");
      while (digit()) ++pos_;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (!digit()) return error("invalid number");
      while (digit()) ++pos_;
    }
    out.assign(s_.substr(start, pos_ - start));
    return true;
  }

  bool hex4(unsigned& cp) {
    if (pos_ + 4 > s_.size()) return error("truncated \\u escape");
    cp = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s_[pos_++];
      cp <<= 4;
      if (c >= '0' && c <= '9') cp |= c - '0';
      else if (c >= 'a' && c <= 'f') cp |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') cp |= c - 'A' + 10;
      else return error("invalid \\u escape");
    }
    return true;
  }

  static void put_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) out += static_cast<char>(cp);
    else if (cp < 0x800) { out += static_cast<char>(0xC0 | (cp >> 6)); out += static_cast<char>(0x80 | (cp & 0x3F)); }
    else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // Copies one UTF-8 sequence starting at pos_, rejecting overlongs, surrogates
  // and code points above U+10FFFF.
  bool utf8(std::string& out) {
    auto b = [&](std::size_t i) { return static_cast<unsigned char>(s_[i]); };
    unsigned char c = b(pos_);
    int len = 0;
    unsigned cp = 0;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
    else return error("invalid UTF-8");
    if (pos_ + len > s_.size()) return error("invalid UTF-8");
    for (int i = 1; i < len; ++i) {
      if ((b(pos_ + i) & 0xC0) != 0x80) return error("invalid UTF-8");
      cp = (cp << 6) | (b(pos_ + i) & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return error("invalid UTF-8");
    out.append(s_.substr(pos_, len));
    pos_ += len;
    return true;
  }

  bool string(std::string& out) {
    ++pos_;  // opening quote
    for (;;) {
      // Copy a run of plain ASCII in one append: most strings are nothing else.
      std::size_t run = pos_;
      while (run < s_.size()) {
        unsigned char r = static_cast<unsigned char>(s_[run]);
        if (r == '"' || r == '\\' || r < 0x20 || r >= 0x80) break;
        ++run;
      }
      out.append(s_.data() + pos_, run - pos_);
      pos_ = run;
      if (pos_ >= s_.size()) return error("unterminated string");
      unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') { ++pos_; return true; }
      if (c < 0x20) return error("control character in string");
      if (c >= 0x80) { if (!utf8(out)) return false; continue; }
      if (c != '\\') { out += static_cast<char>(c); ++pos_; continue; }
      if (++pos_ >= s_.size()) return error("unterminated string");
      char e = s_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp;
          if (!hex4(cp)) return false;
          if (cp >= 0xDC00 && cp <= 0xDFFF) return error("lone surrogate in \\u escape");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned low;
            if (s_.substr(pos_, 2) != "\\u") return error("lone surrogate in \\u escape");
            pos_ += 2;
            if (!hex4(low)) return false;
            if (low < 0xDC00 || low > 0xDFFF) return error("lone surrogate in \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          put_utf8(out, cp);
          break;
        }
        default: return error("invalid escape");
      }
    }
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  int max_depth_;
  std::size_t max_members_;
  std::string reason_;
  Failure failure_ = Failure::none;
};

}  // namespace

Result<Value> parse(std::string_view text, Limits limits, Failure* why) {
  if (text.size() > limits.max_bytes) {
    if (why) *why = Failure::too_large;
    return Error{ErrorCode::body_too_large};
  }
  Parser parser(text, limits);
  auto result = parser.document();
  if (why) *why = result ? Failure::none : parser.failure();
  return result;
}

void append_quoted(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

void Writer::quote(std::string_view s) { append_quoted(out_, s); }

void Writer::number(double d) {
  comma();
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%.17g", d);
  out_.append(buf, static_cast<std::size_t>(n));
}

}  // namespace cloakroom::json
