//===- LowerElementwise.cpp - add, gelu, swiglu, split, broadcast ---------===//
#include "passes/LoweringUtils.h"

#include <cmath>

namespace mlir::xgenmm::lowering {

/// GELU in f32. tanh: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)));
/// exact: 0.5 x (1 + erf(x / sqrt 2)).
Value gelu(OpBuilder &b, Location l, Value x, GeluApproximation approx) {
  Value half = f32Const(b, l, 0.5), one = f32Const(b, l, 1.0);
  Value inner;
  if (approx == GeluApproximation::tanh) {
    Value x3 = arith::MulFOp::create(b, l, arith::MulFOp::create(b, l, x, x), x);
    Value poly = arith::AddFOp::create(
        b, l, x, arith::MulFOp::create(b, l, f32Const(b, l, 0.044715), x3));
    inner = math::TanhOp::create(
        b, l, arith::MulFOp::create(b, l, f32Const(b, l, std::sqrt(2.0 / M_PI)), poly));
  } else {
    inner = math::ErfOp::create(
        b, l, arith::MulFOp::create(b, l, x, f32Const(b, l, 1.0 / std::sqrt(2.0))));
  }
  return arith::MulFOp::create(
      b, l, arith::MulFOp::create(b, l, half, x),
      arith::AddFOp::create(b, l, one, inner));
}

namespace {

/// The map reading a trailing-broadcast operand of rank `r` inside a rank
/// `rank` iteration space.
AffineMap trailingMap(OpBuilder &b, unsigned rank, unsigned r) {
  SmallVector<AffineExpr> exprs;
  for (unsigned i = rank - r; i < rank; ++i)
    exprs.push_back(getAffineDimExpr(i, b.getContext()));
  return AffineMap::get(rank, 0, exprs, b.getContext());
}

Value emptyF32Like(OpBuilder &b, Location loc, Value x) {
  return emptyTensor(b, loc, sizesOf(b, loc, x), b.getF32Type());
}

struct LowerAdd : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    unsigned rank = tensorType(op.getLhs()).getRank();
    unsigned r = tensorType(op.getRhs()).getRank();
    rewriter.replaceOp(
        op, elementwise(rewriter, loc, ValueRange{op.getLhs(), op.getRhs()},
                        {rewriter.getMultiDimIdentityMap(rank),
                         trailingMap(rewriter, rank, r)},
                        emptyF32Like(rewriter, loc, op.getLhs()),
                        [](OpBuilder &b, Location l, ValueRange a) {
                          return arith::AddFOp::create(b, l, a[0], a[1]).getResult();
                        }));
    return success();
  }
};

struct LowerGelu : OpRewritePattern<GeluOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GeluOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    unsigned rank = tensorType(op.getInput()).getRank();
    GeluApproximation approx = op.getApproximation();
    rewriter.replaceOp(
        op, elementwise(rewriter, loc, ValueRange{op.getInput()},
                        {rewriter.getMultiDimIdentityMap(rank)},
                        emptyF32Like(rewriter, loc, op.getInput()),
                        [&](OpBuilder &b, Location l, ValueRange a) {
                          return gelu(b, l, a[0], approx);
                        }));
    return success();
  }
};

/// The columns [offset, offset + width) of the last dimension of `x`.
Value lastDimSlice(OpBuilder &b, Location loc, Value x, int64_t offset,
                   int64_t width) {
  RankedTensorType t = tensorType(x);
  unsigned rank = t.getRank();
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
  offsets.back() = b.getIndexAttr(offset);
  SmallVector<OpFoldResult> sizes = sizesOf(b, loc, x);
  sizes.back() = b.getIndexAttr(width);
  SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
  SmallVector<int64_t> shape(t.getShape());
  shape.back() = width;
  return tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get(shape, t.getElementType()), x, offsets,
      sizes, strides);
}

/// silu(gate) * up = gate / (1 + exp(-gate)) * up.
struct LowerSwiGlu : OpRewritePattern<SwiGluOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SwiGluOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t f = tensorType(op.getResult()).getShape().back();
    Value gate = lastDimSlice(rewriter, loc, op.getInput(), 0, f);
    Value up = lastDimSlice(rewriter, loc, op.getInput(), f, f);
    unsigned rank = tensorType(gate).getRank();
    AffineMap id = rewriter.getMultiDimIdentityMap(rank);
    rewriter.replaceOp(
        op, elementwise(rewriter, loc, ValueRange{gate, up}, {id, id},
                        emptyF32Like(rewriter, loc, gate),
                        [](OpBuilder &b, Location l, ValueRange a) {
                          Value g = a[0];
                          Value e = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, g));
                          Value s = arith::DivFOp::create(
                              b, l, g, arith::AddFOp::create(b, l, f32Const(b, l, 1.0), e));
                          return arith::MulFOp::create(b, l, s, a[1]).getResult();
                        }));
    return success();
  }
};

struct LowerSplit : OpRewritePattern<SplitOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SplitOp op, PatternRewriter &rewriter) const override {
    SmallVector<Value> parts;
    for (unsigned i = 0; i < op.getNumResults(); ++i)
      parts.push_back(lastDimSlice(rewriter, op.getLoc(), op.getInput(),
                                   op.getOffset(i),
                                   tensorType(op.getResult(i)).getShape().back()));
    rewriter.replaceOp(op, parts);
    return success();
  }
};

struct LowerBroadcast : OpRewritePattern<BroadcastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BroadcastOp op, PatternRewriter &rewriter) const override {
    RankedTensorType out = tensorType(op.getResult());
    unsigned added = out.getRank() - tensorType(op.getInput()).getRank();
    SmallVector<OpFoldResult> sizes;
    auto dyn = op.getDynamicSizes().begin();
    for (unsigned i = 0; i < out.getRank(); ++i)
      sizes.push_back(out.isDynamicDim(i) ? OpFoldResult(*dyn++)
                                          : rewriter.getIndexAttr(out.getDimSize(i)));
    Value init = emptyTensor(rewriter, op.getLoc(), sizes, out.getElementType());
    SmallVector<int64_t> dims;
    for (unsigned i = 0; i < added; ++i)
      dims.push_back(i);
    rewriter.replaceOp(op, linalg::BroadcastOp::create(rewriter, op.getLoc(),
                                                       op.getInput(), init, dims)
                               .getResult());
    return success();
  }
};

} // namespace

void populateElementwiseLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerAdd, LowerGelu, LowerSwiGlu, LowerSplit, LowerBroadcast>(
      patterns.getContext());
}

} // namespace mlir::xgenmm::lowering
