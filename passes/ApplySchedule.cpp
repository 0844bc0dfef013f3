//===- ApplySchedule.cpp - run an embedded transform-dialect schedule -----===//
//
// The code generation schedules are transform-dialect libraries kept as
// .mlir files under passes/schedules/ (lit tests run them directly) and
// embedded into the binaries at build time (passes/schedules/Embed.cmake):
// this pass parses the library once and applies one of its named sequences
// to the module.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/TransformOps/DialectExtension.h"
#include "mlir/Dialect/SCF/TransformOps/SCFTransformOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/TransformOps/TensorTransformOps.h"
#include "mlir/Dialect/Transform/IR/TransformDialect.h"
#include "mlir/Dialect/Transform/IR/TransformOps.h"
#include "mlir/Dialect/Transform/Transforms/TransformInterpreterUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/TransformOps/VectorTransformOps.h"
#include "mlir/Parser/Parser.h"

namespace mlir::xgenmm {
#define GEN_PASS_DEF_XGENMMAPPLYSCHEDULE
#include "passes/Passes.h.inc"
} // namespace mlir::xgenmm

using namespace mlir;
using namespace mlir::xgenmm;

namespace {

#include "passes/schedules/CpuSchedule.inc"
#include "passes/schedules/GpuSchedule.inc"

struct XgenmmApplySchedulePass
    : xgenmm::impl::XgenmmApplyScheduleBase<XgenmmApplySchedulePass> {
  using XgenmmApplyScheduleBase::XgenmmApplyScheduleBase;

  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<transform::TransformDialect, affine::AffineDialect,
                    gpu::GPUDialect,
                    arith::ArithDialect, linalg::LinalgDialect,
                    memref::MemRefDialect, scf::SCFDialect,
                    tensor::TensorDialect, vector::VectorDialect>();
    linalg::registerTransformDialectExtension(registry);
    scf::registerTransformDialectExtension(registry);
    tensor::registerTransformDialectExtension(registry);
    vector::registerTransformDialectExtension(registry);
  }

  LogicalResult initialize(MLIRContext *ctx) override {
    if (schedule != "cpu" && schedule != "gpu")
      return emitError(UnknownLoc::get(ctx))
             << "xgenmm-apply-schedule: unknown schedule '" << schedule
             << "' (known: cpu, gpu)";
    ParserConfig config(ctx);
    bool gpu = schedule == "gpu";
    OwningOpRef<ModuleOp> parsed = parseSourceString<ModuleOp>(
        gpu ? kGpuSchedule : kCpuSchedule, config,
        gpu ? "passes/schedules/gpu.mlir" : "passes/schedules/cpu.mlir");
    if (!parsed)
      return failure();
    library = std::make_shared<OwningOpRef<ModuleOp>>(std::move(parsed));
    return success();
  }

  void runOnOperation() override {
    ModuleOp lib = library->get();
    auto entry = lib.lookupSymbol<transform::NamedSequenceOp>(entryPoint);
    if (!entry) {
      getOperation()->emitError("xgenmm-apply-schedule: schedule '")
          << schedule << "' has no named sequence '" << entryPoint << "'";
      return signalPassFailure();
    }
    transform::TransformOptions options;
    options.enableExpensiveChecks(expensiveChecks);
    if (failed(transform::applyTransformNamedSequence(getOperation(), entry, lib,
                                                      options)))
      signalPassFailure();
  }

  std::shared_ptr<OwningOpRef<ModuleOp>> library;
};

} // namespace
