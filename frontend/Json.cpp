//===- Json.cpp - a small strict JSON reader ------------------------------===//
//
// A recursive-descent parser for RFC 8259 JSON. Everything the RFC leaves to
// the implementation is decided strictly: duplicate keys, unpaired surrogate
// escapes, invalid UTF-8 and numbers outside the range of a double are
// errors, and nesting is limited to kMaxDepth so that hostile input cannot
// exhaust the stack. No exceptions (the project builds with -fno-exceptions).
//
//===----------------------------------------------------------------------===//

#include "frontend/Json.h"

#include <charconv>
#include <cmath>
#include <set>
#include <system_error>

using namespace xgenmm;

JsonValue JsonValue::boolean(bool b) {
  JsonValue v;
  v.kind_ = Kind::Bool;
  v.bool_ = b;
  return v;
}

JsonValue JsonValue::number(double d) {
  JsonValue v;
  v.kind_ = Kind::Number;
  v.number_ = d;
  return v;
}

JsonValue JsonValue::integer(int64_t i) {
  JsonValue v;
  v.kind_ = Kind::Number;
  v.isInteger_ = true;
  v.integer_ = i;
  v.number_ = static_cast<double>(i);
  return v;
}

JsonValue JsonValue::string(std::string s) {
  JsonValue v;
  v.kind_ = Kind::String;
  v.string_ = std::move(s);
  return v;
}

JsonValue JsonValue::array(std::vector<JsonValue> items) {
  JsonValue v;
  v.kind_ = Kind::Array;
  v.items_ = std::move(items);
  return v;
}

JsonValue
JsonValue::object(std::vector<std::pair<std::string, JsonValue>> members) {
  JsonValue v;
  v.kind_ = Kind::Object;
  v.members_ = std::move(members);
  return v;
}

const JsonValue *JsonValue::get(std::string_view key) const {
  if (kind_ != Kind::Object)
    return nullptr;
  for (const auto &member : members_)
    if (member.first == key)
      return &member.second;
  return nullptr;
}

const char *JsonValue::kindName(Kind k) {
  switch (k) {
  case Kind::Null:
    return "null";
  case Kind::Bool:
    return "a boolean";
  case Kind::Number:
    return "a number";
  case Kind::String:
    return "a string";
  case Kind::Array:
    return "an array";
  case Kind::Object:
    return "an object";
  }
  return "?";
}

//===----------------------------------------------------------------------===//
// Serialization
//===----------------------------------------------------------------------===//

static void serializeString(const std::string &s, std::string &out) {
  static const char hex[] = "0123456789abcdef";
  out += '"';
  for (char c : s) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        out += "\\u00";
        out += hex[(c >> 4) & 0xF];
        out += hex[c & 0xF];
      } else {
        // Bytes >= 0x80 are copied: parsed strings are valid UTF-8.
        out += c;
      }
    }
  }
  out += '"';
}

static void serializeValue(const JsonValue &v, std::string &out) {
  switch (v.kind()) {
  case JsonValue::Kind::Null:
    out += "null";
    return;
  case JsonValue::Kind::Bool:
    out += v.asBool() ? "true" : "false";
    return;
  case JsonValue::Kind::Number: {
    char buf[32];
    std::to_chars_result r;
    if (v.isInteger()) {
      r = std::to_chars(buf, buf + sizeof buf, v.asInteger());
    } else if (!std::isfinite(v.asNumber())) {
      // JSON has no spelling for NaN or infinities; like JSON.stringify.
      out += "null";
      return;
    } else {
      r = std::to_chars(buf, buf + sizeof buf, v.asNumber(),
                        std::chars_format::general, 17);
    }
    std::string_view text(buf, static_cast<size_t>(r.ptr - buf));
    out += text;
    // A whole double gets a fraction so that it reads back as no integer.
    if (!v.isInteger() && text.find_first_of(".e") == std::string_view::npos)
      out += ".0";
    return;
  }
  case JsonValue::Kind::String:
    serializeString(v.asString(), out);
    return;
  case JsonValue::Kind::Array: {
    out += '[';
    bool first = true;
    for (const JsonValue &item : v.asArray()) {
      if (!first)
        out += ',';
      first = false;
      serializeValue(item, out);
    }
    out += ']';
    return;
  }
  case JsonValue::Kind::Object: {
    out += '{';
    bool first = true;
    for (const auto &member : v.asObject()) {
      if (!first)
        out += ',';
      first = false;
      serializeString(member.first, out);
      out += ':';
      serializeValue(member.second, out);
    }
    out += '}';
    return;
  }
  }
}

std::string JsonValue::serialize() const {
  std::string out;
  serializeValue(*this, out);
  return out;
}

//===----------------------------------------------------------------------===//
// Parsing
//===----------------------------------------------------------------------===//

namespace {

/// Arrays and objects nested deeper than this are rejected.
constexpr int kMaxDepth = 256;

class Parser {
public:
  Parser(std::string_view text, std::string &error)
      : text_(text), error_(error) {}

  std::optional<JsonValue> parseDocument() {
    JsonValue value;
    skipWhitespace();
    if (!parseValue(value, 0))
      return std::nullopt;
    skipWhitespace();
    if (pos_ != text_.size()) {
      fail(pos_, "expected the end of the input after the value");
      return std::nullopt;
    }
    return value;
  }

private:
  bool fail(size_t at, const std::string &what) {
    error_ = "at byte " + std::to_string(at) + ": " + what;
    return false;
  }

  bool atEnd() const { return pos_ >= text_.size(); }
  char peek() const { return atEnd() ? '\0' : text_[pos_]; }

  void skipWhitespace() {
    while (!atEnd() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                        text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }

  bool parseValue(JsonValue &out, int depth) {
    if (atEnd())
      return fail(pos_, "expected a value");
    switch (text_[pos_]) {
    case '{':
      return parseObject(out, depth + 1);
    case '[':
      return parseArray(out, depth + 1);
    case '"': {
      std::string s;
      if (!parseString(s))
        return false;
      out = JsonValue::string(std::move(s));
      return true;
    }
    case 't':
      return parseLiteral("true", JsonValue::boolean(true), out);
    case 'f':
      return parseLiteral("false", JsonValue::boolean(false), out);
    case 'n':
      return parseLiteral("null", JsonValue::null(), out);
    default:
      if (text_[pos_] == '-' || isDigit(text_[pos_]))
        return parseNumber(out);
      return fail(pos_, "expected a value");
    }
  }

  bool parseLiteral(std::string_view word, JsonValue value, JsonValue &out) {
    if (text_.substr(pos_, word.size()) != word)
      return fail(pos_, "expected '" + std::string(word) + "'");
    pos_ += word.size();
    out = std::move(value);
    return true;
  }

  bool parseObject(JsonValue &out, int depth) {
    if (depth > kMaxDepth)
      return fail(pos_, "nesting deeper than " + std::to_string(kMaxDepth) +
                            " levels");
    ++pos_; // '{'
    std::vector<std::pair<std::string, JsonValue>> members;
    // Decoded keys: "a" and "\u0061" are the same key.
    std::set<std::string, std::less<>> seen;
    skipWhitespace();
    if (peek() == '}') {
      ++pos_;
      out = JsonValue::object(std::move(members));
      return true;
    }
    while (true) {
      if (peek() != '"')
        return fail(pos_, members.empty()
                              ? "expected a string key or '}' in object"
                              : "expected a string key in object");
      size_t keyPos = pos_;
      std::string key;
      if (!parseString(key))
        return false;
      if (!seen.insert(key).second) {
        std::string quoted;
        serializeString(key, quoted);
        return fail(keyPos, "duplicate key " + quoted + " in object");
      }
      skipWhitespace();
      if (peek() != ':')
        return fail(pos_, "expected ':' after object key");
      ++pos_;
      skipWhitespace();
      JsonValue value;
      if (!parseValue(value, depth))
        return false;
      members.emplace_back(std::move(key), std::move(value));
      skipWhitespace();
      if (peek() == ',') {
        ++pos_;
        skipWhitespace();
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        out = JsonValue::object(std::move(members));
        return true;
      }
      return fail(pos_, "expected ',' or '}' in object");
    }
  }

  bool parseArray(JsonValue &out, int depth) {
    if (depth > kMaxDepth)
      return fail(pos_, "nesting deeper than " + std::to_string(kMaxDepth) +
                            " levels");
    ++pos_; // '['
    std::vector<JsonValue> items;
    skipWhitespace();
    if (peek() == ']') {
      ++pos_;
      out = JsonValue::array(std::move(items));
      return true;
    }
    while (true) {
      // Also rejects trailing commas: no value starts with ']'.
      if (!startsValue(peek()))
        return fail(pos_, items.empty() ? "expected a value or ']' in array"
                                        : "expected a value in array");
      JsonValue item;
      if (!parseValue(item, depth))
        return false;
      items.push_back(std::move(item));
      skipWhitespace();
      if (peek() == ',') {
        ++pos_;
        skipWhitespace();
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        out = JsonValue::array(std::move(items));
        return true;
      }
      return fail(pos_, "expected ',' or ']' in array");
    }
  }

  static bool isDigit(char c) { return c >= '0' && c <= '9'; }

  /// Whether a value can start with `c` (not whether one does).
  static bool startsValue(char c) {
    return isDigit(c) || std::string_view("{[\"tfn-").find(c) !=
                             std::string_view::npos;
  }

  /// number = [ "-" ] int [ frac ] [ exp ] with int = "0" / [1-9] *DIGIT.
  bool parseNumber(JsonValue &out) {
    size_t start = pos_;
    if (peek() == '-')
      ++pos_;
    if (!isDigit(peek()))
      return fail(pos_, "expected a digit after '-'");
    if (peek() == '0' && pos_ + 1 < text_.size() && isDigit(text_[pos_ + 1]))
      return fail(pos_, "leading zeros are not allowed in numbers");
    while (isDigit(peek()))
      ++pos_;
    bool integral = true;
    if (peek() == '.') {
      integral = false;
      ++pos_;
      if (!isDigit(peek()))
        return fail(pos_, "expected a digit after '.' in number");
      while (isDigit(peek()))
        ++pos_;
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      ++pos_;
      if (peek() == '+' || peek() == '-')
        ++pos_;
      if (!isDigit(peek()))
        return fail(pos_, "expected a digit in the exponent of number");
      while (isDigit(peek()))
        ++pos_;
    }
    const char *first = text_.data() + start;
    const char *last = text_.data() + pos_;
    if (integral) {
      int64_t i;
      auto r = std::from_chars(first, last, i);
      if (r.ec == std::errc() && r.ptr == last) {
        out = JsonValue::integer(i);
        return true;
      }
      // Out of the int64 range: falls through to an inexact double.
    }
    double d;
    auto r = std::from_chars(first, last, d);
    // The grammar was checked above: only the range can still be wrong.
    if (r.ec != std::errc())
      return fail(start, "number out of the range of a double");
    out = JsonValue::number(d);
    return true;
  }

  /// Reads 4 hex digits at pos_ (after "\u").
  bool parseHex4(unsigned &value) {
    value = 0;
    for (int i = 0; i < 4; ++i) {
      unsigned c = static_cast<unsigned char>(peek());
      unsigned digit;
      if (c >= '0' && c <= '9')
        digit = c - '0';
      else if (c >= 'a' && c <= 'f')
        digit = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        digit = c - 'A' + 10;
      else
        return fail(pos_, "expected 4 hex digits after \\u");
      value = value * 16 + digit;
      ++pos_;
    }
    return true;
  }

  static void appendUtf8(unsigned cp, std::string &out) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
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

  /// Parses the escape sequence at pos_ (just after the backslash).
  bool parseEscape(std::string &out) {
    size_t escapePos = pos_ - 1;
    if (atEnd())
      return fail(pos_, "unterminated string");
    char c = text_[pos_++];
    switch (c) {
    case '"':
    case '\\':
    case '/':
      out += c;
      return true;
    case 'b':
      out += '\b';
      return true;
    case 'f':
      out += '\f';
      return true;
    case 'n':
      out += '\n';
      return true;
    case 'r':
      out += '\r';
      return true;
    case 't':
      out += '\t';
      return true;
    case 'u':
      break;
    default:
      return fail(escapePos, "invalid escape sequence in string");
    }
    unsigned cp;
    if (!parseHex4(cp))
      return false;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
      return fail(escapePos, "unpaired low surrogate escape in string");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      // A high surrogate must be followed by an escaped low surrogate.
      if (text_.substr(pos_, 2) != "\\u")
        return fail(escapePos, "unpaired high surrogate escape in string");
      pos_ += 2;
      unsigned low;
      if (!parseHex4(low))
        return false;
      if (low < 0xDC00 || low > 0xDFFF)
        return fail(escapePos, "unpaired high surrogate escape in string");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    appendUtf8(cp, out);
    return true;
  }

  /// Validates the UTF-8 sequence at pos_ (a byte >= 0x80) and appends it.
  /// Rejects overlong forms, surrogates and code points above U+10FFFF
  /// (RFC 3629, section 4).
  bool parseUtf8(std::string &out) {
    size_t start = pos_;
    auto byte = [&](size_t i) -> unsigned {
      return start + i < text_.size()
                 ? static_cast<unsigned char>(text_[start + i])
                 : 0;
    };
    unsigned b0 = byte(0);
    size_t length;
    unsigned lo = 0x80, hi = 0xBF; // allowed range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      length = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      length = 3;
      if (b0 == 0xE0)
        lo = 0xA0; // overlong
      else if (b0 == 0xED)
        hi = 0x9F; // UTF-16 surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      length = 4;
      if (b0 == 0xF0)
        lo = 0x90; // overlong
      else if (b0 == 0xF4)
        hi = 0x8F; // above U+10FFFF
    } else {
      return fail(start, "invalid UTF-8 in string");
    }
    if (byte(1) < lo || byte(1) > hi)
      return fail(start, "invalid UTF-8 in string");
    for (size_t i = 2; i < length; ++i)
      if (byte(i) < 0x80 || byte(i) > 0xBF)
        return fail(start, "invalid UTF-8 in string");
    out.append(text_.data() + start, length);
    pos_ += length;
    return true;
  }

  /// Parses the string at pos_ (on the opening quote) into `out`.
  bool parseString(std::string &out) {
    size_t start = pos_;
    ++pos_; // '"'
    while (true) {
      if (atEnd())
        return fail(start, "unterminated string");
      unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c == '\\') {
        ++pos_;
        if (!parseEscape(out))
          return false;
      } else if (c < 0x20) {
        return fail(pos_, "control character in string (must be escaped)");
      } else if (c >= 0x80) {
        if (!parseUtf8(out))
          return false;
      } else {
        out += static_cast<char>(c);
        ++pos_;
      }
    }
  }

  std::string_view text_;
  std::string &error_;
  size_t pos_ = 0;
};

} // namespace

std::optional<JsonValue> xgenmm::parseJson(std::string_view text,
                                           std::string &error) {
  return Parser(text, error).parseDocument();
}
