//===- ModelConfig.cpp - read xGen-MM configs -----------------------------===//
#include "frontend/ModelConfig.h"

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

namespace xgenmm {
namespace {

bool readFile(const std::string &path, std::string &contents) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  contents = ss.str();
  return true;
}

std::string describe(const JsonValue &v) {
  std::string s = v.serialize();
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

/// Reads typed fields of one JSON file, applying overrides by dotted path
/// and collecting every error (so that a user fixes a config in one go).
class FieldReader {
public:
  FieldReader(std::string file, const ConfigOverrides &overrides,
              std::set<std::string> &usedOverrides,
              std::vector<std::string> &errors)
      : file_(std::move(file)), overrides_(overrides), used_(usedOverrides),
        errors_(errors) {}

  /// The value at `path` below `section` (an object or nullptr), or the
  /// override for `fullPath`; nullptr when absent or JSON null.
  const JsonValue *lookup(const JsonValue *section, const std::string &key,
                          const std::string &fullPath) {
    auto it = overrides_.find(fullPath);
    if (it != overrides_.end()) {
      used_.insert(fullPath);
      return it->second.isNull() ? nullptr : &it->second;
    }
    const JsonValue *v = section ? section->get(key) : nullptr;
    return v && !v->isNull() ? v : nullptr;
  }

  void error(const std::string &path, const std::string &what) {
    errors_.push_back(file_ + ": " + path + " " + what);
  }

  void positiveInt(const JsonValue *section, const std::string &prefix,
                   const std::string &key, int64_t &out) {
    std::string path = prefix + key;
    if (const JsonValue *v = lookup(section, key, path)) {
      if (!v->isInteger() || v->asInteger() <= 0)
        return error(path, "must be a positive integer, got " + describe(*v));
      out = v->asInteger();
    }
  }

  void nonNegativeInt(const JsonValue *section, const std::string &prefix,
                      const std::string &key, int64_t &out) {
    std::string path = prefix + key;
    if (const JsonValue *v = lookup(section, key, path)) {
      if (!v->isInteger() || v->asInteger() < 0)
        return error(path, "must be a non-negative integer, got " + describe(*v));
      out = v->asInteger();
    }
  }

  void positiveNumber(const JsonValue *section, const std::string &prefix,
                      const std::string &key, double &out) {
    std::string path = prefix + key;
    if (const JsonValue *v = lookup(section, key, path)) {
      if (!v->isNumber() || !(v->asNumber() > 0) || !std::isfinite(v->asNumber()))
        return error(path, "must be a positive number, got " + describe(*v));
      out = v->asNumber();
    }
  }

  void string(const JsonValue *section, const std::string &prefix,
              const std::string &key, std::string &out) {
    std::string path = prefix + key;
    if (const JsonValue *v = lookup(section, key, path)) {
      if (!v->isString())
        return error(path, "must be a string, got " + describe(*v));
      out = v->asString();
    }
  }

  /// `section.key` as an object (nullptr if absent); an error if present
  /// and not an object.
  const JsonValue *object(const JsonValue *section, const std::string &prefix,
                          const std::string &key) {
    const JsonValue *v = section ? section->get(key) : nullptr;
    if (!v || v->isNull())
      return nullptr;
    if (!v->isObject()) {
      error(prefix + key, "must be an object, got " + describe(*v));
      return nullptr;
    }
    return v;
  }

  /// A list of [width, height] pairs of positive integers.
  bool grids(const JsonValue &v, const std::string &path,
             std::vector<std::pair<int64_t, int64_t>> &out) {
    out.clear();
    bool ok = v.isArray() && !v.asArray().empty();
    for (const JsonValue &g : ok ? v.asArray() : std::vector<JsonValue>()) {
      if (!g.isArray() || g.asArray().size() != 2 ||
          !g.asArray()[0].isInteger() || !g.asArray()[1].isInteger() ||
          g.asArray()[0].asInteger() <= 0 || g.asArray()[1].asInteger() <= 0) {
        ok = false;
        break;
      }
      out.emplace_back(g.asArray()[0].asInteger(), g.asArray()[1].asInteger());
    }
    if (!ok)
      error(path, "must be a non-empty list of [width, height] pairs of "
                  "positive integers, got " + describe(v));
    return ok;
  }

  const std::string &file() const { return file_; }

private:
  std::string file_;
  const ConfigOverrides &overrides_;
  std::set<std::string> &used_;
  std::vector<std::string> &errors_;
};

std::optional<JsonValue> loadJson(const std::string &path, bool required,
                                  std::vector<std::string> &errors) {
  std::string text, err;
  if (!readFile(path, text)) {
    if (required)
      errors.push_back(path + ": cannot read the file");
    return std::nullopt;
  }
  std::optional<JsonValue> json = parseJson(text, err);
  if (!json) {
    errors.push_back(path + ": invalid JSON: " + err);
    return std::nullopt;
  }
  if (!json->isObject()) {
    errors.push_back(path + ": must hold a JSON object");
    return std::nullopt;
  }
  return json;
}

std::string joinStrings(const JsonValue *array) {
  if (!array || !array->isArray())
    return array ? describe(*array) : "(none)";
  std::string s = "[";
  for (const JsonValue &v : array->asArray())
    s += (s.size() > 1 ? ", " : "") + (v.isString() ? v.asString() : describe(v));
  return s + "]";
}

} // namespace

bool parseOverride(const std::string &item, ConfigOverrides &overrides,
                   std::string &error) {
  size_t eq = item.find('=');
  if (eq == std::string::npos || eq == 0) {
    error = "override '" + item + "' must look like section.field=value";
    return false;
  }
  std::string path = item.substr(0, eq), text = item.substr(eq + 1), err;
  std::optional<JsonValue> value = parseJson(text, err);
  overrides[path] = value ? *value : JsonValue::string(text);
  return true;
}

std::optional<ModelConfig> readModelConfig(const std::string &directory,
                                           const ConfigOverrides &overrides,
                                           std::string &error) {
  std::vector<std::string> errors;
  std::set<std::string> used;
  ModelConfig c;
  auto fail = [&]() -> std::optional<ModelConfig> {
    error.clear();
    for (const std::string &e : errors)
      error += (error.empty() ? "" : "\n") + e;
    return std::nullopt;
  };

  std::string configPath = directory + "/config.json";
  std::optional<JsonValue> config = loadJson(configPath, true, errors);
  if (!config)
    return fail();

  // Architecture: only the r-v1.5 graph is supported (r-v1 is 'blip_3' with
  // a different vision tower and connector; model-spec 7.1).
  const JsonValue *modelType = config->get("model_type");
  const JsonValue *archs = config->get("architectures");
  bool typeOk = modelType && modelType->isString() &&
                modelType->asString() == "xgenmm";
  bool archOk = false;
  if (archs && archs->isArray())
    for (const JsonValue &a : archs->asArray())
      archOk |= a.isString() &&
                a.asString() == "XGenMMModelForConditionalGeneration";
  if (!typeOk || !archOk) {
    errors.push_back(
        configPath + ": unsupported model: model_type " +
        (modelType ? describe(*modelType) : std::string("(missing)")) +
        ", architectures " + joinStrings(archs) +
        "; xgenmm compiles xGen-MM r-v1.5 checkpoints (model_type \"xgenmm\", "
        "architectures [XGenMMModelForConditionalGeneration])");
    return fail();
  }

  FieldReader r(configPath, overrides, used, errors);
  r.string(&*config, "", "torch_dtype", c.torchDtype);

  // Language model: Phi3Config fields.
  const std::string tp = "text_config.";
  const JsonValue *text = r.object(&*config, "", "text_config");
  if (!text)
    errors.push_back(configPath + ": text_config is missing");
  TextConfig &t = c.text;
  std::string textType = "phi3";
  r.string(text, tp, "model_type", textType);
  if (textType != "phi3")
    r.error(tp + "model_type", "must be \"phi3\", got \"" + textType + "\"");
  r.positiveInt(text, tp, "hidden_size", t.hiddenSize);
  r.positiveInt(text, tp, "intermediate_size", t.intermediateSize);
  r.positiveInt(text, tp, "num_hidden_layers", t.numLayers);
  r.positiveInt(text, tp, "num_attention_heads", t.numHeads);
  t.numKvHeads = t.numHeads; // transformers: missing means "same as heads"
  r.positiveInt(text, tp, "num_key_value_heads", t.numKvHeads);
  r.positiveInt(text, tp, "vocab_size", t.vocabSize);
  r.positiveInt(text, tp, "initial_tokenizer_len", t.initialTokenizerLen);
  r.positiveInt(text, tp, "max_position_embeddings", t.maxPositionEmbeddings);
  if (const JsonValue *sw = r.lookup(text, "sliding_window", tp + "sliding_window")) {
    if (!sw->isInteger() || sw->asInteger() <= 0)
      r.error(tp + "sliding_window", "must be a positive integer or null, got " +
                                         describe(*sw));
    else
      t.slidingWindow = sw->asInteger();
  }
  r.positiveNumber(text, tp, "rms_norm_eps", t.rmsNormEps);
  // transformers 4.x writes rope_theta; 5.x folds it into rope_parameters.
  r.positiveNumber(text, tp, "rope_theta", t.ropeTheta);
  if (const JsonValue *rp = r.object(text, tp, "rope_parameters")) {
    std::string ropeType = "default";
    r.string(rp, tp + "rope_parameters.", "rope_type", ropeType);
    if (ropeType != "default")
      r.error(tp + "rope_parameters.rope_type",
              "\"" + ropeType + "\" is not supported (only plain RoPE)");
    r.positiveNumber(rp, tp + "rope_parameters.", "rope_theta", t.ropeTheta);
  }
  if (const JsonValue *rs = r.lookup(text, "rope_scaling", tp + "rope_scaling"))
    r.error(tp + "rope_scaling", "is not supported (got " + describe(*rs) +
                                     "); xgenmm implements plain RoPE");
  std::string act = "silu";
  r.string(text, tp, "hidden_act", act);
  if (act != "silu")
    r.error(tp + "hidden_act", "must be \"silu\" (SwiGLU), got \"" + act + "\"");
  if (const JsonValue *tie = r.lookup(text, "tie_word_embeddings",
                                      tp + "tie_word_embeddings"))
    if (!tie->isBool() || tie->asBool())
      r.error(tp + "tie_word_embeddings", "must be false (xGen-MM has a separate head)");
  r.nonNegativeInt(text, tp, "bos_token_id", t.bosTokenId);
  r.nonNegativeInt(text, tp, "eos_token_id", t.eosTokenId);
  r.nonNegativeInt(text, tp, "pad_token_id", t.padTokenId);
  if (t.hiddenSize % t.numHeads != 0)
    r.error(tp + "hidden_size", std::to_string(t.hiddenSize) +
                                    " is not a multiple of num_attention_heads " +
                                    std::to_string(t.numHeads));
  t.headDim = t.hiddenSize / t.numHeads;
  int64_t headDim = t.headDim;
  r.positiveInt(text, tp, "head_dim", headDim);
  if (headDim != t.headDim)
    r.error(tp + "head_dim", std::to_string(headDim) +
                                 " differs from hidden_size / num_attention_heads = " +
                                 std::to_string(t.headDim) + " (not supported)");
  if (t.headDim % 2 != 0)
    r.error(tp + "hidden_size", "gives an odd head_dim " + std::to_string(t.headDim) +
                                    "; RoPE needs an even one");
  if (t.numHeads % t.numKvHeads != 0)
    r.error(tp + "num_key_value_heads", std::to_string(t.numKvHeads) +
                                            " does not divide num_attention_heads " +
                                            std::to_string(t.numHeads));
  if (t.initialTokenizerLen > t.vocabSize)
    r.error(tp + "initial_tokenizer_len",
            std::to_string(t.initialTokenizerLen) + " exceeds vocab_size " +
                std::to_string(t.vocabSize));

  // Vision encoder: SiglipVisionConfig fields under vision_config.
  const std::string vp = "vision_encoder_config.";
  const JsonValue *venc = r.object(&*config, "", "vision_encoder_config");
  std::string modelName = "google/siglip-so400m-patch14-384";
  r.string(venc, vp, "model_name", modelName);
  const JsonValue *vcfg = r.object(venc, vp, "vision_config");
  if (!vcfg && modelName != "google/siglip-so400m-patch14-384")
    r.error(vp + "model_name",
            "\"" + modelName + "\" needs an explicit vision_config: only "
            "google/siglip-so400m-patch14-384's hyperparameters are built in");
  std::string aspect = "anyres";
  r.string(venc, vp, "image_aspect_ratio", aspect);
  const std::string vcp = vp + "vision_config.";
  VisionConfig &v = c.vision;
  r.positiveInt(vcfg, vcp, "hidden_size", v.hiddenSize);
  r.positiveInt(vcfg, vcp, "intermediate_size", v.intermediateSize);
  r.positiveInt(vcfg, vcp, "num_hidden_layers", v.numLayers);
  r.positiveInt(vcfg, vcp, "num_attention_heads", v.numHeads);
  r.positiveInt(vcfg, vcp, "image_size", v.imageSize);
  r.positiveInt(vcfg, vcp, "patch_size", v.patchSize);
  r.positiveInt(vcfg, vcp, "num_channels", v.numChannels);
  r.positiveNumber(vcfg, vcp, "layer_norm_eps", v.layerNormEps);
  r.string(vcfg, vcp, "hidden_act", v.hiddenAct);
  if (v.hiddenAct != "gelu_pytorch_tanh" && v.hiddenAct != "gelu")
    r.error(vcp + "hidden_act", "must be \"gelu_pytorch_tanh\" or \"gelu\", got \"" +
                                    v.hiddenAct + "\"");
  if (v.hiddenSize % v.numHeads != 0)
    r.error(vcp + "hidden_size", std::to_string(v.hiddenSize) +
                                     " is not a multiple of num_attention_heads " +
                                     std::to_string(v.numHeads));
  if (v.numChannels != 3)
    r.error(vcp + "num_channels", "must be 3 (RGB)");
  if (v.imageSize < v.patchSize)
    r.error(vcp + "image_size", std::to_string(v.imageSize) +
                                    " is smaller than patch_size " +
                                    std::to_string(v.patchSize));
  std::vector<std::pair<int64_t, int64_t>> modelGrids;
  if (const JsonValue *g = r.lookup(venc, "anyres_grids", vp + "anyres_grids"))
    r.grids(*g, vp + "anyres_grids", modelGrids);

  // Perceiver resampler.
  const std::string rp = "vision_tokenizer_config.";
  const JsonValue *vt = r.object(&*config, "", "vision_tokenizer_config");
  ResamplerConfig &res = c.resampler;
  res.visFeatureDim = v.hiddenSize;
  res.langEmbeddingDim = t.hiddenSize;
  r.positiveInt(vt, rp, "vis_feature_dim", res.visFeatureDim);
  r.positiveInt(vt, rp, "lang_embedding_dim", res.langEmbeddingDim);
  r.positiveInt(vt, rp, "num_vis_tokens", res.numLatents);
  r.positiveInt(vt, rp, "depth", res.depth);
  r.positiveInt(vt, rp, "heads", res.heads);
  r.positiveInt(vt, rp, "dim_head", res.dimHead);
  r.positiveInt(vt, rp, "ff_mult", res.ffMult);
  if (res.visFeatureDim != v.hiddenSize)
    r.error(rp + "vis_feature_dim", std::to_string(res.visFeatureDim) +
                                        " differs from the vision hidden_size " +
                                        std::to_string(v.hiddenSize));
  if (res.langEmbeddingDim != t.hiddenSize)
    r.error(rp + "lang_embedding_dim", std::to_string(res.langEmbeddingDim) +
                                           " differs from the text hidden_size " +
                                           std::to_string(t.hiddenSize));

  // Image processor.
  std::string ppPath = directory + "/preprocessor_config.json";
  std::optional<JsonValue> pp = loadJson(ppPath, true, errors);
  FieldReader p(ppPath, overrides, used, errors);
  const std::string pre = "preprocessor_config.";
  PreprocessorConfig &prep = c.preprocessor;
  prep.width = prep.height = v.imageSize;
  const JsonValue *ppRoot = pp ? &*pp : nullptr;
  if (const JsonValue *size = p.lookup(ppRoot, "size", pre + "size")) {
    std::vector<std::pair<int64_t, int64_t>> one;
    if (size->isInteger() && size->asInteger() > 0) {
      prep.width = prep.height = size->asInteger();
    } else if (size->isArray() && size->asArray().size() == 2 &&
               size->asArray()[0].isInteger() && size->asArray()[1].isInteger()) {
      prep.width = size->asArray()[0].asInteger();
      prep.height = size->asArray()[1].asInteger();
    } else if (size->isObject() && size->get("height") && size->get("width") &&
               size->get("height")->isInteger() && size->get("width")->isInteger()) {
      prep.width = size->get("width")->asInteger();
      prep.height = size->get("height")->asInteger();
    } else {
      p.error(pre + "size", "must be an integer, [width, height] or "
                            "{\"height\", \"width\"}, got " + describe(*size));
    }
  }
  if (prep.width != v.imageSize || prep.height != v.imageSize)
    p.error(pre + "size", std::to_string(prep.width) + "x" +
                              std::to_string(prep.height) +
                              " differs from the vision image_size " +
                              std::to_string(v.imageSize));
  if (const JsonValue *g = p.lookup(ppRoot, "grids", pre + "grids"))
    p.grids(*g, pre + "grids", prep.grids);
  for (auto &[w, h] : prep.grids)
    if (w % v.imageSize != 0 || h % v.imageSize != 0) {
      p.error(pre + "grids", "entry [" + std::to_string(w) + ", " +
                                 std::to_string(h) +
                                 "] is not a multiple of the image size " +
                                 std::to_string(v.imageSize));
      break;
    }
  // The model recovers the grid from its own copy of the list: the two
  // lists must agree (model-spec 4.1).
  if (!modelGrids.empty() && !prep.grids.empty() && modelGrids != prep.grids)
    p.error(pre + "grids", "differ from config.json's vision_encoder_config.anyres_grids");
  if (!prep.grids.empty() && aspect != "anyres")
    r.error(vp + "image_aspect_ratio",
            "is \"" + aspect + "\" but the processor has anyres grids");
  for (const char *key : {"image_mean", "image_std"}) {
    std::vector<double> &out = std::string(key) == "image_mean" ? prep.imageMean
                                                                : prep.imageStd;
    if (const JsonValue *m = p.lookup(ppRoot, key, pre + key)) {
      bool ok = m->isArray() && m->asArray().size() == 3;
      for (size_t i = 0; ok && i < 3; ++i)
        ok = m->asArray()[i].isNumber() &&
             (std::string(key) == "image_mean" || m->asArray()[i].asNumber() > 0);
      if (!ok) {
        p.error(pre + key, "must be three numbers, got " + describe(*m));
        continue;
      }
      for (size_t i = 0; i < 3; ++i)
        out[i] = m->asArray()[i].asNumber();
    }
  }
  p.string(ppRoot, pre, "interpolation_mode", prep.interpolationMode);
  if (prep.interpolationMode != "bicubic")
    p.error(pre + "interpolation_mode",
            "\"" + prep.interpolationMode + "\" is not supported (bicubic only)");
  p.string(ppRoot, pre, "resize_mode", prep.resizeMode);
  if (prep.resizeMode != "squash")
    p.error(pre + "resize_mode",
            "\"" + prep.resizeMode + "\" is not supported (squash only)");

  for (auto &[path, value] : overrides)
    if (!used.count(path))
      errors.push_back("override '" + path +
                       "': no such configuration field (fields are named as in "
                       "config.json, e.g. text_config.rope_theta, or "
                       "preprocessor_config.grids)");
  if (!errors.empty())
    return fail();
  return c;
}

JsonValue ModelConfig::toJson() const {
  using J = JsonValue;
  auto grids = [](const std::vector<std::pair<int64_t, int64_t>> &gs) {
    std::vector<J> items;
    for (auto &[w, h] : gs)
      items.push_back(J::array({J::integer(w), J::integer(h)}));
    return J::array(items);
  };
  auto numbers = [](const std::vector<double> &xs) {
    std::vector<J> items;
    for (double x : xs)
      items.push_back(J::number(x));
    return J::array(items);
  };
  return J::object({
      {"vision",
       J::object({{"hidden_size", J::integer(vision.hiddenSize)},
                  {"intermediate_size", J::integer(vision.intermediateSize)},
                  {"num_hidden_layers", J::integer(vision.numLayers)},
                  {"num_attention_heads", J::integer(vision.numHeads)},
                  {"image_size", J::integer(vision.imageSize)},
                  {"patch_size", J::integer(vision.patchSize)},
                  {"layer_norm_eps", J::number(vision.layerNormEps)},
                  {"hidden_act", J::string(vision.hiddenAct)}})},
      {"resampler",
       J::object({{"num_latents", J::integer(resampler.numLatents)},
                  {"depth", J::integer(resampler.depth)},
                  {"heads", J::integer(resampler.heads)},
                  {"dim_head", J::integer(resampler.dimHead)},
                  {"ff_mult", J::integer(resampler.ffMult)}})},
      {"text",
       J::object({{"hidden_size", J::integer(text.hiddenSize)},
                  {"intermediate_size", J::integer(text.intermediateSize)},
                  {"num_hidden_layers", J::integer(text.numLayers)},
                  {"num_attention_heads", J::integer(text.numHeads)},
                  {"num_key_value_heads", J::integer(text.numKvHeads)},
                  {"head_dim", J::integer(text.headDim)},
                  {"vocab_size", J::integer(text.vocabSize)},
                  {"initial_tokenizer_len", J::integer(text.initialTokenizerLen)},
                  {"max_position_embeddings", J::integer(text.maxPositionEmbeddings)},
                  {"sliding_window", text.slidingWindow ? J::integer(*text.slidingWindow)
                                                        : J::null()},
                  {"rms_norm_eps", J::number(text.rmsNormEps)},
                  {"rope_theta", J::number(text.ropeTheta)},
                  {"bos_token_id", J::integer(text.bosTokenId)},
                  {"eos_token_id", J::integer(text.eosTokenId)},
                  {"pad_token_id", J::integer(text.padTokenId)}})},
      {"preprocessor",
       J::object({{"size", J::array({J::integer(preprocessor.width),
                                     J::integer(preprocessor.height)})},
                  {"grids", grids(preprocessor.grids)},
                  {"image_mean", numbers(preprocessor.imageMean)},
                  {"image_std", numbers(preprocessor.imageStd)}})},
      {"special_tokens",
       J::object({{"image", J::integer(imageTokenId())},
                  {"image_placeholder", J::integer(imagePlaceholderTokenId())},
                  {"endofchunk", J::integer(endOfChunkTokenId())}})},
      {"torch_dtype", J::string(torchDtype)},
  });
}

} // namespace xgenmm
