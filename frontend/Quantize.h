//===- Quantize.h - group quantization of weights at compile time -*- C++ -*-===//
//
// The numbers behind #xgenmm.quant (dialects/XgenmmBase.td): symmetric int8
// over groups of `group` consecutive elements of a row (the in-features K of
// a [N, K] weight): scale = max |w| / 127, q = round-half-away(w / scale)
// clamped to [-127, 127], w ~ q * scale; int4 the same with 7 for 127
// (values in [-7, 7]), stored two per byte. A group of zeros has scale 0 and
// values 0. LLVM-free: the compiler's weight writer and the unit tests use it.
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_FRONTEND_QUANTIZE_H
#define XGENMM_FRONTEND_QUANTIZE_H

#include <cstdint>

namespace xgenmm {

/// Quantizes `rows` x `cols` row-major `w` in groups of `group` along the
/// columns (`cols` a multiple of `group`): `values` rows x cols, `scales`
/// rows x (cols / group).
void quantizeInt8(const float *w, int64_t rows, int64_t cols, int64_t group,
                  int8_t *values, float *scales);

/// The same with values in [-7, 7] (one int8 per value; packInt4KMajor
/// stores them two per byte).
void quantizeInt4(const float *w, int64_t rows, int64_t cols, int64_t group,
                  int8_t *values, float *scales);

/// int4 values `rows` (N) x `cols` (K, even) row-major, as the kernels
/// stream them: K-major pairs, out[k2 * N + n] holds values[n][2 k2] in its
/// low nibble and values[n][2 k2 + 1] in its high nibble (two's complement).
void packInt4KMajor(const int8_t *values, int64_t rows, int64_t cols, uint8_t *out);

/// The inverse of packInt4KMajor (nibbles sign-extended).
void unpackInt4KMajor(const uint8_t *packed, int64_t rows, int64_t cols, int8_t *values);

/// The float weights the quantized ones (int8 or int4) stand for:
/// out = values * scale, rounded to f32 exactly as the kernels compute it.
void dequantizeInt8(const int8_t *values, const float *scales, int64_t rows,
                    int64_t cols, int64_t group, float *out);

} // namespace xgenmm

#endif // XGENMM_FRONTEND_QUANTIZE_H
