//===- FuseEpilogues.cpp - dense-layer epilogues tiled with their matmuls -===//
//
// gelu(x W + b) is lowered to a contraction (marked `xgenmm.matmul`, its init
// the bias broadcast) and an in-place generic over its result (marked
// `xgenmm.epilogue`). Here the epilogue is tiled into cache tiles and the
// contraction and its init are fused into each tile through the destination
// operands, so that a tile of the product is finished while in cache:
//
//   for m in 0..M step 768, n in 0..N step 96 (last partial n peeled):
//     c = bias[n:n+96] broadcast         (fused init)
//     c += a[m:m+768, :] * w[:, n:n+96]   (fused contraction, still marked)
//     c = gelu(c)                          (the epilogue tile)
//
// The schedule then tiles the fused contraction like any other (its cache
// tiling is a single iteration there: the tile sizes here are the
// schedule's cache tiles, passes/schedules/cpu.mlir).
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"

namespace mlir::xgenmm {
#define GEN_PASS_DEF_XGENMMFUSEEPILOGUES
#include "passes/Passes.h.inc"
} // namespace mlir::xgenmm

using namespace mlir;
using namespace mlir::xgenmm;

namespace {

struct XgenmmFuseEpiloguesPass
    : xgenmm::impl::XgenmmFuseEpiloguesBase<XgenmmFuseEpiloguesPass> {
  using Base::Base;

  void runOnOperation() override {
    if (tileM <= 0 || tileN <= 0) {
      getOperation()->emitError("xgenmm-fuse-epilogues: tile sizes must be positive");
      return signalPassFailure();
    }
    SmallVector<linalg::GenericOp> epilogues;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (op->hasAttr("xgenmm.epilogue"))
        epilogues.push_back(op);
    });

    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp epilogue : epilogues) {
      // Only an in-place epilogue over a marked 2-D contraction.
      if (epilogue.getNumDpsInputs() != 0 || epilogue.getNumDpsInits() != 1 ||
          epilogue.getNumLoops() != 2)
        continue;
      auto producer = epilogue.getDpsInitOperand(0)->get().getDefiningOp<linalg::GenericOp>();
      if (!producer ||
          !(producer->hasAttr("xgenmm.matmul") || producer->hasAttr("xgenmm.matmul_bf16")))
        continue;

      scf::SCFTilingOptions tiling;
      tiling.setTileSizes(getAsIndexOpFoldResult(&getContext(), {tileM, tileN}));
      scf::SCFTileAndFuseOptions options;
      options.setTilingOptions(tiling);
      // Through destinations only: the contraction (the epilogue's init)
      // and its own init. Never the producers of the contraction's inputs.
      options.setFusionControlFn(
          [](tensor::ExtractSliceOp, OpResult, bool isDestination)
              -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
            if (!isDestination)
              return std::nullopt;
            return scf::SCFTileAndFuseOptions::ControlFnResult{};
          });
      rewriter.setInsertionPoint(epilogue);
      FailureOr<scf::SCFTileAndFuseResult> fused =
          scf::tileConsumerAndFuseProducersUsingSCF(
              rewriter, cast<TilingInterface>(epilogue.getOperation()), options);
      if (failed(fused)) {
        epilogue.emitError("xgenmm-fuse-epilogues: tiling the epilogue failed");
        return signalPassFailure();
      }
      for (OpResult result : epilogue->getResults())
        if (Value replacement = fused->replacements.lookup(result))
          rewriter.replaceAllUsesWith(result, replacement);
      rewriter.eraseOp(epilogue);
      if (producer->use_empty())
        rewriter.eraseOp(producer);

      // Static column tiles: peel the partial last one. The column tiles
      // are independent: shared among threads (xgenmm-parallelize-loops).
      if (fused->loops.size() == 2)
        if (auto columns = dyn_cast<scf::ForOp>(fused->loops[1].getOperation())) {
          columns->setAttr("xgenmm.parallel", rewriter.getUnitAttr());
          scf::ForOp partial;
          (void)scf::peelForLoopAndSimplifyBounds(rewriter, columns, partial);
        }
    }
  }
};

} // namespace
