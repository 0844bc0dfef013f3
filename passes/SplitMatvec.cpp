//===- SplitMatvec.cpp - decode matrix-vector products split along K ------===//
//
// A decode step multiplies one row by every weight of the language model:
//   out[0, n] = init[0, n] + sum_k a[0, k] * w[k, n]      (w stored [K, N])
// bound by the bandwidth of streaming w. Shared among threads by columns,
// each thread would read short runs of every weight row (slower per thread
// than one thread reading whole rows, benchmarks/RESULTS.md). Split along K
// instead, each part reads a contiguous block of whole rows:
//
//   partial = tensor.empty [P, 1, N]
//   for p in 0..P  (marked xgenmm.parallel):
//     partial[p] = 0
//     partial[p] += a[0, p*Kc : (p+1)*Kc] * w[p*Kc : (p+1)*Kc, :]
//   out = init + sum_p partial[p]
//
// The contraction of each part keeps the `xgenmm.matmul` mark (the CPU
// schedule tiles it like any matrix-vector product); the loop becomes an
// OpenMP loop in xgenmm-parallelize-loops, whose static schedule gives each
// thread consecutive parts, i.e. one contiguous stretch of the weight.
//
//===----------------------------------------------------------------------===//
#include "passes/LoweringUtils.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::xgenmm {
#define GEN_PASS_DEF_XGENMMSPLITMATVEC
#include "passes/Passes.h.inc"
} // namespace mlir::xgenmm

using namespace mlir;
using namespace mlir::xgenmm;

namespace {

/// The number of parts for a reduction of `k`: the largest divisor of k not
/// above `maxParts` whose parts have at least `minRows` rows; 0 if under 2.
int64_t partsFor(int64_t k, int64_t maxParts, int64_t minRows) {
  for (int64_t p = maxParts; p >= 2; --p)
    if (k % p == 0 && k / p >= minRows)
      return p;
  return 0;
}

/// A marked dense contraction out[m, n] += a[m, k] * w[k, n] with M = 1 and
/// K, N static, not already inside a split.
bool isSplittable(linalg::GenericOp g) {
  // Quantized products come split already (quantizedMatmul).
  if (!g->hasAttr("xgenmm.matmul") || g->hasAttr("xgenmm.matvec_part") ||
      g->hasAttr("xgenmm.quantized") ||
      !lowering::isRowMajorMatmul(g))
    return false;
  auto w = dyn_cast<RankedTensorType>(g.getDpsInputs()[1].getType());
  auto out = dyn_cast<RankedTensorType>(g.getDpsInits()[0].getType());
  return w && out && w.hasStaticShape() && out.hasStaticShape() &&
         out.getDimSize(0) == 1;
}

struct XgenmmSplitMatvecPass
    : xgenmm::impl::XgenmmSplitMatvecBase<XgenmmSplitMatvecPass> {
  using Base::Base;

  void runOnOperation() override {
    if (maxParts < 2 || minRows < 1) {
      getOperation()->emitError(
          "xgenmm-split-matvec: max-parts must be at least 2 and min-rows at least 1");
      return signalPassFailure();
    }
    SmallVector<linalg::GenericOp> matvecs;
    getOperation()->walk([&](linalg::GenericOp g) {
      if (isSplittable(g))
        matvecs.push_back(g);
    });
    IRRewriter b(&getContext());
    for (linalg::GenericOp g : matvecs)
      split(b, g);
  }

  void split(IRRewriter &b, linalg::GenericOp g) {
    Value a = g.getDpsInputs()[0], w = g.getDpsInputs()[1], init = g.getDpsInits()[0];
    auto wType = cast<RankedTensorType>(w.getType());
    auto aType = cast<RankedTensorType>(a.getType());
    int64_t k = wType.getDimSize(0), n = wType.getDimSize(1);
    int64_t parts = partsFor(k, maxParts, minRows);
    if (!parts)
      return;
    int64_t rows = k / parts;
    Location loc = g.getLoc();
    MLIRContext *ctx = &getContext();
    b.setInsertionPoint(g);

    // The partial sums, one [1, N] row per part.
    auto partialType = RankedTensorType::get({parts, 1, n}, b.getF32Type());
    Value partial = tensor::EmptyOp::create(b, loc, partialType.getShape(), b.getF32Type());
    Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
    Value cParts = arith::ConstantIndexOp::create(b, loc, parts);
    Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
    auto loop = scf::ForOp::create(
        b, loc, c0, cParts, c1, ValueRange{partial},
        [&](OpBuilder &nb, Location l, Value p, ValueRange iter) {
          AffineExpr d0;
          bindDims(ctx, d0);
          Value k0 = affine::makeComposedAffineApply(nb, l, d0 * rows, {p}).getResult();
          auto rowType = RankedTensorType::get({1, rows}, aType.getElementType());
          auto blockType = RankedTensorType::get({rows, n}, wType.getElementType());
          auto outType = RankedTensorType::get({1, n}, b.getF32Type());
          Value aPart = tensor::ExtractSliceOp::create(
              nb, l, rowType, a, ValueRange{k0}, ValueRange{}, ValueRange{},
              nb.getDenseI64ArrayAttr({0, ShapedType::kDynamic}),
              nb.getDenseI64ArrayAttr({1, rows}), nb.getDenseI64ArrayAttr({1, 1}));
          Value wPart = tensor::ExtractSliceOp::create(
              nb, l, blockType, w, ValueRange{k0}, ValueRange{}, ValueRange{},
              nb.getDenseI64ArrayAttr({ShapedType::kDynamic, 0}),
              nb.getDenseI64ArrayAttr({rows, n}), nb.getDenseI64ArrayAttr({1, 1}));
          // partial[p] as [1, N] (the part dim dropped).
          SmallVector<OpFoldResult> offsets = {p, nb.getIndexAttr(0), nb.getIndexAttr(0)};
          SmallVector<OpFoldResult> sizes = {nb.getIndexAttr(1), nb.getIndexAttr(1),
                                             nb.getIndexAttr(n)};
          SmallVector<OpFoldResult> strides(3, nb.getIndexAttr(1));
          Value row = tensor::ExtractSliceOp::create(nb, l, outType, iter[0], offsets,
                                                     sizes, strides);
          Value filled = linalg::FillOp::create(nb, l, zero, row).getResult(0);
          auto part = linalg::GenericOp::create(
              nb, l, TypeRange{outType}, ValueRange{aPart, wPart}, ValueRange{filled},
              g.getIndexingMapsArray(), g.getIteratorTypesArray());
          IRMapping map;
          g.getRegion().cloneInto(&part.getRegion(), map);
          part->setAttrs(g->getAttrs());
          part->setAttr("xgenmm.matvec_part", nb.getUnitAttr());
          Value back = tensor::InsertSliceOp::create(nb, l, part.getResult(0), iter[0],
                                                     offsets, sizes, strides);
          scf::YieldOp::create(nb, l, back);
        });
    loop->setAttr("xgenmm.parallel", b.getUnitAttr());

    // out[0, n] = init[0, n] + sum_p partial[p, 0, n]
    AffineExpr m, nn, p;
    bindDims(ctx, m, nn, p);
    auto sum = linalg::GenericOp::create(
        b, loc, TypeRange{init.getType()}, ValueRange{loop.getResult(0)}, ValueRange{init},
        ArrayRef<AffineMap>{AffineMap::get(3, 0, {p, m, nn}, ctx),
                            AffineMap::get(3, 0, {m, nn}, ctx)},
        ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                      utils::IteratorType::parallel,
                                      utils::IteratorType::reduction},
        [](OpBuilder &nb, Location l, ValueRange args) {
          Value s = arith::AddFOp::create(nb, l, args[1], args[0]);
          linalg::YieldOp::create(nb, l, s);
        });
    b.replaceOp(g, sum.getResults());
  }
};

} // namespace
