//===- VectorizeElementwise.cpp - elementwise generics on 16-lane vectors -===//
//
// The dense and attention contractions are tiled and vectorized by the
// schedule; what is left are the elementwise generics around them (GELU and
// SwiGLU, softmax's exp and normalisation, the scaling and shift of the
// norms, residual and bias adds, RoPE's rotation, attention's scale and
// causal mask). Each one whose body is plain arithmetic (and loop indices)
// and whose operands are read contiguously along the
// innermost loop (or broadcast along it) is tiled to [1, ..., 1, 16]: one
// 16-lane (one zmm) vector per step along the innermost dimension, the
// partial last step (a dynamic extent, such as the keys of a prefill)
// peeled off and left scalar. Its math functions (exp, tanh, erf) on
// vectors are replaced by MLIR's polynomial approximations (libm has no
// vector entry points); scalar code keeps libm.
//
// The loop over rows (or heads) of each such op is marked `xgenmm.parallel`
// (shared among threads by xgenmm-parallelize-loops), as is the row loop of
// each row reduction (the statistics of the norms, softmax's max and sum).
// Those are tiled to one row, and a reduction over the innermost loop is
// then split into 16 partial results, one per lane: a loop of 16-lane
// vector steps that combine into a vector accumulator, then the 16 lanes
// combined into the row's result (scalar, once per row); the partial last
// step is peeled and left scalar. This reorders the sums (16 interleaved
// partial sums instead of one running sum). Gathers and transposes are
// left to the scalar path.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::xgenmm {
#define GEN_PASS_DEF_XGENMMVECTORIZEELEMENTWISE
#include "passes/Passes.h.inc"
} // namespace mlir::xgenmm

using namespace mlir;
using namespace mlir::xgenmm;

namespace {

constexpr int64_t kLanes = 16;
constexpr llvm::StringLiteral kMark = "xgenmm.vectorize";

bool isContraction(linalg::GenericOp op) {
  return op->hasAttr("xgenmm.matmul") || op->hasAttr("xgenmm.matmul_bf16") ||
         op->hasAttr("xgenmm.matvec_int4") || op->hasAttr("xgenmm.attn_qk") ||
         op->hasAttr("xgenmm.attn_qk_dot") || op->hasAttr("xgenmm.attn_pv") ||
         op->hasAttr("xgenmm.attn_kt");
}

bool hasVectorOperands(linalg::GenericOp op);

/// Elementwise, f32 (bf16 inputs allowed), arithmetic only, every operand
/// contiguous along the innermost loop or broadcast along it.
bool isCandidate(linalg::GenericOp op) {
  if (isContraction(op))
    return false;
  if (op.getNumReductionLoops() != 0 || op.getNumLoops() == 0 ||
      op.getNumDpsInits() != 1 || !op.hasPureTensorSemantics())
    return false;
  if (!hasVectorOperands(op))
    return false;
  for (OpOperand &init : op.getDpsInitsMutable())
    if (!op.getMatchingIndexingMap(&init).isIdentity())
      return false;
  return true;
}

/// f32 (bf16 inputs allowed) operands, each read contiguously along the
/// innermost loop or broadcast along it; an arithmetic body; an innermost
/// extent of at least one vector (or dynamic).
bool hasVectorOperands(linalg::GenericOp op) {
  unsigned inner = op.getNumLoops() - 1;
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<RankedTensorType>(operand.get().getType());
    if (!type || !(type.getElementType().isF32() || type.getElementType().isBF16()))
      return false;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (!map.isProjectedPermutation())
      return false;
    bool usesInner = map.isFunctionOfDim(inner);
    if (usesInner && map.getResults().back() != getAffineDimExpr(inner, op.getContext()))
      return false; // strided along the vector: a transpose
  }
  // Arithmetic, and the loop indices (attention's causal and window masks
  // compare them: along the vector they become a step vector).
  for (Operation &inner : op.getBody()->without_terminator())
    if (!isa<arith::ArithDialect, math::MathDialect>(inner.getDialect()) &&
        !isa<linalg::IndexOp>(inner))
      return false;
  int64_t extent = op.getStaticLoopRanges()[inner];
  return ShapedType::isDynamic(extent) || extent >= kLanes;
}

/// A reduction over the innermost loop only, into one f32 result whose
/// combiner is a sum or a maximum (the statistics of the norms, softmax's
/// max and sum): split into 16 lanes' partial results.
bool isLaneReduction(linalg::GenericOp op) {
  if (isContraction(op) || !op.hasPureTensorSemantics() || op.getNumLoops() < 2 ||
      op.getNumReductionLoops() != 1 || op.getNumDpsInits() != 1 ||
      op.getIteratorTypesArray().back() != utils::IteratorType::reduction)
    return false;
  if (!cast<RankedTensorType>(op.getDpsInits()[0].getType()).getElementType().isF32())
    return false;
  SmallVector<Operation *> combiners;
  if (!matchReduction(op.getRegionOutputArgs(), 0, combiners) || combiners.size() != 1 ||
      !isa<arith::AddFOp, arith::MaximumFOp, arith::MaxNumFOp>(combiners[0]))
    return false;
  return hasVectorOperands(op);
}

/// A row reduction worth sharing among threads: reduction loops only
/// after the parallel ones, and a parallel loop before them that is not a
/// single iteration.
bool isSharedReduction(linalg::GenericOp op) {
  if (isContraction(op) || op.getNumReductionLoops() == 0 || !op.hasPureTensorSemantics())
    return false;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<int64_t> extents = op.getStaticLoopRanges();
  bool seenReduction = false;
  std::optional<unsigned> shared;
  for (unsigned d = 0; d < iterators.size(); ++d) {
    if (iterators[d] == utils::IteratorType::reduction) {
      seenReduction = true;
      continue;
    }
    if (seenReduction)
      return false;
    if (!shared && extents[d] != 1)
      shared = d;
  }
  if (!shared)
    return false;
  // Only unit parallel loops before the shared one.
  for (unsigned d = 0; d < *shared; ++d)
    if (extents[d] != 1)
      return false;
  return true;
}

/// acc[..] = combine_k f(x[.., k]) -> part[.., 16] = combine over 16-lane
/// steps (vectorized with the elementwise tiles), then acc = combine of the
/// 16 lanes. The last partial step is peeled and stays scalar.
void splitLanes(RewriterBase &rewriter, linalg::GenericOp op) {
  SmallVector<OpFoldResult> sizes(op.getNumLoops(), rewriter.getIndexAttr(0));
  sizes.back() = rewriter.getIndexAttr(kLanes);
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> split = scf::tileReductionUsingScf(
      rewriter, cast<PartialReductionOpInterface>(op.getOperation()), sizes);
  if (failed(split) || split->loops.empty())
    return;
  rewriter.replaceOp(op, split->replacements);
  for (Operation *t : split->tiledOps)
    t->setAttr(kMark, rewriter.getUnitAttr());
  if (auto steps = dyn_cast<scf::ForOp>(split->loops.back().getOperation())) {
    scf::ForOp partial;
    if (succeeded(scf::peelForLoopAndSimplifyBounds(rewriter, steps, partial)) && partial)
      partial->walk([](linalg::GenericOp g) { g->removeAttr(kMark); });
  }
}

struct XgenmmVectorizeElementwisePass
    : xgenmm::impl::XgenmmVectorizeElementwiseBase<XgenmmVectorizeElementwisePass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    SmallVector<linalg::GenericOp> candidates;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (isCandidate(op))
        candidates.push_back(op);
    });

    // Tile to [1, ..., 1, 16], peel the partial last vector.
    IRRewriter rewriter(ctx);
    for (linalg::GenericOp op : candidates) {
      SmallVector<int64_t> sizes(op.getNumLoops(), 1);
      sizes.back() = kLanes;
      scf::SCFTilingOptions tiling;
      tiling.setTileSizes(getAsIndexOpFoldResult(ctx, sizes));
      rewriter.setInsertionPoint(op);
      FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
          rewriter, cast<TilingInterface>(op.getOperation()), tiling);
      if (failed(tiled))
        continue;
      for (Operation *t : tiled->tiledOps)
        t->setAttr(kMark, rewriter.getUnitAttr());
      SmallVector<int64_t> extents = op.getStaticLoopRanges();
      rewriter.replaceOp(op, tiled->replacements);
      if (tiled->loops.empty())
        continue;
      // The outermost loop that is not a single iteration (rows, heads) is
      // shared among threads: its iterations write disjoint rows. Never the
      // lanes' loop (one row: a decode step's work is too small to share).
      for (unsigned d = 0; d + 1 < extents.size() && d < tiled->loops.size(); ++d)
        if (extents[d] != 1) {
          tiled->loops[d]->setAttr("xgenmm.parallel", rewriter.getUnitAttr());
          break;
        }
      if (auto lanes = dyn_cast<scf::ForOp>(tiled->loops.back().getOperation())) {
        scf::ForOp partial;
        if (succeeded(scf::peelForLoopAndSimplifyBounds(rewriter, lanes, partial)) && partial)
          partial->walk([](linalg::GenericOp g) { g->removeAttr(kMark); });
      }
    }

    // Row reductions (norm statistics, softmax's max and sum): their rows
    // are shared among threads (the first parallel loop that is not a
    // single iteration is marked), and those over the innermost loop are
    // taken one row at a time and split into 16 lanes' partial results.
    SmallVector<linalg::GenericOp> reductions;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (isSharedReduction(op) || isLaneReduction(op))
        reductions.push_back(op);
    });
    for (linalg::GenericOp op : reductions) {
      bool lanes = isLaneReduction(op);
      linalg::GenericOp row = op;
      if (isSharedReduction(op)) {
        SmallVector<int64_t> extents = op.getStaticLoopRanges();
        SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
        unsigned d = 0;
        while (iterators[d] == utils::IteratorType::parallel && extents[d] == 1)
          ++d;
        // Only the shared loop, or (to split the lanes) every parallel loop
        // that is not a single iteration.
        SmallVector<int64_t> sizes(op.getNumLoops(), 0);
        sizes[d] = 1;
        if (lanes)
          for (unsigned e = d; e + 1 < op.getNumLoops(); ++e)
            if (extents[e] != 1)
              sizes[e] = 1;
        scf::SCFTilingOptions tiling;
        tiling.setTileSizes(getAsIndexOpFoldResult(ctx, sizes));
        rewriter.setInsertionPoint(op);
        FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
            rewriter, cast<TilingInterface>(op.getOperation()), tiling);
        if (failed(tiled) || tiled->loops.empty() || tiled->tiledOps.size() != 1)
          continue;
        rewriter.replaceOp(op, tiled->replacements);
        tiled->loops[0]->setAttr("xgenmm.parallel", rewriter.getUnitAttr());
        row = dyn_cast<linalg::GenericOp>(tiled->tiledOps[0]);
        if (!row)
          continue;
      }
      if (lanes)
        splitLanes(rewriter, row);
    }

    // Static tile shapes (the peeled bounds folded into the slices).
    RewritePatternSet canonical(ctx);
    for (Dialect *dialect : ctx->getLoadedDialects())
      dialect->getCanonicalizationPatterns(canonical);
    for (RegisteredOperationName name : ctx->getRegisteredOperations())
      name.getCanonicalizationPatterns(canonical, ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(canonical))))
      return signalPassFailure();

    SmallVector<linalg::GenericOp> tiles;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (op->hasAttr(kMark))
        tiles.push_back(op);
    });
    for (linalg::GenericOp op : tiles) {
      op->removeAttr(kMark);
      if (!op.hasPureTensorSemantics() || op.hasDynamicShape())
        continue;
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::VectorizationResult> vectorized = linalg::vectorize(rewriter, op);
      if (failed(vectorized))
        continue;
      rewriter.replaceOp(op, vectorized->replacements);
    }

    // Vector math: polynomial approximations (exp, tanh, erf).
    SmallVector<Operation *> vectorMath;
    getOperation()->walk([&](Operation *op) {
      if (isa<math::MathDialect>(op->getDialect()) && op->getNumResults() == 1 &&
          isa<VectorType>(op->getResult(0).getType()))
        vectorMath.push_back(op);
    });
    RewritePatternSet approximations(ctx);
    populateMathPolynomialApproximationPatterns(
        approximations, [](StringRef name) {
          return name == math::ExpOp::getOperationName() ||
                 name == math::TanhOp::getOperationName() ||
                 name == math::ErfOp::getOperationName();
        });
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
    if (failed(applyOpPatternsGreedily(vectorMath, std::move(approximations), config)))
      return signalPassFailure();
  }
};

} // namespace
