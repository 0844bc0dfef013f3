//===- QuantizeTest.cpp - int8/int4 group quantization round trips --------===//
//
// frontend/Quantize.h is what xgenmm-compile --weights writes into
// weights.bin: per group, scale = max |w| / 127 (int4: / 7) and
// |w - q * scale| <= scale / 2; the group's largest magnitude maps to +-127
// (+-7) exactly; int4 values packed two per byte K-major and back.
//
//===----------------------------------------------------------------------===//
#include "frontend/Quantize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace {

/// Quantizes `rows` x `cols` normal weights (w[5] an outlier when given)
/// with `levels` (127: int8, 7: int4) and checks every group: the step is
/// max |w| / levels, the largest magnitude maps to +-levels, every value is
/// within half a step and dequantizes to q * scale exactly. Returns q and
/// the scales for further checks.
void checkRoundTrip(int levels, unsigned seed, float outlier, std::vector<int8_t> &q,
                    std::vector<float> &scales) {
  const int64_t rows = 7, cols = 96, group = 32;
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.f, 0.05f);
  std::vector<float> w(rows * cols), back(rows * cols);
  for (float &x : w)
    x = dist(rng);
  if (outlier != 0)
    w[5] = outlier; // its group's step grows, the others' do not
  q.assign(rows * cols, 0);
  scales.assign(rows * cols / group, 0);
  if (levels == 127)
    xgenmm::quantizeInt8(w.data(), rows, cols, group, q.data(), scales.data());
  else
    xgenmm::quantizeInt4(w.data(), rows, cols, group, q.data(), scales.data());
  xgenmm::dequantizeInt8(q.data(), scales.data(), rows, cols, group, back.data());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t g = 0; g < cols / group; ++g) {
      float scale = scales[r * (cols / group) + g], amax = 0;
      int maxq = 0;
      for (int64_t i = 0; i < group; ++i) {
        int64_t at = r * cols + g * group + i;
        amax = std::max(amax, std::fabs(w[at]));
        maxq = std::max(maxq, std::abs((int)q[at]));
        EXPECT_LE(std::fabs(w[at] - back[at]), scale / 2 * (1 + 1e-6f)) << "row " << r << " col " << at;
        EXPECT_EQ(back[at], (float)q[at] * scale);
      }
      EXPECT_FLOAT_EQ(scale, amax / (float)levels);
      EXPECT_EQ(maxq, levels) << "row " << r << " group " << g;
    }
}

TEST(Quantize, RoundTripIsWithinHalfAStep) {
  std::vector<int8_t> q;
  std::vector<float> scales;
  checkRoundTrip(127, 1, 3.0f, q, scales);
  EXPECT_EQ(q[5], 127);
  EXPECT_FLOAT_EQ(scales[0], 3.0f / 127.0f);
}

TEST(Quantize, ZeroGroupsAndSignsAndHalves) {
  // Row 0: all zeros (scale 0, values 0); row 1: +-127 at the extremes and
  // exact halves, which round away from zero.
  const int64_t group = 4;
  std::vector<float> w = {0, 0, 0, 0, 127, -127, 0.5, -1.5};
  std::vector<int8_t> q(8);
  std::vector<float> scales(2), back(8);
  xgenmm::quantizeInt8(w.data(), 2, 4, group, q.data(), scales.data());
  EXPECT_EQ(scales[0], 0.0f);
  EXPECT_EQ(scales[1], 1.0f);
  EXPECT_EQ(std::vector<int>(q.begin(), q.end()), (std::vector<int>{0, 0, 0, 0, 127, -127, 1, -2}));
  xgenmm::dequantizeInt8(q.data(), scales.data(), 2, 4, group, back.data());
  EXPECT_EQ(back, (std::vector<float>{0, 0, 0, 0, 127, -127, 1, -2}));
}

TEST(Quantize, Int4RoundTripIsWithinHalfAStep) {
  std::vector<int8_t> q;
  std::vector<float> scales;
  checkRoundTrip(7, 2, 0.0f, q, scales);
  for (int8_t v : q) {
    EXPECT_LE(v, 7);
    EXPECT_GE(v, -7);
  }
}

TEST(Quantize, Int4PackingIsKMajorPairsAndRoundTrips) {
  // values [N = 3][K = 4]: every value in [-7, 7] somewhere, signs mixed.
  std::vector<int8_t> v = {-7, 7, 0, -1,  //
                           1, -2, 3, -4,  //
                           5, -6, -3, 6};
  std::vector<uint8_t> packed(6);
  xgenmm::packInt4KMajor(v.data(), 3, 4, packed.data());
  // packed[k2][n]: low nibble k = 2 k2, high nibble k = 2 k2 + 1.
  EXPECT_EQ(packed[0], (uint8_t)((-7 & 0xF) | (7 << 4)));  // n 0, k 0 and 1
  EXPECT_EQ(packed[1], (uint8_t)((1 & 0xF) | ((-2 & 0xF) << 4)));
  EXPECT_EQ(packed[3], (uint8_t)((0 & 0xF) | ((-1 & 0xF) << 4))); // n 0, k 2 and 3
  EXPECT_EQ(packed[5], (uint8_t)((-3 & 0xF) | (6 << 4)));
  std::vector<int8_t> back(12);
  xgenmm::unpackInt4KMajor(packed.data(), 3, 4, back.data());
  EXPECT_EQ(back, v);
  // A larger random round trip (blocked packing, N and K over one block).
  const int64_t n = 70, k = 150;
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> dist(-7, 7);
  std::vector<int8_t> big(n * k), bigBack(n * k);
  for (int8_t &x : big)
    x = (int8_t)dist(rng);
  std::vector<uint8_t> bigPacked(n * k / 2);
  xgenmm::packInt4KMajor(big.data(), n, k, bigPacked.data());
  xgenmm::unpackInt4KMajor(bigPacked.data(), n, k, bigBack.data());
  EXPECT_EQ(bigBack, big);
}

TEST(Quantize, Int8VnniPanelsHoldFourConsecutiveKPerLaneAndRoundTrip) {
  // values [N = 32][K = 8], panels of 16 columns, offset binary (+128).
  const int64_t n = 32, k = 8, panel = 16;
  std::vector<int8_t> v(n * k);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < k; ++c)
      v[r * k + c] = (int8_t)(((r * 37 + c * 11) % 255) - 127);
  std::vector<uint8_t> packed(n * k);
  xgenmm::packInt8Vnni(v.data(), n, k, panel, packed.data());
  auto at = [&](int64_t r, int64_t c) { return (uint8_t)(v[r * k + c] + 128); };
  // Panel 0, block 0 (k 0..3), column 0: bytes 0..3.
  for (int b = 0; b < 4; ++b)
    EXPECT_EQ(packed[b], at(0, b)) << b;
  // Column 5 of panel 0, block 1 (k 4..7): 64 bytes per block.
  EXPECT_EQ(packed[64 + 4 * 5 + 2], at(5, 6));
  // Panel 1 (columns 16..31) starts after K / 4 = 2 blocks of 64 bytes.
  EXPECT_EQ(packed[2 * 64 + 4 * 3 + 1], at(19, 1));
  std::vector<int8_t> back(n * k);
  xgenmm::unpackInt8Vnni(packed.data(), n, k, panel, back.data());
  EXPECT_EQ(back, v);
}

TEST(Quantize, Int4VnniPanelsHoldFourConsecutiveKPerLaneAndRoundTrip) {
  // values [N = 32][K = 16], panels of 16 columns: value(n, k) = a pattern
  // in [-7, 7] that differs in n and k.
  const int64_t n = 32, k = 16, panel = 16;
  std::vector<int8_t> v(n * k);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < k; ++c)
      v[r * k + c] = (int8_t)(((r * 5 + c * 3) % 15) - 7);
  std::vector<uint8_t> packed(n * k / 2);
  xgenmm::packInt4Vnni(v.data(), n, k, panel, packed.data());
  auto at = [&](int64_t r, int64_t c) { return (uint8_t)(v[r * k + c] + 8); };
  // Panel 0, block 0, column 0: bytes 0..3 hold k 0..3 (low) and 4..7 (high).
  for (int b = 0; b < 4; ++b)
    EXPECT_EQ(packed[b], (uint8_t)(at(0, b) | (at(0, 4 + b) << 4))) << b;
  // Column 5 of panel 0, block 1 (k 8..15): 64 bytes per block.
  EXPECT_EQ(packed[64 + 4 * 5 + 2], (uint8_t)(at(5, 10) | (at(5, 14) << 4)));
  // Panel 1 (columns 16..31) starts after K / 8 blocks of 64 bytes.
  EXPECT_EQ(packed[2 * 64 + 4 * 3 + 1], (uint8_t)(at(19, 1) | (at(19, 5) << 4)));
  std::vector<int8_t> back(n * k);
  xgenmm::unpackInt4Vnni(packed.data(), n, k, panel, back.data());
  EXPECT_EQ(back, v);
  // Random, panels of 64 over 128 columns.
  const int64_t bn = 128, bk = 96;
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> dist(-7, 7);
  std::vector<int8_t> big(bn * bk), bigBack(bn * bk);
  for (int8_t &x : big)
    x = (int8_t)dist(rng);
  std::vector<uint8_t> bigPacked(bn * bk / 2);
  xgenmm::packInt4Vnni(big.data(), bn, bk, 64, bigPacked.data());
  xgenmm::unpackInt4Vnni(bigPacked.data(), bn, bk, 64, bigBack.data());
  EXPECT_EQ(bigBack, big);
}

} // namespace
