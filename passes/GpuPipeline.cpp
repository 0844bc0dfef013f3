//===- GpuPipeline.cpp - xgenmm IR -> host LLVM + NVVM device code --------===//
//
// The NVIDIA GPU target, from the same linalg-on-tensors level as the CPU
// pipeline (weights bound, dense weights transposed and their contractions
// marked `xgenmm.matmul`):
//   - the GPU schedule (passes/schedules/gpu.mlir) tiles the dense
//     contractions into 64 x 128 block tiles (scf.forall on #gpu.block);
//   - xgenmm-gpu-fuse-elementwise: cheap elementwise producers into their
//     consumers, one fill per accumulator (every op left is a launch);
//   - bufferization and entry-point export as on the CPU (no static arena:
//     intermediate buffers come from the runtime's allocator, which returns
//     memory the device and the host can both address);
//   - xgenmm-gpu-mma-matmul: each block tile a gpu.launch of 4 warps on bf16
//     tensor cores (nvvm.mma.sync m16n8k16), or, with one row of
//     activations (decode), a matrix-vector kernel with K split over blocks;
//   - xgenmm-gpu-flash-attention: every attention chain one kernel on
//     tensor cores with an online softmax (no score matrix in memory);
//   - xgenmm-gpu-row-reductions: row reductions (the norms' statistics,
//     softmax's max and sum where attention is not fused) one block per row,
//     with the fill before and the elementwise step after (a norm's apply);
//   - everything else (the norms' elementwise parts, RoPE, GELU, gathers,
//     copies) as parallel loops, each outermost one a gpu.launch
//     (xgenmm-gpu-map-loops);
//   - kernels outlined into one gpu.module each, their math functions as
//     arithmetic (no libdevice: xgenmm-gpu-expand-math), lowered to NVVM, compiled to
//     PTX by LLVM's NVPTX backend in-process and, with `format=bin|fatbin`,
//     to cubin by ptxas (CUDA toolkit), embedded in the host code; the host
//     code calls the mgpu* launch functions of the runtime
//     (runtime/cuda/CudaRuntime.cpp) and _mlir_memref_to_llvm_alloc/free for
//     buffers.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::xgenmm;

namespace {

struct GpuPipelineCliOptions : PassPipelineOptions<GpuPipelineCliOptions> {
  Option<std::string> chip{*this, "chip",
                           llvm::cl::desc("NVIDIA architecture: sm_80 or sm_90"),
                           llvm::cl::init("sm_80")};
  Option<std::string> dtype{*this, "dtype",
                            llvm::cl::desc("Weight storage: bf16 or f32"),
                            llvm::cl::init("bf16")};
  Option<std::string> format{
      *this, "format",
      llvm::cl::desc("Device code embedded: isa (PTX), bin (cubin, needs "
                     "ptxas) or fatbin (cubin + PTX, needs ptxas and fatbinary)"),
      llvm::cl::init("isa")};
  Option<bool> fusedAttention{
      *this, "fused-attention",
      llvm::cl::desc("Attention as one fused tensor-core kernel (else the "
                     "unfused chain, one loop kernel per step)"),
      llvm::cl::init(true)};
};

void addCleanup(OpPassManager &pm) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void buildGpuCodegenPipeline(OpPassManager &pm, const GpuPipelineOptions &options) {
  // Dense contractions into block tiles, on tensors.
  XgenmmApplyScheduleOptions tile;
  tile.schedule = "gpu";
  tile.entryPoint = "xgenmm_gpu_tile_blocks";
  pm.addPass(createXgenmmApplySchedule(tile));
  addCleanup(pm);
  // Fewer launches: cheap elementwise producers into their consumers, one
  // fill per accumulator (after the last CSE, which would merge the fills).
  pm.addPass(createXgenmmGpuFuseElementwise());
  pm.addPass(bufferization::createEmptyTensorEliminationPass());

  // Bufferization and the entry points' C ABI, as on the CPU.
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  addCleanup(pm);
  pm.addPass(bufferization::createDropEquivalentBufferResultsPass());
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.hoistStaticAllocs = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  pm.addPass(createXgenmmExportEntryPoints());
  addCleanup(pm);
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  // The block tiles' copies of their out tile onto itself fold away once
  // their subviews are CSE'd.
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createXgenmmCopiesToLinalg());
  addCleanup(pm);

  // Kernels: attention fused on tensor cores, tensor cores for the block
  // tiles, parallel loops for the rest.
  if (options.fusedAttention)
    pm.addPass(createXgenmmGpuFlashAttention());
  pm.addPass(createXgenmmGpuMmaMatmul());
  pm.addPass(createXgenmmGpuRowReductions());
  pm.addPass(createConvertLinalgToParallelLoopsPass());
  pm.addPass(createXgenmmGpuMapLoops());
  addCleanup(pm);
  pm.addPass(createGpuLaunchSinkIndexComputationsPass());
  pm.addPass(createGpuKernelOutliningPass());

  // Device and host to LLVM (the shape of upstream's
  // gpu-lower-to-nvvm-pipeline, with the runtime's allocator on the host).
  pm.addPass(createConvertVectorToSCFPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertNVVMToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.features = options.features;
  target.optLevel = 3;
  pm.addPass(createGpuNVVMAttachTarget(target));
  pm.addPass(createLowerAffinePass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  addCleanup(pm);
  OpPassManager &device = pm.nest<gpu::GPUModuleOp>();
  device.addPass(createStripDebugInfoPass());
  // Math as arithmetic and NVPTX instructions: no libdevice calls, so the
  // device code needs no CUDA toolkit to compile nor to load.
  device.addPass(createXgenmmGpuExpandMath());
  device.addPass(createConvertNVGPUToNVVMPass());
  device.addPass(createConvertGpuOpsToNVVMOps());
  device.addPass(createXgenmmGpuAlignShared());
  device.addPass(createCanonicalizerPass());
  device.addPass(createCSEPass());
  device.addPass(createReconcileUnrealizedCastsPass());
  FinalizeMemRefToLLVMConversionPassOptions memrefs;
  memrefs.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefs));
  pm.addPass(createGpuToLLVMConversionPass());
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = options.format;
  pm.addPass(createGpuModuleToBinaryPass(binary));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  addCleanup(pm);
  pm.addPass(createReconcileUnrealizedCastsPass());
}

} // namespace

std::string mlir::xgenmm::defaultPtxFeatures(llvm::StringRef chip) {
  // PTX 7.8 is the oldest ISA with sm_90 and takes every sm_80 feature used
  // here (bf16 mma.sync): the widest range of drivers that can load it.
  (void)chip;
  return "+ptx78";
}

void mlir::xgenmm::buildGpuPipeline(OpPassManager &pm,
                                    const GpuPipelineOptions &options) {
  XgenmmBindWeightsOptions bind;
  bind.dtype = options.dtype;
  pm.addPass(createXgenmmBindWeights(bind));
  pm.addPass(createXgenmmLowerToLinalg());
  addCleanup(pm);
  pm.addPass(createXgenmmTransposeDenseWeights());
  buildGpuCodegenPipeline(pm, options);
}

void mlir::xgenmm::registerGpuPipeline() {
  auto options = [](const GpuPipelineCliOptions &cli) {
    GpuPipelineOptions options;
    options.chip = cli.chip;
    options.dtype = cli.dtype;
    options.format = cli.format;
    options.features = defaultPtxFeatures(cli.chip);
    options.fusedAttention = cli.fusedAttention;
    return options;
  };
  PassPipelineRegistration<GpuPipelineCliOptions>(
      "xgenmm-gpu-pipeline",
      "xgenmm IR to host LLVM code with embedded NVIDIA device code (the "
      "artifact's C ABI; kernels launched through the runtime's mgpu* functions)",
      [options](OpPassManager &pm, const GpuPipelineCliOptions &cli) {
        buildGpuPipeline(pm, options(cli));
      });
  PassPipelineRegistration<GpuPipelineCliOptions>(
      "xgenmm-gpu-codegen-pipeline",
      "linalg on tensors to host LLVM code with embedded NVIDIA device code "
      "(the second half of xgenmm-gpu-pipeline)",
      [options](OpPassManager &pm, const GpuPipelineCliOptions &cli) {
        buildGpuCodegenPipeline(pm, options(cli));
      });
}
