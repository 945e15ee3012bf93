//===- lgc-opt.cpp - mlir-opt for the lgn dialect -------------------------===//
//
// Part of lgc. Used by the lit tests.
//
//===----------------------------------------------------------------------===//

#include "lgc/Conversion/Passes.h"
#include "lgc/Dialect/LGN/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<lgc::lgn::LGNDialect, mlir::LLVM::LLVMDialect>();
  lgc::registerLGCConversionPasses();
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  lgc::lgn::registerPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "lgc optimizer driver\n", registry));
}
