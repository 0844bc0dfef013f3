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
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
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
  /// sequence lengths (the tokens of one prefill call), positions (the
  /// KV-cache capacity; 0: maxTokens), image views.
  int64_t maxTokens = 4096, maxPosition = 0, maxViews = 5;
  /// Matrix products of image encoding and prefill over bf16 weights on
  /// AVX512-BF16 dot products (activations rounded to bf16, fp32
  /// accumulation): xgenmm-bf16-dot-matmuls, xgenmm-lower-bf16-dot.
  bool bf16Dot = false;
  /// f32 -> bf16 rounding as integer operations (xgenmm-expand-bf16): for
  /// target CPUs without AVX512-BF16.
  bool expandBf16 = false;
  /// Query rows per block of causal attention with a dynamic number of
  /// rows (prefill; xgenmm-fuse-attention's causal-rows); 0: not blocked.
  int64_t causalRows = 32;
  /// Register tiles of the fp32 products sized for AVX-512's 32 zmm
  /// registers (8 x 32); false: for AVX2's 16 ymm (6 x 16), where 8 x 32
  /// tiles spill their accumulators.
  bool avx512 = true;
};

/// From xgenmm IR to the LLVM dialect for x86-64 CPUs: weights bound to
/// one buffer, ops lowered to linalg, bufferized, entry points exported
/// with the artifact's C ABI (runtime/ArtifactAbi.h), lowered to LLVM.
void buildCpuPipeline(OpPassManager &pm, const CpuPipelineOptions &options);

/// buildCpuPipeline's two halves: to linalg on tensors with the weights'
/// layout final (`xgenmm.weight_layout`: bound, dense weights transposed),
/// then code generation to the LLVM dialect (which leaves the layout as it
/// is: xgenmm-compile writes weights.bin alongside it).
void buildCpuLinalgPipeline(OpPassManager &pm, const CpuPipelineOptions &options);
void buildCpuCodegenHalf(OpPassManager &pm, const CpuPipelineOptions &options);

/// Registers buildCpuPipeline as `xgenmm-cpu-pipeline` (with option dtype).
void registerCpuPipeline();

struct GpuPipelineOptions {
  /// NVIDIA architecture (sm_80, sm_90) and PTX features (+ptx78).
  std::string chip = "sm_80", features = "+ptx78";
  /// Weight storage (see xgenmm-bind-weights): bf16 or f32.
  std::string dtype = "bf16";
  /// Device code embedded in the host module: isa (PTX text, compiled by
  /// the driver at load), bin (cubin) or fatbin (cubin + PTX); bin and
  /// fatbin run ptxas (and fatbinary) from the CUDA toolkit.
  std::string format = "isa";
  /// Attention as one fused tensor-core kernel (xgenmm-gpu-flash-attention).
  bool fusedAttention = true;
};

/// The PTX feature string used for `chip` (+ptx78: sm_80 and sm_90).
std::string defaultPtxFeatures(llvm::StringRef chip);

/// From xgenmm IR to host LLVM dialect with the device code embedded
/// (gpu.binary): dense layers on bf16 tensor cores, the rest as
/// one-thread-per-element kernels (passes/GpuPipeline.cpp).
void buildGpuPipeline(OpPassManager &pm, const GpuPipelineOptions &options);

/// Registers `xgenmm-gpu-pipeline` and `xgenmm-gpu-codegen-pipeline`
/// (options chip, dtype, format).
void registerGpuPipeline();

} // namespace mlir::xgenmm

#endif // XGENMM_PASSES_PASSES_H
