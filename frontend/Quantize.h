//===- Quantize.h - group quantization of weights at compile time -*- C++ -*-===//
//
// The numbers behind #xgenmm.quant (dialects/XgenmmBase.td): symmetric int8
// over groups of `group` consecutive elements of a row (the in-features K of
// a [N, K] weight): scale = max |w| / 127, q = round-half-away(w / scale)
// clamped to [-127, 127], w ~ q * scale. A group of zeros has scale 0 and
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

/// The float weights the quantized ones stand for: out = values * scale,
/// rounded to f32 exactly as the kernels compute it.
void dequantizeInt8(const int8_t *values, const float *scales, int64_t rows,
                    int64_t cols, int64_t group, float *out);

} // namespace xgenmm

#endif // XGENMM_FRONTEND_QUANTIZE_H
