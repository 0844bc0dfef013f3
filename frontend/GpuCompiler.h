//===- GpuCompiler.h - the NVIDIA GPU target of xgenmm-compile --*- C++ -*-===//
//
// What xgenmm-compile does differently for `--target sm_80|sm_90`: the GPU
// pipeline (passes/GpuPipeline.cpp) instead of the CPU one, the host code
// compiled for a generic x86-64 (the host side only launches kernels), the
// GPU dialect's LLVM IR translation (the device code embedded in model.so),
// and the manifest's "target" naming the chip. The driver
// (frontend/Compiler.cpp) calls these where the CPU path differs.
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_FRONTEND_GPUCOMPILER_H
#define XGENMM_FRONTEND_GPUCOMPILER_H

#include "frontend/Json.h"

#include <string>

namespace mlir {
class DialectRegistry;
class OpPassManager;
} // namespace mlir

namespace xgenmm {

struct CompileOptions;

/// Whether `options` asks for a GPU artifact (a non-empty `gpuTarget`).
bool isGpuTarget(const CompileOptions &options);

/// Checks the GPU options (chip sm_80 or sm_90; device-code format isa, bin
/// or fatbin, and for bin/fatbin that ptxas can be found). Returns false
/// with `error`.
bool checkGpuOptions(const CompileOptions &options, std::string &error);

/// Registers the translations the GPU host module needs (gpu.binary and
/// gpu.launch_func to LLVM IR, NVVM for the device modules).
void registerGpuTranslations(mlir::DialectRegistry &registry);

/// Adds the GPU pipeline for `options` to `pm`.
void buildGpuTargetPipeline(mlir::OpPassManager &pm, const CompileOptions &options);

/// The manifest's "target" of a GPU artifact: kind "cuda", the chip, the
/// PTX features, the device-code format, and the host side's triple and CPU.
JsonValue gpuTargetManifest(const CompileOptions &options, const std::string &hostTriple,
                            const std::string &hostCpu);

} // namespace xgenmm

#endif // XGENMM_FRONTEND_GPUCOMPILER_H
