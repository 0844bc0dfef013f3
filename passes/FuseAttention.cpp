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
// sizes (scratch must be static). This applies to attention with a static
// number of query rows and keys (image encoding, the resampler); decode's
// single row has no score matrix to speak of. The transposed keys
// (`xgenmm.attn_kt`), q, v (and its bf16 copy, `xgenmm.attn_v`) and the key
// mask are computed once, outside.
//
// Causal attention with dynamic rows and keys (prefill: a chunk of rows at
// positions [p, p + S) over keys [0, p + S)) goes one block of
// `causal-rows` rows at a time as well, all heads together (the dynamic
// intermediates cannot be a thread's static scratch), each block over keys
// [0, p + s0 + r) only, the last key its last row may see: the chain, q k^T
// to p v, is re-created on those slices (each op's TilingInterface tiled
// implementation, chained by hand, since the key extent differs from the
// untiled one). A block's scores are [heads, rows, keys] (4 MB at 32 heads
// x 32 rows x 1k keys, in the L3) instead of [heads, S, keys] (268 MB at
// 512 x 4096, planned in the arena), and the rectangle above the diagonal
// is never computed. The row loop is serial; the ops inside keep the
// schedule's parallel head loops.
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
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"

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

/// The causal attention chain of a p v contraction: the ops from the score
/// contraction to p v (both included) in program order, and the offset X
/// of its mask's `key <= row + X` (null: 0).
struct CausalChain {
  SmallVector<linalg::GenericOp> ops;
  Value qOffset;
};

/// The offset X of a causal mask's `t <= s + X` (null where it is
/// `t <= s`), or failure where its body has no such comparison.
FailureOr<Value> causalOffset(linalg::GenericOp mask) {
  FailureOr<Value> found = failure();
  auto indexOf = [](Value v) -> int64_t {
    auto idx = v.getDefiningOp<linalg::IndexOp>();
    return idx ? (int64_t)idx.getDim() : -1;
  };
  mask.getBody()->walk([&](arith::CmpIOp cmp) {
    if (cmp.getPredicate() != arith::CmpIPredicate::ule || indexOf(cmp.getLhs()) != 4)
      return;
    Value rhs = cmp.getRhs();
    if (indexOf(rhs) == 3) {
      found = Value();
      return;
    }
    auto add = rhs.getDefiningOp<arith::AddIOp>();
    if (add && indexOf(add.getLhs()) == 3 &&
        !mask->isAncestor(add.getRhs().getParentRegion()->getParentOp()))
      found = add.getRhs();
  });
  return found;
}

/// The chain of `pv` back to its score contraction where that attention is
/// causal (its mask marked by the lowering) and no intermediate is used
/// outside the chain.
std::optional<CausalChain> causalChain(linalg::GenericOp pv) {
  llvm::SmallPtrSet<Operation *, 16> backward;
  SmallVector<Operation *> work;
  for (Value in : pv.getDpsInputs())
    work.push_back(in.getDefiningOp());
  linalg::GenericOp qk;
  while (!work.empty()) {
    auto g = dyn_cast_or_null<linalg::GenericOp>(work.pop_back_val());
    if (!g || g->getBlock() != pv->getBlock() || !backward.insert(g).second)
      continue;
    if (g->hasAttr("xgenmm.attn_qk")) {
      if (qk && qk != g)
        return std::nullopt;
      qk = g;
      continue;
    }
    for (Value in : g.getDpsInputs())
      work.push_back(in.getDefiningOp());
  }
  if (!qk)
    return std::nullopt;
  // Forward from the scores: the ops that depend on them.
  llvm::SmallPtrSet<Operation *, 16> forward;
  work = {qk};
  while (!work.empty()) {
    Operation *op = work.pop_back_val();
    if (op == pv.getOperation() || !forward.insert(op).second)
      continue;
    for (Operation *user : op->getUsers())
      work.push_back(user);
  }
  CausalChain chain;
  linalg::GenericOp mask;
  for (Operation &op : *pv->getBlock()) {
    if (&op == pv.getOperation()) {
      chain.ops.push_back(pv);
      break;
    }
    if (!forward.contains(&op))
      continue;
    auto g = dyn_cast<linalg::GenericOp>(&op);
    if (!g || !backward.contains(&op))
      return std::nullopt; // the scores reach something else
    if (g->hasAttr("xgenmm.attn_causal"))
      mask = g;
    chain.ops.push_back(g);
  }
  if (!mask || chain.ops.back() != pv)
    return std::nullopt;
  FailureOr<Value> offset = causalOffset(mask);
  if (failed(offset))
    return std::nullopt;
  chain.qOffset = *offset;
  for (linalg::GenericOp g : chain.ops)
    if (g != pv)
      for (Operation *user : g->getUsers())
        if (!llvm::is_contained(chain.ops, user))
          return std::nullopt;
  return chain;
}

/// The (rows, keys) loops of a chain op: p v [b, s, h, g, d, t] -> (1, 5);
/// the others index their result [b, h, g, s, t] by both, or reduce the
/// keys into [b, h, g, s].
std::optional<std::pair<unsigned, unsigned>> rowsAndKeys(linalg::GenericOp g, bool isPv) {
  if (g->getNumResults() < 1)
    return std::nullopt;
  AffineMap out = g.getIndexingMapMatchingResult(g->getOpResult(0));
  if (!out.isProjectedPermutation())
    return std::nullopt;
  SmallVector<unsigned> reductions;
  g.getReductionDims(reductions);
  if (isPv) {
    if (out.getNumResults() != 5 || reductions.size() != 1)
      return std::nullopt;
    return std::make_pair(out.getDimPosition(1), reductions[0]);
  }
  if (out.getNumResults() == 5 && (reductions.empty() || g->hasAttr("xgenmm.attn_qk")))
    return std::make_pair(out.getDimPosition(3), out.getDimPosition(4));
  if (out.getNumResults() == 4 && reductions.size() == 1)
    return std::make_pair(out.getDimPosition(3), reductions[0]);
  return std::nullopt;
}

/// Whether every loop of `g` but `rowsAndKeys` has a static range.
bool staticButRowsAndKeys(linalg::GenericOp g, std::pair<unsigned, unsigned> d) {
  for (auto [i, range] : llvm::enumerate(g.getStaticLoopRanges()))
    if (i != d.first && i != d.second && ShapedType::isDynamic(range))
      return false;
  return true;
}

/// Re-creates `chain` in a loop over blocks of `rows` query rows, each block
/// over the keys its causal mask can keep, and replaces p v's result.
LogicalResult blockCausalChain(RewriterBase &rewriter, CausalChain &chain,
                               int64_t rows) {
  linalg::GenericOp pv = chain.ops.back();
  SmallVector<std::pair<unsigned, unsigned>> dims;
  for (linalg::GenericOp g : chain.ops) {
    std::optional<std::pair<unsigned, unsigned>> d = rowsAndKeys(g, g == pv);
    if (!d || !staticButRowsAndKeys(g, *d))
      return failure();
    dims.push_back(*d);
  }
  Location loc = pv.getLoc();
  rewriter.setInsertionPoint(pv);
  OpBuilder &b = rewriter;
  // The rows from the output [b, s, h, g, d], the keys from v [b, t, h, d]
  // (sizes of the chain's own results would go with them).
  Value outInit = pv.getDpsInits()[0];
  // (Sized from the fill's own destination where p v's is a fill: a size
  // query would be a second use of the fill, and its slices are swapped
  // with it only where they are its only use.)
  Value outShape = outInit;
  if (auto fill = outInit.getDefiningOp<linalg::FillOp>())
    outShape = fill.getDpsInits()[0];
  Value values = pv.getDpsInputs()[1];
  std::optional<unsigned> keyDim = pv.getMatchingIndexingMap(&pv->getOpOperand(1))
                                       .getResultPosition(b.getAffineDimExpr(dims.back().second));
  if (!keyDim)
    return failure();
  Value numRows = getValueOrCreateConstantIndexOp(b, loc, tensor::getMixedSize(b, loc, outShape, 1));
  Value numKeys = getValueOrCreateConstantIndexOp(b, loc, tensor::getMixedSize(b, loc, values, *keyDim));
  Value dest = tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, outShape),
                                       getElementTypeOrSelf(outInit.getType()));
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value step = arith::ConstantIndexOp::create(b, loc, rows);
  Value offset = chain.qOffset ? chain.qOffset : zero;
  auto loop = scf::ForOp::create(b, loc, zero, numRows, step, ValueRange{dest});
  b.setInsertionPointToStart(loop.getBody());
  Value s0 = loop.getInductionVar();
  AffineExpr d0, d1;
  bindDims(b.getContext(), d0, d1);
  // r = min(rows, S - s0); keys = min(T, offset + s0 + r).
  OpFoldResult r = affine::makeComposedFoldedAffineMin(
      b, loc, AffineMap::get(2, 0, {b.getAffineConstantExpr(rows), d1 - d0}, b.getContext()),
      {s0, numRows});
  Value end = arith::AddIOp::create(b, loc, arith::AddIOp::create(b, loc, offset, s0),
                                    getValueOrCreateConstantIndexOp(b, loc, r));
  Value keys = arith::MinUIOp::create(b, loc, end, numKeys);
  DenseMap<Value, Value> tiledOf;
  Value tiledOut;
  for (auto [g, d] : llvm::zip(chain.ops, dims)) {
    // Static sizes but for the rows and keys (no tensor.dim of the chain's
    // results, which go).
    SmallVector<OpFoldResult> offsets(g.getNumLoops(), b.getIndexAttr(0)), sizes;
    for (int64_t range : g.getStaticLoopRanges())
      sizes.push_back(b.getIndexAttr(ShapedType::isDynamic(range) ? 0 : range));
    offsets[d.first] = s0;
    sizes[d.first] = r;
    sizes[d.second] = keys;
    FailureOr<TilingResult> tiled =
        cast<TilingInterface>(g.getOperation()).getTiledImplementation(b, offsets, sizes);
    if (failed(tiled) || tiled->tiledValues.size() != g->getNumResults()) {
      rewriter.eraseOp(loop);
      return failure();
    }
    // The slices of the chain's own results read the tiled producers.
    for (Operation *slice : tiled->generatedSlices) {
      auto extract = dyn_cast<tensor::ExtractSliceOp>(slice);
      if (!extract)
        continue;
      auto it = tiledOf.find(extract.getSource());
      if (it == tiledOf.end())
        continue;
      Value with = it->second;
      if (with.getType() != extract.getType()) {
        b.setInsertionPoint(extract);
        with = tensor::CastOp::create(b, loc, extract.getType(), with);
      }
      rewriter.replaceOp(extract, with);
    }
    b.setInsertionPointToEnd(loop.getBody());
    for (auto [full, part] : llvm::zip(g->getResults(), tiled->tiledValues))
      tiledOf[full] = part;
    tiledOut = tiled->tiledValues[0];
  }
  SmallVector<OpFoldResult> outOffsets(5, b.getIndexAttr(0));
  SmallVector<OpFoldResult> outSizes = tensor::getMixedSizes(b, loc, tiledOut);
  outOffsets[1] = s0;
  SmallVector<OpFoldResult> strides(5, b.getIndexAttr(1));
  Value inserted = tensor::InsertSliceOp::create(b, loc, tiledOut, loop.getRegionIterArgs()[0],
                                                 outOffsets, outSizes, strides);
  scf::YieldOp::create(b, loc, inserted);
  rewriter.replaceAllUsesWith(pv->getResult(0), loop.getResult(0));
  for (linalg::GenericOp g : llvm::reverse(chain.ops))
    rewriter.eraseOp(g);
  return success();
}

struct XgenmmFuseAttentionPass
    : xgenmm::impl::XgenmmFuseAttentionBase<XgenmmFuseAttentionPass> {
  using Base::Base;

  void runOnOperation() override {
    if (rows <= 0) {
      getOperation()->emitError("xgenmm-fuse-attention: rows must be positive");
      return signalPassFailure();
    }
    if (causalRows < 0) {
      getOperation()->emitError("xgenmm-fuse-attention: causal-rows must not be negative");
      return signalPassFailure();
    }
    SmallVector<linalg::GenericOp> products;
    SmallVector<CausalChain> causal;
    getOperation()->walk([&](linalg::GenericOp g) {
      if (!g->hasAttr("xgenmm.attn_pv") || g.getNumLoops() != 6)
        return;
      // Loops (b, s, h, g, d, t): s and t static, or causal with dynamic
      // rows.
      SmallVector<int64_t> ranges = g.getStaticLoopRanges();
      if (ShapedType::isDynamic(ranges[1])) {
        if (causalRows == 0)
          return;
        if (std::optional<CausalChain> chain = causalChain(g))
          causal.push_back(std::move(*chain));
        return;
      }
      if (ShapedType::isDynamic(ranges[5]) || ranges[1] <= rows || !fromScoreMatmul(g))
        return;
      products.push_back(g);
    });

    IRRewriter rewriter(&getContext());
    for (CausalChain &chain : causal)
      if (failed(blockCausalChain(rewriter, chain, causalRows))) {
        chain.ops.back().emitError("xgenmm-fuse-attention: blocking causal attention failed");
        return signalPassFailure();
      }
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
    if (products.empty() && causal.empty())
      return;
    // A producer with two fused uses (the masked scores feed the row max
    // and the exponentials) was fused twice: the copies are identical and
    // merged here. The intermediates' destinations, slices of whole-matrix
    // tensor.empty ops, become tile-sized tensor.empty ops in the tile
    // (the tile's own buffers, not views of a [heads, rows, keys] one).
    RewritePatternSet patterns(&getContext());
    tensor::populateFoldTensorEmptyPatterns(patterns);
    // The blocked causal chain's accumulators: slices of whole fills.
    linalg::populateSwapExtractSliceWithFillPatterns(patterns);
    tensor::EmptyOp::getCanonicalizationPatterns(patterns, &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    DominanceInfo dominance(getOperation());
    eliminateCommonSubExpressions(rewriter, dominance, getOperation());
  }
};

} // namespace
