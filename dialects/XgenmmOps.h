//===- XgenmmOps.h - xgenmm operations and attributes -----------*- C++ -*-===//
#ifndef XGENMM_DIALECTS_XGENMMOPS_H
#define XGENMM_DIALECTS_XGENMMOPS_H

#include "dialects/XgenmmDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/XgenmmEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/XgenmmAttrs.h.inc"

#define GET_OP_CLASSES
#include "dialects/XgenmmOps.h.inc"

#endif // XGENMM_DIALECTS_XGENMMOPS_H
