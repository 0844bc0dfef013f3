//===- XgenmmDialect.h - xgenmm dialect -------------------------*- C++ -*-===//
#ifndef XGENMM_DIALECTS_XGENMMDIALECT_H
#define XGENMM_DIALECTS_XGENMMDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dialect.h"

#include "dialects/XgenmmDialect.h.inc"

#endif // XGENMM_DIALECTS_XGENMMDIALECT_H
