//===- XgenmmDialect.cpp - xgenmm dialect registration --------------------===//
#include "dialects/XgenmmDialect.h"
#include "dialects/XgenmmOps.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::xgenmm;

#include "dialects/XgenmmDialect.cpp.inc"
#include "dialects/XgenmmEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/XgenmmAttrs.cpp.inc"

void XgenmmDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/XgenmmOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/XgenmmAttrs.cpp.inc"
      >();
}
