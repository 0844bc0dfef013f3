//===- FuseAttention.cpp - attention per block of query rows, in cache ----===//
//
// The attention lowering (LowerAttention.cpp) writes the whole score matrix
// and then walks it again for every step of the softmax:
//   scores = q k^T; masked = scale/mask(scores); max = rowmax(masked);
//   exps = exp(masked - max); sum = rowsum(exps); p = exps / sum; out = p v
// At SigLIP's 729 tokens that is 16 heads x 729 x 729 x 4 bytes = 34 MB per
// layer and view, more than the L3, written and read back about nine times.
// The softmax is row-wise, so every step can be done one block of query
// rows at a time (no online softmax needed): here the p v contraction
// (`xgenmm.attn_pv`) is tiled by (batch, kv head, group, rows of `rows`)
// and the whole chain back to q k^T (`xgenmm.attn_qk`) and the fills of its
// accumulators is fused into each tile through its operands. A tile's
// scores, 32 x 729 x 4 bytes = 93 KB per intermediate, stay in L2 beside
// the head's keys and values; the intermediates become each thread's stack
// scratch (xgenmm-parallelize-loops).
//
// The kv-head loop is shared among threads (xgenmm.parallel); the row loop
// inside it is peeled, so that every tile, the last included, has static
// sizes (scratch must be static). Only attention with a static number of
// query rows and keys (image encoding, the resampler) is fused: prefill's
// dynamic rows and keys would make the intermediates dynamic, and decode's
// single row has no score matrix to speak of. The transposed keys
// (`xgenmm.attn_kt`), q, v (and its bf16 copy, `xgenmm.attn_v`) and the key
// mask are computed once, outside.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"

namespace mlir::xgenmm {
#define GEN_PASS_DEF_XGENMMFUSEATTENTION
#include "passes/Passes.h.inc"
} // namespace mlir::xgenmm

using namespace mlir;
using namespace mlir::xgenmm;

namespace {

/// Whether `pv`'s probabilities come, through elementwise and row-reduction
/// generics, from a score contraction marked `xgenmm.attn_qk`.
bool fromScoreMatmul(linalg::GenericOp pv) {
  SmallVector<Operation *> work = {pv.getDpsInputs()[0].getDefiningOp()};
  llvm::SmallPtrSet<Operation *, 16> seen;
  while (!work.empty()) {
    Operation *op = work.pop_back_val();
    auto g = dyn_cast_or_null<linalg::GenericOp>(op);
    if (!g || !seen.insert(op).second)
      continue;
    if (g->hasAttr("xgenmm.attn_qk"))
      return true;
    for (Value in : g.getDpsInputs())
      work.push_back(in.getDefiningOp());
  }
  return false;
}

struct XgenmmFuseAttentionPass
    : xgenmm::impl::XgenmmFuseAttentionBase<XgenmmFuseAttentionPass> {
  using Base::Base;

  void runOnOperation() override {
    if (rows <= 0) {
      getOperation()->emitError("xgenmm-fuse-attention: rows must be positive");
      return signalPassFailure();
    }
    SmallVector<linalg::GenericOp> products;
    getOperation()->walk([&](linalg::GenericOp g) {
      if (!g->hasAttr("xgenmm.attn_pv") || g.getNumLoops() != 6)
        return;
      // Loops (b, s, h, g, d, t): s and t static.
      SmallVector<int64_t> ranges = g.getStaticLoopRanges();
      if (ShapedType::isDynamic(ranges[1]) || ShapedType::isDynamic(ranges[5]) ||
          ranges[1] <= rows || !fromScoreMatmul(g))
        return;
      products.push_back(g);
    });

    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp pv : products) {
      scf::SCFTilingOptions tiling;
      tiling.setTileSizes(getAsIndexOpFoldResult(&getContext(), {1, rows, 1, 1, 0, 0}));
      // (b, h, g, s): the heads outside the row blocks.
      tiling.setInterchange({0, 2, 3, 1, 4, 5});
      scf::SCFTileAndFuseOptions options;
      options.setTilingOptions(tiling);
      // The chain back to the scores and the fills of its accumulators;
      // never the transposed keys, q, v or the key mask (computed once).
      options.setFusionControlFn(
          [](tensor::ExtractSliceOp, OpResult producer, bool isDestination)
              -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
            Operation *op = producer.getOwner();
            if (isa<linalg::FillOp>(op) || isDestination)
              return scf::SCFTileAndFuseOptions::ControlFnResult{};
            auto g = dyn_cast<linalg::GenericOp>(op);
            if (!g || g->hasAttr("xgenmm.attn_kt") || g->hasAttr("xgenmm.attn_v") ||
                cast<ShapedType>(producer.getType()).getRank() < 4)
              return std::nullopt;
            return scf::SCFTileAndFuseOptions::ControlFnResult{};
          });
      rewriter.setInsertionPoint(pv);
      FailureOr<scf::SCFTileAndFuseResult> fused = scf::tileConsumerAndFuseProducersUsingSCF(
          rewriter, cast<TilingInterface>(pv.getOperation()), options);
      if (failed(fused)) {
        pv.emitError("xgenmm-fuse-attention: tiling the attention failed");
        return signalPassFailure();
      }
      for (OpResult result : pv->getResults())
        if (Value replacement = fused->replacements.lookup(result))
          rewriter.replaceAllUsesWith(result, replacement);
      rewriter.eraseOp(pv);

      // Loops (b, h, g, s): the heads shared among threads, the row
      // blocks' partial last one peeled (static sizes for the scratch).
      if (fused->loops.size() != 4)
        continue;
      if (auto heads = dyn_cast<scf::ForOp>(fused->loops[1].getOperation()))
        heads->setAttr("xgenmm.parallel", rewriter.getUnitAttr());
      if (auto blocks = dyn_cast<scf::ForOp>(fused->loops[3].getOperation())) {
        scf::ForOp partial;
        (void)scf::peelForLoopAndSimplifyBounds(rewriter, blocks, partial);
      }
    }
    if (products.empty())
      return;
    // A producer with two fused uses (the masked scores feed the row max
    // and the exponentials) was fused twice: the copies are identical and
    // merged here. The intermediates' destinations, slices of whole-matrix
    // tensor.empty ops, become tile-sized tensor.empty ops in the tile
    // (the tile's own buffers, not views of a [heads, rows, keys] one).
    RewritePatternSet patterns(&getContext());
    tensor::populateFoldTensorEmptyPatterns(patterns);
    tensor::EmptyOp::getCanonicalizationPatterns(patterns, &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    DominanceInfo dominance(getOperation());
    eliminateCommonSubExpressions(rewriter, dominance, getOperation());
  }
};

} // namespace
