//===- GPUTarget.h - lgn nets to PTX through LLVM's NVPTX target -*- C++
//-*-===//
//
// Part of lgc. Stages, as Triton names them: lgn -> LLVM + NVVM dialects
// (convert-lgn-to-nvvm) -> LLVM IR -> PTX (LLVM's NVPTX target; no
// hand-written PTX).
//
//===----------------------------------------------------------------------===//

#ifndef LGC_TARGET_GPU_GPUTARGET_H
#define LGC_TARGET_GPU_GPUTARGET_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Target/TargetMachine.h"

#include <memory>
#include <string>

namespace lgc {

/// The NVPTX target machine for `arch` (sm_80 .. sm_90a); `features` such
/// as "+ptx80" pick the PTX version (default: LLVM's for the arch).
std::unique_ptr<llvm::TargetMachine>
createNVPTXTargetMachine(const std::string &arch, const std::string &features,
                         std::string &error);

/// Runs convert-lgn-to-nvvm.
mlir::LogicalResult lowerToNVVM(mlir::ModuleOp module,
                                unsigned gatesPerFunction, bool hostMode);

/// The LLVM IR and PTX stages are lgc::translateToLLVMIR and
/// lgc::emitMachineCode (CPUTarget.h) with this target machine.

} // namespace lgc

#endif // LGC_TARGET_GPU_GPUTARGET_H
