//===- TokenizerTestUtil.h - reference tokenizer and goldens ----*- C++ -*-===//
//
// test/reference/tokenizer/model/ (a trained stand-in for Phi-3's
// tokenizer.model with the xGen-MM tokenizer files) and goldens.json (what
// transformers' slow LlamaTokenizer makes of the test corpus), loaded once.
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_TEST_RUNTIME_TOKENIZER_TOKENIZERTESTUTIL_H
#define XGENMM_TEST_RUNTIME_TOKENIZER_TOKENIZERTESTUTIL_H

#include "frontend/Json.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace xgenmm::tokenizer_test {

inline std::string referenceDir() { return XGENMM_TOKENIZER_REFERENCE_DIR; }
inline std::string modelDir() { return referenceDir() + "/model"; }

inline std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline bool writeFile(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  return static_cast<bool>(out);
}

/// goldens.json (parsed once; a test that needs it fails if it is broken).
inline const JsonValue &goldens() {
  static const JsonValue value = [] {
    std::string error;
    std::optional<JsonValue> parsed =
        parseJson(readFile(referenceDir() + "/goldens.json"), error);
    if (!parsed) {
      ADD_FAILURE() << "goldens.json: " << error;
      return JsonValue::object({});
    }
    return *parsed;
  }();
  return value;
}

/// The reference tokenizer (loaded once), or nullptr after a failure.
inline const runtime::Tokenizer *referenceTokenizer() {
  static const std::unique_ptr<runtime::Tokenizer> tokenizer = [] {
    std::unique_ptr<runtime::Tokenizer> t;
    if (runtime::Tokenizer::load(modelDir(), t) != XGENMM_OK)
      ADD_FAILURE() << "loading " << modelDir() << ": " << xgenmm_last_error();
    return t;
  }();
  return tokenizer.get();
}

inline std::vector<xgenmm_token> idsOf(const JsonValue &array) {
  std::vector<xgenmm_token> ids;
  for (const JsonValue &v : array.asArray())
    ids.push_back(static_cast<xgenmm_token>(v.asInteger()));
  return ids;
}

inline const std::vector<JsonValue> &goldenList(const char *key) {
  static const std::vector<JsonValue> empty;
  const JsonValue *v = goldens().get(key);
  return v && v->isArray() ? v->asArray() : empty;
}

inline std::string str(const JsonValue &entry, const char *key) {
  const JsonValue *v = entry.get(key);
  return v && v->isString() ? v->asString() : std::string();
}

/// Prints `ids` as "[1, 2, 3]".
inline std::string show(const std::vector<xgenmm_token> &ids) {
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); ++i)
    s += (i ? ", " : "") + std::to_string(ids[i]);
  return s + "]";
}

} // namespace xgenmm::tokenizer_test

#endif // XGENMM_TEST_RUNTIME_TOKENIZER_TOKENIZERTESTUTIL_H
