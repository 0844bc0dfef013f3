//===- Manifest.h - manifest.json of an artifact ----------------*- C++ -*-===//
//
// Parses and validates manifest.json (format_version 1, ArtifactAbi.h).
// Every field the runtime needs is checked for presence, type and range, and
// errors name the field by its dotted path ("kv_cache.capacity"). Members
// the runtime does not read are ignored, so that the compiler may add
// information without a new format version.
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_RUNTIME_MANIFEST_H
#define XGENMM_RUNTIME_MANIFEST_H

#include "frontend/Json.h"
#include "runtime/xgenmm.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xgenmm::runtime {

struct Manifest {
  struct File {
    uint64_t bytes = 0;
    uint64_t xxh64 = 0;
  };

  std::string model;
  std::string dtype; // weight storage: "f32" or "bf16"

  std::string targetKind, targetTriple, targetCpu;
  std::vector<std::string> targetFeatures;

  File modelSo, weights;

  std::string encodeImageSymbol;
  int64_t imageSize = 0, maxViews = 0, tokensPerView = 0, visionWidth = 0;
  bool anyres = false;

  std::string prefillSymbol;
  int64_t prefillMaxTokens = 0;

  std::string decodeSymbol;

  int64_t kvLayers = 0, kvCapacity = 0, kvWidth = 0;
  /// "kv_cache.dtype": "f32", "bf16" or "int8" (rows with their scales
  /// inline, counted in "width"), and its size in bytes.
  std::string kvDtype = "f32";
  int64_t kvElementBytes = 4;
  /// Bytes of one of the two caches (layers x capacity x width elements).
  int64_t kvCacheBytes() const { return kvLayers * kvCapacity * kvWidth * kvElementBytes; }

  int64_t vocabBase = 0, vocabLogits = 0;

  int64_t imageToken = 0, imagePlaceholderToken = 0, endOfChunkToken = 0,
          bosToken = 0, eosToken = 0, padToken = 0;

  /// "inputs": the tokenizer files (empty: no tokenizer) and the
  /// preprocessor file (empty: none) copied from the checkpoint, with their
  /// "files" entries. Empty when the manifest predates "inputs".
  std::vector<std::string> tokenizerFiles;
  std::string preprocessorFile;
  std::vector<std::pair<std::string, File>> inputFiles;

  /// "config.preprocessor" as written (null if absent): what images are
  /// preprocessed with when the artifact has no preprocessor file.
  JsonValue configPreprocessor;
};

/// Parses `text`, the content of the file `path` (used in messages).
/// XGENMM_ERROR_UNSUPPORTED for another format or format_version,
/// XGENMM_ERROR_BAD_ARTIFACT for anything else.
xgenmm_status parseManifest(std::string_view text, const std::string &path,
                            Manifest &manifest);

} // namespace xgenmm::runtime

#endif // XGENMM_RUNTIME_MANIFEST_H
