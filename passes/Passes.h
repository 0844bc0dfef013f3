//===- Passes.h - xgenmm passes ---------------------------------*- C++ -*-===//
#ifndef XGENMM_PASSES_PASSES_H
#define XGENMM_PASSES_PASSES_H

#include "dialects/XgenmmOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

#include <memory>

namespace mlir::xgenmm {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace mlir::xgenmm

#endif // XGENMM_PASSES_PASSES_H
