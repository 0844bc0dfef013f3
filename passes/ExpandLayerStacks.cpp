//===- ExpandLayerStacks.cpp - unroll xgenmm.layer_stack ------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::xgenmm {
#define GEN_PASS_DEF_XGENMMEXPANDLAYERSTACKS
#include "passes/Passes.h.inc"
} // namespace mlir::xgenmm

using namespace mlir;
using namespace mlir::xgenmm;

namespace {

/// Offsets, sizes and strides that select layer `layer` of a stacked value
/// whose per-layer slice has the shape of `slice`.
void layerSlice(OpBuilder &b, Location loc, Value stacked, int64_t layer,
                SmallVectorImpl<OpFoldResult> &offsets,
                SmallVectorImpl<OpFoldResult> &sizes,
                SmallVectorImpl<OpFoldResult> &strides) {
  auto type = cast<RankedTensorType>(stacked.getType());
  offsets.assign(type.getRank(), b.getIndexAttr(0));
  offsets[0] = b.getIndexAttr(layer);
  sizes.clear();
  sizes.push_back(b.getIndexAttr(1));
  for (int64_t d = 1; d < type.getRank(); ++d)
    sizes.push_back(tensor::getMixedSize(b, loc, stacked, d));
  strides.assign(type.getRank(), b.getIndexAttr(1));
}

void expand(LayerStackOp stack) {
  OpBuilder b(stack);
  Location loc = stack.getLoc();
  Block &body = stack.getBodyBlock();
  int64_t layers = stack.getLayers();
  SmallVector<Value> carry(stack.getCarry());
  // Per stacked result, the yielded value of each layer.
  SmallVector<SmallVector<Value>> stackedParts(stack.getStackedResults().size());

  for (int64_t l = 0; l < layers; ++l) {
    IRMapping map;
    map.map(stack.getCarryArgs(), carry);
    for (auto [arg, stacked] :
         llvm::zip(stack.getPerLayerArgs(), stack.getPerLayer())) {
      SmallVector<OpFoldResult> offsets, sizes, strides;
      layerSlice(b, loc, stacked, l, offsets, sizes, strides);
      auto sliceType = cast<RankedTensorType>(arg.getType());
      Value slice = tensor::ExtractSliceOp::create(b, loc, sliceType, stacked,
                                                   offsets, sizes, strides);
      map.map(arg, slice);
    }
    map.map(stack.getSharedArgs(), stack.getShared());
    for (Operation &op : body.without_terminator())
      b.clone(op, map);
    auto yield = cast<YieldOp>(body.getTerminator());
    size_t nc = carry.size();
    for (size_t i = 0; i < nc; ++i)
      carry[i] = map.lookup(yield.getValues()[i]);
    for (size_t i = nc; i < yield.getValues().size(); ++i)
      stackedParts[i - nc].push_back(map.lookup(yield.getValues()[i]));
  }

  SmallVector<Value> results(carry);
  for (auto [result, parts] :
       llvm::zip(stack.getStackedResults(), stackedParts)) {
    auto type = cast<RankedTensorType>(result.getType());
    SmallVector<Value> dynamicSizes;
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (type.isDynamicDim(d))
        dynamicSizes.push_back(tensor::DimOp::create(b, loc, parts[0], d - 1));
    Value acc = tensor::EmptyOp::create(b, loc, type, dynamicSizes);
    for (auto [l, part] : llvm::enumerate(parts)) {
      SmallVector<OpFoldResult> offsets, sizes, strides;
      layerSlice(b, loc, acc, l, offsets, sizes, strides);
      acc = tensor::InsertSliceOp::create(b, loc, part, acc, offsets, sizes,
                                          strides);
    }
    results.push_back(acc);
  }
  stack.replaceAllUsesWith(results);
  stack.erase();
}

struct XgenmmExpandLayerStacksPass
    : xgenmm::impl::XgenmmExpandLayerStacksBase<XgenmmExpandLayerStacksPass> {
  void runOnOperation() override {
    // Post-order: nested stacks are expanded before the stacks around them.
    SmallVector<LayerStackOp> stacks;
    getOperation()->walk([&](LayerStackOp s) { stacks.push_back(s); });
    for (LayerStackOp s : stacks)
      expand(s);
  }
};

} // namespace
