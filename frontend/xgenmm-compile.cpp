//===- xgenmm-compile.cpp - checkpoint or xgenmm IR -> artifact -----------===//
#include "frontend/Compiler.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;

// Only this tool's options in --help (not the hundreds LLVM registers).
static cl::OptionCategory category("xgenmm-compile options");

static cl::opt<std::string> input(cl::cat(category), cl::Positional, cl::Required,
                                  cl::desc("<hugging-face-checkpoint-dir | model.mlir>"));
static cl::opt<std::string> output(cl::cat(category), "o", cl::Required, cl::desc("Artifact directory"),
                                   cl::value_desc("artifact-dir"));
static cl::opt<std::string> dtype(cl::cat(category), "dtype", cl::desc("Weight storage: f32 or bf16"),
                                  cl::init("f32"));
static cl::opt<std::string> matmulPrecision(cl::cat(category), 
    "matmul-precision",
    cl::desc("Matrix products of image encoding and prefill over bf16 weights: f32 "
             "(exact) or bf16 (activations rounded to bf16, AVX512-BF16 dot products, "
             "f32 accumulation; needs --dtype bf16 and avx512bf16)"),
    cl::init("f32"));
static cl::opt<std::string> weightsOpt(cl::cat(category), 
    "weights",
    cl::desc("Quantized weight storage: int8 or int4 (the language model's dense "
             "layers; int4 two values per byte), or per part, e.g. "
             "language=int8,resampler=int8 (parts: vision, resampler, language; one "
             "scheme for all); other weights follow --dtype. f32 and bf16 mean --dtype"),
    cl::value_desc("scheme | part=scheme,..."));
static cl::opt<int64_t> groupSize(cl::cat(category), 
    "group-size",
    cl::desc("Input features per quantization scale: 32, 64 or 128 (8, 16: tiny models)"),
    cl::init(32));
static cl::opt<bool> simulateQuantization(cl::cat(category), 
    "simulate-quantization",
    cl::desc("Round the --weights parts through their quantization at compile time "
             "but store and compute them as floats (accuracy of the scheme alone; the "
             "reference of the quantized kernels)"));
static cl::opt<bool> syntheticWeights(cl::cat(category),
    "synthetic-weights",
    cl::desc("Of xgenmm IR without a checkpoint (e.g. test/models/r-v1.5.mlir): "
             "deterministic stand-in weights (norm scales 1, biases 0, the rest "
             "uniform +-0.02) for benchmarks; the generated text means nothing. "
             "xgenmm-synth-weights writes the same weights.bin elsewhere"));
static cl::opt<std::string> targetCpu(cl::cat(category), "target-cpu",
                                      cl::desc("LLVM x86-64 CPU name, e.g. x86-64-v3, znver4 (default: the "
                                               "host's); its features decide the kernels "
                                               "(AVX2 or AVX-512 tiles, bf16 dots, VNNI)"));
static cl::opt<std::string> targetFeatures(cl::cat(category), 
    "target-features",
    cl::desc("LLVM feature string, e.g. +avx2,+fma (default: the host's)"));
static cl::opt<std::string> checkpoint(cl::cat(category), 
    "checkpoint", cl::desc("Checkpoint directory with the weights of a .mlir input"));
static cl::list<std::string> overrides(cl::cat(category), 
    "set", cl::desc("Override a configuration field (checkpoint input), e.g. "
                    "--set text_config.rope_theta=500"),
    cl::value_desc("path=value"));
static cl::opt<int64_t> contextLength(cl::cat(category), 
    "context", cl::desc("KV-cache capacity in tokens (checkpoint input; default "
                        "text_config.max_position_embeddings)"),
    cl::init(0));
static cl::opt<std::string> kvCache(cl::cat(category), 
    "kv-cache",
    cl::desc("KV-cache element type (checkpoint input): f32, bf16 or int8 (a scale per "
             "kv head and token). Default: bf16, "
             "except f32 for an artifact of f32 weights without --weights (the exact "
             "one) and for GPU targets"),
    cl::value_desc("dtype"));
static cl::opt<int64_t> prefillChunk(cl::cat(category), 
    "prefill-chunk",
    cl::desc("Most tokens one prefill call takes; the runtime splits longer prompts "
             "(default: 512, at most the context). Bounds the arena"),
    cl::init(0));
static cl::opt<std::string> memoryBudget(cl::cat(category), 
    "memory-budget",
    cl::desc("Most memory the artifact may hold: weights + arena + KV caches at "
             "capacity, e.g. 6G, 512M or bytes. Without --context, the largest context "
             "that fits"),
    cl::value_desc("size"));
static cl::opt<std::string> gpuTarget(cl::cat(category), 
    "target", cl::desc("NVIDIA GPU target: sm_80 or sm_90 (default: a CPU "
                       "artifact). Weights default to bf16 there"),
    cl::value_desc("chip"));
static cl::opt<std::string> gpuFormat(cl::cat(category), 
    "gpu-format", cl::desc("Device code of a GPU artifact: fatbin (cubin + PTX), "
                           "bin (cubin) or isa (PTX); bin and fatbin need ptxas"),
    cl::init("fatbin"));
static cl::opt<bool> keep(cl::cat(category), "keep-intermediates",
                          cl::desc("Also write model.mlir (LLVM dialect) and "
                                   "model.ll into the artifact"));

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "xgenmm-compile: compiles an xGen-MM r-v1.5 checkpoint (or its xgenmm IR) "
      "into an artifact directory (model.so, weights.bin, manifest.json)\n");
  xgenmm::CompileOptions options;
  options.dtype = dtype;
  options.matmulPrecision = matmulPrecision;
  options.targetCpu = targetCpu;
  options.targetFeatures = targetFeatures;
  options.checkpointDir = checkpoint;
  options.keepIntermediates = keep;
  options.weights = weightsOpt;
  if (weightsOpt == "f32" || weightsOpt == "bf16") {
    if (dtype.getNumOccurrences() && dtype != weightsOpt) {
      llvm::errs() << "xgenmm-compile: error: --weights " << weightsOpt
                   << " contradicts --dtype " << dtype << "\n";
      return 1;
    }
    options.dtype = weightsOpt;
  }
  options.groupSize = groupSize;
  options.simulateQuantization = simulateQuantization;
  options.syntheticWeights = syntheticWeights;
  if (!gpuTarget.empty()) {
    // The host side of a GPU artifact only launches kernels: generic x86-64.
    options.gpuTarget = gpuTarget;
    options.gpuFormat = gpuFormat;
    if (targetCpu.empty())
      options.targetCpu = "x86-64";
    if (dtype.getNumOccurrences() == 0)
      options.dtype = "bf16";
  }
  std::string error;
  for (const std::string &item : overrides)
    if (!xgenmm::parseOverride(item, options.import.overrides, error)) {
      llvm::errs() << "xgenmm-compile: error: " << error << "\n";
      return 1;
    }
  if (contextLength < 0) {
    llvm::errs() << "xgenmm-compile: error: --context must be positive\n";
    return 1;
  }
  options.import.contextLength = contextLength;
  if (prefillChunk < 0) {
    llvm::errs() << "xgenmm-compile: error: --prefill-chunk must be positive\n";
    return 1;
  }
  options.prefillChunk = prefillChunk;
  if (!memoryBudget.empty()) {
    llvm::StringRef text = memoryBudget;
    int64_t scale = 1;
    if (text.ends_with_insensitive("g"))
      scale = int64_t{1} << 30;
    else if (text.ends_with_insensitive("m"))
      scale = int64_t{1} << 20;
    else if (text.ends_with_insensitive("k"))
      scale = int64_t{1} << 10;
    if (scale != 1)
      text = text.drop_back();
    double value = 0;
    if (text.getAsDouble(value) || !(value > 0) || value * scale > 9.0e18) {
      llvm::errs() << "xgenmm-compile: error: --memory-budget " << memoryBudget
                   << ": expected a size such as 6G, 512M or a number of bytes\n";
      return 1;
    }
    options.memoryBudget = static_cast<int64_t>(value * scale);
  }
  if (kvCache.getNumOccurrences()) {
    if (kvCache != "f32" && kvCache != "bf16" && kvCache != "int8") {
      llvm::errs() << "xgenmm-compile: error: --kv-cache " << kvCache
                   << ": expected f32, bf16 or int8\n";
      return 1;
    }
    if (!gpuTarget.empty() && kvCache != "f32") {
      llvm::errs() << "xgenmm-compile: error: --kv-cache " << kvCache
                   << ": GPU artifacts keep an f32 KV cache (the CUDA backend's "
                      "cache buffers are f32)\n";
      return 1;
    }
    options.import.kvCacheDtype = kvCache;
  }
  else
    options.import.kvCacheDtype =
        !gpuTarget.empty() || (options.dtype == "f32" && (options.weights.empty() ||
                                                          options.weights == "f32"))
            ? "f32"
            : "bf16";
  if (!xgenmm::compileArtifact(input, output, options, llvm::errs(), error)) {
    llvm::errs() << "xgenmm-compile: error: " << error << "\n";
    return 1;
  }
  return 0;
}
