//===- GpuExpandMath.cpp - device math without libdevice ------------------===//
//
// convert-gpu-to-nvvm lowers every math op to a libdevice call, and
// libdevice is linked only where the CUDA toolkit is found when the device
// code is serialized: without it the PTX keeps unresolved `.extern .func
// __nv_*` declarations that neither ptxas nor the driver accepts. Device
// code of xgenmm is made self-contained instead: the transcendental
// functions become MLIR's expansions and f32 polynomial approximations
// (plain arithmetic), and what is left are ops with an LLVM intrinsic the
// NVPTX backend turns into instructions, called as such.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "llvm/ADT/TypeSwitch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::xgenmm {
#define GEN_PASS_DEF_XGENMMGPUEXPANDMATH
#include "passes/Passes.h.inc"
} // namespace mlir::xgenmm

using namespace mlir;
using namespace mlir::xgenmm;

namespace {

/// The LLVM intrinsic of a math op that the NVPTX backend selects to an
/// instruction (sqrt.rn, abs, fma.rn, cvt.rmi/rpi/rni/rzi, copysign), or
/// null. Emitted as llvm.call_intrinsic: convert-gpu-to-nvvm would turn the
/// math op, and even the llvm.intr op, into a libdevice call.
const char *nvptxIntrinsic(Operation *op) {
  return llvm::TypeSwitch<Operation *, const char *>(op)
      .Case([](math::SqrtOp) { return "llvm.sqrt"; })
      .Case([](math::AbsFOp) { return "llvm.fabs"; })
      .Case([](math::FmaOp) { return "llvm.fma"; })
      .Case([](math::FloorOp) { return "llvm.floor"; })
      .Case([](math::CeilOp) { return "llvm.ceil"; })
      .Case([](math::RoundEvenOp) { return "llvm.roundeven"; })
      .Case([](math::RoundOp) { return "llvm.round"; })
      .Case([](math::TruncOp) { return "llvm.trunc"; })
      .Case([](math::CopySignOp) { return "llvm.copysign"; })
      .Default([](Operation *) { return nullptr; });
}

struct XgenmmGpuExpandMathPass
    : xgenmm::impl::XgenmmGpuExpandMathBase<XgenmmGpuExpandMathPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    // rsqrt -> 1 / sqrt, powf -> exp(y * log(x)) with its special cases,
    // exp2 -> exp, hyperbolic and tan through exp / sin / cos.
    math::populateExpansionPatterns(
        patterns, {"rsqrt", "powf", "fpowi", "exp2", "tan", "sinh", "cosh", "asinh",
                   "acosh", "atanh"});
    auto all = [](StringRef) { return true; };
    // bf16 / f16 math through f32, then the f32 approximations.
    populateMathF32ExpansionPatterns(patterns, all);
    populateMathPolynomialApproximationPatterns(patterns, all);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();

    SmallVector<Operation *> left;
    getOperation()->walk([&](Operation *op) {
      if (isa<math::MathDialect>(op->getDialect()))
        left.push_back(op);
    });
    for (Operation *op : left) {
      const char *intrinsic = nvptxIntrinsic(op);
      Type type = op->getNumResults() == 1 ? op->getResult(0).getType() : Type();
      Type elt = type ? getElementTypeOrSelf(type) : Type();
      if (!intrinsic || !elt || !(elt.isF32() || elt.isF64())) {
        op->emitOpError("xgenmm-gpu-expand-math: no lowering of this math function "
                        "for the GPU without libdevice (type ")
            << type << ")";
        return signalPassFailure();
      }
      OpBuilder b(op);
      auto call = LLVM::CallIntrinsicOp::create(b, op->getLoc(), type,
                                                b.getStringAttr(intrinsic),
                                                op->getOperands());
      op->replaceAllUsesWith(call->getResults());
      op->erase();
    }
  }
};

} // namespace
