//===- Driver.h - The staged compiler driver --------------------*- C++ -*-===//
//
// Part of lgc. The compiler as a list of named stages, as Triton's backends
// are: a net goes lgn -> (optimised) lgn dialect -> one backend's stages,
// and every `--emit=` value of the lgc tool is the name of the stage whose
// result is written:
//
//   lgn, mlir                      the optimised net (.lgn text, lgn dialect)
//   llvm-mlir -> llvm -> asm|obj -> so    the CPU backend (LGNToLLVM)
//   gpu-mlir -> gpu-llvm -> ptx -> cubin -> fatbin   the GPU backend
//                                         (LGNToNVVM; binaries by ptxas)
//   verilog, verilog-testbench            the circuit backend
//   c                                     portable C99 with the net.so ABI
//
// Tools and tests use this one driver; none spells the sequence again.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_COMPILER_DRIVER_H
#define LGC_COMPILER_DRIVER_H

#include "lgc/Target/CPU/CPUTarget.h"
#include "lgc/Target/GPU/GPUTarget.h"
#include "lgc/Target/Verilog/ExportVerilog.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/SourceMgr.h"

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace lgc {

enum class Stage {
  LGN,
  MLIR,
  LLVMMLIR,
  LLVM,
  Asm,
  Obj,
  SharedLib,
  GPUMLIR,
  GPULLVM,
  PTX,
  Cubin,
  Fatbin,
  Verilog,
  VerilogTestbench,
  C,
};

struct StageInfo {
  Stage stage;
  /// The --emit= name.
  const char *name;
  /// The output extension that selects this stage when --emit is not given
  /// (empty: none).
  const char *extension;
  const char *description;
};

/// Every stage, in the order --help lists them.
llvm::ArrayRef<StageInfo> stages();
std::optional<Stage> stageByName(llvm::StringRef name);
/// The stage an output path's extension asks for.
std::optional<Stage> stageForOutput(llvm::StringRef path);
const StageInfo &stageInfo(Stage stage);

/// How the testbench stage chooses its vectors.
struct TestbenchOptions {
  unsigned vectors = 1000;
  uint64_t seed = 1;
  /// A data set (e.g. fashion-mnist) whose test split, through the net's
  /// encoding, gives the vectors; empty: random bits.
  std::string data;
  /// Where the vectors go; empty: <output>.hex.
  std::string hexPath;
};

struct DriverOptions {
  /// Optimisation level of the lgn pipeline (0-2); also the CPU code
  /// generation level.
  unsigned optLevel = 1;
  bool printStats = false;
  /// Keep lgn.conv and lgn.or_pool ops (after folding their bodies) instead
  /// of unrolling them; only the lgn dialect (--emit=mlir) and .lgn version
  /// 2 (--emit=lgn, where the folded blocks still fit the format) hold
  /// them, every later stage needs gates.
  bool keepBlocks = false;
  /// Keep lgn.conv and lgn.or_pool ops through the CPU backend, which runs
  /// each as a loop over its positions (lgc --blocks=loop); the gates
  /// around them are optimised as usual. CPU stages straight to LLVM IR and
  /// --emit=mlir only.
  bool blockLoops = false;
  /// Without blockLoops, the CPU stages still run blocks as loops when the
  /// net unrolled would have more than this many gates (lgc --blocks=auto,
  /// the default); 0: never. Unrolled code grows with the image and the
  /// channels, and past about a hundred thousand gates its instructions no
  /// longer stay in the caches (docs/cpu-backend.md).
  uint64_t autoLoopGates = 0;
  /// Where to write the net's statistics before and after optimisation as
  /// JSON (lgc/Dialect/LGN/NetStats.h); empty: nowhere.
  std::string statsJson;
  /// CPU backend (cpu.gatesPerFunction also splits the GPU code).
  CPUTargetOptions cpu;
  /// Where libLGCNetSupport*.a are; empty: ../lib beside the running tool.
  std::string supportLibDir;
  /// GPU backend: the architecture (a comma-separated list for fatbin).
  std::string gpuArch = "sm_90";
  std::string ptxFeatures;
  /// The GPU lowering's register window (GateLowering.h).
  unsigned gpuRegisterWindow = kDefaultGpuRegisterWindow;
  /// The GPU thread kernel's order of each class's outputs (GateLowering.h).
  unsigned gpuOutputLocality = kDefaultGpuOutputLocality;
  /// How deep the thread kernel recomputes gates of earlier functions
  /// instead of loading them (GateLowering.h).
  unsigned gpuRematDepth = kDefaultGpuRematDepth;
  bool gpuRematInputs = true;
  /// lgc_net as the block kernel (a level of gates at a time over a block's
  /// threads, values in shared memory) instead of a thread per word, and
  /// its words per block (0: as many as fit) and gates per thread and round
  /// (Conversion/LGNToNVVM/BlockKernel.cpp).
  bool gpuBlockKernel = false;
  unsigned gpuBlockWords = 0;
  unsigned gpuBlockUnroll = kDefaultGpuBlockUnroll;
  /// The block kernel's threads per block (its .maxntid; with the blocks
  /// its shared memory lets share a multiprocessor, .minnctapersm, ptxas
  /// fits the registers to them).
  unsigned gpuBlockThreads = kDefaultGpuBlockThreads;
  /// The block kernel's words interleaved over its threads (thread t
  /// evaluates word t % S of its gates) instead of each thread evaluating
  /// every word of its gates.
  bool gpuBlockInterleave = false;
  /// Block kernel: gates read by one other gate only are evaluated in
  /// their reader's table entry (ConvertLGNToNVVM's block-fuse-gates).
  bool gpuBlockFuse = false;
  /// Block kernel: U consecutive entries a thread per round (the earlier
  /// mapping, to measure against; ConvertLGNToNVVM's block-thread-runs).
  bool gpuBlockThreadRuns = false;
  /// Block kernel: gates moved to later levels so that the levels fill
  /// whole rounds (ConvertLGNToNVVM's block-balance-levels; false: each
  /// gate at the level after its operands', to measure against).
  bool gpuBlockBalanceLevels = true;
  /// Both designs in one module (--gpu-kernel=both): lgc_net the thread
  /// kernel, lgc_net_block the block kernel, chosen per launch.
  bool gpuBothKernels = false;
  /// The block kernel's argmax as a thread per word (the earlier form, for
  /// measurements) instead of a thread per sample.
  bool gpuBlockWordArgmax = false;
  /// The block kernel's form that reads 8-bit features itself
  /// (lgc_net_u8), where the encoding is a thermometer.
  bool gpuBlockU8 = true;
  /// Its blocks prefetch the next blocks' pixels into the L2 (lgc
  /// --gpu-block-u8-prefetch).
  bool gpuBlockU8Prefetch = false;
  /// The block kernel's gate table in shared memory and its blocks looping
  /// over the grid (lgc --gpu-block-table=shared).
  bool gpuBlockTableShared = false;
  /// Its blocks prefetch the next block's packed input rows into the L2
  /// (lgc --gpu-block-rows-prefetch).
  bool gpuBlockRowsPrefetch = false;
  /// Also lgc_pack_u8_tiled, the u8 packing kernel staged through shared
  /// memory (lgc --gpu-pack=tiled).
  bool gpuPackTiled = false;
  /// lgc_pack_u8_tiled's words a block (lgc --gpu-pack-words): 1, 2 or 4.
  unsigned gpuPackWords = 1;
  /// lgc_pack_bits's words a thread (lgc --gpu-pack-bits-words): 1 or 4.
  unsigned gpuPackBitsWords = 1;
  /// The block kernel's table entries loaded a round ahead.
  bool gpuBlockPrefetch = true;
  /// Bits of the block kernel's words, 64 or 32 (0: 32 where only those
  /// let a word's values fit shared memory).
  unsigned gpuBlockWordBits = 0;
  /// Bits of the thread kernel's words, 64 or 32 (a thread per 32 samples).
  unsigned gpuThreadWordBits = 64;
  /// The thread kernel's inputs by ld.global.nc (false: generic loads).
  bool gpuReadOnlyInputs = true;
  /// The thread kernel's prefetches: each load's row this many loads ahead
  /// (0: none), into the L2 (level 2) or the L1 (1).
  unsigned gpuPrefetchDistance = 0;
  unsigned gpuPrefetchLevel = 2;
  /// The thread kernel counts the outputs in its gate functions (false:
  /// count functions read every output back from scratch after them).
  bool gpuCountInCode = true;
  /// The GroupSum's full adders as PTX lop3 (both kernels; false: ANDs and
  /// ORs, the earlier form).
  bool gpuLop3Adders = true;
  /// The block kernel's shared memory per block that words per block aim
  /// at, and where values that do not fit stop (the rest in global memory).
  unsigned gpuBlockShared = kDefaultGpuBlockSharedTarget;
  /// Where ptxas is (its path or the toolkit's directory); empty: search
  /// (lgc/Target/GPU/GPUTarget.h findCudaToolkit).
  std::string cudaPath;
  /// LLVM's NVPTX code generation level (0-3). PTX is virtual-register
  /// code that ptxas (or the driver's JIT) optimises and allocates again,
  /// so 0: on a 6x64,000 net it makes PTX in 10.7 instead of 18.7 s, and
  /// the 6x8000 cubin has 0.5 % more instructions.
  unsigned ptxLevel = 0;
  /// ptxas's optimisation levels (GPUTarget.h, CubinOptions: the gate
  /// functions' and the kernels') and extra arguments.
  unsigned ptxasLevel = kDefaultPtxasGateLevel;
  unsigned ptxasKernelLevel = kDefaultPtxasKernelLevel;
  std::vector<std::string> ptxasArgs;
  /// Where the toolkit programs' messages go (ptxas -v's resource report);
  /// null: dropped.
  llvm::raw_ostream *toolLog = nullptr;
  /// Circuit backend.
  VerilogOptions verilog;
  TestbenchOptions testbench;
  /// Called on the optimisation pass manager before it runs (a tool applies
  /// its command-line pass manager options here).
  std::function<mlir::LogicalResult(mlir::PassManager &)> configurePasses;
  /// CPU code through the convert-lgn-to-llvm pass and MLIR's translation
  /// to LLVM IR, instead of straight to LLVM IR (lgc/Target/CPU/EmitLLVMIR.h)
  /// from the same skeleton; slower, single-threaded up to code generation.
  bool viaLLVMDialect = false;
  /// Verify the IR after every pass of the optimisation pipeline, not only
  /// once after it (lgc-opt always does; on big nets each verification
  /// costs as much as a pass).
  bool verifyEach = false;
};

/// The wall time of one step of a compilation and the process's peak
/// resident memory at its end.
struct StepTime {
  std::string name;
  double seconds;
  uint64_t peakBytes;
};

/// Runs the stages. Every error is reported as an MLIR diagnostic on the
/// context (with the input's location where there is one); functions return
/// failure after reporting.
class Driver {
public:
  Driver(mlir::MLIRContext &context, DriverOptions options);

  /// Checks the options for `stage` (vector width, output file needs, ...).
  mlir::LogicalResult validate(Stage stage, llvm::StringRef outPath);

  /// Reads a .lgn file (or an .mlir file holding one lgn.net with `mlir`)
  /// into a module. .mlir buffers are kept in `sourceMgr` for diagnostics.
  mlir::OwningOpRef<mlir::ModuleOp> load(llvm::StringRef path, bool mlir,
                                         llvm::SourceMgr &sourceMgr);

  /// Optimises `module` and runs the stages up to `stage`, then writes the
  /// result to `outPath` ("-": stdout) atomically: on failure no output
  /// file is left behind.
  mlir::LogicalResult run(mlir::ModuleOp module, Stage stage,
                          llvm::StringRef outPath);

  /// Runs the stages up to `stage` and returns the result (text or binary)
  /// in `out`; stages that write files of their own (so, the testbench's
  /// vectors) need `outPath`. The module is lowered in place (and emptied
  /// once a shared library's LLVM IR is made from it).
  mlir::LogicalResult compile(mlir::ModuleOp module, Stage stage,
                              llvm::StringRef outPath, std::string &out);

  /// The steps run so far (read, optimise, lower, translate, codegen,
  /// link, write, ...), in order.
  llvm::ArrayRef<StepTime> stepTimes() const { return steps; }
  /// stepTimes() as a table in the style of -time-passes.
  void printStepTimes(llvm::raw_ostream &os) const;

private:
  mlir::LogicalResult error(const llvm::Twine &message);
  /// Ends the current step: its time runs from the end of the previous one.
  void endStep(llvm::StringRef name);
  mlir::LogicalResult optimize(mlir::ModuleOp module);
  /// Runs one conversion pass on the module.
  mlir::LogicalResult convert(mlir::ModuleOp module,
                              std::unique_ptr<mlir::Pass> pass);
  mlir::LogicalResult cpuStages(mlir::ModuleOp module, Stage stage,
                                llvm::StringRef outPath, std::string &out);
  /// The lowered module as LLVM IR for `tm`; the module is emptied (nothing
  /// reads it again). Null, after reporting, on failure.
  std::unique_ptr<llvm::Module>
  translateAndRelease(mlir::ModuleOp module, llvm::LLVMContext &llvmContext,
                      llvm::TargetMachine &tm);
  /// The GPU lowering (convert-lgn-to-nvvm with the driver's options).
  mlir::LogicalResult lowerToNVVM(mlir::ModuleOp module);
  mlir::LogicalResult gpuStages(mlir::ModuleOp module, Stage stage,
                                std::string &out);
  mlir::LogicalResult gpuBinary(mlir::ModuleOp module, Stage stage,
                                std::string &out);
  mlir::LogicalResult testbench(lgn::NetOp net, const Net &reference,
                                const VerilogOptions &verilog,
                                llvm::StringRef outPath, std::string &out);

  mlir::MLIRContext &context;
  DriverOptions opts;
  std::vector<StepTime> steps;
  std::chrono::steady_clock::time_point stepStart;
};

} // namespace lgc

#endif // LGC_COMPILER_DRIVER_H
