//===- Bf16Dot.cpp - matrix products on AVX512-BF16 dot products ----------===//
//
// Four passes for CPUs with AVX512-BF16 (`vdpbf16ps`: 16 lanes, each the
// sum of two bf16 x bf16 products added to an f32 accumulator), twice the
// fp32 FMA rate (benchmarks/MachineLimits.h measures both):
//
// xgenmm-bf16-dot-matmuls, on linalg: a dense contraction marked
// `xgenmm.matmul` over a bf16 weight [K, N] with more than one row (image
// encoding, prefill) gets its f32 activations rounded to bf16 once
// (a truncf generic), and the contraction reads them:
//   out[m, n] += f32(a_bf16[m, k]) * f32(w[k, n])
// marked `xgenmm.matmul_bf16` instead. Decode's one-row products keep f32
// activations (bandwidth bound: no gain, exact).
//
// xgenmm-bf16-dot-attention, on linalg after the keys are transposed: the
// score contraction q k^T (`xgenmm.attn_qk`, even head dimension) reads q
// rounded to bf16 and the transposed keys written as bf16 by their
// transpose, and is marked `xgenmm.attn_qk_bf16` as well; the schedule
// tiles its head dimension by pairs. Its register tiles carry unit loops
// (b, h, g) around (rows, keys, pair); xgenmm-lower-bf16-dot shape-casts
// them away first. p v after such scores reads the probabilities written
// as bf16 by the softmax's division and v rounded once (`xgenmm.attn_v`,
// kept out of the fused row blocks), marked `xgenmm.attn_pv_bf16`; the
// schedule tiles its keys by pairs, so the register tiles are
//   out[s, d] += f32(p[s, t]) * f32(v[t, d]),  t 2
// (the two rows of v interleaved in registers). The softmax stays fp32.
//
// xgenmm-pack-bf16-tiles, on the schedule's cache tiles of those
// (@xgenmm_tile_bf16_cache, 768 x 96 x 512): each tile's weight [Kc, Nc]
// is interleaved into k pairs, p[kp, 2 n + j] = w[2 kp + j, n], in a
// buffer local to the tile (per pair of rows, one shuffle per 32 columns),
// and the product becomes
//   out[m, n] += f32(a[m, kp, j]) * f32(p[kp, n, j])
// over (m, n, kp, j), still marked. The pack is done once per cache tile
// and shared by its 96 row blocks; the weights stay [K, N] in weights.bin,
// as decode's matrix-vector products stream them. (Interleaving per
// register tile instead, two permutes per 16 dot products, held the
// Phi-3 qkv product at 0.69 of the bf16 peak; packed: 0.86.)
//
// xgenmm-lower-bf16-dot, on vectors: the register tiles of
// @xgenmm_tile_bf16_dot,
//   acc[m, n] += f32(lhs[m, kp, j]) * f32(rhs[kp, n, j]),  kp 1, j 2,
// become per row m one broadcast of the row's bf16 pair (32 bits) and, per
// 16 (8, 4) columns of the 64 contiguous packed bf16 (one read), one
// x86vector.avx512.dot; columns left over (fewer than 4) take f32 FMAs.
// The unpacked form acc[m, n] += f32(lhs[m, k]) * f32(rhs[k, n]), k 2,
// lowers the same after one interleave of the two weight rows.
//
//===----------------------------------------------------------------------===//
#include "passes/LoweringUtils.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::xgenmm {
#define GEN_PASS_DEF_XGENMMBF16DOTATTENTION
#define GEN_PASS_DEF_XGENMMBF16DOTMATMULS
#define GEN_PASS_DEF_XGENMMLOWERBF16DOT
#define GEN_PASS_DEF_XGENMMPACKBF16TILES
#include "passes/Passes.h.inc"
} // namespace mlir::xgenmm

using namespace mlir;
using namespace mlir::xgenmm;

namespace {

//===----------------------------------------------------------------------===//
// xgenmm-bf16-dot-matmuls
//===----------------------------------------------------------------------===//

/// out[m, n] += a[m, k] * f32(w[k, n]), a f32, w bf16, K static and even,
/// M not statically 1.
bool isBf16Candidate(linalg::GenericOp g) {
  if (!g->hasAttr("xgenmm.matmul") || !lowering::isRowMajorMatmul(g))
    return false;
  auto a = dyn_cast<RankedTensorType>(g.getDpsInputs()[0].getType());
  auto w = dyn_cast<RankedTensorType>(g.getDpsInputs()[1].getType());
  auto out = dyn_cast<RankedTensorType>(g.getDpsInits()[0].getType());
  if (!a || !w || !out || !a.getElementType().isF32() || !w.getElementType().isBF16() ||
      !out.getElementType().isF32() || a.getRank() != 2)
    return false;
  int64_t kSize = w.getDimSize(0);
  return !ShapedType::isDynamic(kSize) && kSize % 2 == 0 && out.getDimSize(0) != 1;
}

/// bf16(x) by an elementwise generic (x as is if it is bf16 already).
Value roundToBf16(OpBuilder &b, Location loc, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  if (type.getElementType().isBF16())
    return x;
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
  Value empty = tensor::EmptyOp::create(b, loc, sizes, b.getBF16Type());
  AffineMap id = b.getMultiDimIdentityMap(type.getRank());
  return linalg::GenericOp::create(
             b, loc, TypeRange{empty.getType()}, ValueRange{x}, ValueRange{empty},
             ArrayRef<AffineMap>{id, id},
             SmallVector<utils::IteratorType>(type.getRank(), utils::IteratorType::parallel),
             [](OpBuilder &nb, Location l, ValueRange args) {
               Value t = arith::TruncFOp::create(nb, l, nb.getBF16Type(), args[0]);
               linalg::YieldOp::create(nb, l, t);
             })
      .getResult(0);
}

/// `g`'s contraction over bf16 `lhs` and `rhs`: out += f32(lhs) * f32(rhs),
/// same maps, loops and destinations.
linalg::GenericOp bf16Product(OpBuilder &b, linalg::GenericOp g, Value lhs, Value rhs) {
  return linalg::GenericOp::create(
      b, g.getLoc(), g.getResultTypes(), ValueRange{lhs, rhs}, g.getDpsInits(),
      g.getIndexingMapsArray(), g.getIteratorTypesArray(),
      [](OpBuilder &nb, Location l, ValueRange args) {
        Value x = arith::ExtFOp::create(nb, l, nb.getF32Type(), args[0]);
        Value y = arith::ExtFOp::create(nb, l, nb.getF32Type(), args[1]);
        Value p = arith::MulFOp::create(nb, l, x, y);
        Value s = arith::AddFOp::create(nb, l, args[2], p);
        linalg::YieldOp::create(nb, l, s);
      });
}

struct XgenmmBf16DotMatmulsPass
    : xgenmm::impl::XgenmmBf16DotMatmulsBase<XgenmmBf16DotMatmulsPass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> candidates;
    getOperation()->walk([&](linalg::GenericOp g) {
      if (isBf16Candidate(g))
        candidates.push_back(g);
    });
    IRRewriter b(&getContext());
    for (linalg::GenericOp g : candidates) {
      Location loc = g.getLoc();
      b.setInsertionPoint(g);
      // a_bf16 = bf16(a), one pass over the activations.
      Value rounded = roundToBf16(b, loc, g.getDpsInputs()[0]);
      // out += f32(a_bf16) * f32(w)
      linalg::GenericOp product = bf16Product(b, g, rounded, g.getDpsInputs()[1]);
      for (NamedAttribute attr : g->getDiscardableAttrs())
        if (attr.getName() != "xgenmm.matmul")
          product->setAttr(attr.getName(), attr.getValue());
      product->setAttr("xgenmm.matmul_bf16", b.getUnitAttr());
      b.replaceOp(g, product.getResults());
    }
  }
};

//===----------------------------------------------------------------------===//
// xgenmm-bf16-dot-attention
//===----------------------------------------------------------------------===//

/// Whether `pv`'s probabilities come, through elementwise and row-reduction
/// generics, from scores on bf16 dot products (`xgenmm.attn_qk_bf16`).
bool fromBf16Scores(linalg::GenericOp pv) {
  SmallVector<Operation *> work = {pv.getDpsInputs()[0].getDefiningOp()};
  llvm::SmallPtrSet<Operation *, 16> seen;
  while (!work.empty()) {
    auto g = dyn_cast_or_null<linalg::GenericOp>(work.pop_back_val());
    if (!g || !seen.insert(g).second)
      continue;
    if (g->hasAttr("xgenmm.attn_qk_bf16"))
      return true;
    if (g->hasAttr("xgenmm.attn_qk"))
      continue;
    for (Value in : g.getDpsInputs())
      work.push_back(in.getDefiningOp());
  }
  return false;
}

/// `x`, the only result of an all-parallel generic with one use that does
/// not read its destination, computed again by a copy of that generic that
/// writes bf16 (its value rounded before the yield); null otherwise.
Value writeAsBf16(OpBuilder &b, Value x) {
  auto g = x.getDefiningOp<linalg::GenericOp>();
  if (!g || g->getNumResults() != 1 || !x.hasOneUse() || g.getNumDpsInits() != 1 ||
      g.getNumReductionLoops() != 0 || !g.hasPureTensorSemantics() ||
      !cast<RankedTensorType>(x.getType()).getElementType().isF32() ||
      !g.getRegionOutputArgs()[0].use_empty())
    return Value();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(g);
  Location loc = g.getLoc();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, g.getDpsInits()[0]);
  Value empty = tensor::EmptyOp::create(b, loc, sizes, b.getBF16Type());
  Block &body = g.getRegion().front();
  auto rounded = linalg::GenericOp::create(
      b, loc, TypeRange{empty.getType()}, g.getDpsInputs(), ValueRange{empty},
      g.getIndexingMapsArray(), g.getIteratorTypesArray(),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        IRMapping map;
        map.map(body.getArguments(), args);
        for (Operation &op : body.without_terminator())
          nb.clone(op, map);
        Value y = map.lookupOrDefault(body.getTerminator()->getOperand(0));
        Value t = arith::TruncFOp::create(nb, l, nb.getBF16Type(), y);
        linalg::YieldOp::create(nb, l, t);
      });
  for (NamedAttribute attr : g->getDiscardableAttrs())
    rounded->setAttr(attr.getName(), attr.getValue());
  return rounded.getResult(0);
}

struct XgenmmBf16DotAttentionPass
    : xgenmm::impl::XgenmmBf16DotAttentionBase<XgenmmBf16DotAttentionPass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> scores;
    getOperation()->walk([&](linalg::GenericOp g) {
      // Loops (b, h, g, s, t, d); d static and even.
      if (!g->hasAttr("xgenmm.attn_qk") || g->hasAttr("xgenmm.attn_qk_bf16") ||
          g.getNumLoops() != 6 || g.getNumDpsInputs() != 2 || !g.hasPureTensorSemantics())
        return;
      int64_t d = g.getStaticLoopRanges()[5];
      if (ShapedType::isDynamic(d) || d % 2 != 0)
        return;
      // Only scores over keys transposed for them (the model's attention,
      // not a bare contraction): the transpose writes the bf16 keys.
      auto transpose = g.getDpsInputs()[1].getDefiningOp<linalg::GenericOp>();
      if (!transpose || !transpose->hasAttr("xgenmm.attn_kt") || !transpose->hasOneUse())
        return;
      scores.push_back(g);
    });
    IRRewriter b(&getContext());
    for (linalg::GenericOp g : scores) {
      Location loc = g.getLoc();
      b.setInsertionPoint(g);
      Value q = roundToBf16(b, loc, g.getDpsInputs()[0]);
      // The keys: their transpose writes bf16 (one pass either way).
      Value kt = g.getDpsInputs()[1];
      auto transpose = kt.getDefiningOp<linalg::GenericOp>();
      if (cast<RankedTensorType>(kt.getType()).getElementType().isF32()) {
        b.setInsertionPoint(transpose);
        SmallVector<OpFoldResult> sizes =
            tensor::getMixedSizes(b, loc, transpose.getDpsInits()[0]);
        Value empty = tensor::EmptyOp::create(b, loc, sizes, b.getBF16Type());
        auto rounded = linalg::GenericOp::create(
            b, transpose.getLoc(), TypeRange{empty.getType()}, transpose.getDpsInputs(),
            ValueRange{empty}, transpose.getIndexingMapsArray(),
            transpose.getIteratorTypesArray(), [](OpBuilder &nb, Location l, ValueRange args) {
              Value x = args[0];
              if (!x.getType().isBF16())
                x = arith::TruncFOp::create(nb, l, nb.getBF16Type(), x);
              linalg::YieldOp::create(nb, l, x);
            });
        rounded->setAttr("xgenmm.attn_kt", b.getUnitAttr());
        kt = rounded.getResult(0);
        b.setInsertionPoint(g);
      } else {
        transpose = nullptr;
        kt = roundToBf16(b, loc, kt);
      }
      // scores += f32(q) * f32(kt)
      linalg::GenericOp product = bf16Product(b, g, q, kt);
      for (NamedAttribute attr : g->getDiscardableAttrs())
        product->setAttr(attr.getName(), attr.getValue());
      product->setAttr("xgenmm.attn_qk_bf16", b.getUnitAttr());
      b.replaceOp(g, product.getResults());
      if (transpose && transpose->use_empty())
        b.eraseOp(transpose);
    }

    // p v after those scores: the probabilities written as bf16 by the
    // softmax's last step, v rounded once (outside the fused row blocks).
    SmallVector<linalg::GenericOp> products;
    getOperation()->walk([&](linalg::GenericOp g) {
      if (g->hasAttr("xgenmm.attn_pv") && !g->hasAttr("xgenmm.attn_pv_bf16") &&
          g.getNumLoops() == 6 && g.getNumDpsInputs() == 2 && g.hasPureTensorSemantics() &&
          fromBf16Scores(g))
        products.push_back(g);
    });
    for (linalg::GenericOp g : products) {
      Location loc = g.getLoc();
      b.setInsertionPoint(g);
      Operation *softmax = g.getDpsInputs()[0].getDefiningOp();
      Value p = writeAsBf16(b, g.getDpsInputs()[0]);
      if (!p)
        p = roundToBf16(b, loc, g.getDpsInputs()[0]);
      Value v = g.getDpsInputs()[1];
      if (!cast<RankedTensorType>(v.getType()).getElementType().isBF16()) {
        v = roundToBf16(b, loc, v);
        v.getDefiningOp()->setAttr("xgenmm.attn_v", b.getUnitAttr());
      }
      // out += f32(p) * f32(v)
      linalg::GenericOp product = bf16Product(b, g, p, v);
      for (NamedAttribute attr : g->getDiscardableAttrs())
        product->setAttr(attr.getName(), attr.getValue());
      product->setAttr("xgenmm.attn_pv_bf16", b.getUnitAttr());
      b.replaceOp(g, product.getResults());
      if (softmax && softmax->use_empty())
        b.eraseOp(softmax);
    }
  }
};

//===----------------------------------------------------------------------===//
// xgenmm-pack-bf16-tiles
//===----------------------------------------------------------------------===//

/// p[kp, 2 n + j] = w[2 kp + j, n] for a static bf16 [K, N] tile: per k pair
/// the two rows read 32 (then 16, 8, ... for the rest) columns at a time
/// and interleaved by one shuffle.
Value packPairs(OpBuilder &b, Location loc, Value w, int64_t kSize, int64_t nSize) {
  Type bf16 = b.getBF16Type();
  Value init = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{kSize / 2, 2 * nSize}, bf16);
  auto cst = [](OpBuilder &nb, Location nl, int64_t v) {
    return arith::ConstantIndexOp::create(nb, nl, v).getResult();
  };
  auto rows = scf::ForOp::create(
      b, loc, cst(b, loc, 0), cst(b, loc, kSize / 2), cst(b, loc, 1), ValueRange{init},
      [&](OpBuilder &rb, Location rl, Value kp, ValueRange iter) {
        Value k0 = arith::MulIOp::create(rb, rl, kp, cst(rb, rl, 2));
        Value k1 = arith::AddIOp::create(rb, rl, k0, cst(rb, rl, 1));
        auto chunk = [&](OpBuilder &cb, Location cl, Value col, int64_t width,
                         Value into) -> Value {
          auto type = VectorType::get({width}, bf16);
          Value pad = arith::ConstantOp::create(cb, cl, cb.getZeroAttr(bf16));
          Value r0 = vector::TransferReadOp::create(cb, cl, type, w, ValueRange{k0, col}, pad,
                                                    ArrayRef<bool>{true});
          Value r1 = vector::TransferReadOp::create(cb, cl, type, w, ValueRange{k1, col}, pad,
                                                    ArrayRef<bool>{true});
          SmallVector<int64_t> mask;
          for (int64_t j = 0; j < width; ++j) {
            mask.push_back(j);
            mask.push_back(width + j);
          }
          Value pairs = vector::ShuffleOp::create(cb, cl, r0, r1, mask);
          Value at = arith::MulIOp::create(cb, cl, col, cst(cb, cl, 2));
          return vector::TransferWriteOp::create(cb, cl, pairs, into, ValueRange{kp, at},
                                                 ArrayRef<bool>{true})
              .getResult();
        };
        Value t = iter[0];
        int64_t full = nSize / 32 * 32;
        if (full > 0)
          t = scf::ForOp::create(rb, rl, cst(rb, rl, 0), cst(rb, rl, full), cst(rb, rl, 32),
                                 ValueRange{t},
                                 [&](OpBuilder &cb, Location cl, Value col, ValueRange it) {
                                   scf::YieldOp::create(cb, cl,
                                                        chunk(cb, cl, col, 32, it[0]));
                                 })
                  .getResult(0);
        int64_t col = full;
        for (int64_t width : {16, 8, 4, 2, 1})
          if (nSize - col >= width) {
            t = chunk(rb, rl, cst(rb, rl, col), width, t);
            col += width;
          }
        scf::YieldOp::create(rb, rl, t);
      });
  return rows.getResult(0);
}

struct XgenmmPackBf16TilesPass
    : xgenmm::impl::XgenmmPackBf16TilesBase<XgenmmPackBf16TilesPass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> products;
    getOperation()->walk([&](linalg::GenericOp g) {
      if (!g->hasAttr("xgenmm.matmul_bf16") || g.getNumLoops() != 3 ||
          !lowering::isRowMajorMatmul(g))
        return;
      auto a = dyn_cast<RankedTensorType>(g.getDpsInputs()[0].getType());
      auto w = dyn_cast<RankedTensorType>(g.getDpsInputs()[1].getType());
      if (a && w && a.getRank() == 2 && a.getElementType().isBF16() &&
          w.getElementType().isBF16() && w.hasStaticShape() && w.getDimSize(0) % 2 == 0 &&
          a.getDimSize(1) == w.getDimSize(0))
        products.push_back(g);
    });
    IRRewriter b(&getContext());
    MLIRContext *ctx = &getContext();
    for (linalg::GenericOp g : products) {
      Location loc = g.getLoc();
      b.setInsertionPoint(g);
      Value a = g.getDpsInputs()[0], w = g.getDpsInputs()[1];
      auto wType = cast<RankedTensorType>(w.getType());
      int64_t kSize = wType.getDimSize(0), nSize = wType.getDimSize(1);
      Type bf16 = b.getBF16Type();
      SmallVector<ReassociationIndices> pairsOf = {{0}, {1, 2}};
      Value packed = packPairs(b, loc, w, kSize, nSize);
      Value wPairs = tensor::ExpandShapeOp::create(
          b, loc, RankedTensorType::get({kSize / 2, nSize, 2}, bf16), packed, pairsOf);
      auto aType = cast<RankedTensorType>(a.getType());
      Value aPairs = tensor::ExpandShapeOp::create(
          b, loc, RankedTensorType::get({aType.getDimSize(0), kSize / 2, 2}, bf16), a,
          pairsOf,
          SmallVector<OpFoldResult>{tensor::getMixedSize(b, loc, a, 0),
                                    b.getIndexAttr(kSize / 2), b.getIndexAttr(2)});
      AffineExpr m, n, kp, j;
      bindDims(ctx, m, n, kp, j);
      SmallVector<AffineMap> maps = {AffineMap::get(4, 0, {m, kp, j}, ctx),
                                     AffineMap::get(4, 0, {kp, n, j}, ctx),
                                     AffineMap::get(4, 0, {m, n}, ctx)};
      SmallVector<utils::IteratorType> iters = {
          utils::IteratorType::parallel, utils::IteratorType::parallel,
          utils::IteratorType::reduction, utils::IteratorType::reduction};
      auto product = linalg::GenericOp::create(b, loc, g.getResultTypes(),
                                               ValueRange{aPairs, wPairs}, g.getDpsInits(),
                                               maps, iters);
      // The same body: f32(x) * f32(y) added to the accumulator.
      b.cloneRegionBefore(g.getRegion(), product.getRegion(), product.getRegion().end());
      for (NamedAttribute attr : g->getDiscardableAttrs())
        product->setAttr(attr.getName(), attr.getValue());
      b.replaceOp(g, product.getResults());
    }
  }
};

//===----------------------------------------------------------------------===//
// xgenmm-lower-bf16-dot
//===----------------------------------------------------------------------===//

/// The bf16 vector that `v` extends (through an arith.extf and shape
/// casts on either side of it), in v's shape; null if there is none.
Value bf16Source(OpBuilder &b, Value v) {
  auto shape = cast<VectorType>(v.getType()).getShape();
  Value x = v;
  bool extended = false;
  while (Operation *def = x.getDefiningOp()) {
    if (auto cast = dyn_cast<vector::ShapeCastOp>(def))
      x = cast.getSource();
    else if (auto ext = dyn_cast<arith::ExtFOp>(def); ext && !extended)
      x = ext.getIn(), extended = true;
    else
      break;
  }
  auto type = dyn_cast<VectorType>(x.getType());
  if (!type || !type.getElementType().isBF16())
    return Value();
  auto want = VectorType::get(shape, type.getElementType());
  if (type == want)
    return x;
  return vector::ShapeCastOp::create(b, v.getLoc(), want, x);
}

/// The read that `v` extends, as bf16 (the packed weight's), or null.
vector::TransferReadOp bf16Read(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (auto read = dyn_cast<vector::TransferReadOp>(def))
      return read.getVectorType().getElementType().isBF16() ? read : nullptr;
    if (!isa<vector::ShapeCastOp, arith::ExtFOp>(def))
      return nullptr;
    v = def->getOperand(0);
  }
  return nullptr;
}

/// Whether `v` is f32 extended from bf16 (through shape casts).
bool isBf16Extension(Value v) {
  for (Operation *def = v.getDefiningOp(); def; def = def->getOperand(0).getDefiningOp()) {
    if (auto ext = dyn_cast<arith::ExtFOp>(def))
      return cast<VectorType>(ext.getIn().getType()).getElementType().isBF16();
    if (!isa<vector::ShapeCastOp>(def))
      return false;
  }
  return false;
}

/// The bf16 operands of a register-tile contraction over one k pair, in
/// the forms the dot products take: per row m its pair lhs[m, 0..1], and
/// the weight as pairs, [rhs[0, 0], rhs[1, 0], rhs[0, 1], rhs[1, 1], ...]
/// (2 x columns elements).
struct PairOperands {
  Value lhs; // vector<rows x 2 x bf16>
  Value pairs; // vector<2 cols x bf16>
  int64_t rows, cols;
};

/// acc[m, n] += f32(lhs[m, k]) * f32(rhs[k, n]), k of size 2 (the weight
/// rows interleaved here), or, packed (xgenmm-pack-bf16-tiles),
/// acc[m, n] += f32(lhs[m, kp, j]) * f32(rhs[kp, n, j]), kp of size 1 and
/// j of size 2 (the weight in pairs already).
FailureOr<PairOperands> matchPairContraction(vector::ContractionOp op, PatternRewriter &b) {
  auto accType = dyn_cast<VectorType>(op.getAccType());
  if (op.getKind() != vector::CombiningKind::ADD || !accType || accType.getRank() != 2 ||
      !accType.getElementType().isF32())
    return failure();
  if (!isBf16Extension(op.getLhs()) || !isBf16Extension(op.getRhs()))
    return failure();
  Value lhs = bf16Source(b, op.getLhs()), rhs = bf16Source(b, op.getRhs());
  MLIRContext *ctx = op.getContext();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (maps.size() != 3)
    return failure();
  int64_t rows = accType.getShape()[0], cols = accType.getShape()[1];
  Location loc = op.getLoc();
  Type bf16 = b.getBF16Type();
  auto lhsType = cast<VectorType>(lhs.getType());
  auto rhsType = cast<VectorType>(rhs.getType());
  if (op.getIteratorTypesArray().size() == 4) {
    AffineExpr m, n, kp, j;
    bindDims(ctx, m, n, kp, j);
    if (maps[0] != AffineMap::get(4, 0, {m, kp, j}, ctx) ||
        maps[1] != AffineMap::get(4, 0, {kp, n, j}, ctx) ||
        maps[2] != AffineMap::get(4, 0, {m, n}, ctx) ||
        lhsType.getShape() != ArrayRef<int64_t>{rows, 1, 2} ||
        rhsType.getShape() != ArrayRef<int64_t>{1, cols, 2})
      return failure();
    return PairOperands{
        vector::ShapeCastOp::create(b, loc, VectorType::get({rows, 2}, bf16), lhs),
        vector::ShapeCastOp::create(b, loc, VectorType::get({2 * cols}, bf16), rhs), rows,
        cols};
  }
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  if (maps[0] != AffineMap::get(3, 0, {m, k}, ctx) ||
      maps[1] != AffineMap::get(3, 0, {k, n}, ctx) ||
      maps[2] != AffineMap::get(3, 0, {m, n}, ctx) || lhsType.getShape()[1] != 2 ||
      rhsType.getShape()[0] != 2)
    return failure();
  // The two weight rows interleaved into (k = 0, k = 1) pairs.
  Value w0 = vector::ExtractOp::create(b, loc, rhs, ArrayRef<int64_t>{0});
  Value w1 = vector::ExtractOp::create(b, loc, rhs, ArrayRef<int64_t>{1});
  SmallVector<int64_t> mask;
  for (int64_t c = 0; c < cols; ++c) {
    mask.push_back(c);
    mask.push_back(cols + c);
  }
  return PairOperands{lhs, vector::ShuffleOp::create(b, loc, w0, w1, mask), rows, cols};
}

/// A bf16 pair contraction with unit dimensions around its (m, n, k), the
/// register tiles of the bf16 q k^T (loops b, h, g, s, t, d as
/// [1, 1, 1, rows, cols, 2]), as the 2-d form ContractToDot takes: its
/// operands shape-cast to [rows, 2], [2, cols] and [rows, cols] (the unit
/// dimensions dropped, the others in the same order).
struct FlattenPairContract : OpRewritePattern<vector::ContractionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vector::ContractionOp op,
                                PatternRewriter &b) const override {
    auto accType = dyn_cast<VectorType>(op.getAccType());
    if (op.getKind() != vector::CombiningKind::ADD || !accType || accType.getRank() <= 2 ||
        !accType.getElementType().isF32() || !isBf16Extension(op.getLhs()) ||
        !isBf16Extension(op.getRhs()))
      return failure();
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    auto lhsType = cast<VectorType>(op.getLhsType());
    auto rhsType = cast<VectorType>(op.getRhsType());
    unsigned numDims = maps[0].getNumDims();
    // Each loop's size and in which operands it appears.
    SmallVector<int64_t> size(numDims, -1);
    SmallVector<std::array<int, 3>> position(numDims, {-1, -1, -1});
    ArrayRef<int64_t> shapes[3] = {lhsType.getShape(), rhsType.getShape(), accType.getShape()};
    for (unsigned o = 0; o < 3; ++o)
      for (auto [i, expr] : llvm::enumerate(maps[o].getResults())) {
        auto dim = dyn_cast<AffineDimExpr>(expr);
        if (!dim)
          return failure();
        size[dim.getPosition()] = shapes[o][i];
        position[dim.getPosition()][o] = static_cast<int>(i);
      }
    // m: in lhs and acc; n: in rhs and acc; k: in lhs and rhs. Every loop
    // but one of each role has size 1.
    SmallVector<unsigned> roles[3];
    for (unsigned d = 0; d < numDims; ++d) {
      bool inL = position[d][0] >= 0, inR = position[d][1] >= 0, inA = position[d][2] >= 0;
      if (inL && inA && !inR)
        roles[0].push_back(d);
      else if (inR && inA && !inL)
        roles[1].push_back(d);
      else if (inL && inR && !inA)
        roles[2].push_back(d);
      else if (size[d] != 1)
        return failure();
    }
    unsigned pick[3];
    for (unsigned r = 0; r < 3; ++r) {
      if (roles[r].empty())
        return failure();
      pick[r] = roles[r].front();
      unsigned wide = 0;
      for (unsigned d : roles[r])
        if (size[d] != 1) {
          pick[r] = d;
          ++wide;
        }
      if (wide > 1)
        return failure();
    }
    unsigned m = pick[0], n = pick[1], k = pick[2];
    // Shape casts keep the order of the dimensions that are not 1.
    auto before = [&](unsigned x, unsigned y, unsigned operand) {
      return size[x] == 1 || size[y] == 1 || position[x][operand] < position[y][operand];
    };
    if (size[k] != 2 || !before(m, k, 0) || !before(k, n, 1) || !before(m, n, 2))
      return failure();
    int64_t rows = size[m], cols = size[n];
    Location loc = op.getLoc();
    Type f32 = b.getF32Type();
    Value lhs = vector::ShapeCastOp::create(b, loc, VectorType::get({rows, 2}, f32), op.getLhs());
    Value rhs = vector::ShapeCastOp::create(b, loc, VectorType::get({2, cols}, f32), op.getRhs());
    Value acc = vector::ShapeCastOp::create(b, loc, VectorType::get({rows, cols}, f32), op.getAcc());
    MLIRContext *ctx = op.getContext();
    AffineExpr dm, dn, dk;
    bindDims(ctx, dm, dn, dk);
    auto contract = vector::ContractionOp::create(
        b, loc, lhs, rhs, acc,
        b.getAffineMapArrayAttr({AffineMap::get(3, 0, {dm, dk}, ctx),
                                 AffineMap::get(3, 0, {dk, dn}, ctx),
                                 AffineMap::get(3, 0, {dm, dn}, ctx)}),
        b.getArrayAttr({vector::IteratorTypeAttr::get(ctx, vector::IteratorType::parallel),
                        vector::IteratorTypeAttr::get(ctx, vector::IteratorType::parallel),
                        vector::IteratorTypeAttr::get(ctx, vector::IteratorType::reduction)}));
    b.replaceOpWithNewOp<vector::ShapeCastOp>(op, accType, contract.getResult());
    return success();
  }
};

/// The register tiles of @xgenmm_tile_bf16_dot: per row one broadcast of
/// its pair as 32 bits, per 16 (8, 4) columns one x86vector.avx512.dot;
/// columns left over (fewer than 4) take f32 FMAs.
struct ContractToDot : OpRewritePattern<vector::ContractionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vector::ContractionOp op,
                                PatternRewriter &b) const override {
    FailureOr<PairOperands> operands = matchPairContraction(op, b);
    if (failed(operands))
      return failure();
    auto [lhs, pairs, rows, cols] = *operands;
    Location loc = op.getLoc();
    Type bf16 = b.getBF16Type(), f32 = b.getF32Type();

    // Chunks of columns, each its slice of the pairs.
    struct Chunk {
      int64_t col, width;
      Value pairs;
    };
    SmallVector<Chunk> chunks;
    int64_t col = 0;
    auto addChunk = [&](int64_t width) {
      Value slice = vector::ExtractStridedSliceOp::create(
          b, loc, pairs, ArrayRef<int64_t>{2 * col}, ArrayRef<int64_t>{2 * width},
          ArrayRef<int64_t>{1});
      chunks.push_back({col, width, slice});
      col += width;
    };
    while (cols - col >= 16)
      addChunk(16);
    if (cols - col >= 8)
      addChunk(8);
    if (cols - col >= 4)
      addChunk(4);
    int64_t tail = col; // columns [tail, cols) by FMAs
    // The tail's weight rows k = 0, 1, taken out of the pairs.
    Value tailRows[2];
    if (tail < cols)
      for (int64_t kk = 0; kk < 2; ++kk) {
        SmallVector<int64_t> mask;
        for (int64_t c = tail; c < cols; ++c)
          mask.push_back(2 * c + kk);
        tailRows[kk] = vector::ShuffleOp::create(b, loc, pairs, pairs, mask);
      }

    Value acc = op.getAcc();
    for (int64_t r = 0; r < rows; ++r) {
      Value row = vector::ExtractOp::create(b, loc, acc, ArrayRef<int64_t>{r});
      Value aRow = vector::ExtractOp::create(b, loc, lhs, ArrayRef<int64_t>{r});
      // The row's pair as one 32-bit lane.
      Value pair32 = vector::BitCastOp::create(b, loc, VectorType::get({1}, b.getI32Type()), aRow);
      Value scalar32 = vector::ExtractOp::create(b, loc, pair32, ArrayRef<int64_t>{0});
      for (const Chunk &c : chunks) {
        Value lanes = vector::BroadcastOp::create(
            b, loc, VectorType::get({c.width}, b.getI32Type()), scalar32);
        Value aPairs = vector::BitCastOp::create(b, loc, VectorType::get({2 * c.width}, bf16),
                                                 lanes);
        auto accChunkType = VectorType::get({c.width}, f32);
        Value part = vector::ExtractStridedSliceOp::create(
            b, loc, row, ArrayRef<int64_t>{c.col}, ArrayRef<int64_t>{c.width},
            ArrayRef<int64_t>{1});
        Value dot = x86vector::DotBF16Op::create(b, loc, accChunkType, part, aPairs, c.pairs);
        row = vector::InsertStridedSliceOp::create(b, loc, dot, row, ArrayRef<int64_t>{c.col},
                                                   ArrayRef<int64_t>{1});
      }
      if (tail < cols) {
        int64_t width = cols - tail;
        auto tailType = VectorType::get({width}, f32);
        Value part = vector::ExtractStridedSliceOp::create(
            b, loc, row, ArrayRef<int64_t>{tail}, ArrayRef<int64_t>{width},
            ArrayRef<int64_t>{1});
        for (int64_t kk = 0; kk < 2; ++kk) {
          Value a = vector::ExtractOp::create(b, loc, aRow, ArrayRef<int64_t>{kk});
          Value aF = arith::ExtFOp::create(b, loc, f32, a);
          Value aB = vector::BroadcastOp::create(b, loc, tailType, aF);
          Value wF = arith::ExtFOp::create(b, loc, tailType, tailRows[kk]);
          part = vector::FMAOp::create(b, loc, aB, wF, part);
        }
        row = vector::InsertStridedSliceOp::create(b, loc, part, row, ArrayRef<int64_t>{tail},
                                                   ArrayRef<int64_t>{1});
      }
      acc = vector::InsertOp::create(b, loc, row, acc, ArrayRef<int64_t>{r});
    }
    b.replaceOp(op, acc);
    return success();
  }
};

struct XgenmmLowerBf16DotPass
    : xgenmm::impl::XgenmmLowerBf16DotBase<XgenmmLowerBf16DotPass> {
  void runOnOperation() override {
    // The packed weight's reads, vector<1 x cols x 2>, as one read of
    // 2 x cols contiguous elements (not cols reads of 2).
    SmallVector<Operation *> weightReads;
    getOperation()->walk([&](vector::ContractionOp op) {
      if (op.getIteratorTypesArray().size() != 4)
        return;
      if (vector::TransferReadOp read = bf16Read(op.getRhs()))
        weightReads.push_back(read);
    });
    if (!weightReads.empty()) {
      RewritePatternSet flatten(&getContext());
      vector::populateFlattenVectorTransferPatterns(flatten);
      (void)applyOpPatternsGreedily(weightReads, std::move(flatten));
    }
    RewritePatternSet patterns(&getContext());
    patterns.add<FlattenPairContract, ContractToDot>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
