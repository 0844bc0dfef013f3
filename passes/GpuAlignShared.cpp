//===- GpuAlignShared.cpp - 16-byte alignment of shared memory buffers ----===//
//
// convert-gpu-to-nvvm turns a kernel's workgroup attributions into
// addrspace(3) globals aligned to their element type (`.shared .align 2`
// for bf16). The tensor-core kernels access them 16 bytes at a time
// (vector stores of staged chunks, ldmatrix row addresses), which needs
// 16-byte aligned buffers; a misaligned shared access is a launch failure
// on the device. This pass raises every shared global's alignment to at
// least 16 bytes.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

namespace mlir::xgenmm {
#define GEN_PASS_DEF_XGENMMGPUALIGNSHARED
#include "passes/Passes.h.inc"
} // namespace mlir::xgenmm

using namespace mlir;

namespace {

constexpr uint64_t kSharedAlignment = 16;

struct XgenmmGpuAlignSharedPass
    : xgenmm::impl::XgenmmGpuAlignSharedBase<XgenmmGpuAlignSharedPass> {
  void runOnOperation() override {
    getOperation()->walk([](LLVM::GlobalOp global) {
      if (!(global.getAddrSpace() == NVVM::NVVMMemorySpace::Shared))
        return;
      if (global.getAlignment().value_or(0) < kSharedAlignment)
        global.setAlignment(kSharedAlignment);
    });
  }
};

} // namespace
