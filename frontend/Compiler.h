//===- Compiler.h - checkpoint or xgenmm IR -> artifact ---------*- C++ -*-===//
#ifndef XGENMM_FRONTEND_COMPILER_H
#define XGENMM_FRONTEND_COMPILER_H

#include "frontend/Importer.h"

#include "llvm/Support/raw_ostream.h"

#include <string>

namespace xgenmm {

/// Default of CompileOptions::prefillChunk (llama.cpp's default physical
/// batch is the same).
constexpr int64_t kDefaultPrefillChunk = 512;

struct CompileOptions {
  /// Weight storage in weights.bin: f32 or bf16.
  std::string dtype = "f32";
  /// Precision of the matrix products of image encoding and prefill over
  /// bf16 weights: f32 (activations kept in f32, exact widening of the
  /// weights) or bf16 (activations rounded to bf16, AVX512-BF16 dot
  /// products with f32 accumulation; needs dtype bf16 and a target CPU with
  /// avx512bf16). Decode's one-row products are f32 either way.
  std::string matmulPrecision = "f32";
  /// Quantized weights (xgenmm-quantize-weights): empty, f32 or bf16 (no
  /// quantization; f32/bf16 set dtype), int8 (the language model's dense
  /// layers) or per part, "language=int8,resampler=int8,vision=int8".
  std::string weights;
  /// Input features per quantization scale: 32, 64 or 128.
  int64_t groupSize = 32;
  /// Most tokens one prefill call of the artifact takes (prefill.max_tokens;
  /// the runtime splits longer prompts into such chunks). Bounds the arena:
  /// the activations and attention scores of one call. 0: the smaller of
  /// the KV-cache capacity and kDefaultPrefillChunk (CPU; GPU artifacts:
  /// the capacity).
  int64_t prefillChunk = 0;
  /// Bytes the artifact may hold at most (weights + arena + KV caches at
  /// capacity; manifest "memory"); 0: no limit. A checkpoint compiled
  /// without a context gets the largest one that fits.
  int64_t memoryBudget = 0;
  /// Quantize and dequantize at compile time, store floats (float kernels).
  bool simulateQuantization = false;
  /// No checkpoint: deterministic stand-in weights (runtime/SyntheticWeights.h).
  bool syntheticWeights = false;
  /// LLVM CPU name and feature string; empty: the host's.
  std::string targetCpu, targetFeatures;
  /// NVIDIA GPU target (sm_80, sm_90); empty: a CPU artifact. A GPU
  /// artifact's host code is compiled for targetCpu (set it, e.g. x86-64);
  /// gpuFormat is the embedded device code: isa (PTX), bin or fatbin
  /// (frontend/GpuCompiler.h).
  std::string gpuTarget, gpuFormat = "fatbin";
  /// Checkpoint directory holding the weights of a model.mlir input; empty:
  /// the module's xgenmm.checkpoint attribute.
  std::string checkpointDir;
  /// For a checkpoint input: overrides and context length.
  ImportOptions import;
  /// Also write model.ll (optimised LLVM IR) and model.mlir (the LLVM
  /// dialect) into the artifact, for inspection.
  bool keepIntermediates = false;
};

/// Compiles a Hugging Face checkpoint directory or an xgenmm .mlir file
/// into the artifact directory `output` (runtime/ArtifactAbi.h). Progress
/// and per-stage timings go to `log`. The artifact is built in a temporary
/// directory next to `output` and renamed into place at the end, so a
/// failure never leaves a partial artifact. Returns false with `error`.
bool compileArtifact(const std::string &input, const std::string &output,
                     const CompileOptions &options, llvm::raw_ostream &log,
                     std::string &error);

} // namespace xgenmm

#endif // XGENMM_FRONTEND_COMPILER_H
