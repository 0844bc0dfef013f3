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
// shared by all threads), or sits inside another parallel loop. Except
// scratch: a small static buffer that never leaves the iteration that
// allocates it (the bf16 dot products' packed weight tiles) becomes each
// thread's own, a memref.alloca at the top of the parallel body, which an
// alloca_scope releases after every iteration. Allocated once per
// iteration of the parallel loop instead of once per iteration of the
// loops inside it: its contents are undefined at allocation either way.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::xgenmm {
#define GEN_PASS_DEF_XGENMMPARALLELIZELOOPS
#include "passes/Passes.h.inc"
} // namespace mlir::xgenmm

using namespace mlir;
using namespace mlir::xgenmm;

namespace {

constexpr llvm::StringLiteral kParallel = "xgenmm.parallel";

/// Scratch buffers up to this size go on the threads' stacks.
constexpr int64_t kMaxScratchBytes = 256 * 1024;

/// A static, identity-layout buffer of at most kMaxScratchBytes no view of
/// which is yielded, returned or passed to a call (a dealloc of it goes
/// with it).
bool isScratch(memref::AllocOp alloc) {
  MemRefType type = alloc.getType();
  if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
      !type.getElementType().isIntOrFloat() ||
      type.getNumElements() * type.getElementTypeBitWidth() / 8 > kMaxScratchBytes)
    return false;
  SmallVector<Value> views = {alloc.getResult()};
  while (!views.empty()) {
    Value v = views.pop_back_val();
    for (Operation *user : v.getUsers()) {
      if (isa<memref::DeallocOp>(user))
        continue;
      if (user->hasTrait<OpTrait::IsTerminator>() || isa<CallOpInterface>(user))
        return false;
      if (auto view = dyn_cast<ViewLikeOpInterface>(user))
        if (view.getViewSource() == v)
          views.append(user->result_begin(), user->result_end());
    }
  }
  return true;
}

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
      SmallVector<memref::AllocOp> scratch;
      bool allocates = loop.getBody()
                           ->walk([&](memref::AllocOp alloc) {
                             if (!isScratch(alloc))
                               return WalkResult::interrupt();
                             scratch.push_back(alloc);
                             return WalkResult::advance();
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
      if (scratch.empty())
        continue;

      // The body in an alloca_scope, the scratch buffers at its top.
      rewriter.setInsertionPointToStart(to);
      auto scope = memref::AllocaScopeOp::create(rewriter, parallel.getLoc(), TypeRange{});
      Block *inner = rewriter.createBlock(&scope.getBodyRegion());
      inner->getOperations().splice(inner->end(), to->getOperations(),
                                    std::next(scope->getIterator()),
                                    to->getTerminator()->getIterator());
      rewriter.setInsertionPointToEnd(inner);
      memref::AllocaScopeReturnOp::create(rewriter, parallel.getLoc(), ValueRange{});
      for (memref::AllocOp alloc : scratch) {
        rewriter.setInsertionPointToStart(inner);
        auto alloca = memref::AllocaOp::create(rewriter, alloc.getLoc(), alloc.getType(),
                                               alloc.getAlignmentAttr());
        for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
          if (isa<memref::DeallocOp>(user))
            rewriter.eraseOp(user);
        rewriter.replaceOp(alloc, alloca);
      }
    }
  }
};

} // namespace
