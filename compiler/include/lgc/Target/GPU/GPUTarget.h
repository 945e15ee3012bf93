//===- GPUTarget.h - The NVPTX target machine -------------------*- C++ -*-===//
//
// Part of lgc. The GPU backend's target: PTX comes from LLVM's NVPTX target
// (no hand-written PTX). lgc/Compiler/Driver.h runs the stages: lgn -> LLVM
// + NVVM dialects (convert-lgn-to-nvvm) -> LLVM IR -> PTX.
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
/// as "+ptx80" pick the PTX version (default: LLVM's for the arch). Reports
/// errors at `loc` and returns null.
std::unique_ptr<llvm::TargetMachine>
createNVPTXTargetMachine(const std::string &arch, const std::string &features,
                         mlir::Location loc);

} // namespace lgc

#endif // LGC_TARGET_GPU_GPUTARGET_H
