//===- GpuFlashAttention.cpp - attention as one tensor-core kernel --------===//
//
// The attention lowering (LowerAttention.cpp) is a chain of linalg ops over
// a score matrix [nb, kv_heads, group, rows, keys] in global memory:
//
//   S = 0; S += q k^T (qk); S = mask(S) (scale, causal / window / key mask);
//   R = -inf; R = rowmax(S); S = exp(S - R); R = 0; R = rowsum(S);
//   S = S / R; O = 0; O += S v (pv)
//
// (after bufferization the softmax steps work in place on S and R). Here
// each such chain becomes one kernel in the manner of FlashAttention-2:
// no score matrix in global memory, the keys and values read once per
// block of 64 query rows.
//
//   grid (ceil(rows / 64), nb * heads), 128 threads = 4 warps, warp w
//   owning query rows 16 w .. 16 w + 15 of the block; per warp:
//     q fragments (16 x D, bf16) in registers for the whole kernel
//     for each tile of 64 keys (causal: only up to the block's last row):
//       K tile [64][D] and V tile transposed [D][64] -> shared, as bf16
//       s = q k^T            (mma.sync m16n8k16, 8 tiles of 16 x 8, f32)
//       s = mask(s)          (the chain's own mask body, cloned per element;
//                             keys past the end: -inf)
//       online softmax per row: m' = max(m, rowmax s) (a quad's 4 lanes
//       share a row: 2 xor shuffles), p = exp(s - m'), l = l e^(m - m') +
//       rowsum p, o = o e^(m - m')
//       o += p v             (p's accumulator registers are the A fragments
//                             of the next mma as they are, rounded to bf16)
//   o / l -> out (l summed over the quad at the end)
//
// A static number of rows that fits one block (decode: one) would give one
// block per head, 32 blocks reading the whole KV cache: there the keys are
// split over 16 blocks per head (grid z, flash-decoding), each storing its
// unnormalized o with its m and l, and a second kernel combines them
// (out = sum_z e^(m_z - m) o_z / sum_z e^(m_z - m) l_z, m = max_z m_z).
//
// The head dimension is padded to a multiple of 16 with zeros (SigLIP's 72
// -> 80). q, k, p and v are rounded to bf16, the sums are f32: the
// precision of the dense layers' tensor-core kernels. A fully masked row
// gives 0 / 0 (NaN), as the reference's softmax does.
//
// The chain is matched structurally, after bufferization, from its pv
// contraction backwards (the exact steps above, S and R used by nothing
// else, nothing in between writing what the kernel reads); anything else
// (e.g. an int8 KV cache's scales in the products) keeps the unfused
// lowering.
//
//===----------------------------------------------------------------------===//
#include "passes/GpuKernelUtils.h"
#include "passes/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include <limits>
#include <tuple>

namespace mlir::xgenmm {
#define GEN_PASS_DEF_XGENMMGPUFLASHATTENTION
#include "passes/Passes.h.inc"
} // namespace mlir::xgenmm

using namespace mlir;
using namespace mlir::xgenmm;
using gpu_kernels::Emitter;
using gpu_kernels::kChunk;
using gpu_kernels::rootOf;

namespace {

constexpr int64_t kRows = 64;    // query rows per block (16 per warp)
constexpr int64_t kKeys = 64;    // keys per tile
constexpr int64_t kThreads = 128;
constexpr int64_t kPad = 8;      // bf16 padding of shared rows (no bank conflicts)
// Few static rows (decode): the keys split over this many blocks per head
// (grid z), each writing its partial o, m, l; a second kernel combines them.
constexpr int64_t kKeySplits = 16;

AffineMap map(MLIRContext *ctx, unsigned dims, ArrayRef<unsigned> results) {
  SmallVector<AffineExpr> exprs;
  for (unsigned r : results)
    exprs.push_back(getAffineDimExpr(r, ctx));
  return AffineMap::get(dims, 0, exprs, ctx);
}

bool hasMaps(linalg::GenericOp g, ArrayRef<AffineMap> maps) {
  return g.getIndexingMapsArray() == SmallVector<AffineMap>(maps.begin(), maps.end());
}

/// The body's operations (terminator excluded) are exactly `names`, in order.
bool bodyIs(linalg::GenericOp g, ArrayRef<StringRef> names) {
  auto ops = g.getBody()->without_terminator();
  if ((size_t)std::distance(ops.begin(), ops.end()) != names.size())
    return false;
  size_t i = 0;
  for (Operation &op : ops)
    if (op.getName().getStringRef() != names[i++])
      return false;
  return true;
}

/// out += x * y (with extf of either input): a contraction's body.
bool isMulAdd(linalg::GenericOp g) {
  int mul = 0, add = 0;
  for (Operation &op : g.getBody()->without_terminator()) {
    if (isa<arith::MulFOp>(op))
      ++mul;
    else if (isa<arith::AddFOp>(op))
      ++add;
    else if (!isa<arith::ExtFOp>(op))
      return false;
  }
  return mul == 1 && add == 1;
}

/// The constant a linalg.fill writes, if it fills `buffer` with `value`.
bool fills(Operation *op, Value buffer, double value) {
  auto fill = dyn_cast_or_null<linalg::FillOp>(op);
  if (!fill || fill.getOutputs()[0] != buffer)
    return false;
  auto c = fill.getInputs()[0].getDefiningOp<arith::ConstantOp>();
  auto f = c ? dyn_cast<FloatAttr>(c.getValue()) : FloatAttr();
  return f && f.getValueAsDouble() == value;
}

bool isFloatMemref(Value v) {
  auto t = dyn_cast<MemRefType>(v.getType());
  return t && (t.getElementType().isF32() || t.getElementType().isBF16());
}

struct Chain {
  linalg::GenericOp qk, mask, max, exp, sum, probs, pv;
  SmallVector<Operation *> erase; // the chain, fills included
  Value q, k, v, out;
  // Causal: key t of row s is kept only if t <= offset + s (RowPlus), or
  // t <= value for every row (Fixed: the row index folded away, one
  // static row).
  struct Bound {
    enum Kind { None, RowPlus, Fixed } kind = None;
    Value value; // RowPlus: the offset (null: 0)
  } keyBound;
};

/// Whether a score is kept only if `keep` holds: `keep` reaches the yielded
/// `select(cond, score, -inf)` only through `andi`s, as its condition.
bool necessary(Value keep, Block *body) {
  for (OpOperand &use : keep.getUses()) {
    Operation *user = use.getOwner();
    if (isa<arith::AndIOp>(user)) {
      if (!necessary(user->getResult(0), body))
        return false;
      continue;
    }
    auto select = dyn_cast<arith::SelectOp>(user);
    if (!select || use.getOperandNumber() != 0 ||
        body->getTerminator()->getOperand(0) != select.getResult())
      return false;
    auto c = select.getFalseValue().getDefiningOp<arith::ConstantOp>();
    auto f = c ? dyn_cast<FloatAttr>(c.getValue()) : FloatAttr();
    if (!f || !f.getValue().isInfinity() || !f.getValue().isNegative())
      return false;
  }
  return !keep.use_empty();
}

/// The causal condition of the mask body, `t <= x` (cmpi ule with t =
/// linalg.index 4, or uge swapped), with x one of: index(3) + offset,
/// index(3), or a value from outside the body (rows folded to one).
Chain::Bound causalBound(linalg::GenericOp mask) {
  auto index = [](Value v, int64_t dim) {
    auto op = v.getDefiningOp<linalg::IndexOp>();
    return op && op.getDim() == dim;
  };
  auto outside = [&](Value v) {
    return !mask->isAncestor(v.getParentRegion()->getParentOp());
  };
  for (Operation &op : mask.getBody()->without_terminator()) {
    auto cmp = dyn_cast<arith::CmpIOp>(op);
    if (!cmp)
      continue;
    Value x;
    if (cmp.getPredicate() == arith::CmpIPredicate::ule && index(cmp.getLhs(), 4))
      x = cmp.getRhs();
    else if (cmp.getPredicate() == arith::CmpIPredicate::uge && index(cmp.getRhs(), 4))
      x = cmp.getLhs();
    else
      continue;
    if (!necessary(cmp.getResult(), mask.getBody()))
      continue;
    Chain::Bound bound;
    if (index(x, 3)) {
      bound.kind = Chain::Bound::RowPlus;
      return bound;
    }
    if (outside(x)) {
      bound.kind = Chain::Bound::Fixed;
      bound.value = x;
      return bound;
    }
    if (auto add = x.getDefiningOp<arith::AddIOp>())
      for (int i = 0; i < 2; ++i)
        if (index(add.getOperand(i), 3) && outside(add.getOperand(1 - i))) {
          bound.kind = Chain::Bound::RowPlus;
          bound.value = add.getOperand(1 - i);
          return bound;
        }
  }
  return {};
}

/// Matches the chain ending at `pv` (see the file comment), or fails.
FailureOr<Chain> matchChain(linalg::GenericOp pv) {
  MLIRContext *ctx = pv.getContext();
  if (!pv.hasPureBufferSemantics() || pv.getNumDpsInputs() != 2 || pv.getNumLoops() != 6 ||
      pv.getNumReductionLoops() != 1 || !isMulAdd(pv) ||
      !hasMaps(pv, {map(ctx, 6, {0, 2, 3, 1, 5}), map(ctx, 6, {0, 5, 2, 4}),
                    map(ctx, 6, {0, 1, 2, 3, 4})}))
    return failure();
  Chain c;
  c.pv = pv;
  c.erase.push_back(pv);
  Value S = pv.getDpsInputs()[0], R;
  c.v = pv.getDpsInputs()[1];
  c.out = pv.getDpsInits()[0];
  if (!isFloatMemref(c.v) || !cast<MemRefType>(S.getType()).getElementType().isF32() ||
      !cast<MemRefType>(c.out.getType()).getElementType().isF32())
    return failure();
  AffineMap id5 = AffineMap::getMultiDimIdentityMap(5, ctx);
  AffineMap rows5 = map(ctx, 5, {0, 1, 2, 3});
  auto elementwise = [&](linalg::GenericOp g, unsigned inputs) {
    return g.getNumDpsInputs() == inputs && g.getNumDpsInits() == 1 && g.getNumLoops() == 5 &&
           g.getNumReductionLoops() == 0 && g.getDpsInputs()[0] == S &&
           g.getDpsInits()[0] == S;
  };
  auto reduction = [&](linalg::GenericOp g, StringRef combine) {
    if (g.getNumDpsInputs() != 1 || g.getNumDpsInits() != 1 || g.getNumLoops() != 5 ||
        g.getNumReductionLoops() != 1 || g.getDpsInputs()[0] != S || !hasMaps(g, {id5, rows5}) ||
        !bodyIs(g, {combine}))
      return false;
    Operation &op = g.getBody()->front();
    return op.getOperand(0) == g.getBody()->getArgument(0) &&
           op.getOperand(1) == g.getBody()->getArgument(1);
  };
  auto binaryWithRow = [&](linalg::GenericOp g, ArrayRef<StringRef> body) {
    if (!elementwise(g, 2) || !hasMaps(g, {id5, rows5, id5}) || !bodyIs(g, body))
      return false;
    Operation &op = g.getBody()->front();
    return op.getOperand(0) == g.getBody()->getArgument(0) &&
           op.getOperand(1) == g.getBody()->getArgument(1);
  };

  // Backwards from pv: the steps in order; ops touching neither S nor R are
  // stepped over (checked below).
  enum Step { Probs, Sum, FillR0, Exp, Max, FillRInf, Mask, Qk, FillS, Done };
  int step = Probs;
  SmallVector<Operation *> between;
  Operation *op = pv->getPrevNode();
  for (; op && step != Done; op = op->getPrevNode()) {
    auto touches = [&](Value buffer) {
      return buffer && llvm::is_contained(op->getOperands(), buffer);
    };
    if (!touches(S) && !touches(R)) {
      between.push_back(op);
      continue;
    }
    auto g = dyn_cast<linalg::GenericOp>(op);
    double ninf = -std::numeric_limits<double>::infinity();
    switch (step) {
    case Probs:
      if (!g || !binaryWithRow(g, {"arith.divf"}))
        return failure();
      c.probs = g;
      R = g.getDpsInputs()[1];
      break;
    case Sum:
      if (!g || g.getDpsInits()[0] != R || !reduction(g, "arith.addf"))
        return failure();
      c.sum = g;
      break;
    case FillR0:
      if (!fills(op, R, 0.0))
        return failure();
      break;
    case Exp:
      if (!g || !binaryWithRow(g, {"arith.subf", "math.exp"}) || g.getDpsInputs()[1] != R)
        return failure();
      c.exp = g;
      break;
    case Max:
      if (!g || g.getDpsInits()[0] != R || !reduction(g, "arith.maximumf"))
        return failure();
      c.max = g;
      break;
    case FillRInf:
      if (!fills(op, R, ninf))
        return failure();
      break;
    case Mask: {
      if (!g || g.getNumDpsInputs() < 1 || !elementwise(g, g.getNumDpsInputs()))
        return failure();
      auto maps = g.getIndexingMapsArray();
      if (maps[0] != id5 || maps.back() != id5)
        return failure();
      for (AffineMap m : ArrayRef<AffineMap>(maps).drop_front().drop_back())
        if (!llvm::all_of(m.getResults(), [](AffineExpr e) { return isa<AffineDimExpr>(e); }))
          return failure();
      for (Operation &bodyOp : g.getBody()->without_terminator())
        if (!isMemoryEffectFree(&bodyOp) || bodyOp.getNumRegions())
          return failure();
      c.mask = g;
      break;
    }
    case Qk:
      if (!g || g.getNumDpsInputs() != 2 || g.getDpsInits()[0] != S || g.getNumLoops() != 6 ||
          g.getNumReductionLoops() != 1 || !isMulAdd(g) ||
          !hasMaps(g, {map(ctx, 6, {0, 3, 1, 2, 5}), map(ctx, 6, {0, 4, 1, 5}),
                       map(ctx, 6, {0, 1, 2, 3, 4})}))
        return failure();
      c.qk = g;
      c.q = g.getDpsInputs()[0];
      c.k = g.getDpsInputs()[1];
      if (!isFloatMemref(c.q) || !isFloatMemref(c.k))
        return failure();
      break;
    case FillS:
      if (!fills(op, S, 0.0))
        return failure();
      break;
    }
    c.erase.push_back(op);
    ++step;
  }
  if (step != Done)
    return failure();

  // S and R: used by the chain (and freed) only.
  for (Value buffer : {S, R})
    for (Operation *user : buffer.getUsers())
      if (!llvm::is_contained(c.erase, user) && !isa<memref::DeallocOp>(user))
        return failure();
  // out starts at zero (its fill is replaced by the kernel's stores).
  Operation *outFill = nullptr;
  for (Operation *candidate : between)
    if (fills(candidate, c.out, 0.0))
      outFill = candidate;
  if (!outFill)
    return failure();
  // The kernel reads q, k and the mask's inputs at pv's place, where the
  // chain read them earlier (at qk, at the mask): nothing in between may
  // write them after their reader, nor touch out after its fill.
  SmallVector<Value> qkRoots = {rootOf(c.q), rootOf(c.k)}, maskRoots;
  for (Value in : ArrayRef<Value>(c.mask.getDpsInputs()).drop_front())
    maskRoots.push_back(rootOf(in));
  Value outRoot = rootOf(c.out);
  for (Operation *other : between) {
    if (other == outFill)
      continue;
    std::optional<SmallVector<MemoryEffects::EffectInstance>> effects =
        getEffectsRecursively(other);
    if (!effects)
      return failure();
    for (const MemoryEffects::EffectInstance &effect : *effects) {
      Value touched = effect.getValue();
      bool write = isa<MemoryEffects::Write>(effect.getEffect());
      if (!write && !isa<MemoryEffects::Read>(effect.getEffect()))
        continue;
      if (!touched)
        return failure();
      Value root = rootOf(touched);
      if (root == outRoot && outFill->isBeforeInBlock(other))
        return failure();
      if (!write)
        continue;
      if ((llvm::is_contained(qkRoots, root) && c.qk->isBeforeInBlock(other)) ||
          (llvm::is_contained(maskRoots, root) && c.mask->isBeforeInBlock(other)))
        return failure();
    }
  }
  c.erase.push_back(outFill);

  // Causal: the last key a row may see, from the mask's `t <= bound`.
  if (c.mask->hasAttr("xgenmm.attn_causal"))
    c.keyBound = causalBound(c.mask);
  return c;
}

/// The chain's kernel, at pv's place.
void emitKernel(Chain &c) {
  OpBuilder b(c.pv);
  Location loc = c.pv.getLoc();
  Emitter e{b, loc};
  auto qType = cast<MemRefType>(c.q.getType());
  int64_t kvHeads = qType.getDimSize(2), group = qType.getDimSize(3), d = qType.getDimSize(4);
  int64_t dp = (d + 15) / 16 * 16;
  Type f32 = b.getF32Type(), bf16 = b.getBF16Type();
  auto workgroup = gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  auto kShared = MemRefType::get({kKeys, dp + kPad}, bf16, MemRefLayoutAttrInterface(), workgroup);
  auto vShared = MemRefType::get({kKeys, dp + kPad}, bf16, MemRefLayoutAttrInterface(), workgroup);

  Value one = e.cst(1);
  Value nb = memref::DimOp::create(b, loc, c.q, 0);
  Value rows = memref::DimOp::create(b, loc, c.q, 1);
  Value keys = memref::DimOp::create(b, loc, c.k, 1);
  Value gridX = e.div(e.add(rows, kRows - 1), kRows);
  Value gridY = e.mul(nb, kvHeads * group);
  // A static number of rows that fits one block (decode: 1): one block per
  // head would leave most of the GPU idle while the keys are read, so the
  // keys are split over kKeySplits blocks (flash-decoding).
  int64_t staticRows = qType.getDimSize(1);
  int64_t splits = !ShapedType::isDynamic(staticRows) && staticRows <= kRows ? kKeySplits : 1;
  Value oPart, mPart, lPart;
  if (splits > 1) {
    auto scratch = [&](ArrayRef<int64_t> inner) {
      SmallVector<int64_t> shape = {splits, ShapedType::kDynamic};
      shape.append(inner.begin(), inner.end());
      return memref::AllocOp::create(b, loc, MemRefType::get(shape, f32), ValueRange{gridY})
          .getResult();
    };
    oPart = scratch({staticRows, dp});
    mPart = scratch({staticRows});
    lPart = scratch({staticRows});
  }
  auto launch = gpu::LaunchOp::create(b, loc, gridX, gridY, e.cst(splits), e.cst(kThreads), one, one,
                                      /*dynamicSharedMemorySize=*/nullptr,
                                      /*asyncTokenType=*/nullptr, ValueRange{},
                                      TypeRange{kShared, vShared});
  launch->setAttr("xgenmm.kernel", b.getStringAttr("flash_attention"));
  b.setInsertionPointToStart(&launch.getBody().front());
  gpu::TerminatorOp::create(b, loc);
  b.setInsertionPointToStart(&launch.getBody().front());
  Value ks = launch.getWorkgroupAttributions()[0], vs = launch.getWorkgroupAttributions()[1];

  Value by = launch.getBlockIds().y, tid = launch.getThreadIds().x;
  Value gIdx = e.rem(by, group), hk = e.rem(e.div(by, group), kvHeads);
  Value batch = e.div(by, kvHeads * group);
  Value warp = e.div(tid, 32), lane = e.rem(tid, 32);
  Value quad = e.div(lane, 4), pair = e.mul(e.rem(lane, 4), 2);
  Value blockRow = e.mul(launch.getBlockIds().x, kRows);
  Value rowA = e.add(e.add(blockRow, e.mul(warp, 16)), quad), rowB = e.add(rowA, 8);
  Value rowOk[2] = {e.lt(rowA, rows), e.lt(rowB, rows)};
  Value rowOf[2] = {rowA, rowB};
  Value ninf = e.f32(-std::numeric_limits<float>::infinity()), fzero = e.f32(0.0);
  Value dExtent = e.cst(d);
  Value kAligned = e.chunksAligned(c.k), vAligned = e.chunksAligned(c.v);
  auto colOk = [&](Value col, Value ok) { return dp == d ? ok : e.both(ok, e.lt(col, dExtent)); };

  // q's A fragments, 16 of the head dimension each: rows (rowA, rowB) x
  // columns (pair, pair + 8) of the chunk, two columns per register.
  SmallVector<SmallVector<Value, 4>> qFrag;
  auto qReg = [&](int half, Value col) {
    Value vals[2];
    for (int j = 0; j < 2; ++j) {
      Value cj = e.add(col, j);
      vals[j] = e.guardedLoad(c.q, ValueRange{batch, rowOf[half], hk, gIdx, cj},
                              colOk(cj, rowOk[half]), f32);
    }
    return e.packPair(vals[0], vals[1]);
  };
  for (int64_t chunk = 0; chunk < dp / 16; ++chunk) {
    Value col = e.add(pair, 16 * chunk), col8 = e.add(pair, 16 * chunk + 8);
    qFrag.push_back({qReg(0, col), qReg(1, col), qReg(0, col8), qReg(1, col8)});
  }

  // Keys [0, keyEnd): causal blocks stop after their last row's key.
  Value keyEnd = keys;
  if (c.keyBound.kind == Chain::Bound::RowPlus) {
    Value last = e.add(blockRow, kRows); // one past the block's last row
    if (c.keyBound.value)
      last = e.add(last, c.keyBound.value);
    keyEnd = arith::MinUIOp::create(b, loc, keys, last);
  } else if (c.keyBound.kind == Chain::Bound::Fixed) {
    keyEnd = arith::MinUIOp::create(b, loc, keys, e.add(c.keyBound.value, 1));
  }
  Value keyBegin = e.cst(0);
  if (splits > 1) {
    // Split z: tiles [z n, z n + n), n = ceil(tiles / splits).
    Value tiles = arith::CeilDivUIOp::create(b, loc, keyEnd, e.cst(kKeys));
    Value perSplit = arith::CeilDivUIOp::create(b, loc, tiles, e.cst(splits));
    Value span = e.mul(perSplit, kKeys);
    keyBegin = arith::MulIOp::create(b, loc, launch.getBlockIds().z, span);
    keyEnd = arith::MinUIOp::create(b, loc, keyEnd, e.add(keyBegin, span));
  }
  int64_t dTiles = dp / 8;
  SmallVector<Value> init(dTiles * 4, fzero);
  init.append({ninf, ninf, fzero, fzero}); // m (rows A, B), l (A, B)
  auto loop = scf::ForOp::create(b, loc, keyBegin, keyEnd, e.cst(kKeys), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value key0 = loop.getInductionVar();
    // Stage the tile: k and v as [key][d], bf16, zeros past the keys and
    // the head dimension, in 16-byte chunks of 8 of d (vector loads where
    // in bounds and aligned); consecutive threads read consecutive chunks
    // of a key's row.
    auto stage = scf::ForOp::create(b, loc, e.cst(0), e.cst(kKeys * dp / kChunk / kThreads), one);
    {
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(stage.getBody());
      Value idx = e.add(tid, arith::MulIOp::create(b, loc, stage.getInductionVar(),
                                                    e.cst(kThreads)));
      Value key = e.div(idx, dp / kChunk), col = e.mul(e.rem(idx, dp / kChunk), kChunk);
      Value t = e.add(key0, key);
      Value ok = e.lt(t, keys);
      for (auto [src, dst, aligned] : {std::tuple{c.k, ks, kAligned}, std::tuple{c.v, vs, vAligned}}) {
        Value chunk = e.loadChunk(src, {batch, t, hk, col}, ok, dExtent, aligned);
        vector::StoreOp::create(b, loc, chunk, dst, ValueRange{key, col}).setAlignment(16);
      }
    }
    gpu::BarrierOp::create(b, loc);

    // s = q k^T: 8 tiles of 16 rows x 8 keys. B fragments of keys (n) x d
    // (k) by ldmatrix.x4 of k's rows: matrices (keys 8 ni.., d 16 chunk..),
    // (keys 8 ni.., d + 8), (keys 8 ni + 8.., d), (keys 8 ni + 8.., d + 8);
    // lane l addresses key 8 ni + l % 8 + 8 (l / 16), d 16 chunk + 8 (l / 8 % 2).
    Value lane8 = e.rem(lane, 8), lane16 = e.rem(lane, 16);
    Value keyOff = e.add(lane8, e.mul(e.div(lane, 16), 8));
    Value dOff = e.mul(e.rem(e.div(lane, 8), 2), 8), half8 = e.mul(e.div(lane, 16), 8);
    SmallVector<SmallVector<Value, 4>> s(kKeys / 8, SmallVector<Value, 4>(4, fzero));
    for (int64_t chunk = 0; chunk < dp / 16; ++chunk)
      for (int64_t ni = 0; ni < kKeys / 8; ni += 2) {
        SmallVector<Value, 4> regs = e.ldmatrix4(
            ks, {e.add(keyOff, 8 * ni), e.add(dOff, 16 * chunk)}, /*transpose=*/false);
        Value b0[2] = {regs[0], regs[1]}, b1[2] = {regs[2], regs[3]};
        s[ni] = e.mma(qFrag[chunk], b0, s[ni]);
        s[ni + 1] = e.mma(qFrag[chunk], b1, s[ni + 1]);
      }

    // The mask body on every score (its other inputs read at clamped
    // indices; keys past the end become -inf).
    Value lastRow = arith::SubIOp::create(b, loc, rows, one);
    Value lastKey = arith::SubIOp::create(b, loc, keys, one);
    Block *maskBody = c.mask.getBody();
    auto maskMaps = c.mask.getIndexingMapsArray();
    for (int64_t ni = 0; ni < kKeys / 8; ++ni)
      for (int r = 0; r < 4; ++r) {
        Value t = e.add(e.add(key0, pair), 8 * ni + r % 2);
        Value row = arith::MinUIOp::create(b, loc, rowOf[r / 2], lastRow);
        Value tc = arith::MinUIOp::create(b, loc, t, lastKey);
        Value dims[5] = {batch, hk, gIdx, row, tc};
        IRMapping m;
        m.map(maskBody->getArgument(0), s[ni][r]);
        m.map(maskBody->getArguments().back(), s[ni][r]);
        for (unsigned i = 1; i + 1 < maskBody->getNumArguments(); ++i) {
          SmallVector<Value> indices;
          for (AffineExpr expr : maskMaps[i].getResults())
            indices.push_back(dims[cast<AffineDimExpr>(expr).getPosition()]);
          m.map(maskBody->getArgument(i),
                memref::LoadOp::create(b, loc, c.mask.getDpsInputs()[i], indices));
        }
        for (Operation &op : maskBody->without_terminator()) {
          if (auto index = dyn_cast<linalg::IndexOp>(op)) {
            m.map(index.getResult(), dims[index.getDim()]);
            continue;
          }
          b.clone(op, m);
        }
        Value masked = m.lookup(maskBody->getTerminator()->getOperand(0));
        s[ni][r] = arith::SelectOp::create(b, loc, e.lt(t, keys), masked, ninf);
      }

    // Online softmax, per row (A: registers 0, 1; B: 2, 3).
    auto iter = loop.getRegionIterArgs();
    Value mOld[2] = {iter[dTiles * 4], iter[dTiles * 4 + 1]};
    Value lOld[2] = {iter[dTiles * 4 + 2], iter[dTiles * 4 + 3]};
    Value mNew[2], corr[2], lNew[2];
    for (int half = 0; half < 2; ++half) {
      Value tileMax = ninf;
      for (int64_t ni = 0; ni < kKeys / 8; ++ni)
        for (int j = 0; j < 2; ++j)
          tileMax = arith::MaximumFOp::create(b, loc, tileMax, s[ni][2 * half + j]);
      for (int32_t offset : {1, 2})
        tileMax = arith::MaximumFOp::create(
            b, loc, tileMax,
            gpu::ShuffleOp::create(b, loc, tileMax, offset, 32, gpu::ShuffleMode::XOR)
                .getShuffleResult());
      mNew[half] = arith::MaximumFOp::create(b, loc, mOld[half], tileMax);
      // A row with nothing kept yet subtracts 0, not -inf (no inf - inf).
      Value none = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, mNew[half], ninf);
      Value base = arith::SelectOp::create(b, loc, none, fzero, mNew[half]);
      corr[half] = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, mOld[half], base));
      Value rowSum = fzero;
      for (int64_t ni = 0; ni < kKeys / 8; ++ni)
        for (int j = 0; j < 2; ++j) {
          Value &p = s[ni][2 * half + j];
          p = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, p, base));
          rowSum = arith::AddFOp::create(b, loc, rowSum, p);
        }
      lNew[half] = arith::AddFOp::create(
          b, loc, arith::MulFOp::create(b, loc, lOld[half], corr[half]), rowSum);
    }

    // o = o e^(m - m') + p v: p's registers as A fragments (keys 16 kc ..
    // 16 kc + 15 are score tiles 2 kc and 2 kc + 1); B fragments (keys (k)
    // x d (n)) by ldmatrix.x4.trans of v's rows: matrices (keys 16 kc..,
    // d 8 dn..), (keys 16 kc + 8.., d 8 dn..), (keys 16 kc.., d 8 dn + 8..),
    // (keys 16 kc + 8.., d 8 dn + 8..); lane l addresses key 16 kc + l % 16,
    // d 8 dn + 8 (l / 16).
    SmallVector<SmallVector<Value, 4>> o(dTiles);
    for (int64_t dn = 0; dn < dTiles; ++dn)
      for (int r = 0; r < 4; ++r)
        o[dn].push_back(arith::MulFOp::create(b, loc, iter[dn * 4 + r], corr[r / 2]));
    for (int64_t kc = 0; kc < kKeys / 16; ++kc) {
      auto &lo = s[2 * kc], &hi = s[2 * kc + 1];
      Value aRegs[4] = {e.packPair(lo[0], lo[1]), e.packPair(lo[2], lo[3]),
                        e.packPair(hi[0], hi[1]), e.packPair(hi[2], hi[3])};
      for (int64_t dn = 0; dn < dTiles; dn += 2) {
        SmallVector<Value, 4> regs = e.ldmatrix4(
            vs, {e.add(lane16, 16 * kc), e.add(half8, 8 * dn)}, /*transpose=*/true);
        Value b0[2] = {regs[0], regs[1]}, b1[2] = {regs[2], regs[3]};
        o[dn] = e.mma(aRegs, b0, o[dn]);
        o[dn + 1] = e.mma(aRegs, b1, o[dn + 1]);
      }
    }
    gpu::BarrierOp::create(b, loc);
    SmallVector<Value> next;
    for (auto &tile : o)
      next.append(tile.begin(), tile.end());
    next.append({mNew[0], mNew[1], lNew[0], lNew[1]});
    scf::YieldOp::create(b, loc, next);
  }

  // out = o / l, l summed over the quad's 4 lanes.
  Value l[2];
  for (int half = 0; half < 2; ++half) {
    l[half] = loop.getResult(dTiles * 4 + 2 + half);
    for (int32_t offset : {1, 2})
      l[half] = arith::AddFOp::create(
          b, loc, l[half],
          gpu::ShuffleOp::create(b, loc, l[half], offset, 32, gpu::ShuffleMode::XOR)
              .getShuffleResult());
  }
  if (splits == 1) {
    for (int64_t dn = 0; dn < dTiles; ++dn)
      for (int r = 0; r < 4; ++r) {
        Value col = e.add(pair, 8 * dn + r % 2);
        auto ifOp = scf::IfOp::create(b, loc, colOk(col, rowOk[r / 2]));
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(ifOp.thenBlock());
        Value value = arith::DivFOp::create(b, loc, loop.getResult(dn * 4 + r), l[r / 2]);
        memref::StoreOp::create(b, loc, value, c.out,
                                ValueRange{batch, rowOf[r / 2], hk, gIdx, col});
      }
    return;
  }

  // Split keys: this block's o (not divided), m and l per valid row (the 4
  // lanes of a quad store the same m and l).
  Value z = launch.getBlockIds().z;
  for (int half = 0; half < 2; ++half) {
    auto ifOp = scf::IfOp::create(b, loc, rowOk[half]);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    memref::StoreOp::create(b, loc, loop.getResult(dTiles * 4 + half), mPart,
                            ValueRange{z, by, rowOf[half]});
    memref::StoreOp::create(b, loc, l[half], lPart, ValueRange{z, by, rowOf[half]});
    for (int64_t dn = 0; dn < dTiles; ++dn)
      for (int j = 0; j < 2; ++j)
        memref::StoreOp::create(b, loc, loop.getResult(dn * 4 + 2 * half + j), oPart,
                                ValueRange{z, by, rowOf[half], e.add(pair, 8 * dn + j)});
  }

  // The combination, one block per (batch, head), a thread per (row, column):
  //   m = max_z m_z, w_z = e^(m_z - m), out = sum_z w_z o_z / sum_z w_z l_z
  // (an empty split has m_z = -inf, l_z = 0, o_z = 0: weight 0).
  b.setInsertionPointAfter(launch);
  auto combine = gpu::LaunchOp::create(b, loc, gridY, one, one, e.cst(kThreads), one, one);
  combine->setAttr("xgenmm.kernel", b.getStringAttr("flash_attention_combine"));
  b.setInsertionPointToStart(&combine.getBody().front());
  gpu::TerminatorOp::create(b, loc);
  b.setInsertionPointToStart(&combine.getBody().front());
  {
    Value bh = combine.getBlockIds().x, t = combine.getThreadIds().x;
    Value g2 = e.rem(bh, group), hk2 = e.rem(e.div(bh, group), kvHeads);
    Value batch2 = e.div(bh, kvHeads * group);
    Value ninf2 = e.f32(-std::numeric_limits<float>::infinity()), zero2 = e.f32(0.0);
    Value rows2 = memref::DimOp::create(b, loc, c.q, 1);
    auto each = scf::ForOp::create(b, loc, t, e.mul(rows2, d), e.cst(kThreads));
    b.setInsertionPointToStart(each.getBody());
    Value idx = each.getInductionVar();
    Value row = e.div(idx, d), col = e.rem(idx, d);
    auto over = [&](ValueRange init, auto body) {
      auto loop2 = scf::ForOp::create(b, loc, e.cst(0), e.cst(splits), one, init);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop2.getBody());
      scf::YieldOp::create(b, loc, body(loop2.getInductionVar(), loop2.getRegionIterArgs()));
      return loop2.getResults();
    };
    Value m = over(ValueRange{ninf2}, [&](Value zz, ValueRange acc) {
      Value mz = memref::LoadOp::create(b, loc, mPart, ValueRange{zz, bh, row});
      return SmallVector<Value>{arith::MaximumFOp::create(b, loc, acc[0], mz)};
    })[0];
    Value none = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, m, ninf2);
    Value base = arith::SelectOp::create(b, loc, none, zero2, m);
    ValueRange sums = over(ValueRange{zero2, zero2}, [&](Value zz, ValueRange acc) {
      Value mz = memref::LoadOp::create(b, loc, mPart, ValueRange{zz, bh, row});
      Value w = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, mz, base));
      Value lz = memref::LoadOp::create(b, loc, lPart, ValueRange{zz, bh, row});
      Value oz = memref::LoadOp::create(b, loc, oPart, ValueRange{zz, bh, row, col});
      return SmallVector<Value>{
          arith::AddFOp::create(b, loc, acc[0], arith::MulFOp::create(b, loc, w, oz)),
          arith::AddFOp::create(b, loc, acc[1], arith::MulFOp::create(b, loc, w, lz))};
    });
    memref::StoreOp::create(b, loc, arith::DivFOp::create(b, loc, sums[0], sums[1]), c.out,
                            ValueRange{batch2, row, hk2, g2, col});
  }
  b.setInsertionPointAfter(combine);
  for (Value buffer : {oPart, mPart, lPart})
    memref::DeallocOp::create(b, loc, buffer);
}

struct XgenmmGpuFlashAttentionPass
    : xgenmm::impl::XgenmmGpuFlashAttentionBase<XgenmmGpuFlashAttentionPass> {
  void runOnOperation() override {
    SmallVector<Chain> chains;
    getOperation()->walk([&](linalg::GenericOp g) {
      // Not inside a kernel already.
      if (g->getParentOfType<gpu::LaunchOp>())
        return;
      FailureOr<Chain> chain = matchChain(g);
      // Static heads and head dimension.
      if (succeeded(chain) &&
          llvm::none_of(cast<MemRefType>(chain->q.getType()).getShape().drop_front(2),
                        ShapedType::isDynamic))
        chains.push_back(*chain);
    });
    for (Chain &c : chains) {
      emitKernel(c);
      for (Operation *op : c.erase)
        op->erase();
    }
  }
};

} // namespace
