//===- ModelConfig.h - xGen-MM model configuration --------------*- C++ -*-===//
//
// The hyperparameters of an xGen-MM r-v1.5 model, read from a Hugging Face
// checkpoint directory (config.json + preprocessor_config.json) following
// the checkpoint convention of design.md: fields a released config.json
// leaves out take the values of SigLIP so400m-patch14-384, transformers'
// Phi3Config defaults (Phi-3-mini) and the resampler's code defaults
// (model-spec.md sections 2, 3, 5). Any field can be overridden by its
// dotted path ("text_config.rope_theta=500").
//
// LLVM-free: the runtime reads the same configuration from a manifest.
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_FRONTEND_MODELCONFIG_H
#define XGENMM_FRONTEND_MODELCONFIG_H

#include "frontend/Json.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace xgenmm {

struct VisionConfig {
  int64_t hiddenSize = 1152;
  int64_t intermediateSize = 4304;
  int64_t numLayers = 27;
  int64_t numHeads = 16;
  int64_t imageSize = 384;
  int64_t patchSize = 14;
  int64_t numChannels = 3;
  double layerNormEps = 1e-6;
  /// "gelu_pytorch_tanh" (tanh GELU) or "gelu" (exact).
  std::string hiddenAct = "gelu_pytorch_tanh";

  int64_t headDim() const { return hiddenSize / numHeads; }
  int64_t tokensPerSide() const { return imageSize / patchSize; }
  int64_t tokens() const { return tokensPerSide() * tokensPerSide(); }
};

struct ResamplerConfig {
  int64_t visFeatureDim = 1152;
  int64_t langEmbeddingDim = 3072;
  int64_t numLatents = 128;
  int64_t depth = 6;
  int64_t heads = 16;
  int64_t dimHead = 96;
  int64_t ffMult = 4;
  double layerNormEps = 1e-5; // nn.LayerNorm's default (model-spec 3)

  int64_t innerDim() const { return heads * dimHead; }
};

struct TextConfig {
  int64_t hiddenSize = 3072;
  int64_t intermediateSize = 8192;
  int64_t numLayers = 32;
  int64_t numHeads = 32;
  int64_t numKvHeads = 32;
  int64_t headDim = 96;
  int64_t vocabSize = 32064;
  int64_t initialTokenizerLen = 32012;
  int64_t maxPositionEmbeddings = 4096;
  std::optional<int64_t> slidingWindow;
  double rmsNormEps = 1e-5;
  double ropeTheta = 10000.0;
  int64_t bosTokenId = 1;
  int64_t eosTokenId = 32000;
  int64_t padTokenId = 32000;
};

struct PreprocessorConfig {
  int64_t width = 384, height = 384;
  /// Any-resolution grids as (width, height) in pixels; empty: base mode
  /// (one squashed view, 128 tokens per image).
  std::vector<std::pair<int64_t, int64_t>> grids;
  std::vector<double> imageMean = {0.5, 0.5, 0.5};
  std::vector<double> imageStd = {0.5, 0.5, 0.5};
  std::string interpolationMode = "bicubic";
  std::string resizeMode = "squash";
};

struct ModelConfig {
  VisionConfig vision;
  ResamplerConfig resampler;
  TextConfig text;
  PreprocessorConfig preprocessor;
  /// config.json's torch_dtype ("float32", "bfloat16"), informational.
  std::string torchDtype;
  /// Rows of the added-token tables: <image>, <image placeholder>,
  /// <|endofchunk|>.
  static constexpr int64_t kAddedTokens = 3;

  bool anyres() const { return !preprocessor.grids.empty(); }
  int64_t imageTokenId() const { return text.initialTokenizerLen; }
  int64_t imagePlaceholderTokenId() const { return text.initialTokenizerLen + 1; }
  int64_t endOfChunkTokenId() const { return text.initialTokenizerLen + 2; }
  /// Number of logits: base vocabulary plus the added tokens.
  int64_t outputVocab() const { return text.initialTokenizerLen + kAddedTokens; }

  /// The configuration as JSON, every field explicit (for manifests and
  /// for printing what was resolved).
  JsonValue toJson() const;
};

/// Overrides by dotted path: "text_config.rope_theta" -> 500. Paths start
/// with a config.json section ("text_config.", "vision_encoder_config.",
/// "vision_encoder_config.vision_config.", "vision_tokenizer_config.") or
/// "preprocessor_config.".
using ConfigOverrides = std::map<std::string, JsonValue>;

/// Parses "path=value" (value as JSON, or as a plain string if it is not
/// JSON) into `overrides`; false with `error` on a malformed item.
bool parseOverride(const std::string &item, ConfigOverrides &overrides,
                   std::string &error);

/// Reads `<directory>/config.json` and `<directory>/preprocessor_config.json`.
/// Refuses anything that is not an xGen-MM r-v1.5 checkpoint, naming
/// model_type/architectures. Errors name the file and the field.
std::optional<ModelConfig> readModelConfig(const std::string &directory,
                                           const ConfigOverrides &overrides,
                                           std::string &error);

} // namespace xgenmm

#endif // XGENMM_FRONTEND_MODELCONFIG_H
