//===- GpuMapLoops.cpp - the rest of the model onto blocks and threads ----===//
//
// After the dense layers have become tensor-core kernels and every other
// linalg op a loop nest (scf.parallel over its parallel dimensions, scf.for
// over its reductions), each outermost scf.parallel of the host code becomes
// one gpu.launch: its iteration space linearized over 256-thread blocks,
// one iteration per thread, reductions sequential per thread. Nothing of
// the model's arithmetic is left on the host: what stays there is layer
// loops, views and launches.
//
// Constant tensors that bufferization turned into memref.globals live in
// the host's read-only data, which kernels cannot read: each use gets a copy
// in an allocated buffer (the runtime's allocator returns memory both sides
// can address).
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::xgenmm {
#define GEN_PASS_DEF_XGENMMGPUMAPLOOPS
#include "passes/Passes.h.inc"
} // namespace mlir::xgenmm

using namespace mlir;
using namespace mlir::xgenmm;

namespace {

struct XgenmmGpuMapLoopsPass
    : xgenmm::impl::XgenmmGpuMapLoopsBase<XgenmmGpuMapLoopsPass> {
  using XgenmmGpuMapLoopsBase::XgenmmGpuMapLoopsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<scf::ParallelOp> loops;
    SmallVector<memref::GetGlobalOp> globals;
    for (auto func : module.getOps<func::FuncOp>()) {
      func.walk<WalkOrder::PreOrder>([&](Operation *op) {
        if (isa<gpu::LaunchOp>(op))
          return WalkResult::skip();
        if (auto p = dyn_cast<scf::ParallelOp>(op)) {
          loops.push_back(p);
          return WalkResult::skip();
        }
        if (auto g = dyn_cast<memref::GetGlobalOp>(op))
          globals.push_back(g);
        return WalkResult::advance();
      });
    }
    for (memref::GetGlobalOp g : globals)
      copyGlobal(g);
    for (scf::ParallelOp p : loops)
      if (failed(mapLoop(p)))
        return signalPassFailure();
  }

  void copyGlobal(memref::GetGlobalOp g) {
    OpBuilder b(g->getContext());
    b.setInsertionPointAfter(g);
    auto type = cast<MemRefType>(g.getType());
    Value copy = memref::AllocOp::create(b, g.getLoc(), MemRefType::get(type.getShape(), type.getElementType()));
    g.getResult().replaceAllUsesWith(copy);
    memref::CopyOp::create(b, g.getLoc(), g.getResult(), copy);
    // Freed where the function returns: globals are small (tables, masks).
    Block *block = g->getBlock();
    b.setInsertionPoint(block->getTerminator());
    memref::DeallocOp::create(b, g.getLoc(), copy);
  }

  LogicalResult mapLoop(scf::ParallelOp loop) {
    if (!loop.getInitVals().empty())
      return loop.emitOpError("xgenmm-gpu-map-loops: parallel loops with "
                              "reductions are not mapped to the GPU");
    OpBuilder b(loop);
    Location loc = loop.getLoc();
    // Trip counts and their product, on the host.
    SmallVector<Value> counts;
    Value total = arith::ConstantIndexOp::create(b, loc, 1);
    for (auto [lb, ub, step] : llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
      Value span = arith::SubIOp::create(b, loc, ub, lb);
      Value n = arith::CeilDivUIOp::create(b, loc, span, step);
      counts.push_back(n);
      total = arith::MulIOp::create(b, loc, total, n);
    }
    Value threads = arith::ConstantIndexOp::create(b, loc, blockSize);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    Value blocks = arith::CeilDivUIOp::create(b, loc, total, threads);
    auto launch = gpu::LaunchOp::create(b, loc, blocks, one, one, threads, one, one);
    launch->setAttr("xgenmm.kernel", b.getStringAttr("loops"));
    Block &body = launch.getBody().front();
    b.setInsertionPointToStart(&body);
    Value linear = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, launch.getBlockIds().x, threads),
        launch.getThreadIds().x);
    Value inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, linear, total);
    auto guard = scf::IfOp::create(b, loc, inRange);
    gpu::TerminatorOp::create(b, loc);
    b.setInsertionPointToStart(guard.thenBlock());
    IRMapping map;
    Value rest = linear;
    for (int64_t d = loop.getNumLoops() - 1; d >= 0; --d) {
      Value q = d == 0 ? rest : arith::RemUIOp::create(b, loc, rest, counts[d]).getResult();
      if (d > 0)
        rest = arith::DivUIOp::create(b, loc, rest, counts[d]);
      Value iv = arith::AddIOp::create(
          b, loc, loop.getLowerBound()[d],
          arith::MulIOp::create(b, loc, q, loop.getStep()[d]));
      map.map(loop.getInductionVars()[d], iv);
    }
    for (Operation &op : loop.getBody()->without_terminator())
      b.clone(op, map);
    loop.erase();
    return success();
  }
};

} // namespace
