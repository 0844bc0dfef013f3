//===- JsonTest.cpp - the strict JSON reader --------------------------------===//

#include "frontend/Json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>

using namespace xgenmm;

namespace {

/// Parses `text`, which must be valid.
JsonValue parseOk(std::string_view text) {
  std::string error;
  std::optional<JsonValue> value = parseJson(text, error);
  EXPECT_TRUE(value.has_value()) << "input: " << text << "\nerror: " << error;
  return value ? *value : JsonValue();
}

/// Parses `text`, which must be invalid, and returns the error.
std::string parseError(std::string_view text) {
  std::string error;
  std::optional<JsonValue> value = parseJson(text, error);
  EXPECT_FALSE(value.has_value()) << "input: " << text;
  return error;
}

std::string nested(int depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

} // namespace

//===----------------------------------------------------------------------===//
// Valid documents
//===----------------------------------------------------------------------===//

TEST(JsonTest, Literals) {
  EXPECT_TRUE(parseOk("null").isNull());
  JsonValue t = parseOk("true");
  ASSERT_TRUE(t.isBool());
  EXPECT_TRUE(t.asBool());
  JsonValue f = parseOk(" \t\r\nfalse\n ");
  ASSERT_TRUE(f.isBool());
  EXPECT_FALSE(f.asBool());
}

TEST(JsonTest, Numbers) {
  JsonValue zero = parseOk("0");
  EXPECT_TRUE(zero.isInteger());
  EXPECT_EQ(zero.asInteger(), 0);
  EXPECT_TRUE(parseOk("-0").isInteger());
  EXPECT_EQ(parseOk("-42").asInteger(), -42);
  EXPECT_EQ(parseOk("-42").asNumber(), -42.0);

  JsonValue fraction = parseOk("1.5");
  EXPECT_TRUE(fraction.isNumber());
  EXPECT_FALSE(fraction.isInteger());
  EXPECT_EQ(fraction.asNumber(), 1.5);
  // A fraction or exponent makes a number non-integer, even if whole.
  EXPECT_FALSE(parseOk("1.0").isInteger());
  EXPECT_FALSE(parseOk("1e2").isInteger());
  EXPECT_EQ(parseOk("1e2").asNumber(), 100.0);
  EXPECT_EQ(parseOk("-1.25E-2").asNumber(), -0.0125);
  EXPECT_EQ(parseOk("2E+3").asNumber(), 2000.0);
  EXPECT_EQ(parseOk("0.5e1").asNumber(), 5.0);
  EXPECT_EQ(parseOk("1e-6").asNumber(), 1e-6);
}

TEST(JsonTest, Int64Exactness) {
  // Larger than 2^32 (a real parameter count) and larger than 2^53.
  JsonValue big = parseOk("17437028876");
  ASSERT_TRUE(big.isInteger());
  EXPECT_EQ(big.asInteger(), INT64_C(17437028876));
  JsonValue odd = parseOk("9007199254740993"); // 2^53 + 1: no double
  ASSERT_TRUE(odd.isInteger());
  EXPECT_EQ(odd.asInteger(), INT64_C(9007199254740993));

  JsonValue max = parseOk("9223372036854775807");
  ASSERT_TRUE(max.isInteger());
  EXPECT_EQ(max.asInteger(), std::numeric_limits<int64_t>::max());
  JsonValue min = parseOk("-9223372036854775808");
  ASSERT_TRUE(min.isInteger());
  EXPECT_EQ(min.asInteger(), std::numeric_limits<int64_t>::min());

  // One past the range: still a number, but only as a double.
  JsonValue over = parseOk("9223372036854775808");
  EXPECT_TRUE(over.isNumber());
  EXPECT_FALSE(over.isInteger());
  EXPECT_EQ(over.asNumber(), 9223372036854775808.0);
  JsonValue under = parseOk("-9223372036854775809");
  EXPECT_FALSE(under.isInteger());
  EXPECT_EQ(under.asNumber(), -9223372036854775808.0);
  EXPECT_FALSE(parseOk("123456789012345678901234567890").isInteger());
}

TEST(JsonTest, Strings) {
  EXPECT_EQ(parseOk(R"("")").asString(), "");
  EXPECT_EQ(parseOk(R"("plain text")").asString(), "plain text");
  EXPECT_EQ(parseOk(R"("\"\\\/\b\f\n\r\t")").asString(), "\"\\/\b\f\n\r\t");
  // Raw UTF-8 is kept as is: 2, 3 and 4-byte sequences.
  EXPECT_EQ(parseOk("\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"").asString(),
            "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  // DEL is not a control character in JSON.
  EXPECT_EQ(parseOk("\"\x7F\"").asString(), "\x7F");
}

TEST(JsonTest, UnicodeEscapes) {
  EXPECT_EQ(parseOk(R"("\u0041")").asString(), "A");
  EXPECT_EQ(parseOk(R"("\u00e9")").asString(), "\xC3\xA9");   // é
  EXPECT_EQ(parseOk(R"("\u00E9")").asString(), "\xC3\xA9");   // hex case
  EXPECT_EQ(parseOk(R"("\u07FF")").asString(), "\xDF\xBF");   // last 2-byte
  EXPECT_EQ(parseOk(R"("\u0800")").asString(), "\xE0\xA0\x80"); // first 3-byte
  EXPECT_EQ(parseOk(R"("\u20ac")").asString(), "\xE2\x82\xAC"); // €
  EXPECT_EQ(parseOk(R"("\uFFFF")").asString(), "\xEF\xBF\xBF");
  // Surrogate pairs: U+1F600 and the last code point U+10FFFF.
  EXPECT_EQ(parseOk(R"("\ud83d\ude00")").asString(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(parseOk(R"("\uDBFF\uDFFF")").asString(), "\xF4\x8F\xBF\xBF");
  // \u0000 is a legal escape and yields an embedded NUL.
  EXPECT_EQ(parseOk(R"("a\u0000b")").asString(), std::string("a\0b", 3));
}

TEST(JsonTest, ArraysAndObjects) {
  JsonValue empty = parseOk("[]");
  ASSERT_TRUE(empty.isArray());
  EXPECT_TRUE(empty.asArray().empty());
  EXPECT_TRUE(parseOk("{}").isObject());
  EXPECT_TRUE(parseOk(" { } ").asObject().empty());

  JsonValue doc = parseOk(R"( {"b": [1, 2.5, "x", null, true, {}],
                               "a": {"nested": [[]]}} )");
  ASSERT_TRUE(doc.isObject());
  // Members keep their order of appearance.
  ASSERT_EQ(doc.asObject().size(), 2u);
  EXPECT_EQ(doc.asObject()[0].first, "b");
  EXPECT_EQ(doc.asObject()[1].first, "a");
  const JsonValue *b = doc.get("b");
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(b->asArray().size(), 6u);
  EXPECT_EQ(b->asArray()[0].asInteger(), 1);
  EXPECT_EQ(b->asArray()[1].asNumber(), 2.5);
  EXPECT_EQ(b->asArray()[2].asString(), "x");
  EXPECT_TRUE(b->asArray()[3].isNull());
  EXPECT_TRUE(b->asArray()[4].asBool());
  EXPECT_TRUE(b->asArray()[5].isObject());
  ASSERT_NE(doc.get("a"), nullptr);
  EXPECT_NE(doc.get("a")->get("nested"), nullptr);
  EXPECT_EQ(doc.get("missing"), nullptr);
  // get() on a non-object is nullptr rather than an error.
  EXPECT_EQ(b->get("b"), nullptr);
  EXPECT_EQ(parseOk("3").get("x"), nullptr);
}

TEST(JsonTest, DepthLimit) {
  EXPECT_TRUE(parseOk(nested(256)).isArray());
  EXPECT_EQ(parseError(nested(257)), "at byte 256: nesting deeper than 256 levels");
  std::string objects;
  for (int i = 0; i < 257; ++i)
    objects += "{\"k\":";
  objects += "1" + std::string(257, '}');
  EXPECT_EQ(parseError(objects), "at byte 1280: nesting deeper than 256 levels");
  // Hostile depth fails cleanly instead of overflowing the stack.
  EXPECT_EQ(parseError(nested(100000)),
            "at byte 256: nesting deeper than 256 levels");
}

//===----------------------------------------------------------------------===//
// Rejections, each with its message
//===----------------------------------------------------------------------===//

TEST(JsonTest, RejectsEmptyAndTrailingInput) {
  EXPECT_EQ(parseError(""), "at byte 0: expected a value");
  EXPECT_EQ(parseError("   "), "at byte 3: expected a value");
  EXPECT_EQ(parseError("1 2"), "at byte 2: expected the end of the input after the value");
  EXPECT_EQ(parseError("{} x"), "at byte 3: expected the end of the input after the value");
  // Only space, tab, LF and CR are whitespace.
  EXPECT_EQ(parseError("\f1"), "at byte 0: expected a value");
  EXPECT_EQ(parseError("1\v"), "at byte 1: expected the end of the input after the value");
  // A NUL byte ends nothing.
  EXPECT_EQ(parseError(std::string_view("1\0", 2)),
            "at byte 1: expected the end of the input after the value");
}

TEST(JsonTest, RejectsComments) {
  EXPECT_EQ(parseError("// c\n1"), "at byte 0: expected a value");
  EXPECT_EQ(parseError("[1 /* c */]"), "at byte 3: expected ',' or ']' in array");
  EXPECT_EQ(parseError("1 # c"), "at byte 2: expected the end of the input after the value");
}

TEST(JsonTest, RejectsTrailingCommas) {
  EXPECT_EQ(parseError("[1,]"), "at byte 3: expected a value in array");
  EXPECT_EQ(parseError("[1, ]"), "at byte 4: expected a value in array");
  EXPECT_EQ(parseError("[,]"), "at byte 1: expected a value or ']' in array");
  EXPECT_EQ(parseError(R"({"a":1,})"), "at byte 7: expected a string key in object");
  EXPECT_EQ(parseError("{,}"), "at byte 1: expected a string key or '}' in object");
}

TEST(JsonTest, RejectsMalformedContainers) {
  EXPECT_EQ(parseError("["), "at byte 1: expected a value or ']' in array");
  EXPECT_EQ(parseError("[1"), "at byte 2: expected ',' or ']' in array");
  EXPECT_EQ(parseError("[1 2]"), "at byte 3: expected ',' or ']' in array");
  EXPECT_EQ(parseError("[1,"), "at byte 3: expected a value in array");
  EXPECT_EQ(parseError("{"), "at byte 1: expected a string key or '}' in object");
  EXPECT_EQ(parseError(R"({"a")"), "at byte 4: expected ':' after object key");
  EXPECT_EQ(parseError(R"({"a" 1})"), "at byte 5: expected ':' after object key");
  EXPECT_EQ(parseError(R"({"a":})"), "at byte 5: expected a value");
  EXPECT_EQ(parseError(R"({"a":1 "b":2})"), "at byte 7: expected ',' or '}' in object");
  EXPECT_EQ(parseError(R"({"a":1)"), "at byte 6: expected ',' or '}' in object");
  EXPECT_EQ(parseError("{a:1}"), "at byte 1: expected a string key or '}' in object");
  EXPECT_EQ(parseError("{1:1}"), "at byte 1: expected a string key or '}' in object");
  EXPECT_EQ(parseError("{'a':1}"), "at byte 1: expected a string key or '}' in object");
  EXPECT_EQ(parseError("]"), "at byte 0: expected a value");
  EXPECT_EQ(parseError("[1]]"), "at byte 3: expected the end of the input after the value");
}

TEST(JsonTest, RejectsBadLiterals) {
  EXPECT_EQ(parseError("tru"), "at byte 0: expected 'true'");
  EXPECT_EQ(parseError("[True]"), "at byte 1: expected a value or ']' in array");
  EXPECT_EQ(parseError("[tru]"), "at byte 1: expected 'true'");
  EXPECT_EQ(parseError("fals"), "at byte 0: expected 'false'");
  EXPECT_EQ(parseError("nul"), "at byte 0: expected 'null'");
  EXPECT_EQ(parseError("nullx"), "at byte 4: expected the end of the input after the value");
  EXPECT_EQ(parseError("'a'"), "at byte 0: expected a value");
  EXPECT_EQ(parseError("undefined"), "at byte 0: expected a value");
}

TEST(JsonTest, RejectsNaNAndInfinity) {
  EXPECT_EQ(parseError("NaN"), "at byte 0: expected a value");
  EXPECT_EQ(parseError("nan"), "at byte 0: expected 'null'");
  EXPECT_EQ(parseError("Infinity"), "at byte 0: expected a value");
  EXPECT_EQ(parseError("-Infinity"), "at byte 1: expected a digit after '-'");
  EXPECT_EQ(parseError("[1, NaN]"), "at byte 4: expected a value in array");
  // Numbers beyond the range of a double would become infinities.
  EXPECT_EQ(parseError("1e400"), "at byte 0: number out of the range of a double");
  EXPECT_EQ(parseError("[-1e400]"), "at byte 1: number out of the range of a double");
}

TEST(JsonTest, RejectsMalformedNumbers) {
  EXPECT_EQ(parseError("01"), "at byte 0: leading zeros are not allowed in numbers");
  EXPECT_EQ(parseError("-01"), "at byte 1: leading zeros are not allowed in numbers");
  EXPECT_EQ(parseError("00.5"), "at byte 0: leading zeros are not allowed in numbers");
  EXPECT_EQ(parseError("+1"), "at byte 0: expected a value");
  EXPECT_EQ(parseError(".5"), "at byte 0: expected a value");
  EXPECT_EQ(parseError("-"), "at byte 1: expected a digit after '-'");
  EXPECT_EQ(parseError("- 1"), "at byte 1: expected a digit after '-'");
  EXPECT_EQ(parseError("1."), "at byte 2: expected a digit after '.' in number");
  EXPECT_EQ(parseError("1.e5"), "at byte 2: expected a digit after '.' in number");
  EXPECT_EQ(parseError("1e"), "at byte 2: expected a digit in the exponent of number");
  EXPECT_EQ(parseError("1e+"), "at byte 3: expected a digit in the exponent of number");
  EXPECT_EQ(parseError("1E-x"), "at byte 3: expected a digit in the exponent of number");
  EXPECT_EQ(parseError("0x10"), "at byte 1: expected the end of the input after the value");
  EXPECT_EQ(parseError("1.5.2"), "at byte 3: expected the end of the input after the value");
}

TEST(JsonTest, RejectsBadStrings) {
  EXPECT_EQ(parseError(R"("abc)"), "at byte 0: unterminated string");
  EXPECT_EQ(parseError(R"(["a\)"), "at byte 4: unterminated string");
  EXPECT_EQ(parseError("\"a\tb\""), "at byte 2: control character in string (must be escaped)");
  EXPECT_EQ(parseError("\"a\nb\""), "at byte 2: control character in string (must be escaped)");
  EXPECT_EQ(parseError(std::string_view("\"a\0\"", 4)),
            "at byte 2: control character in string (must be escaped)");
  EXPECT_EQ(parseError("\"\x1F\""), "at byte 1: control character in string (must be escaped)");
  EXPECT_EQ(parseError(R"("\q")"), "at byte 1: invalid escape sequence in string");
  EXPECT_EQ(parseError(R"("\x41")"), "at byte 1: invalid escape sequence in string");
  EXPECT_EQ(parseError(R"("\U0041")"), "at byte 1: invalid escape sequence in string");
  EXPECT_EQ(parseError("\"\\'\""), "at byte 1: invalid escape sequence in string");
}

TEST(JsonTest, RejectsBadUnicodeEscapes) {
  EXPECT_EQ(parseError(R"("\u12")"), "at byte 5: expected 4 hex digits after \\u");
  EXPECT_EQ(parseError(R"("\u12G4")"), "at byte 5: expected 4 hex digits after \\u");
  EXPECT_EQ(parseError(R"("\u)"), "at byte 3: expected 4 hex digits after \\u");
  // Surrogates must come as a high-low pair.
  EXPECT_EQ(parseError(R"("\ud83d")"), "at byte 1: unpaired high surrogate escape in string");
  EXPECT_EQ(parseError(R"("\ud83dx")"), "at byte 1: unpaired high surrogate escape in string");
  EXPECT_EQ(parseError(R"("\ud83d\u0041")"), "at byte 1: unpaired high surrogate escape in string");
  EXPECT_EQ(parseError(R"("\ud83d\ud83d")"), "at byte 1: unpaired high surrogate escape in string");
  EXPECT_EQ(parseError(R"("\ud83d\n")"), "at byte 1: unpaired high surrogate escape in string");
  EXPECT_EQ(parseError(R"("\ud83d\uDE0")"), "at byte 12: expected 4 hex digits after \\u");
  EXPECT_EQ(parseError(R"("x\ude00")"), "at byte 2: unpaired low surrogate escape in string");
  EXPECT_EQ(parseError(R"("\ude00\ud83d")"), "at byte 1: unpaired low surrogate escape in string");
}

TEST(JsonTest, RejectsInvalidUtf8) {
  const char *invalid[] = {
      "\"\x80\"",             // continuation byte without a lead
      "\"\xBF\"",             // continuation byte without a lead
      "\"\xC0\x80\"",         // overlong NUL
      "\"\xC1\xBF\"",         // overlong 2-byte
      "\"\xE0\x80\x80\"",     // overlong 3-byte
      "\"\xE0\x9F\xBF\"",     // overlong 3-byte (U+07FF)
      "\"\xED\xA0\x80\"",     // encoded surrogate U+D800
      "\"\xED\xBF\xBF\"",     // encoded surrogate U+DFFF
      "\"\xF0\x80\x80\x80\"", // overlong 4-byte
      "\"\xF0\x8F\xBF\xBF\"", // overlong 4-byte (U+FFFF)
      "\"\xF4\x90\x80\x80\"", // U+110000
      "\"\xF5\x80\x80\x80\"", // lead byte beyond U+10FFFF
      "\"\xFE\"",             // never valid
      "\"\xFF\"",             // never valid
      "\"\xC3\"",             // truncated by the closing quote
      "\"\xE2\x82\"",         // truncated by the closing quote
      "\"\xE2\x82",           // truncated by the end of the input
      "\"\xF0\x9F\x98\"",     // truncated 4-byte
      "\"\xC3\x41\"",         // ASCII where a continuation belongs
  };
  for (const char *text : invalid)
    EXPECT_EQ(parseError(text), "at byte 1: invalid UTF-8 in string")
        << "input bytes of length " << std::string_view(text).size();
  EXPECT_EQ(parseError("\"ok \xC3\xA9 then \xFF\""), "at byte 12: invalid UTF-8 in string");
  // The last valid code points of each length pass.
  EXPECT_EQ(parseOk("\"\xDF\xBF\xEF\xBF\xBF\xF4\x8F\xBF\xBF\"").asString(),
            "\xDF\xBF\xEF\xBF\xBF\xF4\x8F\xBF\xBF");
  // Outside strings a non-ASCII byte is no token at all.
  EXPECT_EQ(parseError("\xC3\xA9"), "at byte 0: expected a value");
}

TEST(JsonTest, RejectsDuplicateKeys) {
  EXPECT_EQ(parseError(R"({"a":1,"a":2})"), "at byte 7: duplicate key \"a\" in object");
  // Keys are compared after unescaping.
  EXPECT_EQ(parseError(R"({"a":1, "\u0061":2})"), "at byte 8: duplicate key \"a\" in object");
  // Nested objects have their own keys; the message escapes the key.
  EXPECT_TRUE(parseOk(R"({"a":{"a":1},"b":{"a":2}})").isObject());
  EXPECT_EQ(parseError(R"({"x":{"k\n":1,"k\n":2}})"),
            "at byte 14: duplicate key \"k\\n\" in object");
}

//===----------------------------------------------------------------------===//
// Construction and serialization
//===----------------------------------------------------------------------===//

TEST(JsonTest, Constructors) {
  EXPECT_TRUE(JsonValue::null().isNull());
  EXPECT_TRUE(JsonValue().isNull());
  EXPECT_TRUE(JsonValue::boolean(true).asBool());
  JsonValue i = JsonValue::integer(-7);
  EXPECT_TRUE(i.isInteger());
  EXPECT_EQ(i.asInteger(), -7);
  EXPECT_EQ(i.asNumber(), -7.0);
  JsonValue d = JsonValue::number(3.0);
  EXPECT_TRUE(d.isNumber());
  EXPECT_FALSE(d.isInteger());
  EXPECT_EQ(JsonValue::string("s").asString(), "s");
  JsonValue a = JsonValue::array({JsonValue::integer(1), JsonValue::null()});
  EXPECT_EQ(a.asArray().size(), 2u);
  JsonValue o = JsonValue::object({{"z", JsonValue::integer(1)},
                                   {"a", JsonValue::integer(2)}});
  EXPECT_EQ(o.asObject()[0].first, "z");
  EXPECT_EQ(o.get("a")->asInteger(), 2);
}

TEST(JsonTest, KindNames) {
  using Kind = JsonValue::Kind;
  EXPECT_STREQ(JsonValue::kindName(Kind::Null), "null");
  EXPECT_STREQ(JsonValue::kindName(Kind::Bool), "a boolean");
  EXPECT_STREQ(JsonValue::kindName(Kind::Number), "a number");
  EXPECT_STREQ(JsonValue::kindName(Kind::String), "a string");
  EXPECT_STREQ(JsonValue::kindName(Kind::Array), "an array");
  EXPECT_STREQ(JsonValue::kindName(Kind::Object), "an object");
  EXPECT_EQ(parseOk("[]").kind(), Kind::Array);
}

TEST(JsonTest, SerializeScalars) {
  EXPECT_EQ(JsonValue::null().serialize(), "null");
  EXPECT_EQ(JsonValue::boolean(false).serialize(), "false");
  EXPECT_EQ(JsonValue::integer(17437028876).serialize(), "17437028876");
  EXPECT_EQ(JsonValue::integer(std::numeric_limits<int64_t>::min()).serialize(),
            "-9223372036854775808");
  EXPECT_EQ(JsonValue::number(2.5).serialize(), "2.5");
  EXPECT_EQ(JsonValue::number(0.1).serialize(), "0.10000000000000001");
  EXPECT_EQ(JsonValue::number(1e300).serialize(), "1.0000000000000001e+300");
  // A whole double keeps a fraction, so that it reads back as no integer.
  EXPECT_EQ(JsonValue::number(3.0).serialize(), "3.0");
  EXPECT_EQ(JsonValue::number(-0.0).serialize(), "-0.0");
  EXPECT_EQ(JsonValue::number(9223372036854775808.0).serialize(),
            "9.2233720368547758e+18");
  EXPECT_FALSE(parseOk(JsonValue::number(3.0).serialize()).isInteger());
  // JSON cannot spell these.
  EXPECT_EQ(JsonValue::number(std::nan("")).serialize(), "null");
  EXPECT_EQ(JsonValue::number(HUGE_VAL).serialize(), "null");
}

TEST(JsonTest, SerializeEscapesStrings) {
  EXPECT_EQ(JsonValue::string("a\"b\\c/d").serialize(), R"("a\"b\\c/d")");
  EXPECT_EQ(JsonValue::string("\b\f\n\r\t").serialize(), R"("\b\f\n\r\t")");
  EXPECT_EQ(JsonValue::string(std::string("\0\x01\x1f", 3)).serialize(),
            R"("\u0000\u0001\u001f")");
  // UTF-8 and DEL are written as they are.
  EXPECT_EQ(JsonValue::string("\xC3\xA9\x7F").serialize(), "\"\xC3\xA9\x7F\"");
}

TEST(JsonTest, SerializeRoundTrip) {
  const char *compact =
      R"({"name":"x\n\"y\"","n":[0,-1,17437028876,9223372036854775807,)"
      R"(2.5,-0.125,1.0,1e+100],"b":[true,false,null],"o":{"z":{},"a":[]},)"
      "\"u\":\"\xE2\x82\xAC\xF0\x9F\x98\x80\"}";
  JsonValue value = parseOk(compact);
  EXPECT_EQ(value.serialize(), compact);

  // Whitespace goes, escapes are normalized, and the result parses back to
  // the same serialization.
  JsonValue spaced = parseOk(R"( { "k" : [ 1 , "\u0041\/\u00e9\ud83d\ude00" ] } )");
  std::string once = spaced.serialize();
  EXPECT_EQ(once, "{\"k\":[1,\"A/\xC3\xA9\xF0\x9F\x98\x80\"]}");
  EXPECT_EQ(parseOk(once).serialize(), once);

  // Doubles survive with 17 significant digits.
  for (double d : {0.1, 1.0 / 3.0, -2.718281828459045, 6.02214076e23, 5e-324}) {
    JsonValue back = parseOk(JsonValue::number(d).serialize());
    EXPECT_EQ(back.asNumber(), d);
  }
  // Deep documents round-trip too.
  EXPECT_EQ(parseOk(nested(256)).serialize(), nested(256));
}
