//===- LoweringUtils.h - helpers of the xgenmm -> linalg lowering -*- C++ -*-===//
//
// Shared by the per-family lowering files (LowerDense.cpp, LowerNorms.cpp,
// LowerElementwise.cpp, LowerAttention.cpp, LowerTokens.cpp,
// LowerLayerStack.cpp). Everything works on tensors with static or dynamic
// leading dimensions; model math is computed in f32.
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_PASSES_LOWERINGUTILS_H
#define XGENMM_PASSES_LOWERINGUTILS_H

#include "dialects/XgenmmOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::xgenmm::lowering {

inline RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

/// Indexing maps from lists of dimension expressions (the number of dims
/// inferred from the largest one used).
SmallVector<AffineMap>
mapsFromExprs(MLIRContext *ctx,
              std::initializer_list<std::initializer_list<AffineExpr>> lists);

/// Sizes of `v`, static ones as attributes.
SmallVector<OpFoldResult> sizesOf(OpBuilder &b, Location loc, Value v);

/// tensor.empty of the given sizes and element type.
Value emptyTensor(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                  Type elementType);

/// A tensor of `sizes` filled with `value` (an f32 constant).
Value filledTensor(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                   double value);

/// Extends a bf16/f16 scalar to f32 (f32 passes through); a signed integer
/// (an int8 KV cache's values) converts exactly.
Value toF32(OpBuilder &b, Location loc, Value scalar);

/// f32 scalar constant.
Value f32Const(OpBuilder &b, Location loc, double value);

/// Iterator types: all parallel, with the last `reductions` dims reduced.
SmallVector<utils::IteratorType> iterators(unsigned rank, unsigned reductions = 0);

/// Whether `g` is a row-major matmul on tensors as
/// xgenmm-transpose-dense-weights leaves dense layers: one init, two inputs,
/// loops (m, n, k) with maps (m, k), (k, n), (m, n), the last a reduction.
bool isRowMajorMatmul(linalg::GenericOp g);

/// The indexing maps and iterators of out[m, n] += a[m, k] * w[k, n]
/// (`weightKMajor`) or * w[n, k], two inputs and one init.
bool hasMatmulShape(linalg::GenericOp g, bool weightKMajor);

/// Collapses [d0, ..., dn-2, K] into [d0 * ... * dn-2, K] (or expands a
/// vector [K] into [1, K]).
Value collapseToMatrix(OpBuilder &b, Location loc, Value v);

/// The inverse of collapseToMatrix: [M, N] -> [d0, ..., dn-2, N] with the
/// leading sizes of `like`.
Value expandLikeLeading(OpBuilder &b, Location loc, Value m, Value like);

/// out[m, n] = (residual[m, n] +) sum_k a[m, k] * w[n, k] (+ bias[n]),
/// accumulated in f32 into a tensor initialised with the residual and the
/// bias (or zero): a contraction generic the vectorizer recognises, whose
/// epilogue adds cost no pass of their own. `a` [M, K] f32, `w` [N, K] any
/// float, `bias` [N], `residual` [M, N] f32.
Value matmulTransposedB(OpBuilder &b, Location loc, Value a, Value w,
                        Value bias = {}, Value residual = {});

/// The [M, N] f32 accumulator a dense product of `a` [M, K] starts from:
/// residual + bias (broadcast over rows), either optional, or zeros.
Value matmulInit(OpBuilder &b, Location loc, Value a, int64_t n, Value bias,
                 Value residual);

/// out[m, n] = init + sum_k a[m, k] * values[k, n] * scales[k / g, n] over
/// group-quantized weights (xgenmm.quantized_linear, `values` [K, N] i8):
/// a loop over the K / g groups, each one row-major contraction
///   out[m, n] += a[m, k0 + k] * (f32(values[k0 + k, n]) * scales[kg, n])
/// over the group's g rows, marked `xgenmm.matmul` (the schedule's dense
/// tiles; every indexing map a projected permutation) and
/// `xgenmm.quantized`. The weight is dequantized in registers, never
/// materialised. `bits` 4: `values` [K / 2, N], two int4 per byte; each
/// group's contraction runs over its g / 2 stored rows with the even and
/// the odd activation columns as two operands (stride-2 slices), both
/// nibbles unpacked in the body. `values` [N / P, K / 8, 4 P] (int4 VNNI
/// panels, #xgenmm.quant layout "vnni"; int8: [N / P, K / 4, 4 P]): the
/// activations are quantized to
/// int8 per row and group and the products are AVX512-VNNI integer dot
/// products (`vpdpbusd`), scaled per group into the f32 output.
Value quantizedMatmul(OpBuilder &b, Location loc, Value a, Value values,
                      Value scales, int64_t group, int64_t bits = 8, Value bias = {},
                      Value residual = {});

/// The panel width (64, 32 or 16 columns) of VNNI values for `n`
/// output features and groups of `group`, or 0 where the layout does not
/// apply (a group not a multiple of 8, or n not a multiple of 16).
int64_t vnniPanel(int64_t n, int64_t group);

/// Activations `a` [M, K] (f32) quantized to int8 per row and group of
/// `group` consecutive K: scale = max |x| / 127 (0 for a group of zeros),
/// values = round-to-nearest-even(x / scale) in [-127, 127].
struct QuantizedActivations {
  Value values; ///< [M, K] i8
  Value scales; ///< [M, K / group] f32
  Value sums;   ///< [M, K / group] i32, each group's sum of values
};
QuantizedActivations quantizeActivations(OpBuilder &b, Location loc, Value a,
                                         int64_t group);

/// `a` [M, K] rounded through quantizeActivations: values * scale in f32.
Value fakeQuantizeActivations(OpBuilder &b, Location loc, Value a, int64_t group);

/// On an `xgenmm.linear`: its input is rounded through int8 per group of
/// this many features first (the float twin of a kernel that quantizes its
/// activations; xgenmm-quantize-weights{simulate vnni}).
inline constexpr llvm::StringLiteral kActivationGroupAttr = "xgenmm.activation_group";

/// An elementwise function applied to each result of a dense layer.
using Epilogue = function_ref<Value(OpBuilder &, Location, Value)>;

/// linear over the last dimension of any-rank `x`, optionally accumulated
/// onto `residual` (the shape of the result), optionally followed by an
/// `epilogue` applied in place on the [M, N] result before it is reshaped:
/// a generic marked `xgenmm.epilogue` that xgenmm-fuse-epilogues tiles
/// together with the contraction.
Value linearAnyRank(OpBuilder &b, Location loc, Value x, Value w, Value bias,
                    Value residual = {}, Epilogue epilogue = nullptr);

/// linearAnyRank for an xgenmm.linear or xgenmm.quantized_linear `dense`.
Value denseAnyRank(OpBuilder &b, Location loc, Operation *dense,
                   Value residual = {}, Epilogue epilogue = nullptr);

/// GELU in f32 (tanh approximation or exact erf form).
Value gelu(OpBuilder &b, Location l, Value x, GeluApproximation approx);

/// A generic over `out`-shaped iteration space with the given inputs and
/// maps (the output map is the identity), body built by `fn` from the
/// block arguments (inputs then output).
Value elementwise(OpBuilder &b, Location loc, ValueRange inputs,
                  ArrayRef<AffineMap> inputMaps, Value init,
                  function_ref<Value(OpBuilder &, Location, ValueRange)> fn);

// Pattern registration, one per op family.
void populateDenseLoweringPatterns(RewritePatternSet &patterns);
/// add(h, linear(x, W, b)) -> one contraction accumulating onto h + b;
/// gelu(linear(x, W, b)) -> the contraction with a GELU epilogue.
void populateResidualFusionPatterns(RewritePatternSet &patterns);
void populateNormLoweringPatterns(RewritePatternSet &patterns);
void populateElementwiseLoweringPatterns(RewritePatternSet &patterns);
void populateAttentionLoweringPatterns(RewritePatternSet &patterns);
void populateTokenLoweringPatterns(RewritePatternSet &patterns);
void populateLayerStackLoweringPatterns(RewritePatternSet &patterns);

} // namespace mlir::xgenmm::lowering

#endif // XGENMM_PASSES_LOWERINGUTILS_H
