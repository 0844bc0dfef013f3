//===- GpuCompiler.cpp - the NVIDIA GPU target of xgenmm-compile ----------===//
#include "frontend/GpuCompiler.h"

#include "frontend/Compiler.h"
#include "passes/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <cstdlib>

namespace xgenmm {

bool isGpuTarget(const CompileOptions &options) { return !options.gpuTarget.empty(); }

bool checkGpuOptions(const CompileOptions &options, std::string &error) {
  if (options.gpuTarget != "sm_80" && options.gpuTarget != "sm_90") {
    error = "--target must be sm_80 or sm_90 (NVIDIA Ampere or Hopper), got '" +
            options.gpuTarget + "'";
    return false;
  }
  if (options.gpuFormat != "isa" && options.gpuFormat != "bin" &&
      options.gpuFormat != "fatbin") {
    error = "--gpu-format must be isa, bin or fatbin, got '" + options.gpuFormat + "'";
    return false;
  }
  if (options.gpuFormat == "isa")
    return true;
  // MLIR's NVVM target runs ptxas (and fatbinary) from $PATH or the
  // toolkit named by CUDA_HOME, CUDA_ROOT or CUDA_PATH.
  for (const char *var : {"CUDA_HOME", "CUDA_ROOT", "CUDA_PATH"})
    if (const char *root = std::getenv(var))
      if (llvm::sys::fs::can_execute(std::string(root) + "/bin/ptxas"))
        return true;
  if (llvm::sys::findProgramByName("ptxas"))
    return true;
  error = "--gpu-format " + options.gpuFormat +
          " needs ptxas (the CUDA toolkit) on PATH or under $CUDA_HOME/bin; "
          "install it, or pass --gpu-format isa (PTX, compiled by the driver)";
  return false;
}

void registerGpuTranslations(mlir::DialectRegistry &registry) {
  mlir::registerAllGPUToLLVMIRTranslations(registry);
}

void buildGpuTargetPipeline(mlir::OpPassManager &pm, const CompileOptions &options) {
  mlir::xgenmm::GpuPipelineOptions gpu;
  gpu.chip = options.gpuTarget;
  gpu.features = mlir::xgenmm::defaultPtxFeatures(options.gpuTarget);
  gpu.dtype = options.dtype;
  gpu.format = options.gpuFormat;
  mlir::xgenmm::buildGpuPipeline(pm, gpu);
}

JsonValue gpuTargetManifest(const CompileOptions &options, const std::string &hostTriple,
                            const std::string &hostCpu) {
  return JsonValue::object({
      {"kind", JsonValue::string("cuda")},
      {"chip", JsonValue::string(options.gpuTarget)},
      {"ptx_features", JsonValue::string(mlir::xgenmm::defaultPtxFeatures(options.gpuTarget))},
      {"device_code", JsonValue::string(options.gpuFormat)},
      {"triple", JsonValue::string(hostTriple)},
      {"cpu", JsonValue::string(hostCpu)},
      {"features", JsonValue::array({})},
  });
}

} // namespace xgenmm
