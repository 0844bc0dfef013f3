//===- EndToEndTest.cpp - compiled fixtures against the reference ---------===//
//
// Every committed fixture is compiled by xgenmm-compile (ctest's fixture
// setup, test/e2e/CMakeLists.txt) and run here through the runtime's C API
// on the goldens' preprocessed inputs. Compared with the Hugging Face
// reference (test/reference/): the vision tokens of each image, the logits
// of the last prompt position, the logits and ids of 32 greedy steps, and
// the KV-cache decode against recomputing the whole sequence.
//
//===----------------------------------------------------------------------===//
#include "frontend/Json.h"
#include "frontend/Safetensors.h"
#include "runtime/xgenmm.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Case {
  const char *fixture;
  const char *dtype;
  /// Allowed max |error| as a fraction of max |golden|, per tensor.
  double tolerance;
  /// Whether the 32 greedy ids must equal the reference's.
  bool exactIds;
};

// fp32 math on the checkpoint's own weights: the 1e-4 bound.
// bf16 storage of an fp32 checkpoint rounds every matrix weight to 8
// significant bits (relative error <= 2^-9 = 0.2%); through the stacked
// layers that gives errors of a few per mille of the largest logit here
// (measured <= 0.6%), so the bound is 2e-2, and greedy ids are only compared
// while the reference's margin between its top two logits exceeds the
// error.
const Case kCases[] = {
    {"tiny_fp32_single", "f32", 1e-4, true},
    {"tiny_bf16_2shards", "f32", 1e-4, true},
    // bf16 artifacts keep a bf16 KV cache: every cached key and value is
    // rounded to 8 significant bits when written. The bf16 checkpoint's
    // weights are stored exactly, so its error is the cache's alone
    // (measured: see the note in docs/decisions.md); with an f32 cache
    // (bf16kvf32) the case is exact.
    {"tiny_bf16_2shards", "bf16", 2e-2, false},
    {"tiny_bf16_2shards", "bf16kvf32", 1e-4, true},
    {"tiny_gqa_fp32_4shards", "f32", 1e-4, true},
    {"tiny_gqa_fp32_4shards", "bf16", 2e-2, false},
    // Prefill calls of at most 5 tokens: the prompts (image-token blocks
    // included) run in chunks, each at the position the last one reached.
    {"tiny_gqa_fp32_4shards", "chunk5", 1e-4, true},
    // An int8 KV cache over the checkpoint's own weights: every cached key
    // and value rounded to 1/127 of its head's largest |x| in that row.
    {"tiny_gqa_fp32_4shards", "int8kv", 2e-2, false},
    {"tiny_bf16_2shards", "int8kv", 2e-2, false},
    // int8 weights of the language model's dense layers (groups of 8: the
    // fixture's widths are 96 and 136), against the unquantized reference:
    // the error of the scheme itself (measured <= 0.91% of the largest
    // logit over the steps); the kernels are checked tightly by
    // QuantizedKernelsEqualDequantizedFloat below.
    {"tiny_gqa_fp32_4shards", "int8", 2e-2, false},
    // int4 (values in [-7, 7], groups of 8): the scheme's error is some ten
    // times int8's (measured <= 13.5% of the largest logit over the
    // steps, on these random weights); the kernels are checked tightly below.
    {"tiny_gqa_fp32_4shards", "int4", 2e-1, false},
    // The same schemes quantizing the bf16 checkpoint (groups of 8 over
    // widths 120 and 200; int4 measured: 21.7% of the largest logit over
    // the teacher-forced steps). tiny_fp32_single's width, 44, takes no
    // group size the compiler offers (8 or more): no quantized case.
    {"tiny_bf16_2shards", "int8", 2e-2, false},
    {"tiny_bf16_2shards", "int4", 3e-1, false},
#ifdef XGENMM_HAVE_BF16_DOT
    // AVX512-BF16 dot products in encoding and prefill: activations rounded
    // to bf16 (8 significant bits) at every matrix product's input as well.
    {"tiny_bf16_2shards", "bf16dot", 2e-2, false},
    {"tiny_gqa_fp32_4shards", "bf16dot", 2e-2, false},
#endif
};

void PrintTo(const Case &c, std::ostream *os) {
  *os << c.fixture << " --dtype " << c.dtype;
}

std::string artifactDir(const Case &c) {
  return std::string(XGENMM_E2E_ARTIFACTS) + "/" + c.fixture + "-" + c.dtype;
}

/// The reference's goldens of one fixture.
class Goldens {
public:
  explicit Goldens(const std::string &fixture) {
    std::string dir = std::string(XGENMM_FIXTURES_DIR) + "/" + fixture;
    std::string error;
    file_ = xgenmm::SafetensorsFile::open(dir + "/goldens.safetensors", error);
    EXPECT_TRUE(file_) << error;
    std::ifstream in(dir + "/goldens.json");
    std::stringstream ss;
    ss << in.rdbuf();
    auto json = xgenmm::parseJson(ss.str(), error);
    EXPECT_TRUE(json) << error;
    if (json)
      meta_ = *json;
  }

  std::vector<float> tensor(const std::string &name, std::vector<int64_t> *shape = nullptr) const {
    const xgenmm::TensorInfo *t = file_ ? file_->find(name) : nullptr;
    EXPECT_TRUE(t) << "golden tensor " << name;
    if (!t)
      return {};
    if (shape)
      *shape = t->shape;
    std::vector<float> v(t->numElements());
    std::memcpy(v.data(), t->data, v.size() * sizeof(float));
    return v;
  }

  std::vector<int32_t> ids(const char *key) const {
    std::vector<int32_t> out;
    if (const xgenmm::JsonValue *a = meta_.get(key))
      for (const xgenmm::JsonValue &v : a->asArray())
        out.push_back((int32_t)v.asInteger());
    return out;
  }

  const xgenmm::JsonValue &image(size_t k) const {
    return meta_.get("images")->asArray()[k];
  }
  size_t numImages() const { return meta_.get("images")->asArray().size(); }

private:
  std::unique_ptr<xgenmm::SafetensorsFile> file_;
  xgenmm::JsonValue meta_;
};

/// max |a - b| / max |b|, with a diagnostic on size mismatch.
double relativeError(const float *a, const std::vector<float> &b) {
  double err = 0, scale = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    err = std::max(err, (double)std::fabs(a[i] - b[i]));
    scale = std::max(scale, (double)std::fabs(b[i]));
  }
  return err / scale;
}

class EndToEnd : public ::testing::TestWithParam<Case> {
protected:
  void SetUp() override {
    const Case &c = GetParam();
    model_ = xgenmm_load(artifactDir(c).c_str());
    ASSERT_TRUE(model_) << xgenmm_last_error();
    info_ = xgenmm_model_get_info(model_);
    goldens_ = std::make_unique<Goldens>(c.fixture);
  }
  void TearDown() override { xgenmm_free(model_); }

  /// Encodes every image of the goldens; returns the tokens per image.
  std::vector<std::vector<float>> encodeImages(xgenmm_session *s) {
    std::vector<std::vector<float>> all;
    for (size_t k = 0; k < goldens_->numImages(); ++k) {
      std::vector<int64_t> shape;
      std::vector<float> px =
          goldens_->tensor("image" + std::to_string(k) + ".pixel_values", &shape);
      const xgenmm::JsonValue &im = goldens_->image(k);
      xgenmm_image image{px.data(),
                         (int32_t)shape[0],
                         (int32_t)im.get("nph")->asInteger(),
                         (int32_t)im.get("npw")->asInteger(),
                         (int32_t)im.get("size_wh")->asArray()[0].asInteger(),
                         (int32_t)im.get("size_wh")->asArray()[1].asInteger()};
      std::vector<float> tokens((size_t)shape[0] * info_->tokens_per_view * info_->n_embd);
      EXPECT_EQ(xgenmm_encode_image(s, &image, tokens.data(), tokens.size()), XGENMM_OK)
          << xgenmm_last_error();
      all.push_back(std::move(tokens));
    }
    return all;
  }

  /// Prefills `ids` with the goldens' images.
  void prefill(xgenmm_session *s, const std::vector<std::vector<float>> &images,
               const std::vector<int32_t> &ids) {
    std::vector<xgenmm_vision_tokens> vis;
    for (const auto &t : images)
      vis.push_back({t.data(), (int32_t)(t.size() / info_->n_embd)});
    ASSERT_EQ(xgenmm_prefill(s, ids.data(), (int32_t)ids.size(), vis.data(),
                             (int32_t)vis.size()),
              XGENMM_OK)
        << xgenmm_last_error();
  }

  xgenmm_model *model_ = nullptr;
  const xgenmm_model_info *info_ = nullptr;
  std::unique_ptr<Goldens> goldens_;
};

TEST_P(EndToEnd, VisionTokensMatchTheReference) {
  xgenmm_session *s = xgenmm_session_new(model_);
  ASSERT_TRUE(s) << xgenmm_last_error();
  auto images = encodeImages(s);
  for (size_t k = 0; k < images.size(); ++k) {
    std::vector<float> golden = goldens_->tensor("image" + std::to_string(k) + ".vision_tokens");
    ASSERT_EQ(images[k].size(), golden.size());
    double err = relativeError(images[k].data(), golden);
    EXPECT_LE(err, GetParam().tolerance) << "image " << k;
    RecordProperty("vision_rel_error_" + std::to_string(k), std::to_string(err));
  }
  xgenmm_session_free(s);
}

TEST_P(EndToEnd, PromptLogitsAndGreedyDecodingMatchTheReference) {
  const Case &c = GetParam();
  xgenmm_session *s = xgenmm_session_new(model_);
  ASSERT_TRUE(s) << xgenmm_last_error();
  auto images = encodeImages(s);
  prefill(s, images, goldens_->ids("input_ids"));

  std::vector<int64_t> shape;
  std::vector<float> logits = goldens_->tensor("logits", &shape);
  int64_t vocab = shape[1];
  ASSERT_EQ(vocab, info_->n_vocab);
  std::vector<float> last(logits.end() - vocab, logits.end());
  EXPECT_LE(relativeError(xgenmm_logits(s), last), c.tolerance) << "last prompt position";

  // Greedy steps: at each, the logits must match the reference's, and the
  // chosen id the reference's one (while the reference's margin allows).
  std::vector<int32_t> want = goldens_->ids("generated_ids");
  std::vector<float> stepLogits = goldens_->tensor("generated_logits");
  for (size_t step = 0; step < want.size(); ++step) {
    const float *l = xgenmm_logits(s);
    std::vector<float> golden(stepLogits.begin() + step * vocab,
                              stepLogits.begin() + (step + 1) * vocab);
    double err = relativeError(l, golden);
    EXPECT_LE(err, c.tolerance) << "step " << step;
    int32_t best = (int32_t)(std::max_element(l, l + vocab) - l);
    std::vector<float> sorted(golden);
    std::sort(sorted.rbegin(), sorted.rend());
    double margin = sorted[0] - sorted[1];
    double scale = std::fabs(sorted[0]);
    if (c.exactIds || margin > 2 * err * scale)
      EXPECT_EQ(best, want[step]) << "step " << step;
    if (best != want[step])
      break; // the continuations differ from here on
    ASSERT_EQ(xgenmm_decode(s, want[step]), XGENMM_OK) << xgenmm_last_error();
  }
  xgenmm_session_free(s);
}

/// Accuracy against the unquantized reference, teacher-forced: the prompt
/// and then each of the reference's 32 greedy ids are fed whatever this
/// artifact would have chosen, so every step is compared (the test above
/// stops at the first differing id). Prints one line per case, which
/// benchmarks/accuracy_table.py collects into the table of
/// benchmarks/RESULTS.md: the largest logit error over the prompt's last
/// position and the 32 steps (as a fraction of the step's largest |logit|)
/// and how many of the 32 greedy choices equal the reference's.
TEST_P(EndToEnd, TeacherForcedLogitsStayWithinTheBound) {
  const Case &c = GetParam();
  xgenmm_session *s = xgenmm_session_new(model_);
  ASSERT_TRUE(s) << xgenmm_last_error();
  auto images = encodeImages(s);
  prefill(s, images, goldens_->ids("input_ids"));
  std::vector<int64_t> shape;
  std::vector<float> logits = goldens_->tensor("logits", &shape);
  int64_t vocab = shape[1];
  ASSERT_EQ(vocab, info_->n_vocab);
  double worst = relativeError(xgenmm_logits(s),
                               std::vector<float>(logits.end() - vocab, logits.end()));
  std::vector<int32_t> want = goldens_->ids("generated_ids");
  std::vector<float> stepLogits = goldens_->tensor("generated_logits");
  int agree = 0;
  for (size_t step = 0; step < want.size(); ++step) {
    const float *l = xgenmm_logits(s);
    std::vector<float> golden(stepLogits.begin() + step * vocab,
                              stepLogits.begin() + (step + 1) * vocab);
    worst = std::max(worst, relativeError(l, golden));
    agree += (int32_t)(std::max_element(l, l + vocab) - l) == want[step];
    ASSERT_EQ(xgenmm_decode(s, want[step]), XGENMM_OK) << xgenmm_last_error();
  }
  EXPECT_LE(worst, c.tolerance);
  if (c.exactIds) {
    EXPECT_EQ(agree, (int)want.size());
  }
  std::printf("[accuracy] %s %s max_logit_error %.3e greedy_agreement %d/%zu\n", c.fixture,
              c.dtype, worst, agree, want.size());
  RecordProperty("max_logit_error", std::to_string(worst));
  RecordProperty("greedy_agreement", std::to_string(agree));
  xgenmm_session_free(s);
}

/// The cases whose 32 greedy ids must equal the reference's (with
/// bf16-rounded weights the ids are compared step by step above instead).
class ExactEndToEnd : public EndToEnd {};

TEST_P(ExactEndToEnd, GreedyGenerationReproducesTheReferenceIds) {
  xgenmm_session *s = xgenmm_session_new(model_);
  ASSERT_TRUE(s) << xgenmm_last_error();
  auto images = encodeImages(s);
  prefill(s, images, goldens_->ids("input_ids"));
  std::vector<int32_t> want = goldens_->ids("generated_ids");
  xgenmm_generate_params params = xgenmm_generate_default_params(model_);
  params.max_new_tokens = (int32_t)want.size();
  params.n_stop_tokens = 0;
  std::vector<int32_t> got(want.size());
  int32_t n = 0;
  ASSERT_EQ(xgenmm_generate(s, &params, got.data(), &n), XGENMM_OK) << xgenmm_last_error();
  got.resize(n);
  EXPECT_EQ(got, want);
  xgenmm_session_free(s);
}

/// Decoding with the KV cache gives the logits of recomputing the whole
/// sequence from scratch.
TEST_P(EndToEnd, KvCacheDecodeEqualsRecomputation) {
  std::vector<int32_t> prompt = goldens_->ids("input_ids");
  std::vector<int32_t> gen = goldens_->ids("generated_ids");
  xgenmm_session *cached = xgenmm_session_new(model_);
  xgenmm_session *fresh = xgenmm_session_new(model_);
  ASSERT_TRUE(cached && fresh) << xgenmm_last_error();
  auto images = encodeImages(cached);
  prefill(cached, images, prompt);
  for (int step : {0, 1, 2, 7}) {
    std::vector<int32_t> ids(prompt);
    ids.insert(ids.end(), gen.begin(), gen.begin() + step);
    xgenmm_session_reset(fresh);
    prefill(fresh, images, ids);
    std::vector<float> recomputed(xgenmm_logits(fresh), xgenmm_logits(fresh) + info_->n_vocab);
    // Bring the cached session to the same point one decode at a time.
    xgenmm_session_reset(cached);
    prefill(cached, images, prompt);
    for (int i = 0; i < step; ++i)
      ASSERT_EQ(xgenmm_decode(cached, gen[i]), XGENMM_OK) << xgenmm_last_error();
    // Decode's one-row products are fp32 in every artifact (over the same
    // int8 values and scales in an int8 one); with bf16 dot
    // products, prefill's read bf16-rounded activations: then the two
    // agree to the bf16 bound only.
    double bound = std::string(GetParam().dtype) == "bf16dot" ? GetParam().tolerance : 1e-4;
    EXPECT_LE(relativeError(xgenmm_logits(cached), recomputed), bound) << "after " << step;
  }
  xgenmm_session_free(cached);
  xgenmm_session_free(fresh);
}

/// A quantized artifact's kernels (int8 or int4 weights dequantized in
/// registers, int4 unpacked from two per byte, the scale applied in the
/// accumulation) against the float kernels over the same rounded weights
/// (--simulate-quantization stores values x scale as f32): equal up to the
/// order of the f32 sums, in prefill (many rows) and decode (one).
class QuantizedEndToEnd : public ::testing::TestWithParam<const char *> {};

TEST_P(QuantizedEndToEnd, QuantizedKernelsEqualDequantizedFloat) {
  const std::string dir = std::string(XGENMM_E2E_ARTIFACTS) + "/tiny_gqa_fp32_4shards-";
  const std::string scheme = GetParam();
  // Equal up to the order of the f32 sums, except where the kernels
  // quantize their activations (int8 and int4 on AVX512-VNNI): the twin
  // rounds its inputs the same way, but an input that differs in its last
  // float bit (the previous layer's sums in another order) can round to the
  // next int8 step, and the model carries that on. The kernels themselves
  // are checked on equal inputs to 1e-4 by
  // test/passes/vnni-int{4,8}-kernel-exec.mlir; measured here: up to 5e-3.
  double tolerance = 1e-4;
#ifdef XGENMM_HAVE_VNNI
  tolerance = 2e-2;
#endif
  xgenmm_model *q = xgenmm_load((dir + scheme).c_str());
  ASSERT_TRUE(q) << xgenmm_last_error();
  xgenmm_model *f = xgenmm_load((dir + scheme + "sim").c_str());
  ASSERT_TRUE(f) << xgenmm_last_error();
  Goldens goldens("tiny_gqa_fp32_4shards");
  std::vector<int32_t> gen = goldens.ids("generated_ids");
  const xgenmm_model_info *info = xgenmm_model_get_info(q);
  int32_t vocab = info->n_vocab;
  // Text only (the vision side is not quantized here): the prompt without
  // its <image> ids.
  std::vector<int32_t> prompt;
  for (int32_t id : goldens.ids("input_ids"))
    if (id != info->token_image)
      prompt.push_back(id);
  xgenmm_session *sq = xgenmm_session_new(q), *sf = xgenmm_session_new(f);
  ASSERT_TRUE(sq && sf) << xgenmm_last_error();
  ASSERT_EQ(xgenmm_prefill(sq, prompt.data(), (int32_t)prompt.size(), nullptr, 0), XGENMM_OK)
      << xgenmm_last_error();
  ASSERT_EQ(xgenmm_prefill(sf, prompt.data(), (int32_t)prompt.size(), nullptr, 0), XGENMM_OK)
      << xgenmm_last_error();
  for (size_t step = 0; step < 8 && step < gen.size(); ++step) {
    std::vector<float> want(xgenmm_logits(sf), xgenmm_logits(sf) + vocab);
    EXPECT_LE(relativeError(xgenmm_logits(sq), want), tolerance) << "step " << step;
    ASSERT_EQ(xgenmm_decode(sq, gen[step]), XGENMM_OK) << xgenmm_last_error();
    ASSERT_EQ(xgenmm_decode(sf, gen[step]), XGENMM_OK) << xgenmm_last_error();
  }
  xgenmm_session_free(sq);
  xgenmm_session_free(sf);
  xgenmm_free(q);
  xgenmm_free(f);
}

std::string caseName(const ::testing::TestParamInfo<Case> &info) {
  return std::string(info.param.fixture) + "_" + info.param.dtype;
}

std::vector<Case> exactCases() {
  std::vector<Case> cases;
  for (const Case &c : kCases)
    if (c.exactIds)
      cases.push_back(c);
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, EndToEnd, ::testing::ValuesIn(kCases), caseName);
INSTANTIATE_TEST_SUITE_P(Schemes, QuantizedEndToEnd, ::testing::Values("int8", "int4"),
                         [](const ::testing::TestParamInfo<const char *> &info) {
                           return std::string(info.param);
                         });
INSTANTIATE_TEST_SUITE_P(Fixtures, ExactEndToEnd, ::testing::ValuesIn(exactCases()),
                         caseName);

} // namespace
