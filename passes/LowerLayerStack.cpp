//===- LowerLayerStack.cpp - layer_stack -> scf.for -----------------------===//
//
// A layer stack becomes one loop over its layers: code size does not grow
// with depth. Per-layer operands are sliced at the loop index; stacked
// results are accumulated with insert_slice into loop-carried tensors.
//
// Carried values are updated in place too (copied into the carried tensor
// at the end of each layer).
//
// A stacked result that is the in-place update of a per-layer operand (a KV
// cache: attention's updated cache, yielded for the slice the layer read)
// starts from that operand and the layer reads its slice from the carried
// tensor, so that bufferization updates the cache in place instead of
// copying gigabytes.
//
//===----------------------------------------------------------------------===//
#include "passes/LoweringUtils.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::xgenmm::lowering {
namespace {

/// The per-layer block argument whose update `yielded` is, if any.
BlockArgument updatedPerLayerArg(LayerStackOp stack, Value yielded) {
  auto attn = yielded.getDefiningOp<AttentionOp>();
  if (!attn)
    return {};
  for (auto [cache, updated] : llvm::zip(attn.getCaches(), attn.getUpdatedCaches())) {
    auto arg = dyn_cast<BlockArgument>(cache);
    if (updated == yielded && arg && llvm::is_contained(stack.getPerLayerArgs(), arg))
      return arg;
  }
  return {};
}

void layerOffsets(OpBuilder &b, Location loc, Value stacked, Value layer,
                  SmallVectorImpl<OpFoldResult> &offsets,
                  SmallVectorImpl<OpFoldResult> &sizes,
                  SmallVectorImpl<OpFoldResult> &strides) {
  unsigned rank = tensorType(stacked).getRank();
  offsets.assign(rank, b.getIndexAttr(0));
  offsets[0] = layer;
  sizes.assign(sizesOf(b, loc, stacked));
  sizes[0] = b.getIndexAttr(1);
  strides.assign(rank, b.getIndexAttr(1));
}

struct LowerLayerStackOp : OpRewritePattern<LayerStackOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LayerStackOp stack,
                                PatternRewriter &rewriter) const override {
    Location loc = stack.getLoc();
    OpBuilder &b = rewriter;
    Block &body = stack.getBodyBlock();
    auto yield = cast<YieldOp>(body.getTerminator());
    size_t nc = stack.getCarry().size();

    // Initial values of the stacked results; remember which per-layer
    // operand each in-place result replaces.
    SmallVector<Value> inits(stack.getCarry());
    DenseMap<BlockArgument, unsigned> inPlace; // per-layer arg -> iter index
    for (auto [i, result] : llvm::enumerate(stack.getStackedResults())) {
      Value yielded = yield.getValues()[nc + i];
      BlockArgument arg = updatedPerLayerArg(stack, yielded);
      unsigned argIndex = arg ? arg.getArgNumber() - nc : 0;
      if (arg && !inPlace.count(arg) &&
          stack.getPerLayer()[argIndex].getType() == result.getType()) {
        inPlace[arg] = inits.size();
        inits.push_back(stack.getPerLayer()[argIndex]);
        continue;
      }
      auto type = cast<RankedTensorType>(result.getType());
      for (int64_t d = 0; d < type.getRank(); ++d)
        if (type.isDynamicDim(d))
          return rewriter.notifyMatchFailure(
              stack, "stacked result with a dynamic size that is not in place");
      inits.push_back(tensor::EmptyOp::create(b, loc, type.getShape(),
                                              type.getElementType()));
    }

    Value lb = arith::ConstantIndexOp::create(b, loc, 0);
    Value ub = arith::ConstantIndexOp::create(b, loc, stack.getLayers());
    Value step = arith::ConstantIndexOp::create(b, loc, 1);
    auto loop = scf::ForOp::create(
        b, loc, lb, ub, step, inits,
        [&](OpBuilder &lb2, Location l, Value layer, ValueRange iter) {
          IRMapping map;
          map.map(stack.getCarryArgs(), iter.take_front(nc));
          for (auto [arg, operand] :
               llvm::zip(stack.getPerLayerArgs(), stack.getPerLayer())) {
            auto it = inPlace.find(arg);
            Value source = it != inPlace.end() ? iter[it->second] : operand;
            SmallVector<OpFoldResult> offsets, sizes, strides;
            layerOffsets(lb2, l, source, layer, offsets, sizes, strides);
            map.map(arg, tensor::ExtractSliceOp::create(
                             lb2, l, cast<RankedTensorType>(arg.getType()), source,
                             offsets, sizes, strides));
          }
          map.map(stack.getSharedArgs(), stack.getShared());
          for (Operation &op : body.without_terminator())
            lb2.clone(op, map);
          // The next carry is copied into the carried tensor: the loop then
          // updates one buffer in place instead of passing a new buffer to
          // the next layer, so every buffer the body allocates dies within
          // its layer (what the static buffer plan relies on).
          SmallVector<Value> next;
          for (unsigned i = 0; i < nc; ++i) {
            Value v = map.lookup(yield.getValues()[i]);
            if (isa<RankedTensorType>(v.getType()) && v != iter[i])
              v = linalg::CopyOp::create(lb2, l, v, iter[i]).getResult(0);
            next.push_back(v);
          }
          for (unsigned i = nc; i < yield.getValues().size(); ++i) {
            Value acc = iter[i];
            SmallVector<OpFoldResult> offsets, sizes, strides;
            layerOffsets(lb2, l, acc, layer, offsets, sizes, strides);
            next.push_back(tensor::InsertSliceOp::create(
                lb2, l, map.lookup(yield.getValues()[i]), acc, offsets, sizes,
                strides));
          }
          scf::YieldOp::create(lb2, l, next);
        });
    rewriter.replaceOp(stack, loop.getResults());
    return success();
  }
};

} // namespace

void populateLayerStackLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerLayerStackOp>(patterns.getContext());
}

} // namespace mlir::xgenmm::lowering
