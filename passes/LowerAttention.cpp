//===- LowerAttention.cpp - attention, rope -> linalg ---------------------===//
//
// The reference lowering of attention: scores = scale * q k^T as a
// contraction generic, masking, softmax in f32, then probs v. Grouped-query
// heads are expressed by viewing the query heads as [kv_heads, group], so
// every indexing map stays a projected permutation (what the vectorizer and
// the tiling schedules handle). With a KV cache, the new rows are inserted
// first and the attention runs over rows [0, position + S) only.
//
//===----------------------------------------------------------------------===//
#include "passes/LoweringUtils.h"

#include <limits>

namespace mlir::xgenmm::lowering {
namespace {

/// [B..., R, W] -> [NB, R, W] (a unit NB for rank 2).
Value toBatched3(OpBuilder &b, Location loc, Value v) {
  RankedTensorType t = tensorType(v);
  if (t.getRank() == 3)
    return v;
  if (t.getRank() == 2) {
    SmallVector<int64_t> shape = {1, t.getDimSize(0), t.getDimSize(1)};
    SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1),
                                       tensor::getMixedSize(b, loc, v, 0),
                                       b.getIndexAttr(t.getDimSize(1))};
    return tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get(shape, t.getElementType()), v,
        SmallVector<ReassociationIndices>{{0, 1}, {2}}, sizes);
  }
  ReassociationIndices lead;
  for (int64_t i = 0; i + 2 < t.getRank(); ++i)
    lead.push_back(i);
  return tensor::CollapseShapeOp::create(
      b, loc, v,
      SmallVector<ReassociationIndices>{lead, {t.getRank() - 2}, {t.getRank() - 1}});
}

/// [NB, R, W] -> the shape of `like` ([B..., R, W]).
Value fromBatched3(OpBuilder &b, Location loc, Value v, Value like) {
  RankedTensorType t = tensorType(like);
  if (t.getRank() == 3)
    return v;
  if (t.getRank() == 2)
    return tensor::CollapseShapeOp::create(
        b, loc, like.getType(), v, SmallVector<ReassociationIndices>{{0, 1}, {2}});
  ReassociationIndices lead;
  for (int64_t i = 0; i + 2 < t.getRank(); ++i)
    lead.push_back(i);
  return tensor::ExpandShapeOp::create(
      b, loc, like.getType(), v,
      SmallVector<ReassociationIndices>{lead, {t.getRank() - 2}, {t.getRank() - 1}},
      sizesOf(b, loc, like));
}

/// Splits the last dimension W = prod(parts) of a rank-3 tensor.
Value splitLast(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> parts) {
  RankedTensorType t = tensorType(v);
  SmallVector<int64_t> shape = {t.getDimSize(0), t.getDimSize(1)};
  shape.append(parts.begin(), parts.end());
  ReassociationIndices last;
  for (unsigned i = 0; i < parts.size(); ++i)
    last.push_back(2 + i);
  SmallVector<OpFoldResult> sizes = {tensor::getMixedSize(b, loc, v, 0),
                                     tensor::getMixedSize(b, loc, v, 1)};
  for (int64_t p : parts)
    sizes.push_back(b.getIndexAttr(p));
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(shape, t.getElementType()), v,
      SmallVector<ReassociationIndices>{{0}, {1}, last}, sizes);
}

/// Rows [rowOffset, rowOffset + rows) of dimension -2 of `v`.
Value rowSlice(OpBuilder &b, Location loc, Value v, OpFoldResult rowOffset,
               OpFoldResult rows) {
  RankedTensorType t = tensorType(v);
  unsigned rank = t.getRank();
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
  offsets[rank - 2] = rowOffset;
  SmallVector<OpFoldResult> sizes = sizesOf(b, loc, v);
  sizes[rank - 2] = rows;
  SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(b, loc, v, offsets, sizes, strides);
}

/// Writes `rows` into `cache` at row `position` (dimension -2), rounded to
/// the cache's element type (nearest even) where that is narrower.
Value insertRows(OpBuilder &b, Location loc, Value rows, Value cache, Value position) {
  RankedTensorType t = tensorType(cache);
  Type element = t.getElementType();
  if (tensorType(rows).getElementType() != element) {
    unsigned r = tensorType(rows).getRank();
    rows = elementwise(b, loc, ValueRange{rows}, {b.getMultiDimIdentityMap(r)},
                       emptyTensor(b, loc, sizesOf(b, loc, rows), element),
                       [&](OpBuilder &nb, Location l, ValueRange a) {
                         return arith::TruncFOp::create(nb, l, element, a[0]).getResult();
                       });
  }
  unsigned rank = t.getRank();
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
  offsets[rank - 2] = position;
  SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
  return tensor::InsertSliceOp::create(b, loc, rows, cache, offsets,
                                       sizesOf(b, loc, rows), strides);
}

/// [NB, R, W'] -> the rank of `like` ([B..., R, W]) with last dimension W'.
Value fromBatched3Width(OpBuilder &b, Location loc, Value v, Value like) {
  RankedTensorType t = tensorType(like), vt = tensorType(v);
  SmallVector<int64_t> shape(t.getShape());
  shape.back() = vt.getDimSize(2);
  auto type = RankedTensorType::get(shape, vt.getElementType());
  if (t.getRank() == 3)
    return v;
  if (t.getRank() == 2)
    return tensor::CollapseShapeOp::create(
        b, loc, type, v, SmallVector<ReassociationIndices>{{0, 1}, {2}});
  ReassociationIndices lead;
  for (int64_t i = 0; i + 2 < t.getRank(); ++i)
    lead.push_back(i);
  SmallVector<OpFoldResult> sizes = sizesOf(b, loc, like);
  sizes.back() = b.getIndexAttr(vt.getDimSize(2));
  return tensor::ExpandShapeOp::create(
      b, loc, type, v,
      SmallVector<ReassociationIndices>{lead, {t.getRank() - 2}, {t.getRank() - 1}},
      sizes);
}

/// Dimension 3 range [offset, offset + size) of a rank-4 tensor.
Value lastSlice(OpBuilder &b, Location loc, Value v, int64_t offset, int64_t size) {
  RankedTensorType t = tensorType(v);
  SmallVector<OpFoldResult> offsets(4, b.getIndexAttr(0));
  offsets[3] = b.getIndexAttr(offset);
  SmallVector<OpFoldResult> sizes = sizesOf(b, loc, v);
  sizes[3] = b.getIndexAttr(size);
  SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
  auto type = RankedTensorType::get({t.getDimSize(0), t.getDimSize(1), t.getDimSize(2), size},
                                    t.getElementType());
  return tensor::ExtractSliceOp::create(b, loc, type, v, offsets, sizes, strides);
}

/// The int8 KV cache's scale of a head's row: max |x| / 127 (a tiny floor
/// keeps an all-zero row finite: its values are 0 whatever the scale).
Value int8RowScale(OpBuilder &b, Location loc, Value amax) {
  Value floor = f32Const(b, loc, 1e-30);
  return arith::DivFOp::create(b, loc, arith::MaximumFOp::create(b, loc, amax, floor),
                               f32Const(b, loc, 127.0));
}

/// Rows [B..., S, kvHeads * d] (float) as int8 KV-cache rows [B..., S,
/// kvHeads * (d + 4)]: per head its d values round(x / s) in [-127, 127],
/// then the 4 bytes of s = max |x| / 127 (f32, little-endian).
Value quantizeRows(OpBuilder &b, Location loc, Value rows, int64_t kvHeads, int64_t d) {
  Value r4 = splitLast(b, loc, toBatched3(b, loc, rows), {kvHeads, d});
  OpFoldResult nb = tensor::getMixedSize(b, loc, r4, 0);
  OpFoldResult s = tensor::getMixedSize(b, loc, r4, 1);
  MLIRContext *ctx = b.getContext();
  AffineMap id4 = b.getMultiDimIdentityMap(4);
  AffineMap head = AffineMap::get(4, 0, {b.getAffineDimExpr(0), b.getAffineDimExpr(1),
                                         b.getAffineDimExpr(2)}, ctx);
  // amax[nb, s, h] = max over d of |x|
  Value zero = filledTensor(b, loc, {nb, s, b.getIndexAttr(kvHeads)}, 0.0);
  Value amax = linalg::GenericOp::create(
                   b, loc, zero.getType(), ValueRange{r4}, ValueRange{zero},
                   SmallVector<AffineMap>{id4, head}, iterators(4, 1),
                   [](OpBuilder &nb2, Location l, ValueRange a) {
                     Value x = math::AbsFOp::create(nb2, l, toF32(nb2, l, a[0]));
                     linalg::YieldOp::create(
                         nb2, l, ValueRange{arith::MaximumFOp::create(nb2, l, x, a[1])});
                   })
                   .getResult(0);
  Type i8 = b.getI8Type();
  Value values = elementwise(
      b, loc, ValueRange{r4, amax}, {id4, head},
      emptyTensor(b, loc, {nb, s, b.getIndexAttr(kvHeads), b.getIndexAttr(d)}, i8),
      [&](OpBuilder &nb2, Location l, ValueRange a) {
        Value q = arith::DivFOp::create(nb2, l, toF32(nb2, l, a[0]), int8RowScale(nb2, l, a[1]));
        q = math::RoundEvenOp::create(nb2, l, q);
        q = arith::MinimumFOp::create(nb2, l, q, f32Const(nb2, l, 127.0));
        q = arith::MaximumFOp::create(nb2, l, q, f32Const(nb2, l, -127.0));
        return arith::FPToSIOp::create(nb2, l, nb2.getI8Type(), q).getResult();
      });
  Value bytes = elementwise(
      b, loc, ValueRange{amax}, {head},
      emptyTensor(b, loc, {nb, s, b.getIndexAttr(kvHeads), b.getIndexAttr(4)}, i8),
      [&](OpBuilder &nb2, Location l, ValueRange a) {
        Value bits = arith::BitcastOp::create(nb2, l, nb2.getI32Type(),
                                              int8RowScale(nb2, l, a[0]));
        Value j = arith::IndexCastUIOp::create(nb2, l, nb2.getI32Type(),
                                               linalg::IndexOp::create(nb2, l, 3));
        Value shift = arith::MulIOp::create(nb2, l, j,
                                            arith::ConstantIntOp::create(nb2, l, 8, 32));
        Value shifted = arith::ShRUIOp::create(nb2, l, bits, shift);
        return arith::TruncIOp::create(nb2, l, nb2.getI8Type(), shifted).getResult();
      });
  Value packed = emptyTensor(b, loc, {nb, s, b.getIndexAttr(kvHeads), b.getIndexAttr(d + 4)}, i8);
  SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
  SmallVector<OpFoldResult> offsets(4, b.getIndexAttr(0));
  packed = tensor::InsertSliceOp::create(b, loc, values, packed, offsets,
                                         sizesOf(b, loc, values), strides);
  offsets[3] = b.getIndexAttr(d);
  packed = tensor::InsertSliceOp::create(b, loc, bytes, packed, offsets,
                                         sizesOf(b, loc, bytes), strides);
  Value rows3 = tensor::CollapseShapeOp::create(
      b, loc, packed, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
  return fromBatched3Width(b, loc, rows3, rows);
}

/// The scales of int8 KV-cache rows [NB, T, kvHeads, d + 4] as the i32 bit
/// patterns [NB, T, kvHeads] of their f32 values (bitcast where used).
Value int8ScaleBits(OpBuilder &b, Location loc, Value rows4, int64_t d) {
  Value bytes = lastSlice(b, loc, rows4, d, 4);
  SmallVector<OpFoldResult> sizes = sizesOf(b, loc, bytes);
  sizes.pop_back();
  Value empty = emptyTensor(b, loc, sizes, b.getI32Type());
  Value zero = linalg::FillOp::create(b, loc, arith::ConstantIntOp::create(b, loc, 0, 32).getResult(),
                                      empty)
                   .getResult(0);
  AffineMap head = AffineMap::get(4, 0, {b.getAffineDimExpr(0), b.getAffineDimExpr(1),
                                         b.getAffineDimExpr(2)}, b.getContext());
  return linalg::GenericOp::create(
             b, loc, zero.getType(), ValueRange{bytes}, ValueRange{zero},
             SmallVector<AffineMap>{b.getMultiDimIdentityMap(4), head}, iterators(4, 1),
             [](OpBuilder &nb2, Location l, ValueRange a) {
               Value byte = arith::ExtUIOp::create(nb2, l, nb2.getI32Type(), a[0]);
               Value j = arith::IndexCastUIOp::create(nb2, l, nb2.getI32Type(),
                                                      linalg::IndexOp::create(nb2, l, 3));
               Value shift = arith::MulIOp::create(
                   nb2, l, j, arith::ConstantIntOp::create(nb2, l, 8, 32));
               Value part = arith::ShLIOp::create(nb2, l, byte, shift);
               linalg::YieldOp::create(nb2, l, ValueRange{arith::OrIOp::create(nb2, l, a[1], part)});
             })
      .getResult(0);
}

struct LowerAttentionOp : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    OpBuilder &b = rewriter;
    Location loc = op.getLoc();
    MLIRContext *ctx = b.getContext();
    int64_t heads = op.getHeads(), kvHeads = op.getKvHeads(), d = op.getHeadDim();
    int64_t group = heads / kvHeads;
    Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
    unsigned rank = tensorType(q).getRank();

    // KV cache: append the new rows, attend over [0, position + S).
    Value qOffset = arith::ConstantIndexOp::create(b, loc, 0);
    SmallVector<Value> updated;
    bool int8Cache = !op.getCaches().empty() &&
                     tensorType(op.getCaches()[0]).getElementType().isInteger(8);
    if (int8Cache && tensorType(q).getRank() > 3)
      return rewriter.notifyMatchFailure(op, "int8 KV caches are lowered for rank <= 3");
    if (!op.getCaches().empty()) {
      Value pos = op.getPosition();
      if (int8Cache) {
        k = quantizeRows(b, loc, k, kvHeads, d);
        v = quantizeRows(b, loc, v, kvHeads, d);
      }
      Value kc = insertRows(b, loc, k, op.getCaches()[0], pos);
      Value vc = insertRows(b, loc, v, op.getCaches()[1], pos);
      updated = {kc, vc};
      Value n = arith::AddIOp::create(
          b, loc, pos, tensor::DimOp::create(b, loc, op.getKey(), rank - 2));
      k = rowSlice(b, loc, kc, b.getIndexAttr(0), n);
      v = rowSlice(b, loc, vc, b.getIndexAttr(0), n);
      qOffset = pos;
    }

    Value q5 = splitLast(b, loc, toBatched3(b, loc, q), {kvHeads, group, d});
    // An int8 cache's rows: the values [.., kvHeads, d] are contracted as
    // integers widened to f32; each (key, head)'s scale multiplies the
    // score (q . k_int) s_k, and each (value, head)'s the probability
    // p s_v, which is the same sum as over the dequantized rows.
    Value kScaleBits, vScaleBits;
    Value k4, v4;
    if (int8Cache) {
      Value kRows = splitLast(b, loc, toBatched3(b, loc, k), {kvHeads, d + 4});
      Value vRows = splitLast(b, loc, toBatched3(b, loc, v), {kvHeads, d + 4});
      k4 = lastSlice(b, loc, kRows, 0, d);
      v4 = lastSlice(b, loc, vRows, 0, d);
      kScaleBits = int8ScaleBits(b, loc, kRows, d);
      vScaleBits = int8ScaleBits(b, loc, vRows, d);
    } else {
      k4 = splitLast(b, loc, toBatched3(b, loc, k), {kvHeads, d});
      v4 = splitLast(b, loc, toBatched3(b, loc, v), {kvHeads, d});
    }
    OpFoldResult nb = tensor::getMixedSize(b, loc, q5, 0);
    OpFoldResult sq = tensor::getMixedSize(b, loc, q5, 1);
    OpFoldResult sk = tensor::getMixedSize(b, loc, k4, 1);

    // scores[nb, hk, g, s, t] = sum_d q[nb, s, hk, g, d] * k[nb, t, hk, d]
    AffineExpr eb, ehk, eg, es, et, ed;
    bindDims(ctx, eb, ehk, eg, es, et, ed);
    SmallVector<OpFoldResult> scoreSizes = {nb, b.getIndexAttr(kvHeads),
                                            b.getIndexAttr(group), sq, sk};
    Value zero = filledTensor(b, loc, scoreSizes, 0.0);
    auto qkMaps = mapsFromExprs(
        ctx, {{eb, es, ehk, eg, ed}, {eb, et, ehk, ed}, {eb, ehk, eg, es, et}});
    Value scores =
        linalg::GenericOp::create(
            b, loc, zero.getType(), ValueRange{q5, k4}, ValueRange{zero}, qkMaps,
            iterators(6, 1),
            [](OpBuilder &nb2, Location l, ValueRange a) {
              Value p = arith::MulFOp::create(nb2, l, toF32(nb2, l, a[0]),
                                              toF32(nb2, l, a[1]));
              linalg::YieldOp::create(
                  nb2, l, ValueRange{arith::AddFOp::create(nb2, l, a[2], p)});
            })
            .getResult(0);

    // Scale and mask. The key mask covers the first M keys; later keys are
    // always attended (padded here to all keys with true).
    Value keyMask;
    if (Value m = op.getKeyMask()) {
      Value m2 = tensorType(m).getRank() == 2 ? m : toBatched3Mask(b, loc, m);
      int64_t mLen = tensorType(m2).getDimSize(1);
      Value init = emptyTensor(b, loc, {nb, sk}, b.getI1Type());
      keyMask = linalg::GenericOp::create(
                    b, loc, init.getType(), ValueRange{}, ValueRange{init},
                    SmallVector<AffineMap>{b.getMultiDimIdentityMap(2)},
                    iterators(2),
                    [&](OpBuilder &nb2, Location l, ValueRange) {
                      Value i = linalg::IndexOp::create(nb2, l, 0);
                      Value t = linalg::IndexOp::create(nb2, l, 1);
                      Value len = arith::ConstantIndexOp::create(nb2, l, mLen);
                      Value inside = arith::CmpIOp::create(
                          nb2, l, arith::CmpIPredicate::ult, t, len);
                      Value last = arith::ConstantIndexOp::create(nb2, l, mLen - 1);
                      Value tc = arith::MinUIOp::create(nb2, l, t, last);
                      Value bit = tensor::ExtractOp::create(nb2, l, m2, ValueRange{i, tc});
                      Value yes = arith::ConstantIntOp::create(nb2, l, 1, 1);
                      linalg::YieldOp::create(
                          nb2, l, ValueRange{arith::SelectOp::create(nb2, l, inside, bit, yes)});
                    })
                    .getResult(0);
    }
    float scale = op.getScaleAttr().getValueAsDouble();
    bool causal = op.getCausal();
    std::optional<int64_t> window = op.getWindow();
    SmallVector<Value> maskInputs = {scores};
    SmallVector<AffineMap> maskMaps = {b.getMultiDimIdentityMap(5)};
    if (keyMask) {
      maskInputs.push_back(keyMask);
      maskMaps.push_back(AffineMap::get(5, 0, {eb, et}, ctx));
    }
    // scale bits [nb, t, hk] of the keys (int8 cache)
    AffineMap perKeyHead = AffineMap::get(5, 0, {eb, et, ehk}, ctx);
    if (kScaleBits) {
      maskInputs.push_back(kScaleBits);
      maskMaps.push_back(perKeyHead);
    }
    Value masked = elementwise(
        b, loc, maskInputs, maskMaps, emptyTensor(b, loc, scoreSizes, b.getF32Type()),
        [&](OpBuilder &nb2, Location l, ValueRange a) {
          Value sc = a[0];
          if (kScaleBits)
            sc = arith::MulFOp::create(
                nb2, l, sc,
                arith::BitcastOp::create(nb2, l, nb2.getF32Type(), a[keyMask ? 2 : 1]));
          sc = arith::MulFOp::create(nb2, l, sc, f32Const(nb2, l, scale));
          Value ninf = f32Const(nb2, l, -std::numeric_limits<float>::infinity());
          Value keep = arith::ConstantIntOp::create(nb2, l, 1, 1);
          Value s = linalg::IndexOp::create(nb2, l, 3);
          Value t = linalg::IndexOp::create(nb2, l, 4);
          Value absS = arith::AddIOp::create(nb2, l, s, qOffset);
          if (causal)
            keep = arith::AndIOp::create(
                nb2, l, keep,
                arith::CmpIOp::create(nb2, l, arith::CmpIPredicate::ule, t, absS));
          if (window) {
            // p + i - j < W  <=>  j + W > p + i
            Value w = arith::ConstantIndexOp::create(nb2, l, *window);
            keep = arith::AndIOp::create(
                nb2, l, keep,
                arith::CmpIOp::create(nb2, l, arith::CmpIPredicate::ugt,
                                      arith::AddIOp::create(nb2, l, t, w), absS));
          }
          if (keyMask)
            keep = arith::AndIOp::create(nb2, l, keep, a[1]);
          return arith::SelectOp::create(nb2, l, keep, sc, ninf).getResult();
        });
    // Key t of row s is kept only if t <= qOffset + s: xgenmm-fuse-attention
    // bounds each block of rows' keys by this (the mask's body holds the
    // offset).
    if (causal)
      masked.getDefiningOp()->setAttr("xgenmm.attn_causal", b.getUnitAttr());

    // Softmax over the keys, in f32.
    SmallVector<OpFoldResult> rowSizes(scoreSizes.begin(), scoreSizes.end() - 1);
    AffineMap full = b.getMultiDimIdentityMap(5), rows = full.getMajorSubMap(4);
    // A reduction over the keys of each score row, from `init`.
    auto reduceRows = [&](Value in, double init, auto combine) {
      Value acc = filledTensor(b, loc, rowSizes, init);
      return linalg::GenericOp::create(
                 b, loc, acc.getType(), ValueRange{in}, ValueRange{acc},
                 SmallVector<AffineMap>{full, rows}, iterators(5, 1),
                 [&](OpBuilder &nb2, Location l, ValueRange a) {
                   linalg::YieldOp::create(nb2, l, ValueRange{combine(nb2, l, a[0], a[1])});
                 })
          .getResult(0);
    };
    Value rowMax = reduceRows(masked, -std::numeric_limits<float>::infinity(),
                              [](OpBuilder &nb2, Location l, Value x, Value acc) -> Value {
                                return arith::MaximumFOp::create(nb2, l, x, acc);
                              });
    Value exps = elementwise(
        b, loc, ValueRange{masked, rowMax}, {full, rows},
        emptyTensor(b, loc, scoreSizes, b.getF32Type()),
        [](OpBuilder &nb2, Location l, ValueRange a) {
          return math::ExpOp::create(nb2, l, arith::SubFOp::create(nb2, l, a[0], a[1]))
              .getResult();
        });
    Value rowSum = reduceRows(exps, 0.0,
                              [](OpBuilder &nb2, Location l, Value x, Value acc) -> Value {
                                return arith::AddFOp::create(nb2, l, x, acc);
                              });
    SmallVector<Value> probInputs = {exps, rowSum};
    SmallVector<AffineMap> probMaps = {full, rows};
    if (vScaleBits) {
      probInputs.push_back(vScaleBits);
      probMaps.push_back(perKeyHead);
    }
    Value probs = elementwise(
        b, loc, probInputs, probMaps, emptyTensor(b, loc, scoreSizes, b.getF32Type()),
        [&](OpBuilder &nb2, Location l, ValueRange a) {
          Value p = arith::DivFOp::create(nb2, l, a[0], a[1]);
          if (vScaleBits)
            p = arith::MulFOp::create(nb2, l, p,
                                      arith::BitcastOp::create(nb2, l, nb2.getF32Type(), a[2]));
          return p;
        });

    // out[nb, s, hk, g, d] = sum_t probs[nb, hk, g, s, t] * v[nb, t, hk, d]
    AffineExpr ob, os, ohk, og, od, ot;
    bindDims(ctx, ob, os, ohk, og, od, ot);
    Value outInit = filledTensor(
        b, loc,
        {nb, sq, b.getIndexAttr(kvHeads), b.getIndexAttr(group), b.getIndexAttr(d)},
        0.0);
    auto pvMaps = mapsFromExprs(
        ctx, {{ob, ohk, og, os, ot}, {ob, ot, ohk, od}, {ob, os, ohk, og, od}});
    Value out5 =
        linalg::GenericOp::create(
            b, loc, outInit.getType(), ValueRange{probs, v4}, ValueRange{outInit},
            pvMaps, iterators(6, 1),
            [](OpBuilder &nb2, Location l, ValueRange a) {
              Value p = arith::MulFOp::create(nb2, l, a[0], toF32(nb2, l, a[1]));
              linalg::YieldOp::create(
                  nb2, l, ValueRange{arith::AddFOp::create(nb2, l, a[2], p)});
            })
            .getResult(0);
    Value out3 = tensor::CollapseShapeOp::create(
        b, loc, out5, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3, 4}});
    SmallVector<Value> results = {fromBatched3(b, loc, out3, q)};
    results.append(updated);
    rewriter.replaceOp(op, results);
    return success();
  }

  /// [B..., M] -> [NB, M].
  static Value toBatched3Mask(OpBuilder &b, Location loc, Value m) {
    RankedTensorType t = tensorType(m);
    if (t.getRank() == 1)
      return tensor::ExpandShapeOp::create(
          b, loc, RankedTensorType::get({1, t.getDimSize(0)}, t.getElementType()),
          m, SmallVector<ReassociationIndices>{{0, 1}});
    ReassociationIndices lead;
    for (int64_t i = 0; i + 1 < t.getRank(); ++i)
      lead.push_back(i);
    return tensor::CollapseShapeOp::create(
        b, loc, m, SmallVector<ReassociationIndices>{lead, {t.getRank() - 1}});
  }
};

/// Rotate-half RoPE: the head dimension is viewed as [2, D/2]; a first
/// generic tabulates cos and sin of the angle (position + s) * theta^(-2j/D)
/// per position and frequency ([S, D/2], in f32 exactly as Hugging Face
/// computes inv_freq and the angles), a second rotates both halves of
/// every head with them.
struct LowerRope : OpRewritePattern<RopeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RopeOp op, PatternRewriter &rewriter) const override {
    OpBuilder &b = rewriter;
    Location loc = op.getLoc();
    int64_t heads = op.getHeads(), d = op.getHeadDim(), half = d / 2;
    Value x3 = toBatched3(b, loc, op.getInput());
    Value x5 = splitLast(b, loc, x3, {heads, 2, half});
    OpFoldResult nb = tensor::getMixedSize(b, loc, x5, 0);
    OpFoldResult s = tensor::getMixedSize(b, loc, x5, 1);
    auto halfOf = [&](int64_t which) {
      SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), b.getIndexAttr(0),
                                           b.getIndexAttr(0), b.getIndexAttr(which),
                                           b.getIndexAttr(0)};
      SmallVector<OpFoldResult> sizes = {nb, s, b.getIndexAttr(heads),
                                         b.getIndexAttr(1), b.getIndexAttr(half)};
      SmallVector<OpFoldResult> strides(5, b.getIndexAttr(1));
      auto t = RankedTensorType::get(
          {tensorType(x5).getDimSize(0), tensorType(x5).getDimSize(1), heads, half},
          tensorType(x5).getElementType());
      return tensor::ExtractSliceOp::create(b, loc, t, x5, offsets, sizes, strides)
          .getResult();
    };
    Value x1 = halfOf(0), x2 = halfOf(1);
    SmallVector<OpFoldResult> halfSizes = {nb, s, b.getIndexAttr(heads),
                                           b.getIndexAttr(half)};
    Value o1 = emptyTensor(b, loc, halfSizes, b.getF32Type());
    Value o2 = emptyTensor(b, loc, halfSizes, b.getF32Type());
    Value pos = op.getPosition();
    float theta = op.getThetaAttr().getValueAsDouble();
    // The angles' cosines and sines once per position and frequency,
    // [S, D/2] (not per head: libm's cos and sin are most of RoPE's cost).
    SmallVector<OpFoldResult> tableSizes = {s, b.getIndexAttr(half)};
    Value cosT = emptyTensor(b, loc, tableSizes, b.getF32Type());
    Value sinT = emptyTensor(b, loc, tableSizes, b.getF32Type());
    auto tables = linalg::GenericOp::create(
        b, loc, TypeRange{cosT.getType(), sinT.getType()}, ValueRange{},
        ValueRange{cosT, sinT},
        SmallVector<AffineMap>{b.getMultiDimIdentityMap(2), b.getMultiDimIdentityMap(2)},
        iterators(2), [&](OpBuilder &nb2, Location l, ValueRange) {
          Value si = linalg::IndexOp::create(nb2, l, 0);
          Value j = linalg::IndexOp::create(nb2, l, 1);
          auto toF = [&](Value idx) {
            Value i64 = arith::IndexCastUIOp::create(nb2, l, nb2.getI64Type(), idx);
            return arith::UIToFPOp::create(nb2, l, nb2.getF32Type(), i64).getResult();
          };
          // inv_freq = 1 / theta^((2j) / D), all in f32.
          Value twoJ = toF(arith::MulIOp::create(
              nb2, l, j, arith::ConstantIndexOp::create(nb2, l, 2)));
          Value e = arith::DivFOp::create(nb2, l, twoJ, f32Const(nb2, l, (double)d));
          Value p = math::PowFOp::create(nb2, l, f32Const(nb2, l, theta), e);
          Value inv = arith::DivFOp::create(nb2, l, f32Const(nb2, l, 1.0), p);
          Value angle = arith::MulFOp::create(
              nb2, l, toF(arith::AddIOp::create(nb2, l, pos, si)), inv);
          Value c = math::CosOp::create(nb2, l, angle);
          Value sn = math::SinOp::create(nb2, l, angle);
          linalg::YieldOp::create(nb2, l, ValueRange{c, sn});
        });
    // The rotation itself: plain arithmetic (vectorized along D/2).
    AffineMap id = b.getMultiDimIdentityMap(4);
    AffineMap table = AffineMap::get(4, 0, {b.getAffineDimExpr(1), b.getAffineDimExpr(3)},
                                     b.getContext());
    auto rot = linalg::GenericOp::create(
        b, loc, TypeRange{o1.getType(), o2.getType()},
        ValueRange{x1, x2, tables.getResult(0), tables.getResult(1)}, ValueRange{o1, o2},
        SmallVector<AffineMap>{id, id, table, table, id, id}, iterators(4),
        [&](OpBuilder &nb2, Location l, ValueRange a) {
          Value c = a[2], sn = a[3];
          Value v1 = toF32(nb2, l, a[0]), v2 = toF32(nb2, l, a[1]);
          Value r1 = arith::SubFOp::create(nb2, l, arith::MulFOp::create(nb2, l, v1, c),
                                           arith::MulFOp::create(nb2, l, v2, sn));
          Value r2 = arith::AddFOp::create(nb2, l, arith::MulFOp::create(nb2, l, v2, c),
                                           arith::MulFOp::create(nb2, l, v1, sn));
          linalg::YieldOp::create(nb2, l, ValueRange{r1, r2});
        });
    // Reassemble [NB, S, H, 2, D/2] and collapse back to the input shape.
    SmallVector<OpFoldResult> fullSizes = {nb, s, b.getIndexAttr(heads),
                                           b.getIndexAttr(2), b.getIndexAttr(half)};
    Value acc = emptyTensor(b, loc, fullSizes, b.getF32Type());
    for (int64_t which = 0; which < 2; ++which) {
      SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), b.getIndexAttr(0),
                                           b.getIndexAttr(0), b.getIndexAttr(which),
                                           b.getIndexAttr(0)};
      SmallVector<OpFoldResult> sizes = {nb, s, b.getIndexAttr(heads),
                                         b.getIndexAttr(1), b.getIndexAttr(half)};
      SmallVector<OpFoldResult> strides(5, b.getIndexAttr(1));
      acc = tensor::InsertSliceOp::create(b, loc, rot.getResult(which), acc,
                                          offsets, sizes, strides);
    }
    Value out3 = tensor::CollapseShapeOp::create(
        b, loc, acc, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3, 4}});
    rewriter.replaceOp(op, fromBatched3(b, loc, out3, op.getInput()));
    return success();
  }
};

} // namespace

void populateAttentionLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerAttentionOp, LowerRope>(patterns.getContext());
}

} // namespace mlir::xgenmm::lowering
