//===- Passes.h - xgenmm passes ---------------------------------*- C++ -*-===//
#ifndef XGENMM_PASSES_PASSES_H
#define XGENMM_PASSES_PASSES_H

#include "dialects/XgenmmOps.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

#include <memory>

namespace mlir::xgenmm {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

struct CpuPipelineOptions {
  /// Weight storage: f32, bf16 or stored (see xgenmm-bind-weights).
  std::string dtype = "f32";
  /// Bounds the static buffer plan sizes buffers for (xgenmm-plan-buffers):
  /// sequence lengths and positions (the KV-cache capacity), image views.
  int64_t maxTokens = 4096, maxViews = 5;
};

/// From xgenmm IR to the LLVM dialect for x86-64 CPUs: weights bound to
/// one buffer, ops lowered to linalg, bufferized, entry points exported
/// with the artifact's C ABI (runtime/ArtifactAbi.h), lowered to LLVM.
void buildCpuPipeline(OpPassManager &pm, const CpuPipelineOptions &options);

/// Registers buildCpuPipeline as `xgenmm-cpu-pipeline` (with option dtype).
void registerCpuPipeline();

} // namespace mlir::xgenmm

#endif // XGENMM_PASSES_PASSES_H
