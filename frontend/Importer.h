//===- Importer.h - Hugging Face checkpoint -> xgenmm IR --------*- C++ -*-===//
#ifndef XGENMM_FRONTEND_IMPORTER_H
#define XGENMM_FRONTEND_IMPORTER_H

#include "frontend/ModelConfig.h"
#include "frontend/Safetensors.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <memory>
#include <string>

namespace xgenmm {

struct ImportOptions {
  ConfigOverrides overrides;
  /// KV-cache capacity in tokens; 0 means text_config.max_position_embeddings.
  int64_t contextLength = 0;
  /// Element type of the KV caches: "f32" or "bf16" (new rows rounded to
  /// nearest even when written; the attention reads them widened to f32).
  std::string kvCacheDtype = "f32";
};

struct ImportedModel {
  mlir::OwningOpRef<mlir::ModuleOp> module;
  ModelConfig config;
  std::unique_ptr<WeightSet> weights;
  /// Checkpoint tensors the graph reads, and those deliberately skipped
  /// (SigLIP's unused MAP head).
  size_t tensorsUsed = 0, tensorsSkipped = 0;
};

/// Reads the checkpoint directory, checks every tensor the graph needs
/// (reporting all missing, unexpected and mismatched tensors in one
/// message), and builds the xgenmm module: `@encode_image`, `@prefill` and
/// `@decode`, weights by reference with their sources. On failure returns
/// nullptr and sets `error`.
std::unique_ptr<ImportedModel> importCheckpoint(mlir::MLIRContext &context,
                                                const std::string &directory,
                                                const ImportOptions &options,
                                                std::string &error);

} // namespace xgenmm

#endif // XGENMM_FRONTEND_IMPORTER_H
