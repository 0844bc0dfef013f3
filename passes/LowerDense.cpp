//===- LowerDense.cpp - linear, lm_head, patch_embed -> linalg ------------===//
//
// Every dense layer becomes one contraction generic out[m, n] += a[m, k] *
// w[n, k] over the flattened leading dimensions, initialised with its bias:
// the shape the CPU and GPU schedules tile, pack and vectorise.
//
//===----------------------------------------------------------------------===//
#include "passes/LoweringUtils.h"

namespace mlir::xgenmm::lowering {
namespace {

struct LowerLinear : OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, denseAnyRank(rewriter, op.getLoc(), op));
    return success();
  }
};

/// The quantized linear: one generic with the scales applied in its body.
struct LowerQuantizedLinear : OpRewritePattern<QuantizedLinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizedLinearOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, denseAnyRank(rewriter, op.getLoc(), op));
    return success();
  }
};

/// concat((x W^T + b)[..., :base], x Wa^T + ba): the unused rows of W are
/// never multiplied.
struct LowerLmHead : OpRewritePattern<LmHeadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LmHeadOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t base = op.getBaseVocab();
    auto rows = [&](Value v, int64_t n) -> Value {
      RankedTensorType t = tensorType(v);
      if (t.getDimSize(0) == n)
        return v;
      SmallVector<int64_t> shape(t.getShape());
      shape[0] = n;
      SmallVector<OpFoldResult> offsets(t.getRank(), rewriter.getIndexAttr(0));
      SmallVector<OpFoldResult> sizes, strides(t.getRank(), rewriter.getIndexAttr(1));
      for (int64_t d : shape)
        sizes.push_back(rewriter.getIndexAttr(d));
      return tensor::ExtractSliceOp::create(
          rewriter, loc, RankedTensorType::get(shape, t.getElementType()), v,
          offsets, sizes, strides);
    };
    Value x = op.getInput();
    Value baseLogits = linearAnyRank(rewriter, loc, x, rows(op.getWeight(), base),
                                     rows(op.getBias(), base));
    Value extraLogits = linearAnyRank(rewriter, loc, x, op.getExtraWeight(),
                                      op.getExtraBias());
    int64_t rank = tensorType(x).getRank();
    rewriter.replaceOpWithNewOp<tensor::ConcatOp>(
        op, op.getType(), rank - 1, ValueRange{baseLogits, extraLogits});
    return success();
  }
};

/// im2col (a gather generic) + one contraction with the [C, Cin*p*p]
/// weight + bias, then the position embedding added over the views.
struct LowerPatchEmbed : OpRewritePattern<PatchEmbedOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(PatchEmbedOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value pixels = op.getPixels();
    ArrayRef<int64_t> w = tensorType(op.getWeight()).getShape();
    int64_t cin = w[1], p = w[2];
    int64_t side = tensorType(pixels).getDimSize(3) / p;
    int64_t rowsPerImage = tensorType(pixels).getDimSize(2) / p;
    int64_t tokens = rowsPerImage * side, patch = cin * p * p;

    // patches[n, t, (ci * p + ky) * p + kx] = pixels[n, ci, ty*p+ky, tx*p+kx]
    SmallVector<OpFoldResult> sizes = {tensor::getMixedSize(rewriter, loc, pixels, 0),
                                       rewriter.getIndexAttr(tokens),
                                       rewriter.getIndexAttr(patch)};
    Value init = emptyTensor(rewriter, loc, sizes, tensorType(pixels).getElementType());
    Value patches =
        linalg::GenericOp::create(
            rewriter, loc, init.getType(), ValueRange{}, ValueRange{init},
            SmallVector<AffineMap>{rewriter.getMultiDimIdentityMap(3)},
            iterators(3),
            [&](OpBuilder &b, Location l, ValueRange) {
              Value n = linalg::IndexOp::create(b, l, 0);
              Value t = linalg::IndexOp::create(b, l, 1);
              Value j = linalg::IndexOp::create(b, l, 2);
              auto cst = [&](int64_t v) {
                return arith::ConstantIndexOp::create(b, l, v).getResult();
              };
              Value ci = arith::DivUIOp::create(b, l, j, cst(p * p));
              Value rem = arith::RemUIOp::create(b, l, j, cst(p * p));
              Value ky = arith::DivUIOp::create(b, l, rem, cst(p));
              Value kx = arith::RemUIOp::create(b, l, rem, cst(p));
              Value ty = arith::DivUIOp::create(b, l, t, cst(side));
              Value tx = arith::RemUIOp::create(b, l, t, cst(side));
              Value y = arith::AddIOp::create(
                  b, l, arith::MulIOp::create(b, l, ty, cst(p)), ky);
              Value x = arith::AddIOp::create(
                  b, l, arith::MulIOp::create(b, l, tx, cst(p)), kx);
              Value v = tensor::ExtractOp::create(b, l, pixels,
                                                  ValueRange{n, ci, y, x});
              linalg::YieldOp::create(b, l, v);
            })
            .getResult(0);
    Value weight2d = tensor::CollapseShapeOp::create(
        rewriter, loc, op.getWeight(),
        SmallVector<ReassociationIndices>{{0}, {1, 2, 3}});
    Value emb = linearAnyRank(rewriter, loc, patches, weight2d, op.getBias());
    // + position[t, c], broadcast over the views.
    AffineMap posMap = AffineMap::get(
        3, 0, {getAffineDimExpr(1, ctx), getAffineDimExpr(2, ctx)}, ctx);
    Value out = elementwise(
        rewriter, loc, ValueRange{emb, op.getPosition()},
        {rewriter.getMultiDimIdentityMap(3), posMap},
        emptyTensor(rewriter, loc, sizesOf(rewriter, loc, emb), rewriter.getF32Type()),
        [](OpBuilder &b, Location l, ValueRange args) {
          return arith::AddFOp::create(b, l, args[0], toF32(b, l, args[1]))
              .getResult();
        });
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// A residual connection h + linear(x, W, b) where the linear has no other
/// use: the contraction starts from h + b instead of b, so the residual add
/// is fused into the matmul (no separate pass over the activations).
struct FuseResidualIntoLinear : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp op, PatternRewriter &rewriter) const override {
    if (op.getLhs().getType() != op.getRhs().getType())
      return rewriter.notifyMatchFailure(op, "broadcasting add");
    for (auto [linearSide, residual] :
         {std::pair{op.getRhs(), op.getLhs()}, std::pair{op.getLhs(), op.getRhs()}}) {
      Operation *linear = linearSide.getDefiningOp();
      if (!isa_and_nonnull<LinearOp, QuantizedLinearOp>(linear) || !linear->hasOneUse())
        continue;
      Value fused = denseAnyRank(rewriter, op.getLoc(), linear, residual);
      rewriter.replaceOp(op, fused);
      rewriter.eraseOp(linear);
      return success();
    }
    return rewriter.notifyMatchFailure(op, "no single-use linear operand");
  }
};

/// gelu(linear(x, W, b)) where the linear has no other use: the GELU
/// becomes the contraction's epilogue (applied in place on its [M, N]
/// result), which xgenmm-fuse-epilogues tiles with it, so each cache tile
/// of the product is finished while it is still in cache.
struct FuseGeluIntoLinear : OpRewritePattern<GeluOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GeluOp op, PatternRewriter &rewriter) const override {
    Operation *linear = op.getInput().getDefiningOp();
    if (!isa_and_nonnull<LinearOp, QuantizedLinearOp>(linear) || !linear->hasOneUse())
      return rewriter.notifyMatchFailure(op, "input is not a single-use linear");
    GeluApproximation approx = op.getApproximation();
    Value fused = denseAnyRank(rewriter, op.getLoc(), linear, Value(),
                               [&](OpBuilder &b, Location l, Value v) {
                                 return gelu(b, l, v, approx);
                               });
    rewriter.replaceOp(op, fused);
    rewriter.eraseOp(linear);
    return success();
  }
};

} // namespace

void populateResidualFusionPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseResidualIntoLinear, FuseGeluIntoLinear>(patterns.getContext());
}

void populateDenseLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerLinear, LowerQuantizedLinear, LowerLmHead, LowerPatchEmbed>(
      patterns.getContext());
}

} // namespace mlir::xgenmm::lowering
