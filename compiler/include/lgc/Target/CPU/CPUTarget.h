//===- CPUTarget.h - From lowered LLVM dialect to net.so --------*- C++ -*-===//
//
// Part of lgc. The CPU backend's pieces below the lowering: pick the target
// machine, translate the LLVM dialect to LLVM IR, emit an object with LLVM's
// code generator, link it with the net support library into a shared
// library. lgc/Compiler/Driver.h strings them together as stages. Errors are
// MLIR diagnostics at the given location.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_TARGET_CPU_CPUTARGET_H
#define LGC_TARGET_CPU_CPUTARGET_H

#include "lgc/Conversion/GateLowering.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Target/TargetMachine.h"

#include <functional>
#include <memory>
#include <string>

namespace lgc {

struct CPUTargetOptions {
  /// "native" (the host CPU and its features) or an LLVM CPU name such as
  /// x86-64-v2, x86-64-v3, skylake-avx512.
  std::string cpu = "native";
  /// Extra LLVM target features ("+avx2,-avx512f").
  std::string features;
  /// Vector width in bits (64, 128, 256, 512); 0 picks the widest the CPU has.
  unsigned vectorBits = 0;
  /// LLVM code generation level 0-3.
  unsigned codegenLevel = 2;
  unsigned gatesPerFunction = kDefaultGatesPerFunction;
  /// How deep the partition looks when it orders a class's outputs
  /// (GateLowering.h, kDefaultGpuOutputLocality); 0: output order, the CPU
  /// backend's default.
  unsigned outputLocality = 0;
  /// Gates a value stays in a register before it is reloaded (GateLowering.h).
  unsigned registerWindow = kDefaultRegisterWindow;
  /// LLVM's machine instruction scheduler is half of the code generation
  /// time on gate nets and gains little on them; off unless asked for.
  bool machineScheduler = false;
  /// The post-register-allocation list scheduler, which some CPU models
  /// (Zen among them) turn on, is quadratic in the size of a basic block: on
  /// a 3000-gate function it is 85 % of code generation, and the gate loop
  /// runs no faster with it. Off unless asked for.
  bool postRAScheduler = false;
  /// Each gate as one vpternlogq where the CPU has AVX-512 (AVX-512VL below
  /// 512-bit vectors); else and/or/xor for LLVM to combine.
  bool ternaryLogic = true;
  /// An ensemble of independent nets is evaluated in parts of at least this
  /// many gates, in reused scratch, each part's outputs counted before the
  /// next (NetPartition); 0: in one pass. Ten members ran 2.4 times faster
  /// as separate libraries than as one library evaluated in one pass.
  /// Direct LLVM IR emission only.
  unsigned partGates = kDefaultPartGates;
  /// The GroupSum in the generated code, each output added to its class's
  /// count as its gate completes it (NetPartition); else the support
  /// library counts the outputs from scratch after the gates. Direct LLVM
  /// IR emission only.
  bool countInCode = true;
  /// Each function the entry point calls in a section of its own, and
  /// before each call a loop of prefetches over the next callee's machine
  /// code (from the linker's section bounds): the code of a large net does
  /// not fit L2 and is fetched again for every block, and the front end
  /// alone fetches it a line at a time. Direct LLVM IR emission only.
  bool prefetchCode = true;
  /// Blocks kept as loops: the inputs laid out as the zero-framed image a
  /// padded block reads (GeneratedABI.h, kInputFrameHeight), written there
  /// by the support library's packers, instead of copied into a frame in
  /// scratch for every block. Direct LLVM IR emission only.
  bool frameInputs = true;
  /// Convs of one layer evaluated in one loop over positions (blocks kept
  /// as loops; kDefaultConvsPerLoop). Direct LLVM IR emission only.
  unsigned convsPerLoop = kDefaultConvsPerLoop;
  /// A layer's convs in one function, each output row running their groups
  /// of convsPerLoop in turn, instead of a function per group sweeping the
  /// whole image: the rows a group reads are still in the caches for the
  /// next group. Direct LLVM IR emission only.
  bool interleaveLayerRows = true;
  /// Threads of code generation for a shared library; 0: one per core.
  unsigned jobs = 0;
};

/// Creates the target machine for the host triple, or reports why not at
/// `loc` and returns null.
std::unique_ptr<llvm::TargetMachine>
createCPUTargetMachine(const CPUTargetOptions &opts, mlir::Location loc);

/// The LLVM target for `triple` with `cpu` checked to be one of its CPU
/// names (an unknown name would silently give a generic target); reports
/// `what` (e.g. "unknown CPU 'x'") at `loc` and returns null otherwise.
/// Shared by the CPU and GPU target machines.
const llvm::Target *lookupTarget(const std::string &triple,
                                 const std::string &cpu, mlir::Location loc,
                                 const llvm::Twine &what);

/// 64-bit words per vector for `tm` (8 with AVX-512, 4 with AVX2, 2 with
/// SSE2 or NEON, else 1), unless opts.vectorBits says otherwise.
unsigned chooseVectorWords(const llvm::TargetMachine &tm,
                           const CPUTargetOptions &opts);

/// Whether `tm` has AVX-512 ternary logic for vectors of `vectorWords`.
bool hasTernaryLogic(const llvm::TargetMachine &tm, unsigned vectorWords);

/// Translates a module in the LLVM (and NVVM) dialect to LLVM IR for `tm`,
/// a CPU or an NVPTX target machine.
std::unique_ptr<llvm::Module> translateToLLVMIR(mlir::ModuleOp module,
                                                llvm::LLVMContext &context,
                                                llvm::TargetMachine &tm);

/// Runs LLVM's code generator on `module` into `out`; false if the target
/// cannot emit that file type. Safe on any thread that owns the module's
/// context and the target machine.
bool generateCode(llvm::Module &module, llvm::TargetMachine &tm,
                  llvm::CodeGenFileType type, std::string &out);

/// Emits an object file (or assembly) for the module into `out`.
mlir::LogicalResult emitMachineCode(llvm::Module &module,
                                    llvm::TargetMachine &tm, bool assembly,
                                    std::string &out, mlir::Location loc);

/// The net support library variant for `tm`: libLGCNetSupport.a (x86-64
/// baseline or other architectures), -v3.a (AVX2) or -v4.a (AVX-512), in
/// `dir`.
std::string supportLibraryFor(const llvm::TargetMachine &tm,
                              const std::string &dir);

/// Parts for `units` pieces of work on up to `jobs` threads (0: one per
/// core): at least one, never more than the pieces.
unsigned partCount(unsigned jobs, size_t units);
/// The part of each piece of work of the given sizes: the largest first
/// onto the least loaded part.
std::vector<unsigned> spreadBySize(llvm::ArrayRef<size_t> sizes,
                                   unsigned parts);
/// Runs fn(p) for every part p, each on a thread of its own (on this
/// thread when there is one part).
void runParts(unsigned parts, llvm::function_ref<void(unsigned)> fn);

/// Compiles `module` to objects on up to `jobs` threads (0: one per core),
/// one part per thread and never more parts than gate functions: the gate
/// functions are spread over the parts by size, the rest stays in the
/// first; functions called across parts become hidden externals. `tm`
/// compiles the first part, `makeMachine` makes one more target machine per
/// further part. The module goes to the threads as one bitcode image, each
/// thread loading it lazily and keeping its own definitions; it is freed
/// once written. `objects` gets one object per part.
///
/// `type` is what each part becomes (object files; the GPU backend asks for
/// PTX), and `finish`, if given, runs on the part's thread right after: it
/// may replace the output (the GPU backend assembles its PTX there) and
/// returns an error message, or an empty string.
///
/// With `gatesApart`, the first part holds no gate function (where the
/// module has any): the gate functions are spread over the parts after it,
/// so that the first part, the kernels and the entry points, can be
/// finished apart (the GPU backend assembles it at another ptxas level).
using FinishPart = std::function<std::string(unsigned part, unsigned parts,
                                             std::string &output)>;
mlir::LogicalResult emitObjectsInParallel(
    std::unique_ptr<llvm::Module> module, llvm::TargetMachine &tm,
    unsigned jobs,
    llvm::function_ref<std::unique_ptr<llvm::TargetMachine>()> makeMachine,
    std::vector<std::string> &objects, mlir::Location loc,
    llvm::CodeGenFileType type = llvm::CodeGenFileType::ObjectFile,
    FinishPart finish = nullptr, bool gatesApart = false);

/// Links objects with the net support library (a path from
/// supportLibraryFor) into a shared library at `outPath`, through a
/// temporary file and a rename.
/// `exports` is the version-script pattern of the symbols left visible; an
/// empty `supportLibrary` links the objects alone.
mlir::LogicalResult linkSharedLibrary(llvm::ArrayRef<std::string> objects,
                                      const std::string &outPath,
                                      const std::string &supportLibrary,
                                      mlir::Location loc,
                                      const std::string &exports = "lgc_net_*");

/// The directory of the support libraries relative to the running program
/// (../lib beside bin/).
std::string defaultSupportLibraryDir(const char *argv0, void *mainAddr);

} // namespace lgc

#endif // LGC_TARGET_CPU_CPUTARGET_H
