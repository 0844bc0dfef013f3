//===- Json.h - a small strict JSON reader ----------------------*- C++ -*-===//
//
// Reads the JSON of safetensors headers, checkpoint configs and artifact
// manifests. It links nothing but the C++ standard library because the
// runtime (which must not link LLVM) reads manifests and safetensors too; the
// compiler uses the same reader so that there is one way to read JSON.
//
// Strict RFC 8259: no comments, no trailing commas, no NaN; duplicate object
// keys are an error (a safetensors header with a tensor twice is corrupt).
// Integers without fraction or exponent are kept exactly as int64.
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_FRONTEND_JSON_H
#define XGENMM_FRONTEND_JSON_H

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xgenmm {

class JsonValue {
public:
  enum class Kind { Null, Bool, Number, String, Array, Object };

  JsonValue() = default;
  static JsonValue null() { return JsonValue(); }
  static JsonValue boolean(bool b);
  static JsonValue number(double d);
  static JsonValue integer(int64_t i);
  static JsonValue string(std::string s);
  static JsonValue array(std::vector<JsonValue> items);
  /// Members keep their order of appearance.
  static JsonValue object(std::vector<std::pair<std::string, JsonValue>> members);

  Kind kind() const { return kind_; }
  bool isNull() const { return kind_ == Kind::Null; }
  bool isBool() const { return kind_ == Kind::Bool; }
  bool isNumber() const { return kind_ == Kind::Number; }
  /// A number written without fraction or exponent that fits in int64.
  bool isInteger() const { return kind_ == Kind::Number && isInteger_; }
  bool isString() const { return kind_ == Kind::String; }
  bool isArray() const { return kind_ == Kind::Array; }
  bool isObject() const { return kind_ == Kind::Object; }

  bool asBool() const { return bool_; }
  double asNumber() const { return number_; }
  int64_t asInteger() const { return integer_; }
  const std::string &asString() const { return string_; }
  const std::vector<JsonValue> &asArray() const { return items_; }
  const std::vector<std::pair<std::string, JsonValue>> &asObject() const {
    return members_;
  }
  /// Member `key` of an object, or nullptr (also when this is no object).
  const JsonValue *get(std::string_view key) const;

  /// The kind's name for messages: "null", "a boolean", "a number", ...
  static const char *kindName(Kind k);

  /// Compact serialization (objects keep member order); numbers that are
  /// integers print without a fraction, others with 17 significant digits
  /// (a whole one with ".0" appended, so that it reads back as no integer;
  /// NaN and infinities, which JSON cannot spell, as null).
  std::string serialize() const;

private:
  Kind kind_ = Kind::Null;
  bool bool_ = false;
  bool isInteger_ = false;
  double number_ = 0;
  int64_t integer_ = 0;
  std::string string_;
  std::vector<JsonValue> items_;
  std::vector<std::pair<std::string, JsonValue>> members_;
};

/// Parses `text`. On failure returns nullopt and sets `error` to a message
/// with the byte offset, e.g. "at byte 17: expected ',' or '}' in object".
std::optional<JsonValue> parseJson(std::string_view text, std::string &error);

} // namespace xgenmm

#endif // XGENMM_FRONTEND_JSON_H
