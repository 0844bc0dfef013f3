//===- GpuFuseElementwise.cpp - fewer GPU kernels per layer ---------------===//
//
// On the GPU every linalg op left after the dense and attention kernels is
// a kernel launch of its own, and a decode step is launch-bound: the lowered
// graph of one Phi-3 layer was 26 launches, 18 of them small loops (a norm
// alone: fill of the sum, its copy, the sum, the scale by 1 / n, the apply).
// On tensors, before bufferization, this pass
//
//   1. fuses an all-parallel linalg.generic into the generic that reads it
//      (upstream elementwise fusion) where that adds no work worth a launch:
//      the producer's result has that one use, or the producer is a cheap
//      broadcast (fewer loops than the consumer, a few ops: the norms'
//      scale by 1 / n) or reads no tensor at all (RoPE's cos / sin of the
//      position, computed per element instead of in a table);
//   2. turns a multi-result generic whose results are stacked into a new
//      tensor by insert_slices (RoPE's two rotated halves into [.., 2, D/2]:
//      a kernel and two copies) into one generic over the stacked tensor,
//      selecting the result by its index along the stacked dimension;
//   3. gives each use of a multiply-used linalg.fill its own fill (CSE
//      merged them; on the same tensor.empty), so that bufferization fills
//      each accumulator in place instead of filling one and copying it (a
//      copy kernel; the fill is then absorbed by xgenmm-gpu-row-reductions
//      where a row reduction follows it), and a generic whose result is
//      inserted into a bigger tensor its own tensor.empty, so that
//      empty-tensor elimination, run next, lets it write into that slice.
//
// What must stay as it is: the dense contractions (`xgenmm.matmul`,
// epilogues: marked ops are never fused), and attention's chain, which
// xgenmm-gpu-flash-attention matches op by op after bufferization: its
// contractions have two inputs indexed by the reduction loop (never a
// consumer here), nothing is fused into a consumer of a contraction's
// result (the mask step: the resampler's key mask, computed from indices,
// would otherwise join it), its softmax steps' producers have two uses
// and the consumers' rank (never fused), and its row statistics keep
// sharing one tensor.empty (one buffer, as the matcher requires).
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/CSE.h"

namespace mlir::xgenmm {
#define GEN_PASS_DEF_XGENMMGPUFUSEELEMENTWISE
#include "passes/Passes.h.inc"
} // namespace mlir::xgenmm

using namespace mlir;
using namespace mlir::xgenmm;

namespace {

/// Ops the GPU kernels match by their marks (dense layers, epilogues,
/// attention's causal mask) are left alone.
bool isMarked(Operation *op) {
  for (NamedAttribute attr : op->getDiscardableAttrs())
    if (attr.getName().strref().starts_with("xgenmm."))
      return true;
  return false;
}

bool allParallel(linalg::GenericOp g) {
  return g.getNumLoops() == g.getNumParallelLoops();
}

/// A generic with reduction loops indexed by two or more inputs (a
/// contraction, e.g. attention's q k^T).
bool isContraction(linalg::GenericOp g) {
  SmallVector<unsigned> reductions;
  g.getReductionDims(reductions);
  unsigned readers = 0;
  for (OpOperand *in : g.getDpsInputOperands())
    if (llvm::any_of(reductions, [&](unsigned d) {
          return g.getMatchingIndexingMap(in).isFunctionOfDim(d);
        }))
      ++readers;
  return readers >= 2;
}

/// A consumer this pass fuses into: unmarked, not a contraction nor a step
/// on a contraction's result (attention's mask), writing new tensors, and
/// all parallel or a row statistic.
bool fusableConsumer(linalg::GenericOp c) {
  if (isMarked(c) || !c.hasPureTensorSemantics() || isContraction(c))
    return false;
  for (Value in : c.getDpsInputs())
    if (auto producer = in.getDefiningOp<linalg::GenericOp>())
      if (isContraction(producer))
        return false;
  // A step updating another op's result in place (an epilogue-like step of
  // some chain) is left to that chain; consumers here write new (or
  // freshly filled) tensors.
  for (Value init : c.getDpsInits())
    if (!init.getDefiningOp<tensor::EmptyOp>() && !init.getDefiningOp<linalg::FillOp>())
      return false;
  return true;
}

/// Whether recomputing `p` per element of `c` is cheaper than a launch: no
/// tensor input (computed from indices alone), or a broadcast of a few ops.
bool cheapToRecompute(linalg::GenericOp p, linalg::GenericOp c) {
  if (p.getNumDpsInputs() == 0)
    return true;
  unsigned ops = 0;
  for (Operation &op : p.getBody()->without_terminator()) {
    (void)op;
    ++ops;
  }
  return p.getNumLoops() < c.getNumLoops() && ops <= 4;
}

bool shouldFuse(OpOperand *operand) {
  auto c = dyn_cast<linalg::GenericOp>(operand->getOwner());
  auto p = operand->get().getDefiningOp<linalg::GenericOp>();
  if (!c || !p || !c.isDpsInput(operand) || isMarked(p) || !allParallel(p) ||
      !p.hasPureTensorSemantics() || !fusableConsumer(c))
    return false;
  if (!operand->get().hasOneUse() && !cheapToRecompute(p, c))
    return false;
  return linalg::areElementwiseOpsFusable(operand);
}

/// A multi-result all-parallel generic whose results are stacked along a
/// unit dimension of a new tensor by a chain of insert_slices (RoPE: the
/// two rotated halves into [.., 2, D/2]) becomes one generic over the
/// stacked tensor, selecting the result by the index along that dimension:
/// one kernel writing its output where a kernel and one copy per result
/// were. Returns whether it rewrote `g`.
bool stackResults(IRRewriter &rewriter, linalg::GenericOp g) {
  unsigned k = g.getNumResults(), n = g.getNumLoops();
  if (k < 2 || !allParallel(g) || isMarked(g) || !g.hasPureTensorSemantics())
    return false;
  for (OpOperand &init : g.getDpsInitsMutable())
    if (!g.getMatchingIndexingMap(&init).isIdentity() ||
        !init.get().getDefiningOp<tensor::EmptyOp>() ||
        !g.getMatchingBlockArgument(&init).use_empty())
      return false;
  // The chain: each result inserted once, each insert feeding the next.
  SmallVector<tensor::InsertSliceOp> chain;
  for (OpResult r : g->getResults()) {
    if (!r.hasOneUse())
      return false;
    auto insert = dyn_cast<tensor::InsertSliceOp>(*r.getUsers().begin());
    if (!insert || insert.getSource() != r)
      return false;
    chain.push_back(insert);
  }
  llvm::sort(chain, [](tensor::InsertSliceOp a, tensor::InsertSliceOp b) {
    return a->isBeforeInBlock(b);
  });
  for (unsigned j = 0; j < k; ++j)
    if (chain[j]->getBlock() != g->getBlock() ||
        (j + 1 < k && (!chain[j]->hasOneUse() || chain[j + 1].getDest() != chain[j].getResult())))
      return false;
  auto empty = chain[0].getDest().getDefiningOp<tensor::EmptyOp>();
  if (!empty)
    return false;
  RankedTensorType stacked = empty.getType();
  if (stacked.getRank() != n + 1 ||
      llvm::any_of(g->getResultTypes(), [&](Type t) {
        return cast<RankedTensorType>(t).getElementType() != stacked.getElementType();
      }))
    return false;
  // Every insert: unit strides, the full extent of `stacked` but one unit
  // dimension p (the same for all) at a constant offset, offsets 0..k-1.
  int64_t p = -1;
  SmallVector<int64_t> offsetOf(k, -1); // per result
  for (tensor::InsertSliceOp insert : chain) {
    if (!insert.hasUnitStride())
      return false;
    int64_t unit = -1;
    for (int64_t d = 0; d <= static_cast<int64_t>(n); ++d) {
      OpFoldResult size = insert.getMixedSizes()[d], offset = insert.getMixedOffsets()[d];
      std::optional<int64_t> constSize = getConstantIntValue(size);
      bool full = stacked.isDynamicDim(d)
                      ? (isa<Value>(size) && cast<Value>(size) == empty.getDynamicSize(d))
                      : constSize == stacked.getDimSize(d);
      if (full && getConstantIntValue(offset) == 0)
        continue;
      if (unit >= 0 || constSize != 1 || stacked.isDynamicDim(d) || stacked.getDimSize(d) != k ||
          !getConstantIntValue(offset))
        return false;
      unit = d;
    }
    if (unit < 0 || (p >= 0 && unit != p))
      return false;
    p = unit;
    int64_t offset = *getConstantIntValue(insert.getMixedOffsets()[p]);
    unsigned result = cast<OpResult>(insert.getSource()).getResultNumber();
    if (offset < 0 || offset >= k || llvm::is_contained(offsetOf, offset))
      return false;
    offsetOf[result] = offset;
  }
  // The source drops exactly dimension p.
  for (OpResult r : g->getResults()) {
    auto t = cast<RankedTensorType>(r.getType());
    SmallVector<int64_t> shape(stacked.getShape());
    shape.erase(shape.begin() + p);
    if (t.getShape() != ArrayRef<int64_t>(shape))
      return false;
  }

  // The stacked generic: loop p inserted, inputs' maps shifted.
  MLIRContext *ctx = g.getContext();
  auto shift = [&](AffineMap m) {
    SmallVector<AffineExpr> dims;
    for (unsigned d = 0; d < n; ++d)
      dims.push_back(getAffineDimExpr(d < p ? d : d + 1, ctx));
    return m.replaceDimsAndSymbols(dims, {}, n + 1, m.getNumSymbols());
  };
  SmallVector<AffineMap> maps;
  for (OpOperand *in : g.getDpsInputOperands())
    maps.push_back(shift(g.getMatchingIndexingMap(in)));
  maps.push_back(AffineMap::getMultiDimIdentityMap(n + 1, ctx));
  SmallVector<utils::IteratorType> iterators(n + 1, utils::IteratorType::parallel);
  rewriter.setInsertionPoint(chain.back());
  auto fused = linalg::GenericOp::create(
      rewriter, g.getLoc(), TypeRange{stacked}, g.getDpsInputs(), ValueRange{empty.getResult()},
      maps, iterators, [&](OpBuilder &b, Location loc, ValueRange args) {
        IRMapping map;
        Block *body = g.getBody();
        for (unsigned i = 0; i < g.getNumDpsInputs(); ++i)
          map.map(body->getArgument(i), args[i]);
        for (Operation &op : body->without_terminator()) {
          if (auto index = dyn_cast<linalg::IndexOp>(op)) {
            unsigned d = index.getDim();
            map.map(index.getResult(),
                    linalg::IndexOp::create(b, loc, d < p ? d : d + 1).getResult());
            continue;
          }
          b.clone(op, map);
        }
        Value which = linalg::IndexOp::create(b, loc, p);
        Operation *yield = body->getTerminator();
        Value v = map.lookupOrDefault(yield->getOperand(0));
        for (unsigned r = 1; r < k; ++r) {
          Value here = arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::eq, which,
              arith::ConstantIndexOp::create(b, loc, offsetOf[r]));
          v = arith::SelectOp::create(b, loc, here, map.lookupOrDefault(yield->getOperand(r)), v);
        }
        linalg::YieldOp::create(b, loc, v);
      });
  rewriter.replaceOp(chain.back(), fused->getResults());
  for (int j = static_cast<int>(k) - 2; j >= 0; --j)
    rewriter.eraseOp(chain[j]);
  rewriter.eraseOp(g);
  return true;
}

struct XgenmmGpuFuseElementwisePass
    : xgenmm::impl::XgenmmGpuFuseElementwiseBase<XgenmmGpuFuseElementwisePass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    // One fusion at a time, producers first (a fused op may be the next
    // consumer's producer); each fusion removes a use, so this ends.
    bool changed = true;
    while (changed) {
      changed = false;
      OpOperand *next = nullptr;
      getOperation()->walk([&](linalg::GenericOp c) {
        for (OpOperand *in : c.getDpsInputOperands())
          if (shouldFuse(in)) {
            next = in;
            return WalkResult::interrupt();
          }
        return WalkResult::advance();
      });
      if (!next)
        break;
      auto c = cast<linalg::GenericOp>(next->getOwner());
      auto p = next->get().getDefiningOp<linalg::GenericOp>();
      // A producer recomputed by several consumers: each fuses a copy of
      // its own (the fused op then has no results of the producer's).
      if (!next->get().hasOneUse()) {
        rewriter.setInsertionPoint(p);
        Operation *copy = rewriter.clone(*p);
        next->set(copy->getResult(cast<OpResult>(next->get()).getResultNumber()));
        p = cast<linalg::GenericOp>(copy);
      }
      rewriter.setInsertionPoint(c);
      FailureOr<linalg::ElementwiseOpFusionResult> fused =
          linalg::fuseElementwiseOps(rewriter, next);
      if (failed(fused)) {
        c->emitError("xgenmm-gpu-fuse-elementwise: elementwise fusion failed");
        return signalPassFailure();
      }
      for (OpResult result : c->getResults())
        rewriter.replaceAllUsesWith(result, fused->replacements.lookup(result));
      // A producer fused for two operands (RoPE's cos and sin) is cloned
      // into the body twice: merge the copies.
      DominanceInfo dominance;
      eliminateCommonSubExpressions(rewriter, dominance, fused->fusedOp);
      rewriter.eraseOp(c);
      if (p->use_empty())
        rewriter.eraseOp(p);
      changed = true;
    }

    SmallVector<linalg::GenericOp> multiResult;
    getOperation()->walk([&](linalg::GenericOp g) {
      if (g.getNumResults() > 1)
        multiResult.push_back(g);
    });
    for (linalg::GenericOp g : multiResult)
      stackResults(rewriter, g);

    // Each use of a fill its own fill (on the same tensor.empty: where the
    // fill's value is still live, bufferization gives the copy a buffer of
    // its own, without a copy; attention's row statistics keep sharing one
    // buffer as the flash-attention matcher requires).
    SmallVector<linalg::FillOp> fills;
    getOperation()->walk([&](linalg::FillOp f) {
      if (f.hasPureTensorSemantics() && !f->getResult(0).use_empty() &&
          !f->getResult(0).hasOneUse())
        fills.push_back(f);
    });
    for (linalg::FillOp f : fills) {
      SmallVector<OpOperand *> uses;
      for (OpOperand &use : f->getResult(0).getUses())
        uses.push_back(&use);
      for (OpOperand *use : llvm::drop_begin(uses)) {
        rewriter.setInsertionPoint(use->getOwner());
        use->set(rewriter.clone(*f)->getResult(0));
      }
    }

    // A generic's own tensor.empty for each result that is inserted into a
    // bigger tensor (CSE merged them), so that empty-tensor elimination
    // (next in the pipeline) makes it write straight into that slice
    // (RoPE's two halves). Other empties stay shared: attention's chain
    // relies on its row statistics sharing one buffer.
    SmallVector<std::pair<Operation *, unsigned>> emptyUses;
    getOperation()->walk([&](linalg::GenericOp g) {
      for (OpOperand &init : g.getDpsInitsMutable()) {
        auto e = init.get().getDefiningOp<tensor::EmptyOp>();
        OpResult result = g.getTiedOpResult(&init);
        if (e && !e->hasOneUse() && result.hasOneUse() &&
            isa<tensor::InsertSliceOp>(*result.getUsers().begin()))
          emptyUses.push_back({g, init.getOperandNumber()});
      }
    });
    for (auto [owner, number] : emptyUses) {
      OpOperand &use = owner->getOpOperand(number);
      auto e = use.get().getDefiningOp<tensor::EmptyOp>();
      rewriter.setInsertionPoint(e);
      use.set(rewriter.clone(*e)->getResult(0));
    }
  }
};

} // namespace
