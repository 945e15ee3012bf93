//===- Passes.td - lgc conversion passes -------------------*- tablegen -*-===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_CONVERSION_PASSES_TD
#define LGC_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertLGNToLLVM : Pass<"convert-lgn-to-llvm", "mlir::ModuleOp"> {
  let summary = "Lower an lgn.net to bit-sliced LLVM dialect functions";
  let description = [{
    Replaces the module's lgn.net by `__lgc_gen_eval` and the functions it
    calls (gate chunks, then one GroupSum counter per class) plus the
    constant globals describing the net; see LGNToLLVM.h for the contract.
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
  let options = [
    Option<"vectorWords", "vector-words", "unsigned", "4",
           "64-bit words per vector (1, 2, 4 or 8)">,
    Option<"gatesPerFunction", "gates-per-function", "unsigned", "3000",
           "Split the gates into functions of at most this many">
  ];
}

#endif // LGC_CONVERSION_PASSES_TD
