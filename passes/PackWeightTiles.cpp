//===- PackWeightTiles.cpp - weight cache tiles copied to contiguous rows --===//
//
// xgenmm-pack-weight-tiles, on the CPU schedule's fp32 cache tiles
// (@xgenmm_tile_cache, 768 x 96 x 256: `xgenmm.tile_matmul`,
//   out[m, n] += a[m, k] * w[k, n],  w f32, or bf16 extended in the body):
// each tile's weight, a [Kc, Nc] window of a [K, N] weight whose rows are
// N apart, is copied once into a buffer local to the tile, [Kc, Nc]
// contiguous, and the product reads the copy.
//
// Why: the register tiles of the product's 32 row blocks read the weight
// window 64 times over. In place its Kc rows are N elements apart: every
// row a separate short run that the hardware prefetchers do not follow
// (the first row block of every cache tile waits on the memory for each
// of them), and for N = 1152 (rows 4608 bytes apart, 512 modulo the 4 KB
// of an L1 way) a 64-row window's 384 lines fall into 48 of the 64 L1 sets,
// eight to a set. The copy reads the window once, its loads independent of
// each other and of the FMAs, and the product then streams 96 KB of
// contiguous lines. (Measured, RESULTS.md.) The bf16 dot products have
// their own pack (xgenmm-pack-bf16-tiles, which also interleaves).
//
// The copy is written by 64-byte vector rows (then 32, 16, ... for the
// rest of a row); a window whose rows are already contiguous (N = Nc) is
// left alone.
//
//===----------------------------------------------------------------------===//
#include "passes/LoweringUtils.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::xgenmm {
#define GEN_PASS_DEF_XGENMMPACKWEIGHTTILES
#include "passes/Passes.h.inc"
} // namespace mlir::xgenmm

using namespace mlir;
using namespace mlir::xgenmm;

namespace {

/// A copy of the static [K, N] tile `w` into a new [K, N] tensor, row by
/// row, each row by 64-byte vectors and then halves for its rest.
Value copyRows(OpBuilder &b, Location loc, Value w) {
  auto type = cast<RankedTensorType>(w.getType());
  Type elem = type.getElementType();
  int64_t kSize = type.getDimSize(0), nSize = type.getDimSize(1);
  int64_t lanes = std::max<int64_t>(1, 512 / elem.getIntOrFloatBitWidth());
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(), elem);
  auto cst = [](OpBuilder &nb, Location nl, int64_t v) {
    return arith::ConstantIndexOp::create(nb, nl, v).getResult();
  };
  auto rows = scf::ForOp::create(
      b, loc, cst(b, loc, 0), cst(b, loc, kSize), cst(b, loc, 1), ValueRange{init},
      [&](OpBuilder &rb, Location rl, Value k, ValueRange iter) {
        Value pad = arith::ConstantOp::create(rb, rl, rb.getZeroAttr(elem));
        Value t = iter[0];
        int64_t col = 0;
        for (int64_t width = lanes; width >= 1; width /= 2)
          for (; nSize - col >= width; col += width) {
            auto vType = VectorType::get({width}, elem);
            Value at = cst(rb, rl, col);
            Value row = vector::TransferReadOp::create(rb, rl, vType, w, ValueRange{k, at},
                                                       pad, ArrayRef<bool>{true});
            t = vector::TransferWriteOp::create(rb, rl, row, t, ValueRange{k, at},
                                                ArrayRef<bool>{true})
                    .getResult();
          }
        scf::YieldOp::create(rb, rl, t);
      });
  return rows.getResult(0);
}

struct XgenmmPackWeightTilesPass
    : xgenmm::impl::XgenmmPackWeightTilesBase<XgenmmPackWeightTilesPass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> tiles;
    getOperation()->walk([&](linalg::GenericOp g) {
      if (!g->hasAttr("xgenmm.tile_matmul") || g.getNumLoops() != 3 ||
          !lowering::isRowMajorMatmul(g))
        return;
      auto w = dyn_cast<RankedTensorType>(g.getDpsInputs()[1].getType());
      if (!w || w.getRank() != 2 || !w.hasStaticShape() ||
          !w.getElementType().isIntOrFloat())
        return;
      // Only a window of a wider weight: rows not contiguous.
      auto window = g.getDpsInputs()[1].getDefiningOp<tensor::ExtractSliceOp>();
      if (!window || window.getSourceType().getRank() != 2 ||
          window.getSourceType().getDimSize(1) == w.getDimSize(1))
        return;
      tiles.push_back(g);
    });
    IRRewriter b(&getContext());
    for (linalg::GenericOp g : tiles) {
      b.setInsertionPoint(g);
      Value packed = copyRows(b, g.getLoc(), g.getDpsInputs()[1]);
      b.modifyOpInPlace(g, [&] { g.getDpsInputOperand(1)->set(packed); });
    }
  }
};

} // namespace
