//===- LowerTokens.cpp - embed, splice, anyres_regroup -> linalg/scf ------===//
//
// Data-dependent indexing: gathers written as generics that compute their
// source index and read it with tensor.extract, and the splice as a loop
// over sequence rows (a prefix count of image ids).
//
//===----------------------------------------------------------------------===//
#include "passes/LoweringUtils.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::xgenmm::lowering {
namespace {

Value indexConst(OpBuilder &b, Location l, int64_t v) {
  return arith::ConstantIndexOp::create(b, l, v);
}

/// Token id -> index, clamped into [0, limit) so that a bad id can never
/// read outside the table (the runtime rejects such ids before the call).
Value clampedIndex(OpBuilder &b, Location l, Value id, int64_t limit) {
  Value i64 = id.getType().isInteger(64)
                  ? id
                  : arith::ExtSIOp::create(b, l, b.getI64Type(), id).getResult();
  Value lo = arith::ConstantIntOp::create(b, l, b.getI64Type(), 0);
  Value hi = arith::ConstantIntOp::create(b, l, b.getI64Type(), limit - 1);
  Value c = arith::MinSIOp::create(b, l, arith::MaxSIOp::create(b, l, i64, lo), hi);
  return arith::IndexCastOp::create(b, l, b.getIndexType(), c);
}

/// out[..., c] = id < base ? table[id, c] : extra[id - base, c].
struct LowerEmbed : OpRewritePattern<EmbedOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(EmbedOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value ids = op.getIds(), table = op.getTable(), extra = op.getExtra();
    int64_t base = op.getBaseVocab(), vocab = op.getVocabSize();
    int64_t width = tensorType(table).getDimSize(1);
    unsigned rank = tensorType(op.getResult()).getRank();
    SmallVector<OpFoldResult> sizes = sizesOf(rewriter, loc, ids);
    sizes.push_back(rewriter.getIndexAttr(width));
    AffineMap idMap = rewriter.getMultiDimIdentityMap(rank).getMajorSubMap(rank - 1);
    rewriter.replaceOp(
        op, elementwise(
                rewriter, loc, ValueRange{ids}, {idMap},
                emptyTensor(rewriter, loc, sizes, rewriter.getF32Type()),
                [&](OpBuilder &b, Location l, ValueRange a) {
                  Value id = clampedIndex(b, l, a[0], vocab);
                  Value c = linalg::IndexOp::create(b, l, rank - 1);
                  Value baseIdx = indexConst(b, l, base);
                  Value isBase = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult,
                                                       id, baseIdx);
                  // Both reads stay in bounds; select picks the right one.
                  Value row = arith::MinUIOp::create(b, l, id, indexConst(b, l, base - 1));
                  Value extraRow = arith::SubIOp::create(
                      b, l, arith::MaxUIOp::create(b, l, id, baseIdx), baseIdx);
                  Value v0 = toF32(b, l, tensor::ExtractOp::create(b, l, table,
                                                                   ValueRange{row, c}));
                  Value v1 = toF32(b, l, tensor::ExtractOp::create(
                                             b, l, extra, ValueRange{extraRow, c}));
                  return arith::SelectOp::create(b, l, isBase, v0, v1).getResult();
                }));
    return success();
  }
};

/// for i in rows: if ids[i] == image: out[i] = vision[k++].
struct LowerSplice : OpRewritePattern<SpliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SpliceOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value embeds = op.getEmbeds(), ids = op.getIds(), vision = op.getVision();
    int64_t width = tensorType(embeds).getDimSize(1);
    Value c0 = indexConst(rewriter, loc, 0), c1 = indexConst(rewriter, loc, 1);
    Value rows = tensor::DimOp::create(rewriter, loc, embeds, 0);
    Value visionRows = tensor::DimOp::create(rewriter, loc, vision, 0);
    Value image = arith::ConstantIntOp::create(
        rewriter, loc, tensorType(ids).getElementType(), op.getImageToken());
    auto loop = scf::ForOp::create(
        rewriter, loc, c0, rows, c1, ValueRange{embeds, c0},
        [&](OpBuilder &b, Location l, Value i, ValueRange iter) {
          Value id = tensor::ExtractOp::create(b, l, ids, ValueRange{i});
          Value k = iter[1];
          Value isImage = arith::AndIOp::create(
              b, l, arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, id, image),
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult, k, visionRows));
          auto branch = scf::IfOp::create(
              b, l, isImage,
              [&](OpBuilder &tb, Location tl) {
                SmallVector<OpFoldResult> one = {tb.getIndexAttr(1), tb.getIndexAttr(1)};
                SmallVector<OpFoldResult> sz = {tb.getIndexAttr(1), tb.getIndexAttr(width)};
                Value row = tensor::ExtractSliceOp::create(
                    tb, tl, vision, SmallVector<OpFoldResult>{k, tb.getIndexAttr(0)},
                    sz, one);
                Value next = tensor::InsertSliceOp::create(
                    tb, tl, row, iter[0],
                    SmallVector<OpFoldResult>{i, tb.getIndexAttr(0)}, sz, one);
                scf::YieldOp::create(
                    tb, tl, ValueRange{next, arith::AddIOp::create(tb, tl, k, c1)});
              },
              [&](OpBuilder &eb, Location el) {
                scf::YieldOp::create(eb, el, ValueRange{iter[0], k});
              });
          scf::YieldOp::create(b, l, branch.getResults());
        });
    rewriter.replaceOp(op, loop.getResult(0));
    return success();
  }
};

/// The any-resolution regrouping of model-spec 4.5 as index arithmetic:
/// output view g >= 1, token t reads stitched-map position f = (g-1)*T + t,
/// i.e. row R = f / Wc, column C = f % Wc of the (rows*side) x (cols*side)
/// map, which lies in crop (R / side) * cols + C / side at token
/// (R % side) * side + C % side. The mask zeroes the rows (or columns) of
/// the stitched map that cover padding, computed in double precision as
/// the released unpad_image does.
struct LowerAnyresRegroup : OpRewritePattern<AnyresRegroupOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AnyresRegroupOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    Value feats = op.getFeatures();
    int64_t tokens = tensorType(feats).getDimSize(1);
    int64_t side = 1;
    while (side * side < tokens)
      ++side;
    Value rows = op.getRows(), cols = op.getCols();
    Value wc = arith::MulIOp::create(b, loc, cols, indexConst(b, loc, side));
    Value hc = arith::MulIOp::create(b, loc, rows, indexConst(b, loc, side));

    // Unpadded band of the stitched map: [lo, hi) along rows or columns.
    Type f64 = b.getF64Type();
    auto toF64 = [&](Value idx) {
      Value i64 = arith::IndexCastUIOp::create(b, loc, b.getI64Type(), idx);
      return arith::UIToFPOp::create(b, loc, f64, i64).getResult();
    };
    Value w0 = toF64(op.getWidth()), h0 = toF64(op.getHeight());
    Value wcF = toF64(wc), hcF = toF64(hc);
    Value wider = arith::CmpFOp::create(
        b, loc, arith::CmpFPredicate::OGT, arith::DivFOp::create(b, loc, w0, h0),
        arith::DivFOp::create(b, loc, wcF, hcF));
    // wider: s = Wc / W0, new_h = int(H0 * s), pad rows; else the columns.
    Value s = arith::SelectOp::create(b, loc, wider, arith::DivFOp::create(b, loc, wcF, w0),
                                      arith::DivFOp::create(b, loc, hcF, h0));
    Value scaled = arith::MulFOp::create(
        b, loc, arith::SelectOp::create(b, loc, wider, h0, w0), s);
    Value newLen = arith::IndexCastOp::create(
        b, loc, b.getIndexType(),
        arith::FPToSIOp::create(b, loc, b.getI64Type(), scaled));
    Value full = arith::SelectOp::create(b, loc, wider, hc, wc);
    Value pad = arith::DivSIOp::create(b, loc, arith::SubIOp::create(b, loc, full, newLen),
                                       indexConst(b, loc, 2));
    Value hi = arith::SubIOp::create(b, loc, full, pad);

    auto stitched = [&](OpBuilder &nb, Location l, Value g, Value t, Value &crop,
                        Value &tok, Value &r, Value &c) {
      Value f = arith::AddIOp::create(
          nb, l,
          arith::MulIOp::create(nb, l, arith::SubIOp::create(nb, l, g, indexConst(nb, l, 1)),
                                indexConst(nb, l, tokens)),
          t);
      r = arith::DivUIOp::create(nb, l, f, wc);
      c = arith::RemUIOp::create(nb, l, f, wc);
      Value sideC = indexConst(nb, l, side);
      crop = arith::AddIOp::create(
          nb, l,
          arith::MulIOp::create(nb, l, arith::DivUIOp::create(nb, l, r, sideC), cols),
          arith::DivUIOp::create(nb, l, c, sideC));
      tok = arith::AddIOp::create(
          nb, l, arith::MulIOp::create(nb, l, arith::RemUIOp::create(nb, l, r, sideC), sideC),
          arith::RemUIOp::create(nb, l, c, sideC));
    };

    Value groups = elementwise(
        b, loc, ValueRange{}, {}, emptyTensor(b, loc, sizesOf(b, loc, feats),
                                              tensorType(feats).getElementType()),
        [&](OpBuilder &nb, Location l, ValueRange) {
          Value g = linalg::IndexOp::create(nb, l, 0);
          Value t = linalg::IndexOp::create(nb, l, 1);
          Value ch = linalg::IndexOp::create(nb, l, 2);
          Value crop, tok, r, c;
          stitched(nb, l, arith::MaxUIOp::create(nb, l, g, indexConst(nb, l, 1)), t,
                   crop, tok, r, c);
          Value isGlobal = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, g,
                                                 indexConst(nb, l, 0));
          Value view = arith::SelectOp::create(
              nb, l, isGlobal, indexConst(nb, l, 0),
              arith::AddIOp::create(nb, l, crop, indexConst(nb, l, 1)));
          Value token = arith::SelectOp::create(nb, l, isGlobal, t, tok);
          return tensor::ExtractOp::create(nb, l, feats, ValueRange{view, token, ch})
              .getResult();
        });
    SmallVector<OpFoldResult> maskSizes = {tensor::getMixedSize(b, loc, feats, 0),
                                           b.getIndexAttr(tokens)};
    Value mask = elementwise(
        b, loc, ValueRange{}, {}, emptyTensor(b, loc, maskSizes, b.getI1Type()),
        [&](OpBuilder &nb, Location l, ValueRange) {
          Value g = linalg::IndexOp::create(nb, l, 0);
          Value t = linalg::IndexOp::create(nb, l, 1);
          Value crop, tok, r, c;
          stitched(nb, l, arith::MaxUIOp::create(nb, l, g, indexConst(nb, l, 1)), t,
                   crop, tok, r, c);
          Value along = arith::SelectOp::create(nb, l, wider, r, c);
          Value inside = arith::AndIOp::create(
              nb, l, arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sge, along, pad),
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, along, hi));
          Value isGlobal = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, g,
                                                 indexConst(nb, l, 0));
          return arith::OrIOp::create(nb, l, isGlobal, inside).getResult();
        });
    rewriter.replaceOp(op, ValueRange{groups, mask});
    return success();
  }
};

} // namespace

void populateTokenLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerEmbed, LowerSplice, LowerAnyresRegroup>(patterns.getContext());
}

} // namespace mlir::xgenmm::lowering
