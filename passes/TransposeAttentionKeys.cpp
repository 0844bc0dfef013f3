//===- TransposeAttentionKeys.cpp - attention contractions for the CPU ----===//
//
// The attention lowering (LowerAttention.cpp) has two contractions:
//   scores[b, h, g, s, t] += q[b, s, h, g, d] * k[b, t, h, d]
//   out[b, s, h, g, d]    += p[b, h, g, s, t] * v[b, t, h, d]
// The second is already a row-major matmul per (b, h, g): s x t times
// t x d, rows of v contiguous along d. The first reads k[t, d], the
// transposed operand: this pass gives it a [b, h, d, t] copy of the keys
// (one pass over the keys, O(T D) against the O(S T D) contraction), so that
// it too reads rows contiguous along its output dimension t. Both are marked
// for the CPU schedule (`xgenmm.attn_qk`, `xgenmm.attn_pv`), the copy with
// `xgenmm.attn_kt`.
//
// With a few query rows (decode: s = 1 statically) the copy would cost as
// much as the contraction: it reads and writes every key once per step,
// while the scores read every key once. There the keys are read as they are
// stored, one dot product along d per (head, row, key), and the contraction
// is marked `xgenmm.attn_qk_dot` instead. (Measured on the full-size decode
// at context 2048: the copy, strided gathers on one thread, was 70% of the
// step.)
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::xgenmm {
#define GEN_PASS_DEF_XGENMMTRANSPOSEATTENTIONKEYS
#include "passes/Passes.h.inc"
} // namespace mlir::xgenmm

using namespace mlir;
using namespace mlir::xgenmm;

namespace {

/// `v`, or the block argument `v` widens to f32 (a bf16 KV cache's
/// values, or an int8 one's converted exactly).
bool isArgOrWidened(Value v, Value arg) {
  if (v == arg)
    return true;
  if (auto ext = v.getDefiningOp<arith::ExtFOp>())
    return ext.getIn() == arg;
  auto conv = v.getDefiningOp<arith::SIToFPOp>();
  return conv && conv.getIn() == arg;
}

/// A 6-D multiply-accumulate generic into f32 with the given maps and the
/// last loop the only reduction; its inputs f32, or bf16 or i8 widened in
/// the body (keys and values read from a bf16 or int8 KV cache).
bool isContraction6(linalg::GenericOp g, ArrayRef<AffineMap> maps) {
  if (g.getNumDpsInputs() != 2 || g.getNumDpsInits() != 1 ||
      g.getNumLoops() != 6 || g.getNumReductionLoops() != 1 ||
      g.getIteratorTypesArray()[5] != utils::IteratorType::reduction ||
      g.getIndexingMapsArray() != SmallVector<AffineMap>(maps))
    return false;
  Block &body = g.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add || add.getLhs() != body.getArgument(2))
    return false;
  auto mul = add.getRhs().getDefiningOp<arith::MulFOp>();
  if (!mul || !isArgOrWidened(mul.getLhs(), body.getArgument(0)) ||
      !isArgOrWidened(mul.getRhs(), body.getArgument(1)))
    return false;
  size_t widened = (mul.getLhs() != body.getArgument(0)) +
                   (mul.getRhs() != body.getArgument(1));
  auto elementOf = [](Value v) { return cast<ShapedType>(v.getType()).getElementType(); };
  return body.getOperations().size() == 3 + widened &&
         elementOf(g.getDpsInits()[0]).isF32() &&
         llvm::all_of(g.getDpsInputs(), [&](Value in) {
           return elementOf(in).isF32() || elementOf(in).isBF16() ||
                  elementOf(in).isInteger(8);
         });
}

/// Query rows (static, per batch and kv head) up to which the scores are dot
/// products over the stored keys rather than a matmul over transposed ones.
constexpr int64_t kMaxDotRows = 4;

/// The static number of query rows per (batch, kv head) of the score
/// contraction `g` (rows x group), or nullopt when dynamic.
std::optional<int64_t> staticQueryRows(linalg::GenericOp g) {
  auto q = cast<RankedTensorType>(g.getDpsInputs()[0].getType());
  if (q.isDynamicDim(1) || q.isDynamicDim(3))
    return std::nullopt;
  return q.getDimSize(1) * q.getDimSize(3);
}

struct XgenmmTransposeAttentionKeysPass
    : xgenmm::impl::XgenmmTransposeAttentionKeysBase<
          XgenmmTransposeAttentionKeysPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    AffineExpr d0, d1, d2, d3, d4, d5;
    bindDims(ctx, d0, d1, d2, d3, d4, d5);
    auto map = [&](ArrayRef<AffineExpr> e) { return AffineMap::get(6, 0, e, ctx); };
    SmallVector<AffineMap> qk = {map({d0, d3, d1, d2, d5}), map({d0, d4, d1, d5}),
                                 map({d0, d1, d2, d3, d4})};
    SmallVector<AffineMap> qkT = {qk[0], map({d0, d1, d5, d4}), qk[2]};
    SmallVector<AffineMap> pv = {map({d0, d2, d3, d1, d5}), map({d0, d5, d2, d4}),
                                 map({d0, d1, d2, d3, d4})};
    OpBuilder b(ctx);

    getOperation()->walk([&](linalg::GenericOp g) {
      if (isContraction6(g, pv)) {
        g->setAttr("xgenmm.attn_pv", b.getUnitAttr());
        return;
      }
      if (!isContraction6(g, qk))
        return;
      if (std::optional<int64_t> rows = staticQueryRows(g); rows && *rows <= kMaxDotRows) {
        g->setAttr("xgenmm.attn_qk_dot", b.getUnitAttr());
        return;
      }
      // kt[b, h, d, t] = k[b, t, h, d]
      b.setInsertionPoint(g);
      Location loc = g.getLoc();
      Value k = g.getDpsInputs()[1];
      auto kType = cast<RankedTensorType>(k.getType());
      SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, k);
      SmallVector<OpFoldResult> ktSizes = {sizes[0], sizes[2], sizes[3], sizes[1]};
      Value empty = tensor::EmptyOp::create(b, loc, ktSizes, kType.getElementType());
      AffineExpr e0, e1, e2, e3;
      bindDims(ctx, e0, e1, e2, e3);
      auto kt = linalg::GenericOp::create(
          b, loc, empty.getType(), ValueRange{k}, ValueRange{empty},
          SmallVector<AffineMap>{AffineMap::get(4, 0, {e0, e3, e1, e2}, ctx),
                                 b.getMultiDimIdentityMap(4)},
          SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
          [](OpBuilder &nb, Location l, ValueRange args) {
            linalg::YieldOp::create(nb, l, args[0]);
          });
      kt->setAttr("xgenmm.attn_kt", b.getUnitAttr());
      g->setOperand(1, kt.getResult(0));
      g.setIndexingMapsAttr(b.getAffineMapArrayAttr(qkT));
      g->setAttr("xgenmm.attn_qk", b.getUnitAttr());
    });
  }
};

} // namespace
