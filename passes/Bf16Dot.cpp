//===- Bf16Dot.cpp - matrix products on AVX512-BF16 dot products ----------===//
//
// Two passes for CPUs with AVX512-BF16 (`vdpbf16ps`: 16 lanes, each the sum
// of two bf16 x bf16 products added to an f32 accumulator), twice the fp32
// FMA rate (benchmarks/MachineLimits.h measures both):
//
// xgenmm-bf16-dot-matmuls, on linalg: a dense contraction marked
// `xgenmm.matmul` over a bf16 weight [K, N] with more than one row (image
// encoding, prefill) gets its f32 activations rounded to bf16 once
// (a truncf generic), and the contraction reads them:
//   out[m, n] += f32(a_bf16[m, k]) * f32(w[k, n])
// marked `xgenmm.matmul_bf16` instead (the schedule's @xgenmm_tile_bf16_dot
// tiles it to 8x32 register tiles over pairs of k). Decode's one-row
// products keep f32 activations (bandwidth bound: no gain, exact).
//
// xgenmm-lower-bf16-dot, on vectors: such a register-tile contraction
//   acc[m, n] += f32(lhs[m, k]) * f32(rhs[k, n]),  k in {0, 1}
// becomes per row m one broadcast of the row's bf16 pair (32 bits) and, per
// 16 (8, 4) columns, one interleave of the two weight rows into pairs and
// one x86vector.avx512.dot; columns left over (fewer than 4) take f32 FMAs.
// The weights stay [K, N] in weights.bin (the interleave is two permutes
// per 32 columns, shared by the tile's 8 rows).
//
//===----------------------------------------------------------------------===//
#include "passes/LoweringUtils.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::xgenmm {
#define GEN_PASS_DEF_XGENMMBF16DOTMATMULS
#define GEN_PASS_DEF_XGENMMLOWERBF16DOT
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
      Value a = g.getDpsInputs()[0];
      auto aType = cast<RankedTensorType>(a.getType());
      // a_bf16 = bf16(a), one pass over the activations.
      SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, a);
      Value empty = tensor::EmptyOp::create(b, loc, sizes, b.getBF16Type());
      AffineMap id = b.getMultiDimIdentityMap(aType.getRank());
      auto round = linalg::GenericOp::create(
          b, loc, TypeRange{empty.getType()}, ValueRange{a}, ValueRange{empty},
          ArrayRef<AffineMap>{id, id},
          SmallVector<utils::IteratorType>(aType.getRank(), utils::IteratorType::parallel),
          [](OpBuilder &nb, Location l, ValueRange args) {
            Value t = arith::TruncFOp::create(nb, l, nb.getBF16Type(), args[0]);
            linalg::YieldOp::create(nb, l, t);
          });
      // out += f32(a_bf16) * f32(w)
      auto product = linalg::GenericOp::create(
          b, loc, g.getResultTypes(), ValueRange{round.getResult(0), g.getDpsInputs()[1]},
          g.getDpsInits(), g.getIndexingMapsArray(), g.getIteratorTypesArray(),
          [](OpBuilder &nb, Location l, ValueRange args) {
            Value x = arith::ExtFOp::create(nb, l, nb.getF32Type(), args[0]);
            Value y = arith::ExtFOp::create(nb, l, nb.getF32Type(), args[1]);
            Value p = arith::MulFOp::create(nb, l, x, y);
            Value s = arith::AddFOp::create(nb, l, args[2], p);
            linalg::YieldOp::create(nb, l, s);
          });
      for (NamedAttribute attr : g->getDiscardableAttrs())
        if (attr.getName() != "xgenmm.matmul")
          product->setAttr(attr.getName(), attr.getValue());
      product->setAttr("xgenmm.matmul_bf16", b.getUnitAttr());
      b.replaceOp(g, product.getResults());
    }
  }
};

//===----------------------------------------------------------------------===//
// xgenmm-lower-bf16-dot
//===----------------------------------------------------------------------===//

/// `v` without an arith.extf from bf16 in front, or null.
Value bf16Source(Value v) {
  if (auto ext = v.getDefiningOp<arith::ExtFOp>())
    v = ext.getIn();
  auto type = dyn_cast<VectorType>(v.getType());
  return type && type.getElementType().isBF16() ? v : Value();
}

/// acc[m, n] += f32(lhs[m, k]) * f32(rhs[k, n]) with k of size 2: the
/// register tiles of @xgenmm_tile_bf16_dot.
struct ContractToDot : OpRewritePattern<vector::ContractionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vector::ContractionOp op,
                                PatternRewriter &b) const override {
    if (op.getKind() != vector::CombiningKind::ADD)
      return failure();
    Value lhs = bf16Source(op.getLhs()), rhs = bf16Source(op.getRhs());
    auto accType = dyn_cast<VectorType>(op.getAccType());
    if (!lhs || !rhs || !accType || accType.getRank() != 2 ||
        !accType.getElementType().isF32())
      return failure();
    MLIRContext *ctx = op.getContext();
    AffineExpr m, n, k;
    bindDims(ctx, m, n, k);
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    if (maps.size() != 3 || maps[0] != AffineMap::get(3, 0, {m, k}, ctx) ||
        maps[1] != AffineMap::get(3, 0, {k, n}, ctx) ||
        maps[2] != AffineMap::get(3, 0, {m, n}, ctx))
      return failure();
    auto lhsType = cast<VectorType>(lhs.getType());
    auto rhsType = cast<VectorType>(rhs.getType());
    if (lhsType.getShape()[1] != 2 || rhsType.getShape()[0] != 2)
      return failure();
    int64_t rows = accType.getShape()[0], cols = accType.getShape()[1];
    Location loc = op.getLoc();
    Type bf16 = b.getBF16Type(), f32 = b.getF32Type();

    // The two weight rows, and per chunk of columns their interleave into
    // (k = 0, k = 1) pairs: [w0[c], w1[c], w0[c + 1], w1[c + 1], ...].
    Value w0 = vector::ExtractOp::create(b, loc, rhs, ArrayRef<int64_t>{0});
    Value w1 = vector::ExtractOp::create(b, loc, rhs, ArrayRef<int64_t>{1});
    struct Chunk {
      int64_t col, width;
      Value pairs;
    };
    SmallVector<Chunk> chunks;
    int64_t col = 0;
    auto addChunk = [&](int64_t width) {
      SmallVector<int64_t> mask;
      for (int64_t j = 0; j < width; ++j) {
        mask.push_back(col + j);
        mask.push_back(cols + col + j);
      }
      Value pairs = vector::ShuffleOp::create(b, loc, w0, w1, mask);
      chunks.push_back({col, width, pairs});
      col += width;
    };
    while (cols - col >= 16)
      addChunk(16);
    if (cols - col >= 8)
      addChunk(8);
    if (cols - col >= 4)
      addChunk(4);
    int64_t tail = col; // columns [tail, cols) by FMAs

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
          Value w = vector::ExtractStridedSliceOp::create(
              b, loc, kk ? w1 : w0, ArrayRef<int64_t>{tail}, ArrayRef<int64_t>{width},
              ArrayRef<int64_t>{1});
          Value wF = arith::ExtFOp::create(b, loc, tailType, w);
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
    RewritePatternSet patterns(&getContext());
    patterns.add<ContractToDot>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
