//===- Quantize.cpp - group quantization of weights at compile time -------===//
#include "frontend/Quantize.h"

#include <cstring>

#include <algorithm>
#include <cmath>

namespace xgenmm {

void quantizeSymmetric(const float *w, int64_t rows, int64_t cols, int64_t group,
                       int levels, int8_t *values, float *scales) {
  const float top = (float)levels;
  int64_t groups = cols / group;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t g = 0; g < groups; ++g) {
      const float *x = w + r * cols + g * group;
      int8_t *q = values + r * cols + g * group;
      float amax = 0.0f;
      for (int64_t i = 0; i < group; ++i)
        amax = std::max(amax, std::fabs(x[i]));
      float scale = amax / top;
      scales[r * groups + g] = scale;
      float inv = scale > 0.0f ? 1.0f / scale : 0.0f;
      for (int64_t i = 0; i < group; ++i) {
        float v = std::round(x[i] * inv); // halves away from zero
        q[i] = (int8_t)std::clamp(v, -top, top);
      }
    }
}

void quantizeInt8(const float *w, int64_t rows, int64_t cols, int64_t group,
                  int8_t *values, float *scales) {
  quantizeSymmetric(w, rows, cols, group, 127, values, scales);
}

void quantizeInt4(const float *w, int64_t rows, int64_t cols, int64_t group,
                  int8_t *values, float *scales) {
  quantizeSymmetric(w, rows, cols, group, 7, values, scales);
}

void packInt4KMajor(const int8_t *values, int64_t rows, int64_t cols, uint8_t *out) {
  // out[k2][n] = lo: values[n][2 k2], hi: values[n][2 k2 + 1]; blocked over
  // (n, k2) so that both sides stay in cache.
  constexpr int64_t kBlock = 64;
  int64_t pairs = cols / 2;
  for (int64_t n0 = 0; n0 < rows; n0 += kBlock)
    for (int64_t p0 = 0; p0 < pairs; p0 += kBlock)
      for (int64_t n = n0; n < std::min(rows, n0 + kBlock); ++n)
        for (int64_t p = p0; p < std::min(pairs, p0 + kBlock); ++p) {
          uint8_t lo = (uint8_t)values[n * cols + 2 * p] & 0xF;
          uint8_t hi = (uint8_t)values[n * cols + 2 * p + 1] & 0xF;
          out[p * rows + n] = (uint8_t)(lo | (hi << 4));
        }
}

void unpackInt4KMajor(const uint8_t *packed, int64_t rows, int64_t cols, int8_t *values) {
  for (int64_t p = 0; p < cols / 2; ++p)
    for (int64_t n = 0; n < rows; ++n) {
      auto byte = (int8_t)packed[p * rows + n];
      // Sign-extend each nibble: (b << 4) >> 4 and b >> 4, arithmetic.
      values[n * cols + 2 * p] = (int8_t)((int8_t)(byte << 4) >> 4);
      values[n * cols + 2 * p + 1] = (int8_t)(byte >> 4);
    }
}

void packInt4Vnni(const int8_t *values, int64_t rows, int64_t cols, int64_t panel,
                  uint8_t *out) {
  int64_t blocks = cols / 8;
  for (int64_t p = 0; p < rows / panel; ++p)
    for (int64_t c = 0; c < panel; ++c) {
      const int8_t *row = values + (p * panel + c) * cols;
      for (int64_t kb = 0; kb < blocks; ++kb) {
        uint8_t *dst = out + (p * blocks + kb) * 4 * panel + 4 * c;
        for (int64_t b = 0; b < 4; ++b) {
          auto lo = (uint8_t)(row[8 * kb + b] + 8);
          auto hi = (uint8_t)(row[8 * kb + 4 + b] + 8);
          dst[b] = (uint8_t)(lo | (hi << 4));
        }
      }
    }
}

void unpackInt4Vnni(const uint8_t *packed, int64_t rows, int64_t cols, int64_t panel,
                    int8_t *values) {
  int64_t blocks = cols / 8;
  for (int64_t n = 0; n < rows; ++n) {
    int64_t p = n / panel, c = n % panel;
    for (int64_t kb = 0; kb < blocks; ++kb)
      for (int64_t b = 0; b < 4; ++b) {
        uint8_t byte = packed[(p * blocks + kb) * 4 * panel + 4 * c + b];
        values[n * cols + 8 * kb + b] = (int8_t)((byte & 0xF) - 8);
        values[n * cols + 8 * kb + 4 + b] = (int8_t)((byte >> 4) - 8);
      }
  }
}

void packInt8Vnni(const int8_t *values, int64_t rows, int64_t cols, int64_t panel,
                  uint8_t *out) {
  int64_t blocks = cols / 4;
  for (int64_t p = 0; p < rows / panel; ++p)
    for (int64_t c = 0; c < panel; ++c) {
      const int8_t *row = values + (p * panel + c) * cols;
      for (int64_t kb = 0; kb < blocks; ++kb) {
        uint8_t *dst = out + (p * blocks + kb) * 4 * panel + 4 * c;
        for (int64_t b = 0; b < 4; ++b)
          dst[b] = (uint8_t)(row[4 * kb + b] + 128);
      }
    }
}

void unpackInt8Vnni(const uint8_t *packed, int64_t rows, int64_t cols, int64_t panel,
                    int8_t *values) {
  int64_t blocks = cols / 4;
  for (int64_t n = 0; n < rows; ++n) {
    int64_t p = n / panel, c = n % panel;
    for (int64_t kb = 0; kb < blocks; ++kb)
      for (int64_t b = 0; b < 4; ++b)
        values[n * cols + 4 * kb + b] =
            (int8_t)((int)packed[(p * blocks + kb) * 4 * panel + 4 * c + b] - 128);
  }
}

void packScalesVnni(const float *scales, int64_t rows, int64_t groups, int64_t panel,
                    uint16_t *out) {
  for (int64_t n = 0; n < rows; ++n) {
    int64_t p = n / panel, c = n % panel;
    for (int64_t j = 0; j < groups; ++j) {
      auto h = (_Float16)scales[n * groups + j];
      std::memcpy(&out[(p * groups + j) * panel + c], &h, 2);
    }
  }
}

void roundToF16(float *values, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    values[i] = (float)(_Float16)values[i];
}

void dequantizeInt8(const int8_t *values, const float *scales, int64_t rows,
                    int64_t cols, int64_t group, float *out) {
  int64_t groups = cols / group;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      out[r * cols + c] = (float)values[r * cols + c] * scales[r * groups + c / group];
}

} // namespace xgenmm
