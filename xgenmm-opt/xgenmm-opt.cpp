//===- xgenmm-opt.cpp - the mlir-opt of xgenmm ----------------------------===//
//
// Registers the xgenmm dialect and passes plus every upstream dialect,
// extension and pass, so pipelines can be developed and tested with lit.
//
//===----------------------------------------------------------------------===//
#include "dialects/XgenmmDialect.h"
#include "passes/Passes.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::xgenmm::registerXgenmmPasses();
  mlir::xgenmm::registerCpuPipeline();
  mlir::xgenmm::registerGpuPipeline();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<mlir::xgenmm::XgenmmDialect>();
  // gpu-module-to-binary translates device modules to LLVM IR (as mlir-opt).
  mlir::registerAllGPUToLLVMIRTranslations(registry);

  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "xgenmm optimizer driver\n", registry));
}
