//===- GpuRowReductions.cpp - row reductions as one block per row ---------===//
//
// The model's reductions outside attention and the dense layers are row
// statistics: the layer norms' sum and sum of squared deviations (SigLIP,
// the resampler; rows of 1152), the RMS norms' sum of squares (Phi-3; rows
// of 3072), softmax's max and sum where attention is not fused. As loops
// (xgenmm-gpu-map-loops) they were one thread per row, summing the row
// alone: 729 threads for a SigLIP norm, each reading 1152 floats one after
// the other with a stride of a row between neighbouring threads (every
// load of a warp a different cache line), and in decode one thread reading
// the 3072 of the only row.
//
// This pass turns every such linalg.generic into a gpu.launch of one
// 256-thread block per row:
//
//   thread t: 4 accumulators (the combiner's identity), k = t, t + 256, ..
//             in steps of 1024, the 4 rows' loads issued before their
//             bodies (past the end: a clamped, discarded element);
//   the 4 combined, then the warp's 32 by shuffles, then the block's 8
//   warps through shared memory; thread 0 combines the result with the
//   output's value (the reduction's init) and stores it.
//
// Two neighbours join the kernel (a norm is then one launch where it was
// up to five):
//   - a constant linalg.fill of an output just before (nothing in between
//     touching its allocation): the constant is the init, the fill goes;
//   - the all-parallel generic that next reads the outputs (a norm's apply
//     step), over the same rows: after the totals, thread 0 stores them to
//     shared memory too, and the block runs the consumer over its row, 4
//     elements per thread in flight; the kernel takes the consumer's place
//     (only memory-effect-free ops and allocations in between). The
//     consumer must read the outputs exactly as they are written (same
//     buffer and map) and write, with permutation maps, buffers that
//     neither op reads;
//   - a constant fill of an unrelated local allocation right after (only
//     memory-effect-free ops and allocations in between): every thread of
//     the grid stores its share at the end (decode zeroes the output of
//     the next split-K matrix-vector kernel after each norm).
//
// Matched: buffer semantics, projected-permutation maps, one reduction
// loop, the innermost, not indexing the outputs (whose maps are
// permutations of the other loops), and every yielded value
// `out_j (+) g(inputs)` for an associative, commutative combiner (+)
// (addf, maximumf, minimumf, maxnumf, minnumf on f32/f64; addi on i32) whose
// output argument
// is used only there (so g reads no output). The order of the additions
// changes (as in any parallel reduction).
//
//===----------------------------------------------------------------------===//
#include "passes/GpuKernelUtils.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include <limits>

namespace mlir::xgenmm {
#define GEN_PASS_DEF_XGENMMGPUROWREDUCTIONS
#include "passes/Passes.h.inc"
} // namespace mlir::xgenmm

using namespace mlir;
using namespace mlir::xgenmm;

namespace {

using gpu_kernels::Emitter;
using gpu_kernels::rootOf;
using gpu_kernels::usesRoot;

constexpr int64_t kThreads = 256, kWarps = kThreads / 32, kUnroll = 4;

/// The identity of a combiner, or null if the op is not one.
TypedAttr identityOf(Operation *op) {
  Type t = op->getResult(0).getType();
  Builder b(op->getContext());
  bool floatType = t.isF32() || t.isF64(); // what gpu.shuffle takes
  double inf = std::numeric_limits<double>::infinity();
  if (isa<arith::AddFOp>(op) && floatType)
    return b.getFloatAttr(t, 0.0);
  if (isa<arith::MaximumFOp, arith::MaxNumFOp>(op) && floatType)
    return b.getFloatAttr(t, -inf);
  if (isa<arith::MinimumFOp, arith::MinNumFOp>(op) && floatType)
    return b.getFloatAttr(t, inf);
  if (isa<arith::AddIOp>(op) && t.isInteger(32))
    return b.getIntegerAttr(t, 0);
  return nullptr;
}

/// The combiners of `g`'s outputs if `g` is a row reduction this pass
/// handles (see the file comment), else an empty list.
SmallVector<Operation *> matchRowReduction(linalg::GenericOp g) {
  unsigned n = g.getNumLoops();
  if (!g.hasPureBufferSemantics() || g.getNumReductionLoops() != 1 || n < 1 ||
      g.getIteratorTypesArray()[n - 1] != utils::IteratorType::reduction ||
      g.getNumDpsInits() == 0)
    return {};
  for (AffineMap m : g.getIndexingMapsArray())
    if (!m.isProjectedPermutation())
      return {};
  // Each output element is one row's: the map is a permutation of the
  // parallel loops (else rows would race on an element).
  for (OpOperand &init : g.getDpsInitsMutable()) {
    AffineMap m = g.getMatchingIndexingMap(&init);
    if (m.getNumResults() != n - 1 || m.isFunctionOfDim(n - 1))
      return {};
  }
  Block *body = g.getBody();
  Operation *yield = body->getTerminator();
  unsigned nIn = g.getNumDpsInputs();
  SmallVector<Operation *> combiners;
  for (unsigned j = 0; j < g.getNumDpsInits(); ++j) {
    BlockArgument out = body->getArgument(nIn + j);
    Operation *op = yield->getOperand(j).getDefiningOp();
    if (!op || op->getBlock() != body || op->getNumOperands() != 2 || !identityOf(op) ||
        !out.hasOneUse() || out.getUses().begin()->getOwner() != op ||
        !op->getResult(0).hasOneUse() || op->getOperand(0) == op->getOperand(1))
      return {};
    combiners.push_back(op);
  }
  return combiners;
}

/// A constant fill of exactly `buffer` that the reduction can absorb: the
/// nearest earlier op in the block writing it, with nothing in between
/// touching the buffer's allocation (a local one; anything else may alias).
linalg::FillOp absorbableFill(linalg::GenericOp g, Value buffer) {
  Value root = rootOf(buffer);
  if (!root.getDefiningOp<memref::AllocOp>())
    return {};
  for (Operation *op = g->getPrevNode(); op; op = op->getPrevNode()) {
    auto fill = dyn_cast<linalg::FillOp>(op);
    if (fill && fill.hasPureBufferSemantics() && fill.getDpsInits()[0] == buffer &&
        matchPattern(fill.getDpsInputs()[0], m_Constant()) &&
        fill.getDpsInputs()[0].getType() ==
            cast<MemRefType>(buffer.getType()).getElementType())
      return fill;
    if (usesRoot(op, root))
      return {};
  }
  return {};
}

/// An all-parallel generic over the same rows that reads the reduction's
/// results (e.g. a norm's apply step), if it can run in the reduction's
/// kernel after the row's total: the next op in the block that reads an
/// output of `g`, with only memory-effect-free ops before it; reading the
/// outputs exactly as `g` writes them (same buffer, same map); writing
/// buffers (with permutation maps) that nothing of `g` or its own inputs
/// reads; none of its inputs written by `g` otherwise.
linalg::GenericOp fusableConsumer(linalg::GenericOp g) {
  unsigned n = g.getNumLoops();
  SmallVector<Value> roots;
  for (OpOperand &operand : g->getOpOperands())
    if (isa<MemRefType>(operand.get().getType()))
      roots.push_back(rootOf(operand.get()));
  for (Operation *op = g->getNextNode(); op; op = op->getNextNode()) {
    auto c = dyn_cast<linalg::GenericOp>(op);
    bool readsResult = false;
    for (OpOperand &out : g.getDpsInitsMutable())
      if (usesRoot(op, rootOf(out.get())))
        readsResult = true;
    if (!readsResult) {
      if (isMemoryEffectFree(op) || isa<memref::AllocOp>(op))
        continue;
      return {};
    }
    if (!c || !c.hasPureBufferSemantics() || c.getNumLoops() != n ||
        c.getNumParallelLoops() != n || c->getNumRegions() != 1)
      return {};
    for (NamedAttribute attr : c->getDiscardableAttrs())
      if (attr.getName().strref().starts_with("xgenmm."))
        return {};
    for (OpOperand &operand : c->getOpOperands()) {
      AffineMap m = c.getMatchingIndexingMap(&operand);
      if (!m.isProjectedPermutation())
        return {};
      Value root = rootOf(operand.get());
      if (c.isDpsInit(&operand)) {
        if (!m.isPermutation() || llvm::is_contained(roots, root))
          return {};
        for (OpOperand *in : c.getDpsInputOperands())
          if (rootOf(in->get()) == root)
            return {};
        continue;
      }
      for (OpOperand &out : g.getDpsInitsMutable()) {
        if (rootOf(out.get()) != root)
          continue;
        if (operand.get() != out.get() || m != g.getMatchingIndexingMap(&out))
          return {};
      }
    }
    return c;
  }
  return {};
}

/// A constant fill right after the kernel's place (only memory-effect-free
/// ops and allocations in between) of a whole local allocation (identity
/// layout) that neither `g` nor `c` uses: the kernel can do it too. Its
/// allocation, if it comes later, is moved before `place`.
linalg::FillOp trailingFill(linalg::GenericOp g, linalg::GenericOp c, Operation *place) {
  for (Operation *op = place->getNextNode(); op; op = op->getNextNode()) {
    auto fill = dyn_cast<linalg::FillOp>(op);
    if (!fill) {
      if (isMemoryEffectFree(op) || isa<memref::AllocOp>(op))
        continue;
      return {};
    }
    Value buffer = fill.getDpsInits()[0];
    auto type = dyn_cast<MemRefType>(buffer.getType());
    auto alloc = buffer.getDefiningOp<memref::AllocOp>();
    if (!fill.hasPureBufferSemantics() || !type || !alloc || !type.getLayout().isIdentity() ||
        !matchPattern(fill.getDpsInputs()[0], m_Constant()) ||
        fill.getDpsInputs()[0].getType() != type.getElementType() || usesRoot(g, buffer) ||
        (c && usesRoot(c, buffer)))
      return {};
    if (alloc->getBlock() == place->getBlock() && place->isBeforeInBlock(alloc)) {
      for (Value size : alloc->getOperands())
        if (Operation *def = size.getDefiningOp())
          if (def->getBlock() == place->getBlock() && !def->isBeforeInBlock(place))
            return {};
      alloc->moveBefore(place);
    }
    return fill;
  }
  return {};
}

/// `x (+) y` with the combiner's kind and attributes.
Value combine(OpBuilder &b, Location loc, Operation *combiner, Value x, Value y) {
  OperationState state(loc, combiner->getName());
  state.addOperands({x, y});
  state.addTypes(x.getType());
  state.addAttributes(combiner->getAttrs());
  return b.create(state)->getResult(0);
}

void emitConsumer(OpBuilder &b, Location loc, gpu_kernels::Emitter &e, gpu::LaunchOp launch,
                  linalg::GenericOp g, linalg::GenericOp c, SmallVector<Value> ivs,
                  Value consumerDepth);

/// `g` as one block per row; `fills[j]`, if set, the constant fill of
/// output j absorbed (its value is the init); `c`, if set, a consumer from
/// fusableConsumer run by the same block after the row's totals (the
/// kernel is then emitted at its place).
void emitRowReduction(linalg::GenericOp g, ArrayRef<Operation *> combiners,
                      ArrayRef<linalg::FillOp> fills, linalg::GenericOp c,
                      linalg::FillOp trailing) {
  OpBuilder b(c ? c.getOperation() : g.getOperation());
  Location loc = g.getLoc();
  Emitter e{b, loc};
  unsigned n = g.getNumLoops(), nIn = g.getNumDpsInputs(), nOut = g.getNumDpsInits();
  SmallVector<Value> extents;
  for (Range r : cast<linalg::LinalgOp>(g.getOperation()).createLoopRanges(b, loc))
    extents.push_back(getValueOrCreateConstantIndexOp(b, loc, r.size));
  Value depth = extents[n - 1];
  Value rows = e.cst(1);
  for (unsigned d = 0; d + 1 < n; ++d)
    rows = arith::MulIOp::create(b, loc, rows, extents[d]);
  Value consumerDepth;
  if (c)
    consumerDepth = getValueOrCreateConstantIndexOp(
        b, loc,
        cast<linalg::LinalgOp>(c.getOperation()).createLoopRanges(b, loc)[n - 1].size);

  auto workgroup = gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  SmallVector<Type> partials;
  for (Operation *c : combiners)
    partials.push_back(MemRefType::get({kWarps}, c->getResult(0).getType(),
                                       MemRefLayoutAttrInterface(), workgroup));
  Value one = e.cst(1);
  auto launch = gpu::LaunchOp::create(b, loc, rows, one, one, e.cst(kThreads), one, one,
                                      /*dynamicSharedMemorySize=*/nullptr,
                                      /*asyncTokenType=*/nullptr, ValueRange{}, partials);
  launch->setAttr("xgenmm.kernel", b.getStringAttr("row_reduction"));
  b.setInsertionPointToStart(&launch.getBody().front());
  gpu::TerminatorOp::create(b, loc);
  b.setInsertionPointToStart(&launch.getBody().front());
  Value tid = launch.getThreadIds().x;

  // The row's parallel indices (the block id, delinearized).
  SmallVector<Value> ivs(n);
  Value rest = launch.getBlockIds().x;
  for (int d = static_cast<int>(n) - 2; d >= 0; --d) {
    ivs[d] = d == 0 ? rest : arith::RemUIOp::create(b, loc, rest, extents[d]).getResult();
    if (d > 0)
      rest = arith::DivUIOp::create(b, loc, rest, extents[d]);
  }
  auto indicesOf = [&](OpOperand &operand) {
    SmallVector<Value> indices;
    for (AffineExpr expr : g.getMatchingIndexingMap(&operand).getResults())
      indices.push_back(ivs[cast<AffineDimExpr>(expr).getPosition()]);
    return indices;
  };

  // Per thread: kUnroll accumulators per output.
  SmallVector<Value> init;
  for (int u = 0; u < kUnroll; ++u)
    for (Operation *c : combiners)
      init.push_back(arith::ConstantOp::create(b, loc, identityOf(c)));
  auto loop = scf::ForOp::create(b, loc, tid, depth, e.cst(kThreads * kUnroll), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value last = arith::SubIOp::create(b, loc, depth, one);
    Block *body = g.getBody();
    SmallVector<Value> valid(kUnroll);
    SmallVector<IRMapping> maps(kUnroll);
    // All loads first: kUnroll elements in flight per thread.
    for (int u = 0; u < kUnroll; ++u) {
      Value k = e.add(loop.getInductionVar(), u * kThreads);
      valid[u] = e.lt(k, depth);
      ivs[n - 1] = arith::MinUIOp::create(b, loc, k, last);
      for (unsigned i = 0; i < nIn; ++i) {
        OpOperand &in = g->getOpOperand(i);
        Value v = in.get();
        if (isa<MemRefType>(v.getType()))
          v = memref::LoadOp::create(b, loc, v, indicesOf(in));
        maps[u].map(body->getArgument(i), v);
      }
      for (unsigned j = 0; j < nOut; ++j)
        maps[u].map(body->getArgument(nIn + j), loop.getRegionIterArgs()[u * nOut + j]);
      // linalg.index of the reduction dimension: this element's k.
      for (Operation &op : body->without_terminator())
        if (auto index = dyn_cast<linalg::IndexOp>(op))
          maps[u].map(index.getResult(), ivs[index.getDim()]);
    }
    SmallVector<Value> next;
    for (int u = 0; u < kUnroll; ++u) {
      for (Operation &op : body->without_terminator())
        if (!isa<linalg::IndexOp>(op))
          b.clone(op, maps[u]);
      for (unsigned j = 0; j < nOut; ++j) {
        Value old = loop.getRegionIterArgs()[u * nOut + j];
        Value updated = maps[u].lookup(body->getTerminator()->getOperand(j));
        next.push_back(arith::SelectOp::create(b, loc, valid[u], updated, old));
      }
    }
    scf::YieldOp::create(b, loc, next);
  }

  // Thread, warp, block.
  Value warp = e.div(tid, 32), lane = e.rem(tid, 32);
  SmallVector<Value> totals;
  for (unsigned j = 0; j < nOut; ++j) {
    Value acc = loop.getResult(j);
    for (int u = 1; u < kUnroll; ++u)
      acc = combine(b, loc, combiners[j], acc, loop.getResult(u * nOut + j));
    for (int32_t offset : {16, 8, 4, 2, 1})
      acc = combine(b, loc, combiners[j], acc,
                    gpu::ShuffleOp::create(b, loc, acc, offset, 32, gpu::ShuffleMode::XOR)
                        .getShuffleResult());
    totals.push_back(acc);
  }
  auto laneZero = scf::IfOp::create(
      b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane, e.cst(0)));
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(laneZero.thenBlock());
    for (unsigned j = 0; j < nOut; ++j)
      memref::StoreOp::create(b, loc, totals[j], launch.getWorkgroupAttributions()[j],
                              ValueRange{warp});
  }
  gpu::BarrierOp::create(b, loc);
  auto threadZero = scf::IfOp::create(
      b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, tid, e.cst(0)));
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(threadZero.thenBlock());
    for (unsigned j = 0; j < nOut; ++j) {
      Value shared = launch.getWorkgroupAttributions()[j];
      Value total = memref::LoadOp::create(b, loc, shared, ValueRange{e.cst(0)});
      for (int64_t w = 1; w < kWarps; ++w)
        total = combine(b, loc, combiners[j], total,
                        memref::LoadOp::create(b, loc, shared, ValueRange{e.cst(w)}));
      OpOperand &out = *g.getDpsInitOperand(j);
      SmallVector<Value> indices = indicesOf(out);
      linalg::FillOp fill = fills[j];
      Value initial = fill ? b.clone(*fill.getDpsInputs()[0].getDefiningOp())->getResult(0)
                               : memref::LoadOp::create(b, loc, out.get(), indices).getResult();
      Value final = combine(b, loc, combiners[j], initial, total);
      memref::StoreOp::create(b, loc, final, out.get(), indices);
      // For the consumer: every thread reads it after the barrier below
      // (only thread 0 reads the partials between the two barriers).
      if (c)
        memref::StoreOp::create(b, loc, final, shared, ValueRange{e.cst(0)});
    }
  }
  if (c)
    emitConsumer(b, loc, e, launch, g, c, ivs, consumerDepth);

  // A constant fill of an unrelated buffer that followed: every thread of
  // the grid stores its share (a launch fewer; decode's zeroing of a
  // matrix-vector kernel's output after the norm before it).
  if (trailing) {
    Value buffer = trailing.getDpsInits()[0];
    auto type = cast<MemRefType>(buffer.getType());
    SmallVector<Value> dims;
    Value total = one;
    for (int64_t d = 0; d < type.getRank(); ++d) {
      dims.push_back(memref::DimOp::create(b, loc, buffer, d));
      total = arith::MulIOp::create(b, loc, total, dims.back());
    }
    Value value = b.clone(*trailing.getDpsInputs()[0].getDefiningOp())->getResult(0);
    Value start = e.add(arith::MulIOp::create(b, loc, launch.getBlockIds().x, e.cst(kThreads)), tid);
    Value step = arith::MulIOp::create(b, loc, launch.getGridSize().x, e.cst(kThreads));
    auto fillLoop = scf::ForOp::create(b, loc, start, total, step);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(fillLoop.getBody());
    SmallVector<Value> indices(type.getRank());
    Value rest = fillLoop.getInductionVar();
    for (int64_t d = type.getRank() - 1; d >= 0; --d) {
      indices[d] = d == 0 ? rest : arith::RemUIOp::create(b, loc, rest, dims[d]).getResult();
      if (d > 0)
        rest = arith::DivUIOp::create(b, loc, rest, dims[d]);
    }
    memref::StoreOp::create(b, loc, value, buffer, indices);
  }
}

/// The consumer `c` of fusableConsumer over the block's row, after the
/// totals (in the first slots of the shared partials).
void emitConsumer(OpBuilder &b, Location loc, Emitter &e, gpu::LaunchOp launch,
                  linalg::GenericOp g, linalg::GenericOp c, SmallVector<Value> ivs,
                  Value consumerDepth) {
  OpBuilder::InsertionGuard outer(b);
  unsigned n = g.getNumLoops(), nOut = g.getNumDpsInits();
  Value tid = launch.getThreadIds().x, one = e.cst(1);
  // The consumer over the row: 4 elements per thread in flight, as above.
  gpu::BarrierOp::create(b, loc);
  SmallVector<Value> finals;
  for (unsigned j = 0; j < nOut; ++j)
    finals.push_back(memref::LoadOp::create(b, loc, launch.getWorkgroupAttributions()[j],
                                            ValueRange{e.cst(0)}));
  auto rowLoop = scf::ForOp::create(b, loc, tid, consumerDepth, e.cst(kThreads * kUnroll));
  b.setInsertionPointToStart(rowLoop.getBody());
  Value last = arith::SubIOp::create(b, loc, consumerDepth, one);
  Block *body = c.getBody();
  auto cIndices = [&](OpOperand &operand) {
    SmallVector<Value> indices;
    for (AffineExpr expr : c.getMatchingIndexingMap(&operand).getResults())
      indices.push_back(ivs[cast<AffineDimExpr>(expr).getPosition()]);
    return indices;
  };
  SmallVector<Value> valid(kUnroll);
  SmallVector<SmallVector<Value>> at(kUnroll);
  SmallVector<IRMapping> maps(kUnroll);
  for (int u = 0; u < kUnroll; ++u) {
    Value k = e.add(rowLoop.getInductionVar(), u * kThreads);
    valid[u] = e.lt(k, consumerDepth);
    ivs[n - 1] = arith::MinUIOp::create(b, loc, k, last);
    at[u] = ivs;
    for (OpOperand &operand : c->getOpOperands()) {
      BlockArgument arg = body->getArgument(operand.getOperandNumber());
      Value v = operand.get();
      auto result = llvm::find(g.getDpsInits(), v);
      if (!c.isDpsInit(&operand) && result != g.getDpsInits().end())
        maps[u].map(arg, finals[result - g.getDpsInits().begin()]);
      else if (!isa<MemRefType>(v.getType()))
        maps[u].map(arg, v);
      else if (!arg.use_empty())
        maps[u].map(arg, memref::LoadOp::create(b, loc, v, cIndices(operand)));
    }
    for (Operation &op : body->without_terminator())
      if (auto index = dyn_cast<linalg::IndexOp>(op))
        maps[u].map(index.getResult(), ivs[index.getDim()]);
  }
  for (int u = 0; u < kUnroll; ++u) {
    for (Operation &op : body->without_terminator())
      if (!isa<linalg::IndexOp>(op))
        b.clone(op, maps[u]);
    auto store = scf::IfOp::create(b, loc, valid[u]);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(store.thenBlock());
    ivs = at[u];
    for (unsigned j = 0; j < c.getNumDpsInits(); ++j) {
      OpOperand &out = *c.getDpsInitOperand(j);
      memref::StoreOp::create(b, loc, maps[u].lookup(body->getTerminator()->getOperand(j)),
                              out.get(), cIndices(out));
    }
  }
}

struct XgenmmGpuRowReductionsPass
    : xgenmm::impl::XgenmmGpuRowReductionsBase<XgenmmGpuRowReductionsPass> {
  void runOnOperation() override {
    SmallVector<std::pair<linalg::GenericOp, SmallVector<Operation *>>> work;
    getOperation()->walk([&](linalg::GenericOp g) {
      if (g->getParentOfType<gpu::LaunchOp>())
        return;
      SmallVector<Operation *> combiners = matchRowReduction(g);
      if (!combiners.empty())
        work.push_back({g, combiners});
    });
    for (auto &[g, combiners] : work) {
      SmallVector<linalg::FillOp> fills;
      for (Value out : g.getDpsInits())
        fills.push_back(absorbableFill(g, out));
      linalg::GenericOp c = fusableConsumer(g);
      Operation *place = c ? c.getOperation() : g.getOperation();
      linalg::FillOp trailing = trailingFill(g, c, place);
      emitRowReduction(g, combiners, fills, c, trailing);
      for (linalg::FillOp fill : fills)
        if (fill)
          fill.erase();
      g.erase();
      if (c)
        c.erase();
      if (trailing)
        trailing.erase();
    }
  }
};

} // namespace
