//===- LowerNorms.cpp - layer_norm, rms_norm -> linalg --------------------===//
//
// Statistics in f32 over the last dimension with reduction generics, then
// one normalising generic; the consumer fusion of the CPU pipeline decides
// where they end up.
//
//===----------------------------------------------------------------------===//
#include "passes/LoweringUtils.h"

namespace mlir::xgenmm::lowering {
namespace {

/// Maps of a rank-r iteration space: identity, the leading r-1 dims
/// (per-row statistics), and the last dim (per-channel parameters).
struct NormMaps {
  AffineMap full, rows, channel;
  NormMaps(OpBuilder &b, unsigned rank) {
    MLIRContext *ctx = b.getContext();
    full = b.getMultiDimIdentityMap(rank);
    rows = full.getMajorSubMap(rank - 1);
    channel = AffineMap::get(rank, 0, {getAffineDimExpr(rank - 1, ctx)}, ctx);
  }
};

/// mean over the last dimension of f(x) for each row.
Value rowMean(OpBuilder &b, Location loc, Value x,
              function_ref<Value(OpBuilder &, Location, Value, Value)> term,
              Value extra = {}) {
  unsigned rank = tensorType(x).getRank();
  NormMaps maps(b, rank);
  SmallVector<OpFoldResult> sizes = sizesOf(b, loc, x);
  int64_t channels = tensorType(x).getShape().back();
  sizes.pop_back();
  Value acc = filledTensor(b, loc, sizes, 0.0);
  SmallVector<Value> inputs = {x};
  SmallVector<AffineMap> inMaps = {maps.full};
  if (extra) {
    inputs.push_back(extra);
    inMaps.push_back(maps.rows);
  }
  inMaps.push_back(maps.rows);
  Value sum = linalg::GenericOp::create(
                  b, loc, acc.getType(), inputs, ValueRange{acc}, inMaps,
                  iterators(rank, 1),
                  [&](OpBuilder &nb, Location nl, ValueRange args) {
                    Value v = toF32(nb, nl, args[0]);
                    Value t = term(nb, nl, v, extra ? args[1] : Value());
                    linalg::YieldOp::create(
                        nb, nl, ValueRange{arith::AddFOp::create(nb, nl, args.back(), t)});
                  })
                  .getResult(0);
  Value inv = f32Const(b, loc, 1.0 / (double)channels);
  return elementwise(b, loc, ValueRange{sum}, {b.getMultiDimIdentityMap(rank - 1)},
                     emptyTensor(b, loc, sizes, b.getF32Type()),
                     [&](OpBuilder &nb, Location nl, ValueRange args) {
                       return arith::MulFOp::create(nb, nl, args[0], inv).getResult();
                     });
}

struct LowerLayerNorm : OpRewritePattern<LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LayerNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    unsigned rank = tensorType(x).getRank();
    NormMaps maps(rewriter, rank);
    Value mean = rowMean(rewriter, loc, x,
                         [](OpBuilder &, Location, Value v, Value) { return v; });
    // Biased variance, as nn.LayerNorm: mean((x - mean)^2).
    Value var = rowMean(
        rewriter, loc, x,
        [](OpBuilder &b, Location l, Value v, Value m) {
          Value d = arith::SubFOp::create(b, l, v, m);
          return arith::MulFOp::create(b, l, d, d).getResult();
        },
        mean);
    Value eps = f32Const(rewriter, loc, op.getEpsilonAttr().getValueAsDouble());
    Value out = elementwise(
        rewriter, loc, ValueRange{x, mean, var, op.getGamma(), op.getBeta()},
        {maps.full, maps.rows, maps.rows, maps.channel, maps.channel},
        emptyTensor(rewriter, loc, sizesOf(rewriter, loc, x), rewriter.getF32Type()),
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value inv = math::RsqrtOp::create(b, l, arith::AddFOp::create(b, l, a[2], eps));
          Value n = arith::MulFOp::create(
              b, l, arith::SubFOp::create(b, l, toF32(b, l, a[0]), a[1]), inv);
          return arith::AddFOp::create(
                     b, l, arith::MulFOp::create(b, l, n, toF32(b, l, a[3])),
                     toF32(b, l, a[4]))
              .getResult();
        });
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct LowerRmsNorm : OpRewritePattern<RmsNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RmsNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    unsigned rank = tensorType(x).getRank();
    NormMaps maps(rewriter, rank);
    Value ms = rowMean(rewriter, loc, x, [](OpBuilder &b, Location l, Value v, Value) {
      return arith::MulFOp::create(b, l, v, v).getResult();
    });
    Value eps = f32Const(rewriter, loc, op.getEpsilonAttr().getValueAsDouble());
    // Phi3RMSNorm: gamma * (x * rsqrt(mean(x^2) + eps)).
    Value out = elementwise(
        rewriter, loc, ValueRange{x, ms, op.getGamma()},
        {maps.full, maps.rows, maps.channel},
        emptyTensor(rewriter, loc, sizesOf(rewriter, loc, x), rewriter.getF32Type()),
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value inv = math::RsqrtOp::create(b, l, arith::AddFOp::create(b, l, a[1], eps));
          Value n = arith::MulFOp::create(b, l, toF32(b, l, a[0]), inv);
          return arith::MulFOp::create(b, l, toF32(b, l, a[2]), n).getResult();
        });
    rewriter.replaceOp(op, out);
    return success();
  }
};

} // namespace

void populateNormLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerLayerNorm, LowerRmsNorm>(patterns.getContext());
}

} // namespace mlir::xgenmm::lowering
