//===- SessionTest.cpp - sessions, images, prefill, decode, generation
//-----===//
//
// Runs the C API on the fake model of FakeModel.h. Expected tokens come from
// the fake's rule applied to the sequence the runtime should have built;
// the fake itself computes them from the KV-cache rows the runtime kept, so
// any lost row, wrong position or misplaced vision token changes them.
//
//===----------------------------------------------------------------------===//

#include "runtime/xgenmm.h"
#include "test/runtime/FakeArtifact.h"
#include "test/runtime/FakeModel.h"
#include "test/runtime/TempDir.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include <dlfcn.h>

using namespace xgenmm;
using namespace xgenmm::fake;

namespace {

using Tokens = std::vector<xgenmm_token>;
using Rows = std::vector<int64_t>;

/// The rows of text ids for the fake's rule.
Rows textRows(const Tokens &ids) {
  Rows rows;
  for (xgenmm_token id : ids)
    rows.push_back(rowValue(id, 0));
  return rows;
}

/// Greedy generation of `n` tokens after a sequence of `rows`.
Tokens referenceGreedy(Rows rows, int n) {
  Tokens out;
  for (int i = 0; i < n; ++i) {
    xgenmm_token t = nextToken(rows);
    out.push_back(t);
    rows.push_back(rowValue(t, 0));
  }
  return out;
}

/// A preprocessed image with the pixels of fakePixels.
struct TestImage {
  std::vector<float> pixels;
  xgenmm_image image;

  TestImage(int32_t views, int32_t rows, int32_t cols, int32_t width,
            int32_t height)
      : pixels(fakePixels(views)), image{pixels.data(), views, rows,
                                         cols,          width, height} {}
  int32_t tokens() const { return image.n_views * int32_t(kTokensPerView); }
};

class SessionTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(writeArtifact(dir_.path(), error)) << error;
    load();
  }

  void load() {
    model_ = xgenmm_load(dir_.path().c_str());
    ASSERT_NE(model_, nullptr) << xgenmm_last_error();
    session_ = xgenmm_session_new(model_);
    ASSERT_NE(session_, nullptr) << xgenmm_last_error();
  }

  void TearDown() override {
    xgenmm_session_free(session_);
    xgenmm_free(model_);
  }

  /// What the fake model.so loaded by the runtime recorded.
  const Calls &calls() {
    std::string path = dir_ / "model.so";
    void *handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD);
    EXPECT_NE(handle, nullptr) << "model.so is not loaded";
    auto fn = reinterpret_cast<CallsFn>(::dlsym(handle, kCallsSymbol));
    ::dlclose(handle); // the runtime's reference keeps it loaded
    return *fn();
  }

  xgenmm_generate_params greedy(int32_t maxTokens, const Tokens &stops = {}) {
    xgenmm_generate_params p = xgenmm_generate_default_params(model_);
    p.max_new_tokens = maxTokens;
    stops_ = stops;
    p.stop_tokens = stops_.data();
    p.n_stop_tokens = static_cast<int32_t>(stops_.size());
    return p;
  }

  xgenmm_generate_params sampled(int32_t maxTokens, float temperature,
                                 int32_t topK, float topP, uint64_t seed) {
    xgenmm_generate_params p = greedy(maxTokens);
    p.sampling = {temperature, topK, topP, seed};
    return p;
  }

  void prefill(const Tokens &ids,
               const std::vector<xgenmm_vision_tokens> &images = {}) {
    ASSERT_EQ(xgenmm_prefill(session_, ids.data(), int32_t(ids.size()),
                             images.data(), int32_t(images.size())),
              XGENMM_OK)
        << xgenmm_last_error();
  }

  Tokens generate(const xgenmm_generate_params &params) {
    Tokens out(params.max_new_tokens);
    int32_t n = -1;
    EXPECT_EQ(xgenmm_generate(session_, &params, out.data(), &n), XGENMM_OK)
        << xgenmm_last_error();
    out.resize(std::max(n, 0));
    return out;
  }

  void expectError(xgenmm_status got, xgenmm_status expected,
                   const std::string &fragment) {
    EXPECT_EQ(got, expected) << xgenmm_last_error();
    EXPECT_EQ(xgenmm_last_status(), expected);
    EXPECT_NE(std::string(xgenmm_last_error()).find(fragment),
              std::string::npos)
        << "message: " << xgenmm_last_error() << "\nlacks: " << fragment;
  }

  std::vector<float> encode(const TestImage &image) {
    std::vector<float> tokens(image.tokens() * kVisionWidth);
    EXPECT_EQ(xgenmm_encode_image(session_, &image.image, tokens.data(),
                                  tokens.size()),
              XGENMM_OK)
        << xgenmm_last_error();
    return tokens;
  }

  TempDir dir_;
  xgenmm_model *model_ = nullptr;
  xgenmm_session *session_ = nullptr;
  Tokens stops_;
};

const Tokens kPrompt = {1, 5, 9};

TEST_F(SessionTest, GreedyGenerationFollowsTheCache) {
  prefill(kPrompt);
  EXPECT_EQ(xgenmm_session_position(session_), 3);
  Tokens out = generate(greedy(8));
  EXPECT_EQ(out, referenceGreedy(textRows(kPrompt), 8));
  // The last token is reported but not decoded.
  EXPECT_EQ(xgenmm_session_position(session_), 3 + 7);
  EXPECT_EQ(calls().decodeCalls, 7);
  EXPECT_EQ(calls().decodePosition, 9);
  xgenmm_timings t = xgenmm_session_timings(session_);
  EXPECT_EQ(t.n_prefill_tokens, 3);
  EXPECT_EQ(t.n_decode_tokens, 7);
  EXPECT_EQ(t.n_images, 0);
  EXPECT_GE(t.prefill_ms, 0.0);
  EXPECT_GE(t.decode_ms, 0.0);
}

TEST_F(SessionTest, LogitsOfThePrefill) {
  EXPECT_EQ(xgenmm_logits(session_), nullptr);
  prefill(kPrompt);
  const float *logits = xgenmm_logits(session_);
  ASSERT_NE(logits, nullptr);
  const int32_t next = nextToken(textRows(kPrompt));
  for (int32_t i = 0; i < kVocabLogits; ++i)
    EXPECT_EQ(logits[i], -std::fabs(float(i - next))) << i;
}

TEST_F(SessionTest, StopTokensEndGenerationAndAreReported) {
  const Tokens all = referenceGreedy(textRows(kPrompt), 12);
  const xgenmm_token stop = all[6];
  size_t first = 0;
  while (all[first] != stop)
    ++first;
  prefill(kPrompt);
  Tokens out = generate(greedy(12, {kVocabLogits - 1, stop}));
  EXPECT_EQ(out, Tokens(all.begin(), all.begin() + first + 1));
}

TEST_F(SessionTest, DefaultParamsAreGreedyUntilEos) {
  xgenmm_generate_params p = xgenmm_generate_default_params(model_);
  EXPECT_EQ(p.sampling.temperature, 0.0f);
  EXPECT_EQ(p.max_new_tokens, 256);
  ASSERT_EQ(p.n_stop_tokens, 1);
  EXPECT_EQ(p.stop_tokens[0], kEos);
  EXPECT_EQ(p.on_token, nullptr);
}

TEST_F(SessionTest, MaxNewTokens) {
  prefill(kPrompt);
  Tokens out = generate(greedy(1));
  EXPECT_EQ(out, referenceGreedy(textRows(kPrompt), 1));
  EXPECT_EQ(calls().decodeCalls, 0);
}

struct Streamed {
  Tokens tokens;
  size_t stopAfter = 0; // 0: never
};

int collect(xgenmm_token token, void *userData) {
  auto *s = static_cast<Streamed *>(userData);
  s->tokens.push_back(token);
  return s->stopAfter != 0 && s->tokens.size() >= s->stopAfter;
}

TEST_F(SessionTest, CallbackStreamsEveryToken) {
  prefill(kPrompt);
  Streamed streamed;
  xgenmm_generate_params p = greedy(6);
  p.on_token = collect;
  p.user_data = &streamed;
  Tokens out = generate(p);
  EXPECT_EQ(streamed.tokens, out);
  EXPECT_EQ(out.size(), 6u);
}

TEST_F(SessionTest, CallbackCanStopTheGeneration) {
  prefill(kPrompt);
  Streamed streamed;
  streamed.stopAfter = 3;
  xgenmm_generate_params p = greedy(10);
  p.on_token = collect;
  p.user_data = &streamed;
  Tokens out = generate(p);
  EXPECT_EQ(out, referenceGreedy(textRows(kPrompt), 3));
  EXPECT_EQ(streamed.tokens, out);
}

TEST_F(SessionTest, ContinuingNeedsTheLastTokenDecoded) {
  prefill(kPrompt);
  Tokens first = generate(greedy(4));
  xgenmm_generate_params again = greedy(4);
  expectError(xgenmm_generate(session_, &again, nullptr, nullptr),
              XGENMM_ERROR_INVALID_ARGUMENT, "no logits to start from");
  ASSERT_EQ(xgenmm_decode(session_, first.back()), XGENMM_OK)
      << xgenmm_last_error();
  Tokens second = generate(greedy(4));
  Tokens both = first;
  both.insert(both.end(), second.begin(), second.end());
  EXPECT_EQ(both, referenceGreedy(textRows(kPrompt), 8));
}

TEST_F(SessionTest, PrefillInSeveralCallsEqualsOne) {
  prefill({1, 5});
  prefill({9, 3});
  EXPECT_EQ(calls().prefillPosition, 2);
  EXPECT_EQ(xgenmm_session_position(session_), 4);
  EXPECT_EQ(generate(greedy(5)), referenceGreedy(textRows({1, 5, 9, 3}), 5));
}

TEST_F(SessionTest, TwoSessionsAreIndependent) {
  xgenmm_session *other = xgenmm_session_new(model_);
  ASSERT_NE(other, nullptr);
  prefill(kPrompt);
  const Tokens otherPrompt = {4, 4, 4, 4, 8};
  ASSERT_EQ(xgenmm_prefill(other, otherPrompt.data(), 5, nullptr, 0),
            XGENMM_OK);
  Tokens mine = generate(greedy(5));
  xgenmm_generate_params p = greedy(5);
  Tokens theirs(5);
  int32_t n = 0;
  ASSERT_EQ(xgenmm_generate(other, &p, theirs.data(), &n), XGENMM_OK);
  EXPECT_EQ(mine, referenceGreedy(textRows(kPrompt), 5));
  EXPECT_EQ(theirs, referenceGreedy(textRows(otherPrompt), 5));
  xgenmm_session_free(other);
}

TEST_F(SessionTest, ResetStartsOver) {
  prefill(kPrompt);
  Tokens before = generate(greedy(5));
  xgenmm_session_reset(session_);
  EXPECT_EQ(xgenmm_session_position(session_), 0);
  EXPECT_EQ(xgenmm_logits(session_), nullptr);
  EXPECT_EQ(xgenmm_session_timings(session_).n_decode_tokens, 0);
  prefill(kPrompt);
  EXPECT_EQ(generate(greedy(5)), before);
}

//===----------------------------------------------------------------------===//
// Sampling
//===----------------------------------------------------------------------===//

TEST_F(SessionTest, SamplingIsReproducibleWithASeed) {
  prefill(kPrompt);
  Tokens a = generate(sampled(12, 1.0f, 0, 1.0f, 1));
  xgenmm_session_reset(session_);
  prefill(kPrompt);
  Tokens b = generate(sampled(12, 1.0f, 0, 1.0f, 1));
  xgenmm_session_reset(session_);
  prefill(kPrompt);
  Tokens c = generate(sampled(12, 1.0f, 0, 1.0f, 2));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // At temperature 1 the fake's best token has probability about 0.46.
  EXPECT_NE(a, referenceGreedy(textRows(kPrompt), 12));
}

TEST_F(SessionTest, TopKOneAndTinyTopPEqualGreedy) {
  const Tokens expected = referenceGreedy(textRows(kPrompt), 10);
  prefill(kPrompt);
  EXPECT_EQ(generate(sampled(10, 1.5f, 1, 1.0f, 3)), expected);
  xgenmm_session_reset(session_);
  prefill(kPrompt);
  EXPECT_EQ(generate(sampled(10, 1.5f, 0, 1e-6f, 4)), expected);
}

TEST_F(SessionTest, TemperatureSemantics) {
  const Tokens expected = referenceGreedy(textRows(kPrompt), 10);
  // Zero is greedy whatever top_k and top_p say; a tiny temperature is
  // greedy in effect; a large one is close to uniform.
  prefill(kPrompt);
  EXPECT_EQ(generate(sampled(10, 0.0f, 5, 0.5f, 5)), expected);
  xgenmm_session_reset(session_);
  prefill(kPrompt);
  EXPECT_EQ(generate(sampled(10, 1e-3f, 0, 1.0f, 6)), expected);
  xgenmm_session_reset(session_);
  prefill(kPrompt);
  Tokens hot = generate(sampled(10, 100.0f, 0, 1.0f, 7));
  int matches = 0;
  for (size_t i = 0; i < hot.size(); ++i)
    matches += hot[i] == expected[i];
  EXPECT_LT(matches, 5);
}

TEST_F(SessionTest, InvalidGenerateParams) {
  prefill(kPrompt);
  xgenmm_generate_params p = greedy(0);
  expectError(xgenmm_generate(session_, &p, nullptr, nullptr),
              XGENMM_ERROR_INVALID_ARGUMENT, "max_new_tokens is 0");
  p = sampled(4, -1.0f, 0, 1.0f, 0);
  expectError(xgenmm_generate(session_, &p, nullptr, nullptr),
              XGENMM_ERROR_INVALID_ARGUMENT, "sampling.temperature");
  p = greedy(4, {kVocabLogits});
  expectError(xgenmm_generate(session_, &p, nullptr, nullptr),
              XGENMM_ERROR_OUT_OF_VOCABULARY,
              "stop_tokens[0] 19 is out of the vocabulary");
  p = greedy(4);
  p.n_stop_tokens = 2;
  p.stop_tokens = nullptr;
  expectError(xgenmm_generate(session_, &p, nullptr, nullptr),
              XGENMM_ERROR_INVALID_ARGUMENT, "stop_tokens NULL");
  // None of these consumed the logits.
  EXPECT_EQ(generate(greedy(2)), referenceGreedy(textRows(kPrompt), 2));
}

//===----------------------------------------------------------------------===//
// Limits
//===----------------------------------------------------------------------===//

Tokens ramp(int n) {
  Tokens ids;
  for (int i = 0; i < n; ++i)
    ids.push_back(3 + i % 10);
  return ids;
}

TEST_F(SessionTest, PrefillBeyondTheContext) {
  prefill(ramp(30));
  Tokens more = ramp(11);
  expectError(xgenmm_prefill(session_, more.data(), 11, nullptr, 0),
              XGENMM_ERROR_CONTEXT_FULL,
              "position 30 + 11 tokens (after image expansion) exceeds the "
              "context of 40");
  EXPECT_EQ(xgenmm_session_position(session_), 30);
  prefill(ramp(10));
  EXPECT_EQ(xgenmm_session_position(session_), 40);
  expectError(xgenmm_decode(session_, 3), XGENMM_ERROR_CONTEXT_FULL,
              "the context of 40 (kv_cache.capacity) is full");
}

TEST_F(SessionTest, LongPromptsArePrefilledInChunks) {
  // 33 ids > 32 (prefill.max_tokens): two calls, 32 ids at position 0 and
  // 1 at position 32 (the fake checks every earlier cache row); the logits
  // are the whole prompt's.
  Tokens ids = ramp(kPrefillMaxTokens + 1);
  ASSERT_EQ(xgenmm_prefill(session_, ids.data(), int32_t(ids.size()), nullptr, 0),
            XGENMM_OK)
      << xgenmm_last_error();
  EXPECT_EQ(xgenmm_session_position(session_), kPrefillMaxTokens + 1);
  EXPECT_EQ(calls().prefillCalls, 2);
  EXPECT_EQ(calls().prefillPosition, kPrefillMaxTokens);
  EXPECT_EQ(calls().prefillIds, Tokens(ids.end() - 1, ids.end()));
  Tokens out(3);
  int32_t n = 0;
  xgenmm_generate_params p = greedy(3);
  ASSERT_EQ(xgenmm_generate(session_, &p, out.data(), &n), XGENMM_OK);
  EXPECT_EQ(out, referenceGreedy(textRows(ids), 3));
}

TEST_F(SessionTest, GenerationRunsOutOfContext) {
  prefill(ramp(30));
  Tokens out(20);
  int32_t n = 0;
  xgenmm_generate_params p = greedy(20);
  expectError(xgenmm_generate(session_, &p, out.data(), &n),
              XGENMM_ERROR_CONTEXT_FULL, "is full after 11 generated tokens");
  EXPECT_EQ(n, 11); // 10 decoded into positions 30..39, then one more chosen
  out.resize(n);
  EXPECT_EQ(out, referenceGreedy(textRows(ramp(30)), 11));
  EXPECT_EQ(xgenmm_session_position(session_), 40);
}

TEST_F(SessionTest, IdsOutOfTheVocabulary) {
  Tokens ids = {1, kVocabLogits, 2};
  expectError(xgenmm_prefill(session_, ids.data(), 3, nullptr, 0),
              XGENMM_ERROR_OUT_OF_VOCABULARY,
              "ids[1] 19 is out of the vocabulary [0, 19)");
  ids = {-1};
  expectError(xgenmm_prefill(session_, ids.data(), 1, nullptr, 0),
              XGENMM_ERROR_OUT_OF_VOCABULARY, "ids[0] -1");
  EXPECT_EQ(calls().prefillCalls, 0);
  prefill(kPrompt);
  expectError(xgenmm_decode(session_, 25), XGENMM_ERROR_OUT_OF_VOCABULARY,
              "token 25 is out of the vocabulary");
  EXPECT_EQ(xgenmm_session_position(session_), 3);
}

TEST_F(SessionTest, BadPrefillArguments) {
  Tokens ids = {1};
  expectError(xgenmm_prefill(session_, nullptr, 1, nullptr, 0),
              XGENMM_ERROR_INVALID_ARGUMENT, "xgenmm_prefill: ids is NULL");
  expectError(xgenmm_prefill(session_, ids.data(), 0, nullptr, 0),
              XGENMM_ERROR_INVALID_ARGUMENT, "n_ids is 0");
  expectError(xgenmm_prefill(nullptr, ids.data(), 1, nullptr, 0),
              XGENMM_ERROR_INVALID_ARGUMENT, "session is NULL");
  expectError(xgenmm_prefill(session_, ids.data(), 1, nullptr, 1),
              XGENMM_ERROR_INVALID_ARGUMENT, "images is NULL");
}

extern "C" int xgenmm_c_generate(const char *artifactDir,
                                 const xgenmm_token *ids, int32_t nIds,
                                 xgenmm_token *out, int32_t capacity);

TEST_F(SessionTest, UsableFromC) {
  Tokens out(6);
  ASSERT_EQ(
      xgenmm_c_generate(dir_.path().c_str(), kPrompt.data(), 3, out.data(), 6),
      6)
      << xgenmm_last_error();
  EXPECT_EQ(out, referenceGreedy(textRows(kPrompt), 6));
}

TEST(Api, NullHandles) {
  xgenmm_free(nullptr);
  xgenmm_session_free(nullptr);
  xgenmm_session_reset(nullptr);
  EXPECT_EQ(xgenmm_session_new(nullptr), nullptr);
  EXPECT_EQ(xgenmm_last_status(), XGENMM_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(xgenmm_model_get_info(nullptr), nullptr);
  EXPECT_EQ(xgenmm_session_position(nullptr), -1);
  EXPECT_EQ(xgenmm_logits(nullptr), nullptr);
  EXPECT_EQ(xgenmm_session_timings(nullptr).n_decode_tokens, 0);
  EXPECT_EQ(xgenmm_decode(nullptr, 0), XGENMM_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(xgenmm_generate(nullptr, nullptr, nullptr, nullptr),
            XGENMM_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(xgenmm_encode_image(nullptr, nullptr, nullptr, 0),
            XGENMM_ERROR_INVALID_ARGUMENT);
  xgenmm_generate_params p = xgenmm_generate_default_params(nullptr);
  EXPECT_EQ(p.n_stop_tokens, 0);
}

TEST(Api, StatusNames) {
  EXPECT_STREQ(xgenmm_status_name(XGENMM_OK), "ok");
  EXPECT_STREQ(xgenmm_status_name(XGENMM_ERROR_CONTEXT_FULL), "context full");
  EXPECT_STREQ(xgenmm_status_name(XGENMM_ERROR_NUMERIC), "numeric error");
  EXPECT_STREQ(xgenmm_status_name(static_cast<xgenmm_status>(99)),
               "unknown status");
}

//===----------------------------------------------------------------------===//
// Images
//===----------------------------------------------------------------------===//

TEST_F(SessionTest, EncodeImagePassesPixelsGridAndSize) {
  TestImage image(3, 1, 2, 30, 20);
  std::vector<float> tokens = encode(image);
  ASSERT_EQ(tokens.size(), size_t(3 * kTokensPerView * kVisionWidth));
  for (int32_t v = 0; v < 3; ++v)
    for (int32_t t = 0; t < kTokensPerView; ++t) {
      const float *row = &tokens[(v * kTokensPerView + t) * kVisionWidth];
      EXPECT_EQ(row[0], fakeViewSum(v) + t);
      EXPECT_EQ(row[1], 12.0f);    // 10 * rows + cols
      EXPECT_EQ(row[2], 30020.0f); // 1000 * width + height
    }
  EXPECT_EQ(calls().encodeCalls, 1);
  EXPECT_EQ(xgenmm_session_timings(session_).n_images, 1);
}

TEST_F(SessionTest, ImagesExpandInOrder) {
  TestImage a(3, 1, 2, 30, 20), b(5, 2, 2, 50, 40);
  std::vector<float> ta = encode(a), tb = encode(b);
  std::vector<xgenmm_vision_tokens> images = {{ta.data(), a.tokens()},
                                              {tb.data(), b.tokens()}};
  prefill({1, kImage, 5, kImage, 7}, images);

  Tokens expectedIds = {1};
  expectedIds.insert(expectedIds.end(), a.tokens(), kImage);
  expectedIds.push_back(5);
  expectedIds.insert(expectedIds.end(), b.tokens(), kImage);
  expectedIds.push_back(7);
  EXPECT_EQ(calls().prefillIds, expectedIds);
  std::vector<float> expectedVision = ta;
  expectedVision.insert(expectedVision.end(), tb.begin(), tb.end());
  EXPECT_EQ(calls().prefillVision, expectedVision);
  EXPECT_EQ(xgenmm_session_position(session_), int32_t(expectedIds.size()));
  EXPECT_EQ(xgenmm_session_timings(session_).n_prefill_tokens,
            int32_t(expectedIds.size()));

  Rows rows;
  size_t visionRow = 0;
  for (xgenmm_token id : expectedIds)
    rows.push_back(rowValue(
        id, id == kImage ? expectedVision[kVisionWidth * visionRow++] : 0.0f));
  EXPECT_EQ(generate(greedy(6)), referenceGreedy(rows, 6));
}

TEST_F(SessionTest, BaseModelPlaceholderFormIsKept) {
  TestImage a(3, 1, 2, 30, 20);
  std::vector<float> ta = encode(a);
  std::vector<xgenmm_vision_tokens> images = {{ta.data(), a.tokens()}};
  Tokens ids = {1, kImage};
  ids.insert(ids.end(), a.tokens() - 1, kImagePlaceholder);
  ids.push_back(7);
  prefill(ids, images);
  Tokens expectedIds = {1};
  expectedIds.insert(expectedIds.end(), a.tokens(), kImage);
  expectedIds.push_back(7);
  EXPECT_EQ(calls().prefillIds, expectedIds);
}

TEST_F(SessionTest, PlaceholderCountThatFitsNeitherForm) {
  TestImage a(3, 1, 2, 30, 20);
  std::vector<float> ta = encode(a);
  std::vector<xgenmm_vision_tokens> images = {{ta.data(), a.tokens()}};
  Tokens ids = {1, kImage, kImagePlaceholder, kImagePlaceholder, 7};
  expectError(
      xgenmm_prefill(session_, ids.data(), int32_t(ids.size()), images.data(),
                     1),
      XGENMM_ERROR_INVALID_ARGUMENT,
      "the <image> of image 0 (ids[1]) is followed by 2 <image placeholder> "
      "ids; expected none (the runtime expands <image>) or 5");
}

TEST_F(SessionTest, ImageCountMismatch) {
  TestImage a(3, 1, 2, 30, 20);
  std::vector<float> ta = encode(a);
  std::vector<xgenmm_vision_tokens> images = {{ta.data(), a.tokens()}};
  Tokens twoImages = {1, kImage, kImage};
  expectError(xgenmm_prefill(session_, twoImages.data(), 3, images.data(), 1),
              XGENMM_ERROR_INVALID_ARGUMENT,
              "the prompt has 2 <image> ids (id 16) but 1 images were given");
  Tokens noImage = {1, 2};
  expectError(xgenmm_prefill(session_, noImage.data(), 2, images.data(), 1),
              XGENMM_ERROR_INVALID_ARGUMENT, "the prompt has 0 <image> ids");
  // Already expanded by the caller: one image's worth of <image> ids.
  Tokens expanded(a.tokens(), kImage);
  expectError(xgenmm_prefill(session_, expanded.data(),
                             int32_t(expanded.size()), images.data(), 1),
              XGENMM_ERROR_INVALID_ARGUMENT, "one <image> id per image");
  std::vector<xgenmm_vision_tokens> empty = {{ta.data(), 0}};
  Tokens one = {kImage};
  expectError(xgenmm_prefill(session_, one.data(), 1, empty.data(), 1),
              XGENMM_ERROR_INVALID_ARGUMENT, "images[0].n_tokens is 0");
  std::vector<xgenmm_vision_tokens> noData = {{nullptr, 6}};
  expectError(xgenmm_prefill(session_, one.data(), 1, noData.data(), 1),
              XGENMM_ERROR_INVALID_ARGUMENT, "images[0].data is NULL");
  EXPECT_EQ(xgenmm_session_position(session_), 0);
  EXPECT_EQ(xgenmm_logits(session_), nullptr);
  EXPECT_EQ(calls().prefillCalls, 0);
}

TEST_F(SessionTest, ExpansionCountsTowardsTheLimits) {
  // 5 views = 10 tokens per image: 3 text ids and 3 images = 33 > 32, the
  // most one prefill call takes: two calls, the second with the last image
  // token alone and its vision row (the text, the first 2 images and 9
  // tokens of the third went into the first); the context, 40, holds them.
  TestImage a(5, 2, 2, 50, 40);
  std::vector<float> ta = encode(a);
  std::vector<xgenmm_vision_tokens> images(4, {ta.data(), a.tokens()});
  Tokens ids = {1, 2, 3, kImage, kImage, kImage};
  ASSERT_EQ(xgenmm_prefill(session_, ids.data(), 6, images.data(), 3), XGENMM_OK)
      << xgenmm_last_error();
  EXPECT_EQ(xgenmm_session_position(session_), 33);
  EXPECT_EQ(calls().prefillCalls, 2);
  EXPECT_EQ(calls().prefillPosition, 32);
  EXPECT_EQ(calls().prefillIds, (Tokens{kImage}));
  const float *last = ta.data() + (a.tokens() - 1) * kVisionWidth;
  EXPECT_EQ(calls().prefillVision, std::vector<float>(last, last + kVisionWidth));
  Rows rows = textRows({1, 2, 3});
  for (int image = 0; image < 3; ++image)
    for (int t = 0; t < a.tokens(); ++t)
      rows.push_back(rowValue(kImage, ta[t * kVisionWidth]));
  xgenmm_token next = 0;
  int32_t n = 0;
  xgenmm_generate_params p = greedy(1);
  ASSERT_EQ(xgenmm_generate(session_, &p, &next, &n), XGENMM_OK);
  EXPECT_EQ(next, referenceGreedy(rows, 1)[0]);
  xgenmm_session_reset(session_);
  // 4 images and 1 text id = 41 > 40: the context is reported first.
  ids = {kImage, kImage, kImage, kImage, 1};
  expectError(xgenmm_prefill(session_, ids.data(), 5, images.data(), 4),
              XGENMM_ERROR_CONTEXT_FULL,
              "0 + 41 tokens (after image expansion) exceeds the context of 40");
}

TEST_F(SessionTest, BadImages) {
  auto expectRejected = [&](const TestImage &image,
                            const std::string &fragment) {
    std::vector<float> tokens(kMaxViews * kTokensPerView * kVisionWidth * 2);
    expectError(xgenmm_encode_image(session_, &image.image, tokens.data(),
                                    tokens.size()),
                XGENMM_ERROR_INVALID_ARGUMENT, fragment);
  };
  expectRejected(TestImage(4, 1, 2, 30, 20),
                 "4 views for a 1x2 grid, expected 1 + rows x cols = 3");
  expectRejected(TestImage(7, 2, 3, 30, 20),
                 "7 views (a 2x3 grid), more than the model's 5");
  expectRejected(TestImage(1, 0, 0, 30, 20), "the anyres grid is 0x0");
  expectRejected(TestImage(3, 1, 2, 0, 20), "the image size is 0x20");
  TestImage ok(3, 1, 2, 30, 20);
  std::vector<float> small(ok.tokens() * kVisionWidth - 1);
  expectError(
      xgenmm_encode_image(session_, &ok.image, small.data(), small.size()),
      XGENMM_ERROR_INVALID_ARGUMENT, "tokens holds 17 floats, 18 needed");
  xgenmm_image noPixels = ok.image;
  noPixels.pixels = nullptr;
  expectError(
      xgenmm_encode_image(session_, &noPixels, small.data(), small.size()),
      XGENMM_ERROR_INVALID_ARGUMENT, "image->pixels is NULL");
  EXPECT_EQ(calls().encodeCalls, 0);
}

class BaseModeTest : public SessionTest {
protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(writeArtifactFiles(dir_.path(), error)) << error;
    JsonValue manifest =
        withMember(defaultManifest(dir_.path()), {"encode_image", "anyres"},
                   JsonValue::boolean(false));
    manifest = withMember(manifest, {"encode_image", "max_views"},
                          JsonValue::integer(1));
    ASSERT_TRUE(writeManifest(dir_.path(), manifest, error)) << error;
    load();
  }
};

TEST_F(BaseModeTest, OneViewAndNoGrid) {
  EXPECT_EQ(xgenmm_model_get_info(model_)->anyres, 0);
  TestImage image(1, 0, 0, 30, 20);
  std::vector<float> tokens = encode(image);
  EXPECT_EQ(tokens[1], 0.0f); // grid 0x0 reached the entry point
  std::vector<xgenmm_vision_tokens> images = {{tokens.data(), image.tokens()}};
  prefill({kImage, kImagePlaceholder, 3}, images);
  EXPECT_EQ(calls().prefillIds, (Tokens{kImage, kImage, 3}));

  std::vector<float> out(64);
  TestImage twoViews(2, 1, 1, 30, 20);
  expectError(
      xgenmm_encode_image(session_, &twoViews.image, out.data(), out.size()),
      XGENMM_ERROR_INVALID_ARGUMENT,
      "2 views, expected 1 (the model is in base mode)");
  TestImage withGrid(1, 1, 2, 30, 20);
  expectError(
      xgenmm_encode_image(session_, &withGrid.image, out.data(), out.size()),
      XGENMM_ERROR_INVALID_ARGUMENT, "the grid is 1x2, expected 0x0");
}

} // namespace
