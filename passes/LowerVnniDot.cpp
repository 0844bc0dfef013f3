//===- LowerVnniDot.cpp - xgenmm.vnni_dot -> vpdpbusd intrinsic -----------===//
//
// The VNNI kernels (LoweringUtils.cpp, vnniMatmul) multiply with
// xgenmm.vnni_dot: pure, so that bufferization and the vector passes see
// through it. Before the conversion to the LLVM dialect each one becomes
// the LLVM intrinsic (builtin vector types are LLVM-compatible: no casts).
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace mlir::xgenmm {
#define GEN_PASS_DEF_XGENMMLOWERVNNIDOT
#include "passes/Passes.h.inc"
} // namespace mlir::xgenmm

using namespace mlir;
using namespace mlir::xgenmm;

namespace {
struct XgenmmLowerVnniDotPass
    : xgenmm::impl::XgenmmLowerVnniDotBase<XgenmmLowerVnniDotPass> {
  void runOnOperation() override {
    SmallVector<VnniDotOp> dots;
    getOperation()->walk([&](VnniDotOp op) { dots.push_back(op); });
    for (VnniDotOp op : dots) {
      OpBuilder b(op);
      auto call = LLVM::CallIntrinsicOp::create(
          b, op.getLoc(), op.getType(), b.getStringAttr("llvm.x86.avx512.vpdpbusd.512"),
          ValueRange{op.getAcc(), op.getLhs(), op.getRhs()});
      op.getResult().replaceAllUsesWith(call.getResult(0));
      op.erase();
    }
  }
};
} // namespace
