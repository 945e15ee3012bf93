//===- EmitLLVMIR.h - lgn nets straight to LLVM IR, in parallel -*- C++ -*-===//
//
// Part of lgc. The CPU backend's fast path: the same code as the
// convert-lgn-to-llvm pass (the same skeleton, GateLowering.h, and the same
// hooks), but built as LLVM IR directly from the lgn ops, one part of the
// gate functions per thread, each in its own LLVMContext and straight into
// code generation. Going through MLIR's LLVM dialect and its translation
// builds every instruction twice, on one thread: on a 6x64,000 net that was
// 2.5 of 6.5 s of compilation. The pass stays the documented, tested
// lowering (`--emit=llvm-mlir`, `--via-llvm-dialect`); both are checked
// bit-exact against the interpreter.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_TARGET_CPU_EMITLLVMIR_H
#define LGC_TARGET_CPU_EMITLLVMIR_H

#include "lgc/Conversion/LGNToLLVM/LGNToLLVM.h"
#include "lgc/Dialect/LGN/LGNOps.h"

#include "mlir/IR/Location.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Target/TargetMachine.h"

#include <memory>
#include <string>
#include <vector>

namespace lgc {

/// The whole net as one LLVM IR module for `tm` (what the conversion pass
/// with the same `options` and the translation give, built directly).
std::unique_ptr<llvm::Module>
emitNetModule(lgn::NetOp net, const ConvertLGNToLLVMOptions &options,
              llvm::TargetMachine &tm, llvm::LLVMContext &context);

/// Compiles `net` to object files on up to `jobs` threads (0: one per
/// core): the partition and the tables are made once, then each thread
/// builds the LLVM IR of one part of the gate functions (spread by size;
/// part 0 also has the entry point and the tables) with its target machine
/// from `makeMachine` and generates its object. The net is only read.
mlir::LogicalResult emitNetObjects(
    lgn::NetOp net, const ConvertLGNToLLVMOptions &options, unsigned jobs,
    llvm::function_ref<std::unique_ptr<llvm::TargetMachine>()> makeMachine,
    std::vector<std::string> &objects, mlir::Location loc);

} // namespace lgc

#endif // LGC_TARGET_CPU_EMITLLVMIR_H
