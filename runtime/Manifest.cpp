//===- Manifest.cpp - manifest.json of an artifact ------------------------===//

#include "runtime/Manifest.h"

#include "frontend/Json.h"
#include "runtime/ArtifactAbi.h"
#include "runtime/Error.h"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <limits>

using namespace xgenmm;
using namespace xgenmm::runtime;

namespace {

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

/// Reads fields of the manifest by dotted path; every failure records a
/// message "<path>: '<field>' <problem>".
class FieldReader {
public:
  FieldReader(const JsonValue &root, const std::string &path)
      : root_(root), path_(path) {}

  xgenmm_status error(const std::string &field, const std::string &problem,
                      xgenmm_status status = XGENMM_ERROR_BAD_ARTIFACT) const {
    return fail(status, path_ + ": '" + field + "' " + problem);
  }

  /// The member at `keys` (each but the last must be an object).
  xgenmm_status get(std::initializer_list<const char *> keys,
                    const JsonValue *&out) const {
    const JsonValue *value = &root_;
    std::string field;
    for (const char *key : keys) {
      if (!value->isObject())
        return error(field, std::string("is ") +
                                JsonValue::kindName(value->kind()) +
                                ", expected an object");
      field += (field.empty() ? "" : ".") + std::string(key);
      value = value->get(key);
      if (!value)
        return error(field, "is missing");
    }
    out = value;
    return XGENMM_OK;
  }

  xgenmm_status object(std::initializer_list<const char *> keys) const {
    const JsonValue *value;
    XGENMM_TRY(get(keys, value));
    if (!value->isObject())
      return wrongKind(keys, *value, "an object");
    return XGENMM_OK;
  }

  xgenmm_status string(std::initializer_list<const char *> keys,
                       std::string &out) const {
    const JsonValue *value;
    XGENMM_TRY(get(keys, value));
    if (!value->isString())
      return wrongKind(keys, *value, "a string");
    out = value->asString();
    return XGENMM_OK;
  }

  /// A string that must not be empty (symbol names).
  xgenmm_status name(std::initializer_list<const char *> keys,
                     std::string &out) const {
    XGENMM_TRY(string(keys, out));
    if (out.empty())
      return error(join(keys), "is empty");
    return XGENMM_OK;
  }

  /// A string that must be one of `allowed`.
  xgenmm_status oneOf(std::initializer_list<const char *> keys,
                      std::initializer_list<const char *> allowed,
                      std::string &out) const {
    XGENMM_TRY(string(keys, out));
    std::string list;
    for (const char *a : allowed) {
      if (out == a)
        return XGENMM_OK;
      list += (list.empty() ? "\"" : ", \"") + std::string(a) + "\"";
    }
    return error(join(keys), "is \"" + out + "\", expected one of " + list);
  }

  xgenmm_status boolean(std::initializer_list<const char *> keys,
                        bool &out) const {
    const JsonValue *value;
    XGENMM_TRY(get(keys, value));
    if (!value->isBool())
      return wrongKind(keys, *value, "a boolean");
    out = value->asBool();
    return XGENMM_OK;
  }

  /// An integer in [min, max].
  xgenmm_status integer(std::initializer_list<const char *> keys, int64_t min,
                        int64_t max, int64_t &out) const {
    const JsonValue *value;
    XGENMM_TRY(get(keys, value));
    std::string expected = "an integer in [" + std::to_string(min) + ", " +
                           std::to_string(max) + "]";
    if (!value->isInteger())
      return wrongKind(keys, *value, expected);
    if (value->asInteger() < min || value->asInteger() > max)
      return error(join(keys), "is " + std::to_string(value->asInteger()) +
                                   ", expected " + expected);
    out = value->asInteger();
    return XGENMM_OK;
  }

  /// 16 hex digits.
  xgenmm_status hash(std::initializer_list<const char *> keys,
                     uint64_t &out) const {
    std::string text;
    XGENMM_TRY(string(keys, text));
    uint64_t hash = 0;
    bool ok = text.size() == 16;
    for (size_t i = 0; ok && i < text.size(); ++i) {
      char c = text[i];
      int digit = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1;
      ok = digit >= 0;
      hash = hash << 4 | static_cast<uint64_t>(digit);
    }
    if (!ok)
      return error(join(keys), "is \"" + text + "\", expected 16 hex digits");
    out = hash;
    return XGENMM_OK;
  }

  xgenmm_status stringList(std::initializer_list<const char *> keys,
                           std::vector<std::string> &out) const {
    const JsonValue *value;
    XGENMM_TRY(get(keys, value));
    if (!value->isArray())
      return wrongKind(keys, *value, "an array of strings");
    out.clear();
    for (size_t i = 0; i < value->asArray().size(); ++i) {
      const JsonValue &item = value->asArray()[i];
      if (!item.isString())
        return error(join(keys) + "[" + std::to_string(i) + "]",
                     std::string("is ") + JsonValue::kindName(item.kind()) +
                         ", expected a string");
      out.push_back(item.asString());
    }
    return XGENMM_OK;
  }

  static std::string join(std::initializer_list<const char *> keys) {
    std::string field;
    for (const char *key : keys)
      field += (field.empty() ? "" : ".") + std::string(key);
    return field;
  }

private:
  xgenmm_status wrongKind(std::initializer_list<const char *> keys,
                          const JsonValue &value,
                          const std::string &expected) const {
    return error(join(keys), std::string("is ") +
                                 JsonValue::kindName(value.kind()) +
                                 ", expected " + expected);
  }

  const JsonValue &root_;
  const std::string &path_;
};

/// Whether the product of `factors` (all positive) is at most `limit`.
bool productFits(std::initializer_list<int64_t> factors, int64_t limit) {
  int64_t product = 1;
  for (int64_t f : factors)
    if (__builtin_mul_overflow(product, f, &product) || product > limit)
      return false;
  return true;
}

} // namespace

xgenmm_status xgenmm::runtime::parseManifest(std::string_view text,
                                             const std::string &path,
                                             Manifest &m) {
  std::string jsonError;
  std::optional<JsonValue> root = parseJson(text, jsonError);
  if (!root)
    return fail(XGENMM_ERROR_BAD_ARTIFACT, path + ": " + jsonError);
  if (!root->isObject())
    return fail(XGENMM_ERROR_BAD_ARTIFACT,
                path + ": is " + JsonValue::kindName(root->kind()) +
                    ", expected an object");
  FieldReader r(*root, path);

  // Format and version first: a manifest of another version is reported as
  // such, not as the first field that moved.
  std::string format;
  XGENMM_TRY(r.string({"format"}, format));
  if (format != abi::kFormat)
    return r.error("format",
                   "is \"" + format + "\", expected \"" + abi::kFormat + "\"",
                   XGENMM_ERROR_UNSUPPORTED);
  const JsonValue *version;
  XGENMM_TRY(r.get({"format_version"}, version));
  if (!version->isInteger() || version->asInteger() != abi::kFormatVersion)
    return r.error("format_version",
                   "is " + version->serialize() +
                       ": this runtime reads format version " +
                       std::to_string(abi::kFormatVersion) +
                       " (recompile the model with a matching xgenmm-compile)",
                   XGENMM_ERROR_UNSUPPORTED);

  XGENMM_TRY(r.string({"model"}, m.model));
  XGENMM_TRY(r.object({"config"}));
  if (const JsonValue *pre = root->get("config")->get("preprocessor"))
    m.configPreprocessor = *pre;
  XGENMM_TRY(r.string({"target", "kind"}, m.targetKind));
  XGENMM_TRY(r.string({"target", "triple"}, m.targetTriple));
  XGENMM_TRY(r.string({"target", "cpu"}, m.targetCpu));
  XGENMM_TRY(r.stringList({"target", "features"}, m.targetFeatures));
  XGENMM_TRY(r.oneOf({"dtype"}, {"f32", "bf16"}, m.dtype));

  int64_t bytes;
  XGENMM_TRY(
      r.integer({"files", abi::kModelFile, "bytes"}, 0, kInt64Max, bytes));
  m.modelSo.bytes = static_cast<uint64_t>(bytes);
  XGENMM_TRY(r.hash({"files", abi::kModelFile, "xxh64"}, m.modelSo.xxh64));
  XGENMM_TRY(
      r.integer({"files", abi::kWeightsFile, "bytes"}, 0, kInt64Max, bytes));
  m.weights.bytes = static_cast<uint64_t>(bytes);
  XGENMM_TRY(r.hash({"files", abi::kWeightsFile, "xxh64"}, m.weights.xxh64));

  XGENMM_TRY(r.name({"encode_image", "symbol"}, m.encodeImageSymbol));
  XGENMM_TRY(
      r.integer({"encode_image", "image_size"}, 1, kInt32Max, m.imageSize));
  XGENMM_TRY(
      r.integer({"encode_image", "max_views"}, 1, kInt32Max, m.maxViews));
  XGENMM_TRY(r.integer({"encode_image", "tokens_per_view"}, 1, kInt32Max,
                       m.tokensPerView));
  XGENMM_TRY(r.integer({"encode_image", "width"}, 1, kInt32Max, m.visionWidth));
  XGENMM_TRY(r.boolean({"encode_image", "anyres"}, m.anyres));
  if (!m.anyres && m.maxViews != 1)
    return r.error("encode_image.max_views",
                   "is " + std::to_string(m.maxViews) +
                       ", expected 1 (anyres is false: one view per image)");
  // Sizes the runtime computes: the pixels and the vision tokens of an image.
  if (!productFits({m.maxViews, 3, m.imageSize, m.imageSize, 4}, kInt64Max))
    return r.error("encode_image", "max_views x 3 x image_size^2 x 4 bytes "
                                   "overflows 64 bits");
  if (!productFits({m.maxViews, m.tokensPerView}, kInt32Max))
    return r.error("encode_image",
                   "max_views x tokens_per_view exceeds 2^31 - 1 tokens");

  XGENMM_TRY(r.name({"prefill", "symbol"}, m.prefillSymbol));
  XGENMM_TRY(
      r.integer({"prefill", "max_tokens"}, 1, kInt32Max, m.prefillMaxTokens));
  if (!productFits({m.prefillMaxTokens, m.visionWidth, 4}, kInt64Max))
    return r.error("prefill.max_tokens",
                   "x encode_image.width x 4 bytes overflows 64 bits");

  XGENMM_TRY(r.name({"decode", "symbol"}, m.decodeSymbol));

  XGENMM_TRY(r.integer({"kv_cache", "layers"}, 1, kInt32Max, m.kvLayers));
  XGENMM_TRY(r.integer({"kv_cache", "capacity"}, 1, kInt32Max, m.kvCapacity));
  XGENMM_TRY(r.integer({"kv_cache", "width"}, 1, kInt32Max, m.kvWidth));
  XGENMM_TRY(r.oneOf({"kv_cache", "dtype"}, {"f32", "bf16", "int8"}, m.kvDtype));
  m.kvElementBytes = m.kvDtype == "int8" ? 1 : m.kvDtype == "bf16" ? 2 : 4;
  if (!productFits({m.kvLayers, m.kvCapacity, m.kvWidth, m.kvElementBytes}, kInt64Max))
    return r.error("kv_cache", "layers x capacity x width x element bytes overflows "
                               "64 bits");

  XGENMM_TRY(r.integer({"vocab", "base"}, 1, kInt32Max, m.vocabBase));
  XGENMM_TRY(
      r.integer({"vocab", "logits"}, m.vocabBase, kInt32Max, m.vocabLogits));

  const int64_t maxId = m.vocabLogits - 1;
  XGENMM_TRY(r.integer({"special_tokens", "image"}, 0, maxId, m.imageToken));
  XGENMM_TRY(r.integer({"special_tokens", "image_placeholder"}, 0, maxId,
                       m.imagePlaceholderToken));
  XGENMM_TRY(
      r.integer({"special_tokens", "endofchunk"}, 0, maxId, m.endOfChunkToken));
  XGENMM_TRY(r.integer({"special_tokens", "bos"}, 0, maxId, m.bosToken));
  XGENMM_TRY(r.integer({"special_tokens", "eos"}, 0, maxId, m.eosToken));
  XGENMM_TRY(r.integer({"special_tokens", "pad"}, 0, maxId, m.padToken));
  if (m.imageToken == m.imagePlaceholderToken)
    return r.error("special_tokens.image_placeholder",
                   "equals special_tokens.image");

  // "inputs" is optional: artifacts written before it have none.
  const JsonValue *inputs = root->get("inputs");
  if (!inputs)
    return XGENMM_OK;
  if (!inputs->isObject())
    return r.error("inputs", std::string("is ") +
                                 JsonValue::kindName(inputs->kind()) +
                                 ", expected an object");
  XGENMM_TRY(r.stringList({"inputs", "tokenizer"}, m.tokenizerFiles));
  for (size_t i = 0; i < m.tokenizerFiles.size(); ++i) {
    const std::string &name = m.tokenizerFiles[i];
    bool known = false;
    for (const char *file : abi::kTokenizerFiles)
      known |= name == file;
    std::string field = "inputs.tokenizer[" + std::to_string(i) + "]";
    if (!known)
      return r.error(field, "is \"" + name + "\", not a tokenizer file");
    for (size_t j = 0; j < i; ++j)
      if (m.tokenizerFiles[j] == name)
        return r.error(field, "repeats \"" + name + "\"");
  }
  if (!m.tokenizerFiles.empty() &&
      std::find(m.tokenizerFiles.begin(), m.tokenizerFiles.end(),
                abi::kTokenizerModelFile) == m.tokenizerFiles.end())
    return r.error("inputs.tokenizer",
                   std::string("lists no ") + abi::kTokenizerModelFile);
  const JsonValue *preprocessor;
  XGENMM_TRY(r.get({"inputs", "preprocessor"}, preprocessor));
  if (!preprocessor->isNull()) {
    if (!preprocessor->isString() ||
        preprocessor->asString() != abi::kPreprocessorFile)
      return r.error("inputs.preprocessor",
                     "is " + preprocessor->serialize() + ", expected null or \"" +
                         abi::kPreprocessorFile + "\"");
    m.preprocessorFile = abi::kPreprocessorFile;
  }
  std::vector<std::string> names = m.tokenizerFiles;
  if (!m.preprocessorFile.empty())
    names.push_back(m.preprocessorFile);
  for (const std::string &name : names) {
    Manifest::File file;
    int64_t size;
    XGENMM_TRY(r.integer({"files", name.c_str(), "bytes"}, 0, kInt64Max, size));
    file.bytes = static_cast<uint64_t>(size);
    XGENMM_TRY(r.hash({"files", name.c_str(), "xxh64"}, file.xxh64));
    m.inputFiles.emplace_back(name, file);
  }
  return XGENMM_OK;
}
