//===- LowerToLinalg.cpp - the xgenmm-lower-to-linalg pass ----------------===//
#include "passes/LoweringUtils.h"
#include "passes/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::xgenmm {
#define GEN_PASS_DEF_XGENMMLOWERTOLINALG
#include "passes/Passes.h.inc"
} // namespace mlir::xgenmm

using namespace mlir;
using namespace mlir::xgenmm;

namespace {

struct XgenmmLowerToLinalgPass
    : xgenmm::impl::XgenmmLowerToLinalgBase<XgenmmLowerToLinalgPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();

    // The lowering computes in f32; say so instead of miscompiling. Stored
    // state may be narrower: the KV caches attention updates (bf16 caches;
    // their rows are rounded when written) and the layer stacks carry.
    WalkResult unsupported = module.walk([&](Operation *op) {
      if (!isa<XgenmmDialect>(op->getDialect()) || isa<WeightOp>(op))
        return WalkResult::advance();
      for (OpResult r : op->getResults()) {
        Type t = r.getType();
        if ((isa<AttentionOp>(op) && r.getResultNumber() > 0) || isa<LayerStackOp>(op))
          continue;
        if (auto rt = dyn_cast<RankedTensorType>(t);
            rt && isa<FloatType>(rt.getElementType()) && !rt.getElementType().isF32()) {
          op->emitOpError("has a ") << rt.getElementType()
                                    << " activation; the CPU lowering computes in f32";
          return WalkResult::interrupt();
        }
      }
      return WalkResult::advance();
    });
    if (unsupported.wasInterrupted())
      return signalPassFailure();

    // Layer stacks first: their KV-cache detection looks at the attention
    // ops of the body, which the second phase lowers.
    RewritePatternSet stacks(ctx);
    lowering::populateLayerStackLoweringPatterns(stacks);
    RewritePatternSet residuals(ctx);
    lowering::populateResidualFusionPatterns(residuals);
    RewritePatternSet ops(ctx);
    lowering::populateDenseLoweringPatterns(ops);
    lowering::populateNormLoweringPatterns(ops);
    lowering::populateElementwiseLoweringPatterns(ops);
    lowering::populateAttentionLoweringPatterns(ops);
    lowering::populateTokenLoweringPatterns(ops);
    // Then residual adds fused into the linear layers that feed them,
    // before those are lowered on their own.
    if (failed(applyPatternsGreedily(module, std::move(stacks))) ||
        failed(applyPatternsGreedily(module, std::move(residuals))) ||
        failed(applyPatternsGreedily(module, std::move(ops))))
      return signalPassFailure();

    WalkResult left = module.walk([&](Operation *op) {
      if (isa<XgenmmDialect>(op->getDialect()) && !isa<WeightOp, VnniDotOp>(op)) {
        op->emitOpError("was not lowered to linalg");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (left.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
