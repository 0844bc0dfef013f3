//===- GpuMmaMatmul.cpp - block tiles of dense layers on tensor cores -----===//
//
// The GPU schedule (passes/schedules/gpu.mlir) tiles every dense
// contraction into 64 x 128 output tiles (M x N), one scf.forall iteration
// per tile mapped to thread blocks. After bufferization this pass turns each
// such forall into a gpu.launch of 128 threads (4 warps, 2 x 2, each owning
// a 32 x 64 quarter of the tile: 2 x 8 mma tiles of 16 x 8) and the tile's
// contraction into bf16 tensor-core code, K staged through shared memory
// 32 at a time, double-buffered:
//
//   acc  <- out tile (the bias or residual the layer starts from), or, where
//           the op writing the output just before is elementwise (a fill,
//           the bias broadcast, residual + bias), that op's value computed
//           here per element (the op goes: one launch and one pass over
//           the output fewer)
//   stage K step 0 into shared buffer 0; barrier
//   for each K step s:
//     if there is a step s + 1: load it from global memory into registers
//     2 x (per warp: 2 ldmatrix.x4 of a, 4 ldmatrix.x4.trans of w,
//          16 mma.sync m16n8k16 .row.col.f32.bf16.bf16.f32) on buffer s % 2
//     if there is a step s + 1: store the registers into buffer (s + 1) % 2
//     barrier
//   out tile <- acc, or epilogue(acc) where an elementwise in-place update
//               of the output follows (the layer's GELU; the op goes)
//
// One barrier per step: in step s the warps read buffer s % 2 and write the
// other one, which every warp finished reading before the barrier that
// ended step s - 1. The next step's global loads are in flight while the
// tensor cores work on the current one.
//
// Staging moves chunks of 8 consecutive elements (a: 8 of K in a row; w: 8
// of N in a row of K): each a 16-byte load of bf16 or two of f32, rounded
// to bf16, one 16-byte shared store. The fast path needs the chunk in
// bounds and 16-byte aligned (static strides, the view's offset checked at
// run time, allocations at least 64-byte aligned); other chunks (ragged
// edges, odd views) are loaded element by element, zero past the edges.
// Shared rows are padded (a: 40 bf16 = 80 bytes, w: 136 = 272 bytes) so
// that the 8 row addresses of an ldmatrix hit distinct banks.
//
// Tile shape: per 32 of K a block reads 64 x 32 f32 of a (8 KB) and 32 x 128
// bf16 of w (8 KB) for 2 x 64 x 128 x 32 flops, 32 flops per byte from L2
// (the 64 x 64 tile this replaces: 21).
//
// The fragment layouts are PTX's for m16n8k16 (passes/GpuKernelUtils.h).
// w stays [k][n] in shared memory; ldmatrix .trans hands every lane its B
// pairs (two consecutive k of one n). The activations are rounded to bf16
// (f32 and bf16 weights alike): this is a bf16 x bf16 -> f32 contraction.
//
//===----------------------------------------------------------------------===//
#include "passes/GpuKernelUtils.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include <limits>

namespace mlir::xgenmm {
#define GEN_PASS_DEF_XGENMMGPUMMAMATMUL
#include "passes/Passes.h.inc"
} // namespace mlir::xgenmm

using namespace mlir;
using namespace mlir::xgenmm;

namespace {

constexpr int64_t kTileM = 64;   // block tile (the schedule's)
constexpr int64_t kTileN = 128;
constexpr int64_t kWarpN = 64;   // warp tile: 32 x 64 (2 x 8 mma tiles)
constexpr int64_t kMmaM = 2, kMmaN = kWarpN / 8;
constexpr int64_t kStepK = 32;   // K staged per step
constexpr int64_t kPadA = 40;    // shared a row (bf16): 32 of K + 8, 80 bytes
constexpr int64_t kPadW = 136;   // shared w row (bf16): 128 of N + 8, 272 bytes
using gpu_kernels::kChunk;       // elements per staging chunk (16 bytes of bf16)
constexpr int64_t kThreads = 128;

/// out[m, n] += a[m, k] * w[k, n], with optional extf of either input.
bool isDenseContraction(linalg::GenericOp g) {
  if (g.getNumDpsInputs() != 2 || g.getNumDpsInits() != 1 ||
      g.getNumLoops() != 3 || g.getNumReductionLoops() != 1 ||
      !g.hasPureBufferSemantics())
    return false;
  MLIRContext *ctx = g.getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  auto maps = g.getIndexingMapsArray();
  if (maps[0] != AffineMap::get(3, 0, {m, k}, ctx) ||
      maps[1] != AffineMap::get(3, 0, {k, n}, ctx) ||
      maps[2] != AffineMap::get(3, 0, {m, n}, ctx))
    return false;
  bool mul = false, add = false;
  for (Operation &op : g.getBody()->without_terminator()) {
    if (isa<arith::MulFOp>(op))
      mul = true;
    else if (isa<arith::AddFOp>(op))
      add = true;
    else if (!isa<arith::ExtFOp>(op))
      return false;
  }
  auto elt = [](Value v) { return cast<MemRefType>(v.getType()).getElementType(); };
  auto ok = [](Type t) { return t.isF32() || t.isBF16(); };
  return mul && add && ok(elt(g.getDpsInputs()[0])) &&
         ok(elt(g.getDpsInputs()[1])) && elt(g.getDpsInits()[0]).isF32();
}

using gpu_kernels::Emitter;
using gpu_kernels::rootOf;
using gpu_kernels::usesRoot;

/// The payload of an elementwise op over the whole 2-D output, at
/// (row, col): its inputs loaded there (guarded by `inBounds` if given:
/// zero outside), its output argument `out` (for an epilogue).
Value evalPayload(OpBuilder &b, Location loc, linalg::LinalgOp op, Value row, Value col,
                  Value inBounds, Value out) {
  Emitter e{b, loc};
  Block *body = op.getBlock();
  IRMapping map;
  Value ivs[2] = {row, col};
  for (OpOperand *in : op.getDpsInputOperands()) {
    Value v = in->get();
    if (auto type = dyn_cast<MemRefType>(v.getType())) {
      SmallVector<Value> indices;
      for (AffineExpr expr : op.getMatchingIndexingMap(in).getResults())
        indices.push_back(ivs[cast<AffineDimExpr>(expr).getPosition()]);
      v = inBounds ? e.guardedLoad(v, indices, inBounds, type.getElementType())
                   : memref::LoadOp::create(b, loc, v, indices).getResult();
    }
    map.map(body->getArgument(in->getOperandNumber()), v);
  }
  if (out)
    map.map(body->getArgument(op.getNumDpsInputs()), out);
  for (Operation &inner : body->without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
      map.map(index.getResult(), ivs[index.getDim()]);
      continue;
    }
    b.clone(inner, map);
  }
  return map.lookupOrDefault(body->getTerminator()->getOperand(0));
}

/// An elementwise op writing all of `out` (2-D, identity map, parallel
/// loops, single output) from inputs that are not views of it, with
/// projected-permutation maps; with `readsOut`, its payload may read the
/// output (an epilogue), else not (an init).
bool isElementwiseOnto(linalg::LinalgOp op, Value out, bool readsOut) {
  if (!op || !op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
      op.getDpsInits()[0] != out || op.getNumLoops() != 2 ||
      op.getNumParallelLoops() != 2 || op->getNumResults() != 0 ||
      !op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity() ||
      op.getBlock()->getTerminator()->getNumOperands() != 1)
    return false;
  if (!readsOut && !op.getMatchingBlockArgument(op.getDpsInitOperand(0)).use_empty())
    return false;
  for (OpOperand *in : op.getDpsInputOperands()) {
    if (!isa<MemRefType>(in->get().getType()))
      continue;
    if (rootOf(in->get()) == rootOf(out) || !op.getMatchingIndexingMap(in).isProjectedPermutation())
      return false;
  }
  for (Operation &inner : op.getBlock()->without_terminator())
    if (!isMemoryEffectFree(&inner) || inner.getNumRegions())
      return false;
  return true;
}

/// Whether the ops strictly between `from` and `to` (same block) leave
/// `op`'s inputs alone (memory-effect free, or not using their buffers).
bool inputsUntouchedBetween(linalg::LinalgOp op, Operation *from, Operation *to) {
  for (Operation *x = from->getNextNode(); x && x != to; x = x->getNextNode()) {
    if (isMemoryEffectFree(x))
      continue;
    for (OpOperand *in : op.getDpsInputOperands())
      if (isa<MemRefType>(in->get().getType()) && usesRoot(x, rootOf(in->get())))
        return false;
  }
  return true;
}

/// The op before `forall` that last wrote its whole output `out`, if the
/// kernel can compute it per element instead (a fill, the bias broadcast,
/// residual + bias): nothing in between uses `out`'s buffer or writes the
/// op's inputs.
linalg::LinalgOp absorbableInit(scf::ForallOp forall, Value out) {
  Value root = rootOf(out);
  for (Operation *op = forall->getPrevNode(); op; op = op->getPrevNode()) {
    auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
    if (linalgOp && isElementwiseOnto(linalgOp, out, /*readsOut=*/false))
      return inputsUntouchedBetween(linalgOp, op, forall) ? linalgOp : linalg::LinalgOp();
    if (usesRoot(op, root))
      return {};
  }
  return {};
}

/// The op after `forall` that next uses `out`, if it is an elementwise
/// update of it in place (the layer's epilogue: GELU) the kernel can apply
/// before its stores: nothing in between uses `out`'s buffer or writes the
/// op's inputs.
linalg::LinalgOp absorbableEpilogue(scf::ForallOp forall, Value out) {
  Value root = rootOf(out);
  for (Operation *op = forall->getNextNode(); op; op = op->getNextNode()) {
    auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
    if (linalgOp && isa<linalg::GenericOp>(op) &&
        isElementwiseOnto(linalgOp, out, /*readsOut=*/true))
      return inputsUntouchedBetween(linalgOp, forall, op) ? linalgOp : linalg::LinalgOp();
    if (usesRoot(op, root))
      return {};
  }
  return {};
}

/// Emits the tile's contraction at the builder's point, inside the launch.
/// aShared: [2][kTileM][kPadA] bf16, wShared: [2][kStepK][kPadW] bf16.
void emitMmaTile(OpBuilder &b, Location loc, linalg::GenericOp g, Value tid,
                 Value aShared, Value wShared, linalg::LinalgOp init,
                 linalg::LinalgOp epilogue) {
  Emitter e{b, loc};
  Value a = g.getDpsInputs()[0], w = g.getDpsInputs()[1], c = g.getDpsInits()[0];
  Type f32 = b.getF32Type();
  Value zero = e.cst(0);
  Value rows = memref::DimOp::create(b, loc, c, 0);
  Value cols = memref::DimOp::create(b, loc, c, 1);
  Value depth = memref::DimOp::create(b, loc, a, 1);
  Value alignedA = e.chunksAligned(a), alignedW = e.chunksAligned(w);

  Value warp = e.div(tid, 32), lane = e.rem(tid, 32);
  Value warpRow = e.mul(e.div(warp, 2), 32), warpCol = e.mul(e.rem(warp, 2), kWarpN);
  Value group = e.div(lane, 4), pair = e.mul(e.rem(lane, 4), 2);

  // Accumulator (mi, ni, r): row warpRow + 16 mi + group + 8 (r / 2),
  // column warpCol + 8 ni + pair + r % 2.
  auto accRow = [&](int mi, int r) { return e.add(e.add(warpRow, group), 16 * mi + 8 * (r / 2)); };
  auto accCol = [&](int ni, int r) { return e.add(e.add(warpCol, pair), 8 * ni + r % 2); };
  // The tile's place in the whole output (for an absorbed init or
  // epilogue, which index the whole buffer).
  Value row0 = zero, col0 = zero;
  if (init || epilogue) {
    auto view = c.getDefiningOp<memref::SubViewOp>();
    row0 = getValueOrCreateConstantIndexOp(b, loc, view.getMixedOffsets()[0]);
    col0 = getValueOrCreateConstantIndexOp(b, loc, view.getMixedOffsets()[1]);
  }
  SmallVector<Value> accInit;
  for (int mi = 0; mi < kMmaM; ++mi)
    for (int ni = 0; ni < kMmaN; ++ni)
      for (int r = 0; r < 4; ++r) {
        Value row = accRow(mi, r), col = accCol(ni, r);
        Value inBounds = e.both(e.lt(row, rows), e.lt(col, cols));
        accInit.push_back(init ? e.convert(evalPayload(b, loc, init, e.add(row0, row),
                                                       e.add(col0, col), inBounds, {}),
                                           f32)
                               : e.guardedLoad(c, row, col, inBounds, f32));
      }

  // A thread's staging chunks of a K step: a[64][32] as 256 chunks (4 per
  // row), w[32][128] as 512 chunks (16 per row); chunk tid + 128 i.
  // Consecutive threads read consecutive chunks of a row.
  constexpr int64_t kChunksA = kTileM * kStepK / kChunk / kThreads;
  constexpr int64_t kChunksW = kStepK * kTileN / kChunk / kThreads;
  auto aChunk = [&](int64_t i) {
    Value idx = e.add(tid, i * kThreads);
    return std::pair{e.div(idx, kStepK / kChunk), e.mul(e.rem(idx, kStepK / kChunk), kChunk)};
  };
  auto wChunk = [&](int64_t i) {
    Value idx = e.add(tid, i * kThreads);
    return std::pair{e.div(idx, kTileN / kChunk), e.mul(e.rem(idx, kTileN / kChunk), kChunk)};
  };
  auto loadStep = [&](Value k0) {
    SmallVector<Value> chunks;
    for (int64_t i = 0; i < kChunksA; ++i) {
      auto [r, kc] = aChunk(i);
      chunks.push_back(e.loadChunk(a, {r, e.add(k0, kc)}, e.lt(r, rows), depth, alignedA));
    }
    for (int64_t i = 0; i < kChunksW; ++i) {
      auto [kr, n] = wChunk(i);
      Value k = e.add(k0, kr);
      chunks.push_back(e.loadChunk(w, {k, n}, e.lt(k, depth), cols, alignedW));
    }
    return chunks;
  };
  auto storeStep = [&](Value buf, ValueRange chunks) {
    for (int64_t i = 0; i < kChunksA; ++i) {
      auto [r, kc] = aChunk(i);
      vector::StoreOp::create(b, loc, chunks[i], aShared, ValueRange{buf, r, kc})
          .setAlignment(16);
    }
    for (int64_t i = 0; i < kChunksW; ++i) {
      auto [kr, n] = wChunk(i);
      vector::StoreOp::create(b, loc, chunks[kChunksA + i], wShared, ValueRange{buf, kr, n})
          .setAlignment(16);
    }
  };

  storeStep(zero, loadStep(zero));
  gpu::BarrierOp::create(b, loc);
  auto loop = scf::ForOp::create(b, loc, zero, depth, e.cst(kStepK), accInit);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value k0 = loop.getInductionVar();
    Value buf = e.rem(e.div(k0, kStepK), 2);
    Value next = e.add(k0, kStepK);
    Value hasNext = e.lt(next, depth);
    // The next step's loads, issued before this step's tensor-core work.
    auto chunkType = VectorType::get({kChunk}, b.getBF16Type());
    SmallVector<Type> chunkTypes(kChunksA + kChunksW, chunkType);
    auto prefetch = scf::IfOp::create(b, loc, chunkTypes, hasNext, true, true);
    {
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(prefetch.thenBlock());
      scf::YieldOp::create(b, loc, loadStep(next));
      b.setInsertionPointToStart(prefetch.elseBlock());
      Value z = arith::ConstantOp::create(b, loc, b.getZeroAttr(chunkType));
      scf::YieldOp::create(b, loc, SmallVector<Value>(chunkTypes.size(), z));
    }

    SmallVector<Value> acc(loop.getRegionIterArgs().begin(), loop.getRegionIterArgs().end());
    Value lane16 = e.rem(lane, 16), half8 = e.mul(e.div(lane, 16), 8);
    for (int64_t kk = 0; kk < kStepK; kk += 16) {
      // A (mi): matrices (rows 0-7 | 8-15) x (k 0-7 | 8-15) of the 16 x 16
      // fragment: lane l addresses row l % 16, k 8 (l / 16).
      SmallVector<SmallVector<Value, 4>> aFrag, bFrag(kMmaN);
      for (int mi = 0; mi < kMmaM; ++mi)
        aFrag.push_back(e.ldmatrix4(aShared, {buf, e.add(e.add(warpRow, lane16), 16 * mi),
                                              e.add(half8, kk)}, /*transpose=*/false));
      // B (ni, ni + 1): matrices (k 0-7, ni), (k 8-15, ni), (k 0-7, ni+1),
      // (k 8-15, ni+1), transposed: lane l addresses k l % 16, n 8 (l / 16).
      for (int ni = 0; ni < kMmaN; ni += 2) {
        SmallVector<Value, 4> regs =
            e.ldmatrix4(wShared, {buf, e.add(lane16, kk), e.add(e.add(warpCol, half8), 8 * ni)},
                        /*transpose=*/true);
        bFrag[ni] = {regs[0], regs[1]};
        bFrag[ni + 1] = {regs[2], regs[3]};
      }
      for (int mi = 0; mi < kMmaM; ++mi)
        for (int ni = 0; ni < kMmaN; ++ni) {
          ArrayRef<Value> cIn(&acc[(mi * kMmaN + ni) * 4], 4);
          SmallVector<Value, 4> cOut = e.mma(aFrag[mi], bFrag[ni], cIn);
          for (int r = 0; r < 4; ++r)
            acc[(mi * kMmaN + ni) * 4 + r] = cOut[r];
        }
    }
    auto store = scf::IfOp::create(b, loc, hasNext);
    {
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(store.thenBlock());
      storeStep(e.rem(e.add(buf, 1), 2), prefetch.getResults());
    }
    gpu::BarrierOp::create(b, loc);
    scf::YieldOp::create(b, loc, acc);
  }

  for (int mi = 0; mi < kMmaM; ++mi)
    for (int ni = 0; ni < kMmaN; ++ni)
      for (int r = 0; r < 4; ++r) {
        Value row = accRow(mi, r), col = accCol(ni, r);
        Value inBounds = e.both(e.lt(row, rows), e.lt(col, cols));
        auto ifOp = scf::IfOp::create(b, loc, inBounds);
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(ifOp.thenBlock());
        Value v = loop.getResult((mi * kMmaN + ni) * 4 + r);
        Type outType = cast<MemRefType>(c.getType()).getElementType();
        if (epilogue)
          v = evalPayload(b, loc, epilogue, e.add(row0, row), e.add(col0, col), {},
                          e.convert(v, outType));
        memref::StoreOp::create(b, loc, e.convert(v, outType), c, ValueRange{row, col});
      }
}

// Matrix-vector tiles (decode: one row of activations, M = 1 static). A
// tensor-core tile would compute 64 rows for the one used and read the
// weights through a staging loop; decode is bound by reading the weights
// once. Each block takes one 128-column tile over a slice of K (`splits`
// blocks per tile, grid y, so that a 24-tile layer still fills the GPU),
// 256 threads as 16 row groups x 16 column groups:
//   thread (rg, cg): columns 8 cg .. 8 cg + 7, rows k = k0 + rg + 16 i of
//                    the block's slice, 4 rows' loads issued at a time;
//                    8 f32 partial sums;
//     w: one 16-byte load (8 bf16, or 2 x 4 f32) per row and thread, the 16
//        column groups of a row reading 256 contiguous bytes (bf16);
//   partial sums -> shared [16][128] f32, barrier, threads 0..127 sum a
//   column's 16 and add it to out (an atomic add when K is split: out holds
//   the bias or the residual the layer starts from, and every block adds).
constexpr int64_t kGemvThreads = 256, kGemvCols = 8, kGemvColGroups = kTileN / kGemvCols,
                  kGemvRowGroups = kGemvThreads / kGemvColGroups, kGemvUnroll = 4;
constexpr int64_t kGemvTargetBlocks = 512; // ~4 per SM on H100 / A100

/// Blocks per column tile: enough blocks in all, at least 128 rows each
/// (32 KB of bf16 weights per block at 128 columns).
int64_t gemvSplits(std::optional<int64_t> tiles, std::optional<int64_t> depth) {
  if (!tiles || !depth || *tiles <= 0)
    return 1;
  int64_t splits = (kGemvTargetBlocks + *tiles - 1) / *tiles;
  return std::max<int64_t>(1, std::min(splits, *depth / 128));
}

void emitMatvecTile(OpBuilder &b, Location loc, linalg::GenericOp g, Value tid, Value split,
                    int64_t splits, int64_t slice, Value shared) {
  Emitter e{b, loc};
  Value a = g.getDpsInputs()[0], w = g.getDpsInputs()[1], c = g.getDpsInits()[0];
  Type f32 = b.getF32Type();
  Type wElt = cast<MemRefType>(w.getType()).getElementType();
  Value zero = e.cst(0);
  Value cols = memref::DimOp::create(b, loc, c, 1);
  Value depth = memref::DimOp::create(b, loc, a, 1);
  Value rowGroup = e.div(tid, kGemvColGroups), colGroup = e.rem(tid, kGemvColGroups);
  Value col0 = e.mul(colGroup, kGemvCols);
  Value kBegin = arith::MulIOp::create(b, loc, split, e.cst(slice));
  Value kEnd = arith::MinUIOp::create(b, loc, e.add(kBegin, slice), depth);
  VectorType accType = VectorType::get({kGemvCols}, f32);
  Value accInit = arith::ConstantOp::create(b, loc, b.getZeroAttr(accType));

  // 16-byte loads where every row of w starts 16-byte aligned (row length
  // and view offset in multiples of 16 bytes; the buffer itself is 64-byte
  // aligned); else the same loads without the alignment promise.
  auto wType = cast<MemRefType>(w.getType());
  int64_t eltBytes = wElt.getIntOrFloatBitWidth() / 8;
  SmallVector<int64_t> strides;
  int64_t offset;
  bool aligned = succeeded(wType.getStridesAndOffset(strides, offset)) &&
                 !ShapedType::isDynamic(strides[0]) && strides[0] * eltBytes % 16 == 0;
  // The view's offset: the tile's column start (a multiple of 64) plus the
  // weight's offset in the buffer, a multiple of the row length.
  int64_t lanes = 16 / eltBytes; // elements per 16-byte load: 8 bf16, 4 f32

  // Rows 4 at a time, their loads issued before their FMAs: 4 loads in
  // flight per thread (one at a time would leave HBM idle between them).
  auto rowLoop = [&](bool full) {
    Value start = e.add(kBegin, rowGroup);
    auto loop = scf::ForOp::create(b, loc, start, kEnd, e.cst(kGemvRowGroups * kGemvUnroll),
                                   ValueRange{accInit});
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value acc = loop.getRegionIterArgs()[0];
    VectorType wType = VectorType::get({kGemvCols}, wElt);
    SmallVector<Value> xs, ws;
    // Past the slice's end a row reads the slice's last row (in bounds, no
    // branch between the loads) and counts 0.
    Value last = arith::SubIOp::create(b, loc, kEnd, e.cst(1));
    Value fzero = arith::ConstantOp::create(b, loc, b.getZeroAttr(f32));
    for (int64_t u = 0; u < kGemvUnroll; ++u) {
      Value ku = e.add(loop.getInductionVar(), u * kGemvRowGroups);
      Value valid = e.lt(ku, kEnd);
      Value k = arith::MinUIOp::create(b, loc, ku, last);
      Value x = e.convert(memref::LoadOp::create(b, loc, a, ValueRange{zero, k}), f32);
      xs.push_back(arith::SelectOp::create(b, loc, valid, x, fzero));
      if (full) {
        SmallVector<Value> parts;
        for (int64_t p = 0; p < kGemvCols; p += lanes) {
          auto load = vector::LoadOp::create(b, loc, VectorType::get({lanes}, wElt), w,
                                             ValueRange{k, e.add(col0, p)});
          if (aligned)
            load.setAlignment(16);
          parts.push_back(load);
        }
        ws.push_back(parts.size() == 1
                         ? parts[0]
                         : vector::ShuffleOp::create(
                               b, loc, parts[0], parts[1],
                               llvm::to_vector(llvm::seq<int64_t>(0, kGemvCols)))
                               .getResult());
      } else {
        // The last tile's ragged edge: element by element, zero past it.
        SmallVector<Value> elements;
        for (int64_t j = 0; j < kGemvCols; ++j) {
          Value n = e.add(col0, j);
          elements.push_back(e.guardedLoad(w, k, n, e.lt(n, cols), wElt));
        }
        ws.push_back(vector::FromElementsOp::create(b, loc, wType, elements));
      }
    }
    for (int64_t u = 0; u < kGemvUnroll; ++u) {
      Value wv = ws[u];
      if (wElt != f32)
        wv = arith::ExtFOp::create(b, loc, accType, wv);
      acc = vector::FMAOp::create(b, loc, vector::BroadcastOp::create(b, loc, accType, xs[u]),
                                  wv, acc);
    }
    scf::YieldOp::create(b, loc, acc);
    return loop.getResult(0);
  };
  Value full = e.lt(e.add(col0, kGemvCols - 1), cols);
  auto ifOp = scf::IfOp::create(b, loc, TypeRange{accType}, full, true, true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    scf::YieldOp::create(b, loc, rowLoop(true));
    b.setInsertionPointToStart(ifOp.elseBlock());
    scf::YieldOp::create(b, loc, rowLoop(false));
  }
  vector::StoreOp::create(b, loc, ifOp.getResult(0), shared, ValueRange{rowGroup, col0});
  gpu::BarrierOp::create(b, loc);

  // Threads 0..127: a column's 16 partial sums, added to out.
  Value col = tid;
  auto sumIf = scf::IfOp::create(b, loc, e.lt(col, cols));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(sumIf.thenBlock());
  Value fzero = arith::ConstantOp::create(b, loc, b.getZeroAttr(f32));
  auto sum = scf::ForOp::create(b, loc, zero, e.cst(kGemvRowGroups), e.cst(1), ValueRange{fzero});
  {
    OpBuilder::InsertionGuard inner(b);
    b.setInsertionPointToStart(sum.getBody());
    Value v = memref::LoadOp::create(b, loc, shared, ValueRange{sum.getInductionVar(), col});
    scf::YieldOp::create(b, loc, ValueRange{arith::AddFOp::create(b, loc, sum.getRegionIterArgs()[0], v)});
  }
  Value total = sum.getResult(0);
  if (splits > 1) {
    memref::AtomicRMWOp::create(b, loc, arith::AtomicRMWKind::addf, total, c, ValueRange{zero, col});
  } else {
    Value old = memref::LoadOp::create(b, loc, c, ValueRange{zero, col});
    memref::StoreOp::create(b, loc, arith::AddFOp::create(b, loc, old, total), c, ValueRange{zero, col});
  }
}

/// Whether two values are the same view (equal, or equivalent subviews).
bool sameView(Value a, Value b) {
  if (a == b)
    return true;
  auto sa = a.getDefiningOp<memref::SubViewOp>(), sb = b.getDefiningOp<memref::SubViewOp>();
  return sa && sb &&
         OperationEquivalence::isEquivalentTo(sa, sb, OperationEquivalence::IgnoreLocations);
}

/// A copy of a view onto itself (bufferization leaves them in the tiles).
bool isSelfCopy(Operation &op) {
  if (auto copy = dyn_cast<memref::CopyOp>(op))
    return sameView(copy.getSource(), copy.getTarget());
  if (auto copy = dyn_cast<linalg::CopyOp>(op))
    return sameView(copy.getInputs()[0], copy.getOutputs()[0]);
  return false;
}

struct XgenmmGpuMmaMatmulPass
    : xgenmm::impl::XgenmmGpuMmaMatmulBase<XgenmmGpuMmaMatmulPass> {
  void runOnOperation() override {
    SmallVector<scf::ForallOp> foralls;
    getOperation()->walk([&](scf::ForallOp f) {
      bool marked = false;
      f.getBody()->walk([&](linalg::GenericOp g) {
        marked |= g->hasAttr("xgenmm.mma_tile");
      });
      if (marked)
        foralls.push_back(f);
    });
    for (scf::ForallOp f : foralls)
      if (failed(convert(f)))
        return signalPassFailure();
  }

  LogicalResult convert(scf::ForallOp forall) {
    linalg::GenericOp tile;
    int count = 0;
    forall.getBody()->walk([&](linalg::GenericOp g) {
      tile = g;
      ++count;
    });
    if (count != 1 || forall.getRank() != 2 || !forall.isNormalized() ||
        !forall.getOutputs().empty() || !isDenseContraction(tile))
      return forall.emitOpError(
          "xgenmm-gpu-mma-matmul: expected a normalized 2-d forall over memrefs "
          "holding one dense contraction tile (out[m,n] += a[m,k] * w[k,n])");
    OpBuilder b(forall);
    Location loc = forall.getLoc();
    SmallVector<Value> ubs = getValueOrCreateConstantIndexOp(b, loc, forall.getMixedUpperBound());
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    Type bf16 = b.getBF16Type();
    auto workgroup = gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);

    // One row of activations (decode): the matrix-vector kernel, K split
    // over grid y when nothing else in the tile writes memory (the blocks
    // of a tile then only add to out).
    auto aType = cast<MemRefType>(tile.getDpsInputs()[0].getType());
    bool matvec = aType.getDimSize(0) == 1 && getConstantIntValue(forall.getMixedUpperBound()[0]) == 1;
    int64_t splits = 1, slice = 0;
    if (matvec) {
      bool onlyTileWrites = true;
      for (Operation &op : forall.getBody()->without_terminator())
        if (&op != tile.getOperation() && !isMemoryEffectFree(&op) && !isSelfCopy(op))
          onlyTileWrites = false;
      std::optional<int64_t> depth;
      if (!aType.isDynamicDim(1))
        depth = aType.getDimSize(1);
      if (onlyTileWrites)
        splits = gemvSplits(getConstantIntValue(forall.getMixedUpperBound()[1]), depth);
      // Rows per block: a multiple of the 32 row groups (dynamic K: all).
      slice = depth ? ((*depth + splits - 1) / splits + kGemvRowGroups - 1) / kGemvRowGroups *
                          kGemvRowGroups
                    : std::numeric_limits<int32_t>::max();
    }
    // The op filling the output before (bias, residual) and the in-place
    // epilogue after: computed by the kernel where they are elementwise
    // (two launches and two passes over the output fewer).
    linalg::LinalgOp init, epilogue;
    if (!matvec) {
      auto view = tile.getDpsInits()[0].getDefiningOp<memref::SubViewOp>();
      if (view && view->getBlock() == forall.getBody() &&
          cast<MemRefType>(view.getSource().getType()).getRank() == 2 &&
          view.getSourceType().getRank() == 2 && view.hasUnitStride()) {
        init = absorbableInit(forall, view.getSource());
        epilogue = absorbableEpilogue(forall, view.getSource());
      }
    }
    Value threads = arith::ConstantIndexOp::create(b, loc, matvec ? kGemvThreads : kThreads);
    SmallVector<Type> attributions;
    if (matvec)
      attributions.push_back(MemRefType::get({kGemvRowGroups, kTileN}, b.getF32Type(),
                                             MemRefLayoutAttrInterface(), workgroup));
    else {
      attributions.push_back(MemRefType::get({2, kTileM, kPadA}, bf16,
                                             MemRefLayoutAttrInterface(), workgroup));
      attributions.push_back(MemRefType::get({2, kStepK, kPadW}, bf16,
                                             MemRefLayoutAttrInterface(), workgroup));
    }
    // Grid x over the N tiles (forall dim 1), y over the M tiles (matrix-
    // vector: over the slices of K).
    Value gridY = matvec ? arith::ConstantIndexOp::create(b, loc, splits).getResult() : ubs[0];
    auto launch = gpu::LaunchOp::create(b, loc, ubs[1], gridY, one, threads, one, one,
                                        /*dynamicSharedMemorySize=*/nullptr,
                                        /*asyncTokenType=*/nullptr, ValueRange{},
                                        attributions);
    launch->setAttr("xgenmm.kernel", b.getStringAttr(matvec ? "dense_matvec" : "dense_mma"));
    Block &body = launch.getBody().front();
    b.setInsertionPointToStart(&body);
    IRMapping map;
    map.map(forall.getInductionVars()[0],
            matvec ? arith::ConstantIndexOp::create(b, loc, 0).getResult()
                   : launch.getBlockIds().y);
    map.map(forall.getInductionVars()[1], launch.getBlockIds().x);
    for (Operation &op : forall.getBody()->without_terminator()) {
      if (&op == tile.getOperation()) {
        auto cloned = cast<linalg::GenericOp>(b.clone(op, map));
        if (matvec)
          emitMatvecTile(b, loc, cloned, launch.getThreadIds().x, launch.getBlockIds().y,
                         splits, slice, launch.getWorkgroupAttributions()[0]);
        else
          emitMmaTile(b, loc, cloned, launch.getThreadIds().x,
                      launch.getWorkgroupAttributions()[0],
                      launch.getWorkgroupAttributions()[1], init, epilogue);
        cloned.erase();
        continue;
      }
      // A copy of the out tile onto itself (bufferization's, when the
      // subviews were not CSE'd) is dropped: the kernel writes in place.
      if (isSelfCopy(op))
        continue;
      b.clone(op, map);
    }
    gpu::TerminatorOp::create(b, loc);
    forall.erase();
    if (init)
      init->erase();
    if (epilogue)
      epilogue->erase();
    return success();
  }
};

} // namespace
