//===- QuantizeTest.cpp - int8 group quantization round trips -------------===//
//
// frontend/Quantize.h is what xgenmm-compile --weights writes into
// weights.bin: per group, scale = max |w| / 127 and |w - q * scale| <=
// scale / 2; the group's largest magnitude maps to +-127 exactly.
//
//===----------------------------------------------------------------------===//
#include "frontend/Quantize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace {

TEST(Quantize, RoundTripIsWithinHalfAStep) {
  const int64_t rows = 7, cols = 96, group = 32;
  std::mt19937 rng(1);
  std::normal_distribution<float> dist(0.f, 0.05f);
  std::vector<float> w(rows * cols), back(rows * cols);
  for (float &x : w)
    x = dist(rng);
  w[5] = 3.0f; // an outlier: its group's step grows, the others' do not
  std::vector<int8_t> q(rows * cols);
  std::vector<float> scales(rows * cols / group);
  xgenmm::quantizeInt8(w.data(), rows, cols, group, q.data(), scales.data());
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
      EXPECT_FLOAT_EQ(scale, amax / 127.0f);
      EXPECT_EQ(maxq, 127) << "row " << r << " group " << g;
    }
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

} // namespace
