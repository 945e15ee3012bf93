//===- GPUTarget.h - The NVPTX target machine -------------------*- C++ -*-===//
//
// Part of lgc. The GPU backend's target: PTX comes from LLVM's NVPTX target
// (no hand-written PTX); device binaries (cubin, fatbin) from the CUDA
// Toolkit's own assembler and linker (ptxas, nvlink, fatbinary), run on the
// PTX of independent parts of the net at once. lgc/Compiler/Driver.h runs
// the stages: lgn -> LLVM + NVVM dialects (convert-lgn-to-nvvm) -> LLVM IR
// -> PTX -> cubin -> fatbin.
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
#include <vector>

namespace lgc {

/// The NVPTX target machine for `arch` (sm_80 .. sm_90a); `features` such
/// as "+ptx80" pick the PTX version (default: LLVM's for the arch), `level`
/// LLVM's code generation level (0-3). Reports errors at `loc` and returns
/// null.
std::unique_ptr<llvm::TargetMachine>
createNVPTXTargetMachine(const std::string &arch, const std::string &features,
                         mlir::Location loc, unsigned level = 0);

/// The CUDA Toolkit programs the binary stages run.
struct CudaToolkit {
  std::string ptxas, nvlink, fatbinary;
};

/// Finds ptxas and, beside it, nvlink and fatbinary: in `hint` (the path of
/// ptxas or of a toolkit directory) when given, else in $CUDA_HOME/bin,
/// $CUDA_PATH/bin, the PATH and /usr/local/cuda/bin. Reports what is
/// missing at `loc`.
mlir::FailureOr<CudaToolkit> findCudaToolkit(const std::string &hint,
                                             mlir::Location loc);

/// ptxas's default levels. The gate functions at -O1: on an H200 the
/// thread kernel alone ran 6x8000 at 1,239 against 1,212 M images/s at -O3
/// and 6x64000 at 155.9 against 142.0, in the same run, with fewer spills
/// and a shorter compile. The packing kernel at -O3: at -O1 it read the
/// pixels at 2,664 instead of 3,115 GB/s (its loads less far ahead). A
/// launch of a quarter of a wave (6x64000, 1M images, four warps a
/// multiprocessor) ran 59 M images/s against 80 at -O3, in another run.
constexpr unsigned kDefaultPtxasGateLevel = 1;
constexpr unsigned kDefaultPtxasKernelLevel = 3;

/// How device binaries are made.
struct CubinOptions {
  /// Threads (0: one per core); the module is cut into as many parts.
  unsigned jobs = 0;
  /// ptxas -O level (0-3) of the gate functions (the thread kernel's code,
  /// kDefaultPtxasGateLevel) and of the rest: the kernels, the packing and
  /// the block kernel (kDefaultPtxasKernelLevel). Where they differ the
  /// gate functions are assembled apart from the rest.
  unsigned ptxasLevel = kDefaultPtxasGateLevel;
  unsigned ptxasKernelLevel = kDefaultPtxasKernelLevel;
  /// Extra ptxas arguments (e.g. -v).
  std::vector<std::string> ptxasArgs;
};

/// Compiles a GPU module (from convert-lgn-to-nvvm, translated for `tm`) to
/// a cubin for tm's architecture: its device functions are spread over
/// parts as the CPU backend's are, each part becomes PTX and is assembled by
/// ptxas on its own thread (relocatable when there are several), and nvlink
/// links the parts. `log` receives ptxas's and nvlink's messages.
mlir::LogicalResult emitCubin(
    std::unique_ptr<llvm::Module> module, llvm::TargetMachine &tm,
    llvm::function_ref<std::unique_ptr<llvm::TargetMachine>()> makeMachine,
    const CudaToolkit &toolkit, const CubinOptions &options, std::string &cubin,
    std::string &log, mlir::Location loc);

/// Packs cubins, one per architecture (`archs[i]`, sm_XX), into one fat
/// binary with fatbinary.
mlir::LogicalResult createFatbin(const CudaToolkit &toolkit,
                                 llvm::ArrayRef<std::string> archs,
                                 llvm::ArrayRef<std::string> cubins,
                                 std::string &fatbin, mlir::Location loc);

} // namespace lgc

#endif // LGC_TARGET_GPU_GPUTARGET_H
