//===- TransposeDenseWeights.cpp - store dense weights as [K, N] ----------===//
//
// Every dense layer lowers to out[m, n] += a[m, k] * w[n, k] over a weight
// that is a view of the weight buffer (xgenmm-bind-weights). Stored as its
// [K, N] transpose instead, the contraction reads rows of the weight along
// n: a plain row-major matmul, the shape the CPU schedule's outer-product
// register tiles consume (passes/schedules/cpu.mlir).
//
// A weight is transposed only when every use of it, in every function, is
// the weight operand of such a contraction, reached through layer slices,
// row slices and the collapse of trailing dimensions (the patch embedding's
// [C, Cin, p, p] -> [C, Cin*p*p]). Its entry in `xgenmm.weight_layout` then
// gets the stored [layers..., K, N] type and `transposed = true`, which is
// what the compiler's writeWeights reads.
//
//===----------------------------------------------------------------------===//
#include "passes/LoweringUtils.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::xgenmm {
#define GEN_PASS_DEF_XGENMMTRANSPOSEDENSEWEIGHTS
#include "passes/Passes.h.inc"
} // namespace mlir::xgenmm

using namespace mlir;
using namespace mlir::xgenmm;

namespace {

/// out[m, n] += f(a[m, k]) * f(w[n, k]) with f an optional extf: the
/// generic matmulTransposedB (passes/LoweringUtils.cpp) builds.
bool isDenseContraction(linalg::GenericOp g) {
  if (!lowering::hasMatmulShape(g, /*weightKMajor=*/false))
    return false;
  Block &body = g.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add || add.getLhs() != body.getArgument(2))
    return false;
  auto mul = add.getRhs().getDefiningOp<arith::MulFOp>();
  if (!mul)
    return false;
  auto fromArg = [&](Value v, unsigned i) {
    if (auto ext = v.getDefiningOp<arith::ExtFOp>())
      v = ext.getIn();
    return v == body.getArgument(i);
  };
  return fromArg(mul.getLhs(), 0) && fromArg(mul.getRhs(), 1) &&
         body.getOperations().size() <= 5 &&
         g.getDpsInits()[0].getType() == g.getResult(0).getType() &&
         cast<ShapedType>(g.getResult(0).getType()).getElementType().isF32();
}

/// A weight read: the to_tensor of a view of the buffer at a constant offset.
struct WeightRoot {
  bufferization::ToTensorOp toTensor;
  memref::ViewOp view;
  int64_t offset;
};

std::optional<WeightRoot> matchRoot(bufferization::ToTensorOp t) {
  auto view = t.getBuffer().getDefiningOp<memref::ViewOp>();
  if (!view || !isa<BlockArgument>(view.getSource()) || !view.getSizes().empty())
    return std::nullopt;
  APInt offset;
  if (!matchPattern(view.getByteShift(), m_ConstantInt(&offset)))
    return std::nullopt;
  return WeightRoot{t, view, offset.getSExtValue()};
}

/// Checks that every use of `v` (with `layers` layer dims left and `rest`
/// trailing dims after N) ends as the weight of a dense contraction,
/// through slices of layer and N dims and one final collapse of the rest.
bool usesAreDense(Value v, unsigned layers, ArrayRef<int64_t> rest,
                  bool collapsed) {
  for (OpOperand &use : v.getUses()) {
    Operation *user = use.getOwner();
    if (auto g = dyn_cast<linalg::GenericOp>(user)) {
      if (!isDenseContraction(g) || use.getOperandNumber() != 1 || layers != 0 ||
          (!collapsed && rest.size() != 1))
        return false;
      continue;
    }
    if (auto slice = dyn_cast<tensor::ExtractSliceOp>(user)) {
      if (collapsed || !slice.hasUnitStride())
        return false;
      auto srcType = slice.getSourceType();
      unsigned rank = srcType.getRank();
      // The rest dims are taken whole.
      for (unsigned i = layers + 1; i < rank; ++i) {
        if (slice.getStaticOffsets()[i] != 0 ||
            slice.getStaticSizes()[i] != srcType.getDimSize(i))
          return false;
      }
      // Only layer dims may be dropped.
      llvm::SmallBitVector dropped = slice.getDroppedDims();
      unsigned kept = layers;
      for (unsigned i = 0; i < rank; ++i) {
        if (!dropped.test(i))
          continue;
        if (i >= layers)
          return false;
        --kept;
      }
      if (!usesAreDense(slice.getResult(), kept, rest, false))
        return false;
      continue;
    }
    if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(user)) {
      // [N, R...] -> [N, prod(R)], once, with no layer dims left.
      SmallVector<ReassociationIndices> re = collapse.getReassociationIndices();
      if (collapsed || layers != 0 || re.size() != 2 || re[0].size() != 1)
        return false;
      if (!usesAreDense(collapse.getResult(), 0, rest, true))
        return false;
      continue;
    }
    return false;
  }
  return true;
}

/// The stored [L..., K, N] type of a logical [L..., N, R...] type.
RankedTensorType transposedType(RankedTensorType t, unsigned layers) {
  SmallVector<int64_t> shape(t.getShape().take_front(layers));
  int64_t k = 1;
  for (int64_t d : t.getShape().drop_front(layers + 1))
    k *= d;
  shape.push_back(k);
  shape.push_back(t.getDimSize(layers));
  return RankedTensorType::get(shape, t.getElementType());
}

/// Rebuilds the uses of `v` (logical [L..., N, R...]) on `nv` (stored
/// [L..., K, N]); `toErase` collects the replaced ops.
void rewriteUses(OpBuilder &b, Value v, Value nv, unsigned layers,
                 SmallVectorImpl<Operation *> &toErase) {
  MLIRContext *ctx = b.getContext();
  for (OpOperand &use : llvm::make_early_inc_range(v.getUses())) {
    Operation *user = use.getOwner();
    if (auto g = dyn_cast<linalg::GenericOp>(user)) {
      AffineExpr m, n, k;
      bindDims(ctx, m, n, k);
      g->setOperand(1, nv);
      g.setIndexingMapsAttr(b.getAffineMapArrayAttr(
          {AffineMap::get(3, 0, {m, k}, ctx), AffineMap::get(3, 0, {k, n}, ctx),
           AffineMap::get(3, 0, {m, n}, ctx)}));
      g->setAttr("xgenmm.matmul", b.getUnitAttr());
      continue;
    }
    if (auto slice = dyn_cast<tensor::ExtractSliceOp>(user)) {
      b.setInsertionPoint(slice);
      auto nType = cast<RankedTensorType>(nv.getType());
      SmallVector<OpFoldResult> offsets, sizes, strides;
      SmallVector<OpFoldResult> oOff = slice.getMixedOffsets(),
                                oSize = slice.getMixedSizes();
      for (unsigned i = 0; i < layers; ++i) {
        offsets.push_back(oOff[i]);
        sizes.push_back(oSize[i]);
      }
      offsets.push_back(b.getIndexAttr(0));
      sizes.push_back(b.getIndexAttr(nType.getDimSize(layers)));
      offsets.push_back(oOff[layers]);
      sizes.push_back(oSize[layers]);
      strides.assign(offsets.size(), b.getIndexAttr(1));
      llvm::SmallBitVector dropped = slice.getDroppedDims();
      SmallVector<int64_t> shape;
      unsigned kept = 0;
      for (unsigned i = 0; i < layers; ++i)
        if (!dropped.test(i)) {
          shape.push_back(slice.getResultType().getDimSize(kept++));
        }
      shape.push_back(nType.getDimSize(layers));
      shape.push_back(slice.getResultType().getDimSize(kept));
      auto resultType = RankedTensorType::get(shape, nType.getElementType());
      Value ns = tensor::ExtractSliceOp::create(b, slice.getLoc(), resultType, nv,
                                                offsets, sizes, strides);
      rewriteUses(b, slice.getResult(), ns, kept, toErase);
      toErase.push_back(slice);
      continue;
    }
    auto collapse = cast<tensor::CollapseShapeOp>(user);
    rewriteUses(b, collapse.getResult(), nv, layers, toErase);
    toErase.push_back(collapse);
  }
}

struct XgenmmTransposeDenseWeightsPass
    : xgenmm::impl::XgenmmTransposeDenseWeightsBase<
          XgenmmTransposeDenseWeightsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto layout = module->getAttrOfType<ArrayAttr>("xgenmm.weight_layout");
    if (!layout)
      return; // No bound weights.
    MLIRContext *ctx = module.getContext();
    OpBuilder b(ctx);

    // Entries by offset, with their layer count.
    llvm::DenseMap<int64_t, unsigned> entryAt;
    for (auto [i, a] : llvm::enumerate(layout))
      if (auto e = dyn_cast<DictionaryAttr>(a))
        if (auto off = e.getAs<IntegerAttr>("offset"))
          entryAt[off.getInt()] = i;

    // A weight qualifies when all its reads, in all functions, do.
    SmallVector<WeightRoot> roots;
    llvm::DenseMap<int64_t, bool> ok;
    module.walk([&](bufferization::ToTensorOp t) {
      std::optional<WeightRoot> root = matchRoot(t);
      if (!root)
        return;
      auto it = entryAt.find(root->offset);
      if (it == entryAt.end())
        return;
      auto entry = cast<DictionaryAttr>(layout[it->second]);
      if (entry.get("transposed"))
        return; // Already stored transposed.
      unsigned layers = entry.get("layers") ? 1 : 0;
      auto type = cast<RankedTensorType>(t.getType());
      bool good = type.getRank() >= (int64_t)layers + 2 &&
                  type == cast<TypeAttr>(entry.get("type")).getValue() &&
                  usesAreDense(t.getResult(), layers,
                               type.getShape().drop_front(layers + 1), false) &&
                  !t.getResult().use_empty();
      auto [pos, inserted] = ok.try_emplace(root->offset, good);
      if (!inserted)
        pos->second = pos->second && good;
      roots.push_back(*root);
    });

    SmallVector<Attribute> newLayout(layout.begin(), layout.end());
    for (WeightRoot &root : roots) {
      if (!ok.lookup(root.offset))
        continue;
      unsigned index = entryAt[root.offset];
      auto entry = cast<DictionaryAttr>(layout[index]);
      unsigned layers = entry.get("layers") ? 1 : 0;
      auto type = cast<RankedTensorType>(root.toTensor.getType());
      RankedTensorType stored = transposedType(type, layers);

      b.setInsertionPoint(root.toTensor);
      Location loc = root.toTensor.getLoc();
      auto memrefType = MemRefType::get(stored.getShape(), stored.getElementType());
      Value view = memref::ViewOp::create(b, loc, memrefType, root.view.getSource(),
                                          root.view.getByteShift(), ValueRange());
      Value tensor = bufferization::ToTensorOp::create(
          b, loc, stored, view, /*restrict=*/true, /*writable=*/false);
      SmallVector<Operation *> toErase;
      rewriteUses(b, root.toTensor.getResult(), tensor, layers, toErase);
      // Users come before the ops they use.
      for (Operation *op : toErase)
        op->erase();
      root.toTensor.erase();
      if (root.view->use_empty())
        root.view.erase();

      NamedAttrList attrs(entry);
      attrs.set("type", TypeAttr::get(stored));
      attrs.set("transposed", b.getBoolAttr(true));
      newLayout[index] = attrs.getDictionary(ctx);
    }
    module->setAttr("xgenmm.weight_layout", b.getArrayAttr(newLayout));
  }
};

} // namespace
