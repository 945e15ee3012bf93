//===- GPUTarget.cpp - lgn nets to PTX through LLVM's NVPTX target --------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Target/GPU/GPUTarget.h"
#include "lgc/Target/CPU/CPUTarget.h"

#include "mlir/IR/Diagnostics.h"

#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"

extern "C" {
void LLVMInitializeNVPTXTargetInfo();
void LLVMInitializeNVPTXTarget();
void LLVMInitializeNVPTXTargetMC();
void LLVMInitializeNVPTXAsmPrinter();
}

using namespace mlir;
using namespace lgc;

std::unique_ptr<llvm::TargetMachine>
lgc::createNVPTXTargetMachine(const std::string &arch,
                              const std::string &features, Location loc) {
  LLVMInitializeNVPTXTargetInfo();
  LLVMInitializeNVPTXTarget();
  LLVMInitializeNVPTXTargetMC();
  LLVMInitializeNVPTXAsmPrinter();
  const std::string triple = "nvptx64-nvidia-cuda";
  const llvm::Target *target =
      lookupTarget(triple, arch, loc,
                   "unknown GPU architecture '" + arch + "' (sm_80 .. sm_90a)");
  if (!target)
    return nullptr;
  llvm::TargetOptions to;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, arch, features, to, std::nullopt, std::nullopt,
      llvm::CodeGenOptLevel::Default));
  if (!tm)
    emitError(loc) << "cannot create the NVPTX target machine";
  return tm;
}
