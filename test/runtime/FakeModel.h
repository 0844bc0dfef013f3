//===- FakeModel.h - geometry and rules of the fake compiled model -*- C++
//-*-===//
//
// FakeModel.cpp builds a model.so with the three entry points of
// ArtifactAbi.h that computes nothing but simple, exactly predictable
// functions of its inputs, so that the tests can check what the runtime
// passes in and what it does with the results:
//
//  * encode_image writes, for view v and token t of an image,
//      [sum of the pixels of view v + t, 10 * gridRows + gridCols,
//       1000 * width + height].
//  * prefill and decode write, for the token at position p with id x (and
//    vision row w when x is <image>, else zeros), in every layer l,
//      K[l][p] = [x + 1, p, w[0], l + 1] and V[l][p] = -K[l][p];
//    then they check that every row before p is written that way and
//    compute the logits of the last position q from the cache rows 0..q:
//      next = (q + 1 + sum over r of value(r) * (r + 1)) mod kNextModulus,
//      with value(r) = K[r][0] + llround(K[r][2]),
//      logits[i] = -|i - next|.
//    So greedy decoding depends on every id, every vision row and every
//    position the runtime passed, and on the cache surviving between calls.
//  * Every entry point checks the weights it gets (kWeightsBytes bytes of
//    weightByte(i)) and the shapes and strides of every descriptor, and
//    aborts with a message on any violation of the contract.
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_TEST_RUNTIME_FAKEMODEL_H
#define XGENMM_TEST_RUNTIME_FAKEMODEL_H

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace xgenmm::fake {

constexpr int64_t kImageSize = 4;
constexpr int64_t kMaxViews = 5;
constexpr int64_t kTokensPerView = 2;
constexpr int64_t kVisionWidth = 3;
constexpr int64_t kPrefillMaxTokens = 32;
constexpr int64_t kLayers = 2;
constexpr int64_t kCapacity = 40;
constexpr int64_t kKvWidth = 4;
constexpr int64_t kVocabBase = 16;
constexpr int64_t kVocabLogits = 19;
constexpr int32_t kImage = 16, kImagePlaceholder = 17, kEndOfChunk = 18;
constexpr int32_t kBos = 1, kEos = 2, kPad = 2;
/// Tokens the rule produces: [0, kNextModulus), all below the added ids.
constexpr int64_t kNextModulus = 13;

constexpr size_t kWeightsBytes = 200;
inline uint8_t weightByte(size_t i) { return static_cast<uint8_t>(i * 7 + 3); }

/// What the fake model records of its last calls, read by the tests through
/// the extra symbol kCallsSymbol of model.so.
struct Calls {
  int encodeCalls = 0, prefillCalls = 0, decodeCalls = 0;
  std::vector<int32_t> prefillIds;  // ids of the last prefill
  std::vector<float> prefillVision; // its vision rows, [V, kVisionWidth]
  int64_t prefillPosition = -1;
  int64_t decodePosition = -1; // of the last decode
  int64_t encodeGrid[2] = {-1, -1}, encodeSize[2] = {-1, -1};
};
constexpr const char *kCallsSymbol = "xgenmm_fake_calls";
using CallsFn = Calls *(*)();

/// The value one sequence row contributes to the next-token rule.
inline int64_t rowValue(int32_t id, float vision0) {
  return id + 1 + std::llround(vision0);
}

/// The rule above over `values[0..n)`, the row values of a whole sequence.
inline int32_t nextToken(const std::vector<int64_t> &values) {
  // The length term keeps a token whose value is 0 modulo kNextModulus from
  // repeating itself forever.
  int64_t sum = static_cast<int64_t>(values.size());
  for (size_t r = 0; r < values.size(); ++r)
    sum += values[r] * static_cast<int64_t>(r + 1);
  return static_cast<int32_t>(((sum % kNextModulus) + kNextModulus) %
                              kNextModulus);
}

} // namespace xgenmm::fake

#endif // XGENMM_TEST_RUNTIME_FAKEMODEL_H
