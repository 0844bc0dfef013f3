//===- ParallelizeLoops.cpp - marked scf.for loops -> scf.parallel --------===//
//
// The CPU schedule (passes/schedules/cpu.mlir) and xgenmm-fuse-epilogues
// mark the loops whose iterations write disjoint tiles, `xgenmm.parallel`:
// the column tiles of a matmul's row block, the column panels of a
// matrix-vector product, the heads of attention. After bufferization such
// a loop carries no values; here it becomes an scf.parallel, which the
// pipeline lowers to OpenMP (one fork-join per loop, threads from the
// OpenMP runtime: OMP_NUM_THREADS, or the runtime's thread setting).
//
// A marked loop is left serial (and the mark dropped) when it still carries
// values, allocates inside its body (a buffer the plan would place once,
// shared by all threads), or sits inside another parallel loop.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/IR/PatternMatch.h"

namespace mlir::xgenmm {
#define GEN_PASS_DEF_XGENMMPARALLELIZELOOPS
#include "passes/Passes.h.inc"
} // namespace mlir::xgenmm

using namespace mlir;
using namespace mlir::xgenmm;

namespace {

constexpr llvm::StringLiteral kParallel = "xgenmm.parallel";

struct XgenmmParallelizeLoopsPass
    : xgenmm::impl::XgenmmParallelizeLoopsBase<XgenmmParallelizeLoopsPass> {
  void runOnOperation() override {
    SmallVector<scf::ForOp> marked;
    getOperation()->walk<WalkOrder::PreOrder>([&](scf::ForOp loop) {
      if (loop->hasAttr(kParallel))
        marked.push_back(loop);
    });

    IRRewriter rewriter(&getContext());
    for (scf::ForOp loop : marked) {
      loop->removeAttr(kParallel);
      if (loop.getNumResults() != 0 || loop->getParentOfType<scf::ParallelOp>())
        continue;
      bool allocates = loop.getBody()
                           ->walk([](Operation *op) {
                             return isa<memref::AllocOp>(op) ? WalkResult::interrupt()
                                                             : WalkResult::advance();
                           })
                           .wasInterrupted();
      if (allocates)
        continue;

      // The body moves (not cloned): marked loops nested in it stay valid
      // and are then seen inside the parallel loop.
      rewriter.setInsertionPoint(loop);
      auto parallel = scf::ParallelOp::create(
          rewriter, loop.getLoc(), ValueRange{loop.getLowerBound()},
          ValueRange{loop.getUpperBound()}, ValueRange{loop.getStep()});
      Block *from = loop.getBody(), *to = parallel.getBody();
      rewriter.replaceAllUsesWith(loop.getInductionVar(), parallel.getInductionVars()[0]);
      to->getOperations().splice(to->getTerminator()->getIterator(),
                                 from->getOperations(), from->begin(),
                                 from->getTerminator()->getIterator());
      rewriter.eraseOp(loop);
    }
  }
};

} // namespace
