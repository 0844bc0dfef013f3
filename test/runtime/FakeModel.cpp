//===- FakeModel.cpp - a fake compiled model for the runtime tests --------===//
//
// See FakeModel.h for what each entry point computes and checks.
//
//===----------------------------------------------------------------------===//

#include "test/runtime/FakeModel.h"
#include "runtime/ArtifactAbi.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

using namespace xgenmm;
using namespace xgenmm::fake;
using abi::MemRef;

namespace {

Calls calls;

[[noreturn]] void violation(const char *what) {
  std::fprintf(stderr, "fake model.so: contract violation: %s\n", what);
  std::abort();
}

void expect(bool condition, const char *what) {
  if (!condition)
    violation(what);
}

template <typename T, int N>
void checkShape(const MemRef<T, N> *m, const int64_t (&sizes)[N],
                const char *what) {
  expect(m && m->aligned && m->offset == 0, what);
  int64_t stride = 1;
  for (int i = N - 1; i >= 0; --i) {
    expect(m->sizes[i] == sizes[i] && m->strides[i] == stride, what);
    stride *= sizes[i];
  }
}

void checkWeights(const MemRef<int8_t, 1> *w) {
  // The weights may be mapped without any alignment promise beyond the page.
  expect(w && w->offset == 0 && w->sizes[0] == int64_t(kWeightsBytes) &&
             w->strides[0] == 1,
         "weights descriptor");
  for (size_t i = 0; i < kWeightsBytes; ++i)
    expect(static_cast<uint8_t>(w->aligned[i]) == weightByte(i),
           "weights content");
}

float *row(MemRef<float, 3> *cache, int64_t layer, int64_t position) {
  return cache->aligned + (layer * kCapacity + position) * kKvWidth;
}

/// Writes the rows of ids[0..n) at `position` (vision rows consumed in
/// order by <image> ids), checks the rows before, and writes the logits of
/// the last one.
void step(const int32_t *ids, int64_t n, const float *vision, int64_t position,
          MemRef<float, 3> *k, MemRef<float, 3> *v, MemRef<float, 2> *logits) {
  checkShape(k, {kLayers, kCapacity, kKvWidth}, "K cache descriptor");
  checkShape(v, {kLayers, kCapacity, kKvWidth}, "V cache descriptor");
  checkShape(logits, {1, kVocabLogits}, "logits descriptor");
  expect(position >= 0 && position + n <= kCapacity,
         "position within the cache");

  for (int64_t r = 0; r < position; ++r)
    for (int64_t l = 0; l < kLayers; ++l) {
      const float *kr = row(k, l, r), *vr = row(v, l, r);
      expect(kr[0] >= 1 && kr[1] == float(r) && kr[3] == float(l + 1),
             "earlier K cache rows written at their positions");
      for (int64_t j = 0; j < kKvWidth; ++j)
        expect(vr[j] == -kr[j], "earlier V cache rows");
    }

  int64_t visionRow = 0;
  for (int64_t i = 0; i < n; ++i) {
    expect(ids[i] >= 0 && ids[i] < kVocabLogits, "ids in the vocabulary");
    float w0 =
        ids[i] == kImage && vision ? vision[visionRow++ * kVisionWidth] : 0;
    for (int64_t l = 0; l < kLayers; ++l) {
      float *kr = row(k, l, position + i), *vr = row(v, l, position + i);
      const float values[kKvWidth] = {float(ids[i] + 1), float(position + i),
                                      w0, float(l + 1)};
      for (int64_t j = 0; j < kKvWidth; ++j) {
        kr[j] = values[j];
        vr[j] = -values[j];
      }
    }
  }

  std::vector<int64_t> values;
  for (int64_t r = 0; r < position + n; ++r)
    values.push_back(static_cast<int64_t>(row(k, kLayers - 1, r)[0]) +
                     std::llround(row(k, kLayers - 1, r)[2]));
  int32_t next = nextToken(values);
  for (int64_t i = 0; i < kVocabLogits; ++i)
    logits->aligned[i] = -std::fabs(float(i - next));
}

} // namespace

extern "C" {

Calls *xgenmm_fake_calls() { return &calls; }

void _mlir_ciface_xgenmm_encode_image(MemRef<int8_t, 1> *weights,
                                      MemRef<float, 4> *pixels,
                                      int64_t gridRows, int64_t gridCols,
                                      int64_t width, int64_t height,
                                      MemRef<float, 3> *out) {
  checkWeights(weights);
  expect(pixels && pixels->sizes[0] >= 1 && pixels->sizes[0] <= kMaxViews,
         "encode_image: 1 to max_views views");
  const int64_t views = pixels->sizes[0];
  checkShape(pixels, {views, 3, kImageSize, kImageSize},
             "encode_image: pixels");
  checkShape(out, {views, kTokensPerView, kVisionWidth}, "encode_image: out");
  for (int64_t view = 0; view < views; ++view) {
    float sum = 0;
    const int64_t perView = 3 * kImageSize * kImageSize;
    for (int64_t i = 0; i < perView; ++i)
      sum += pixels->aligned[view * perView + i];
    for (int64_t t = 0; t < kTokensPerView; ++t) {
      float *o = out->aligned + (view * kTokensPerView + t) * kVisionWidth;
      o[0] = sum + float(t);
      o[1] = float(10 * gridRows + gridCols);
      o[2] = float(1000 * width + height);
    }
  }
  calls.encodeCalls += 1;
  calls.encodeGrid[0] = gridRows;
  calls.encodeGrid[1] = gridCols;
  calls.encodeSize[0] = width;
  calls.encodeSize[1] = height;
}

void _mlir_ciface_xgenmm_prefill(MemRef<int8_t, 1> *weights,
                                 MemRef<int32_t, 1> *ids,
                                 MemRef<float, 2> *vision, int64_t position,
                                 MemRef<float, 3> *kCache,
                                 MemRef<float, 3> *vCache,
                                 MemRef<float, 2> *logits) {
  checkWeights(weights);
  expect(ids && ids->sizes[0] >= 1, "prefill: at least one id");
  expect(ids->sizes[0] <= kPrefillMaxTokens, "prefill: at most prefill.max_tokens ids");
  const int64_t n = ids->sizes[0];
  checkShape(ids, {n}, "prefill: ids");
  int64_t imageIds = 0;
  for (int64_t i = 0; i < n; ++i)
    imageIds += ids->aligned[i] == kImage;
  expect(vision && vision->sizes[0] == imageIds,
         "prefill: one vision row per <image> id");
  expect(vision->sizes[1] == kVisionWidth && vision->offset == 0 &&
             vision->strides[0] == kVisionWidth && vision->strides[1] == 1 &&
             (imageIds == 0 || vision->aligned),
         "prefill: vision descriptor");
  step(ids->aligned, n, vision->aligned, position, kCache, vCache, logits);
  calls.prefillCalls += 1;
  calls.prefillIds.assign(ids->aligned, ids->aligned + n);
  calls.prefillVision.assign(vision->aligned,
                             vision->aligned + imageIds * kVisionWidth);
  calls.prefillPosition = position;
}

void _mlir_ciface_xgenmm_decode(MemRef<int8_t, 1> *weights,
                                MemRef<int32_t, 1> *ids, int64_t position,
                                MemRef<float, 3> *kCache,
                                MemRef<float, 3> *vCache,
                                MemRef<float, 2> *logits) {
  checkWeights(weights);
  checkShape(ids, {1}, "decode: one id");
  step(ids->aligned, 1, nullptr, position, kCache, vCache, logits);
  calls.decodeCalls += 1;
  calls.decodePosition = position;
}

} // extern "C"
