//===- xgenmm-import.cpp - Hugging Face checkpoint -> xgenmm IR -----------===//
#include "frontend/Importer.h"

#include "dialects/XgenmmDialect.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

namespace cl = llvm::cl;

// Only this tool's options in --help (not the hundreds LLVM registers).
static cl::OptionCategory category("xgenmm-import options");

static cl::opt<std::string> checkpointDir(cl::cat(category), cl::Positional, cl::Required,
                                          cl::desc("<hugging-face-checkpoint-dir>"));
static cl::opt<std::string> outputFile(cl::cat(category), "o", cl::desc("Output file ('-' for stdout)"),
                                       cl::value_desc("model.mlir"), cl::init("-"));
static cl::list<std::string> overrides(cl::cat(category), 
    "set", cl::desc("Override a configuration field, e.g. "
                    "--set text_config.rope_theta=500 (repeatable)"),
    cl::value_desc("path=value"));
static cl::opt<int64_t> contextLength(cl::cat(category), 
    "context", cl::desc("KV-cache capacity in tokens "
                        "(default: text_config.max_position_embeddings)"),
    cl::init(0));
static cl::opt<std::string> kvCache(cl::cat(category), "kv-cache",
                                    cl::desc("KV-cache element type: f32, bf16 or int8 (per kv head "
                                             "and token scales)"),
                                    cl::init("f32"));
static cl::opt<bool> printConfig(cl::cat(category), "print-config",
                                 cl::desc("Print the resolved configuration as JSON"));
static cl::opt<bool> quiet(cl::cat(category), "q", cl::desc("No summary on stderr"));

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "xgenmm-import: reads an xGen-MM r-v1.5 Hugging Face checkpoint directory "
      "and writes its xgenmm IR, weights by reference\n");
  auto start = std::chrono::steady_clock::now();

  xgenmm::ImportOptions options;
  std::string error;
  for (const std::string &item : overrides)
    if (!xgenmm::parseOverride(item, options.overrides, error)) {
      llvm::errs() << "xgenmm-import: error: " << error << "\n";
      return 1;
    }
  if (contextLength < 0) {
    llvm::errs() << "xgenmm-import: error: --context must be positive\n";
    return 1;
  }
  options.contextLength = contextLength;
  options.kvCacheDtype = kvCache;

  mlir::MLIRContext context;
  auto model = xgenmm::importCheckpoint(context, checkpointDir, options, error);
  if (!model) {
    llvm::errs() << "xgenmm-import: error: " << error << "\n";
    return 1;
  }

  auto output = mlir::openOutputFile(outputFile, &error);
  if (!output) {
    llvm::errs() << "xgenmm-import: error: cannot write '" << outputFile
                 << "': " << error << "\n";
    return 1;
  }
  model->module->print(output->os());
  output->os() << "\n";
  if (output->os().has_error()) {
    llvm::errs() << "xgenmm-import: error: writing '" << outputFile << "' failed\n";
    return 1;
  }
  output->keep();

  if (printConfig)
    llvm::outs() << model->config.toJson().serialize() << "\n";
  if (!quiet) {
    double ms = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - start)
                    .count();
    llvm::errs() << "xgenmm-import: " << checkpointDir << ": "
                 << model->tensorsUsed << " tensors used, "
                 << model->tensorsSkipped
                 << " skipped (SigLIP's unused MAP head), from "
                 << model->weights->files().size() << " file(s), "
                 << (model->config.anyres() ? "anyres" : "base (single view)")
                 << " mode, in " << llvm::format("%.0f", ms) << " ms\n";
  }
  return 0;
}
