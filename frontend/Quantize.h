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

/// int4 values `rows` (N) x `cols` (K, a multiple of 8) row-major in the
/// panel layout of the int8 dot-product (AVX512-VNNI) kernels:
/// out[((p * (K / 8) + kb) * 4 * panel) + 4 c + b] for column n = p * panel + c
/// (`panel` divides N) holds values[n][8 kb + b] + 8 in its low nibble and
/// values[n][8 kb + 4 + b] + 8 in its high nibble (offset binary, 1..15),
/// b in [0, 4): each 32-bit lane of a 64-byte load is one column's four
/// consecutive K, as vpdpbusd multiplies them.
void packInt4Vnni(const int8_t *values, int64_t rows, int64_t cols, int64_t panel,
                  uint8_t *out);

/// int8 values [rows = N][cols = K] as VNNI panels [N / P, K / 4, 4 P]: per
/// block of 4 K, each 32-bit lane one column's 4 consecutive K, offset
/// binary (value + 128, 1..255: the unsigned operand of vpdpbusd).
void packInt8Vnni(const int8_t *values, int64_t rows, int64_t cols, int64_t panel,
                  uint8_t *out);
/// The inverse of packInt8Vnni.
void unpackInt8Vnni(const uint8_t *packed, int64_t rows, int64_t cols, int64_t panel,
                    int8_t *values);

/// The inverse of packInt4Vnni.
void unpackInt4Vnni(const uint8_t *packed, int64_t rows, int64_t cols, int64_t panel,
                    int8_t *values);

/// `scales` [N][groups] (quantizeInt4's) as f16 in the panels of the VNNI
/// kernels, [N / panel][groups][panel] (IEEE half, round to nearest even).
void packScalesVnni(const float *scales, int64_t rows, int64_t groups, int64_t panel,
                    uint16_t *out);

/// Rounds each of `n` floats to the nearest f16 and back (the scales the
/// VNNI kernels apply, for their dequantized twin).
void roundToF16(float *values, int64_t n);

/// The float weights the quantized ones (int8 or int4) stand for:
/// out = values * scale, rounded to f32 exactly as the kernels compute it.
void dequantizeInt8(const int8_t *values, const float *scales, int64_t rows,
                    int64_t cols, int64_t group, float *out);

} // namespace xgenmm

#endif // XGENMM_FRONTEND_QUANTIZE_H
