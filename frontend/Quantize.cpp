//===- Quantize.cpp - group quantization of weights at compile time -------===//
#include "frontend/Quantize.h"

#include <algorithm>
#include <cmath>

namespace xgenmm {

void quantizeInt8(const float *w, int64_t rows, int64_t cols, int64_t group,
                  int8_t *values, float *scales) {
  int64_t groups = cols / group;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t g = 0; g < groups; ++g) {
      const float *x = w + r * cols + g * group;
      int8_t *q = values + r * cols + g * group;
      float amax = 0.0f;
      for (int64_t i = 0; i < group; ++i)
        amax = std::max(amax, std::fabs(x[i]));
      float scale = amax / 127.0f;
      scales[r * groups + g] = scale;
      float inv = scale > 0.0f ? 1.0f / scale : 0.0f;
      for (int64_t i = 0; i < group; ++i) {
        float v = std::round(x[i] * inv); // halves away from zero
        q[i] = (int8_t)std::clamp(v, -127.0f, 127.0f);
      }
    }
}

void dequantizeInt8(const int8_t *values, const float *scales, int64_t rows,
                    int64_t cols, int64_t group, float *out) {
  int64_t groups = cols / group;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      out[r * cols + c] = (float)values[r * cols + c] * scales[r * groups + c / group];
}

} // namespace xgenmm
