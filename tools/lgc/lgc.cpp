//===- lgc.cpp - The lgc compiler driver ----------------------------------===//
//
// Part of lgc. Command-line flags over lgc::Driver (lgc/Compiler/Driver.h),
// which reads a net (.lgn, or .mlir holding one lgn.net), runs the
// optimisation pipeline and the stages up to the requested one:
//   lgc net.lgn --emit=mlir -o net.mlir
//   lgc net.lgn -O2 --emit=lgn -o small.lgn
//
//===----------------------------------------------------------------------===//

#include "lgc/Compiler/Driver.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace llvm;

namespace {
enum class InputKind { Auto, LGN, MLIR };

/// --emit=<stage>: the values come from the driver's stage table.
struct StageParser : cl::parser<lgc::Stage> {
  using cl::parser<lgc::Stage>::parser;
  void initialize() {
    cl::parser<lgc::Stage>::initialize();
    for (const lgc::StageInfo &info : lgc::stages())
      addLiteralOption(info.name, info.stage, info.description);
  }
};
} // namespace

static cl::OptionCategory lgcCategory("lgc options");

static cl::opt<std::string> inputFile(cl::Positional,
                                      cl::desc("<input .lgn|.mlir>"),
                                      cl::init("-"), cl::cat(lgcCategory));
static cl::opt<std::string> outputFile("o", cl::desc("Output file"),
                                       cl::value_desc("file"), cl::init(""),
                                       cl::cat(lgcCategory));
static cl::opt<lgc::Stage, false, StageParser>
    emitKind("emit", cl::desc("What to write (default: from the -o extension)"),
             cl::cat(lgcCategory));
static cl::opt<InputKind> inputKind(
    "x", cl::desc("Input language (default: from the extension)"),
    cl::init(InputKind::Auto),
    cl::values(clEnumValN(InputKind::LGN, "lgn", ".lgn text"),
               clEnumValN(InputKind::MLIR, "mlir", "lgn dialect MLIR")),
    cl::cat(lgcCategory));
static cl::opt<unsigned> optLevel("O", cl::desc("Optimisation level (0-2)"),
                                  cl::Prefix, cl::init(1),
                                  cl::cat(lgcCategory));
static cl::opt<uint64_t> autoLoopGates(
    "auto-loop-gates",
    cl::desc("--blocks=auto: loops when the net unrolled would have more "
             "gates than this (default 150000)"),
    cl::init(150000), cl::cat(lgcCategory));
static cl::opt<bool> keepBlocks(
    "keep-blocks",
    cl::desc("Keep weight-shared conv and pool blocks as lgn.conv and "
             "lgn.or_pool (--emit=mlir and --emit=lgn only; other stages "
             "unroll them)"),
    cl::init(false), cl::cat(lgcCategory));
enum class BlockCode { Auto, Unroll, Loop };
static cl::opt<BlockCode> blockCode(
    "blocks",
    cl::desc("How the CPU backend runs weight-shared conv and pool blocks"),
    cl::init(BlockCode::Auto),
    cl::values(
        clEnumValN(BlockCode::Auto, "auto",
                   "unrolled while the net unrolled stays within "
                   "--auto-loop-gates gates, else as loops (default; "
                   "docs/cpu-backend.md)"),
        clEnumValN(BlockCode::Unroll, "unroll",
                   "as gates, one per position, optimised with the rest "
                   "(faster on small nets: equal subtrees merge across "
                   "positions)"),
        clEnumValN(BlockCode::Loop, "loop",
                   "as loops over positions running each tree once in the "
                   "code (code size and compile time independent of the "
                   "image size)")),
    cl::cat(lgcCategory));
static cl::opt<bool>
    printStats("print-stats",
               cl::desc("Print gate statistics before and after"),
               cl::init(false), cl::cat(lgcCategory));

static cl::opt<std::string>
    statsJson("print-stats-json",
              cl::desc("Write the net's statistics before and after "
                       "optimisation (gates per kind and layer, depth, "
                       "fan-out) to this JSON file"),
              cl::value_desc("file"), cl::init(""), cl::cat(lgcCategory));

static cl::opt<std::string> mcpu("mcpu",
                                 cl::desc("Target CPU: native (default) or an "
                                          "LLVM CPU name such as x86-64-v2"),
                                 cl::init("native"), cl::cat(lgcCategory));
static cl::opt<std::string>
    mattr("mattr", cl::desc("Extra target features, e.g. -avx512f"),
          cl::init(""), cl::cat(lgcCategory));
static cl::opt<unsigned> vectorBits(
    "vector-bits",
    cl::desc("Samples per kernel call: 64, 128, 256 or 512 (default: the "
             "widest vectors of the CPU)"),
    cl::init(0), cl::cat(lgcCategory));
static cl::opt<unsigned> gatesPerFunction(
    "gates-per-function",
    cl::desc("Split the generated code into functions of this many gates"),
    cl::init(lgc::kDefaultGatesPerFunction), cl::cat(lgcCategory));
static cl::opt<unsigned> outputLocality(
    "output-locality",
    cl::desc("Visit each class's outputs so that those sharing gates within "
             "this many gates of them share a function, which then reads the "
             "shared gates from registers (0: in output order; default: 4 "
             "for the GPU thread kernel, 0 for the CPU)"),
    cl::init(0), cl::cat(lgcCategory));
static cl::opt<unsigned> registerWindow(
    "register-window",
    cl::desc("CPU: reload a value used more than this many gates after it "
             "was computed or loaded"),
    cl::init(lgc::kDefaultRegisterWindow), cl::cat(lgcCategory));
static cl::opt<bool> ternaryLogic(
    "ternary-logic",
    cl::desc("CPU: each gate as one AVX-512 vpternlogq where the CPU has it "
             "(default on; =false leaves and/or/xor to LLVM)"),
    cl::init(true), cl::cat(lgcCategory));
static cl::opt<unsigned> partGates(
    "part-gates",
    cl::desc("CPU: evaluate an ensemble of independent nets in parts of at "
             "least this many gates, one after the other in reused scratch, "
             "counting each part's outputs before the next; Verilog: one "
             "module per part (default 20000; 0: the whole net in one pass, "
             "one module)"),
    cl::init(lgc::kDefaultPartGates), cl::cat(lgcCategory));
static cl::opt<bool> countInCode(
    "count-in-code",
    cl::desc("CPU: the GroupSum in the generated code, each output added to "
             "its class's count as soon as it is computed (default on; "
             "=false: the support library counts the outputs after the "
             "gates)"),
    cl::init(true), cl::cat(lgcCategory));
static cl::opt<bool> prefetchCode(
    "prefetch-code",
    cl::desc("CPU: before each generated function runs, prefetch the next "
             "one's machine code into the caches (each in a section of its "
             "own, whose bounds the linker gives; default on)"),
    cl::init(true), cl::cat(lgcCategory));
static cl::opt<bool> frameInputs(
    "frame-inputs",
    cl::desc("CPU, blocks as loops: lay the inputs out as the zero-framed "
             "image a padded conv reads, so that it reads them in place "
             "(default on; =false: a copy in a frame for every block)"),
    cl::init(true), cl::cat(lgcCategory));
static cl::opt<bool> interleaveLayerRows(
    "interleave-layer-rows",
    cl::desc("CPU, blocks as loops: a layer's convs in one function, each "
             "output row running their groups of --convs-per-loop in turn "
             "(default on; =false: a function per group over the whole "
             "image)"),
    cl::init(true), cl::cat(lgcCategory));
static cl::opt<unsigned> convsPerLoop(
    "convs-per-loop",
    cl::desc("CPU, blocks as loops: evaluate up to this many convs of a "
             "layer (same image, same positions) in one loop over positions "
             "(default 8; 1: a loop per conv)"),
    cl::init(lgc::kDefaultConvsPerLoop), cl::cat(lgcCategory));
static cl::opt<bool> machineScheduler(
    "machine-scheduler",
    cl::desc("Run LLVM's machine instruction scheduler (slower compiles)"),
    cl::init(false), cl::cat(lgcCategory));
static cl::opt<bool> postRAScheduler(
    "post-ra-scheduler",
    cl::desc("Run LLVM's post-RA list scheduler (quadratic in block size)"),
    cl::init(false), cl::cat(lgcCategory));
static cl::opt<unsigned>
    jobs("j", cl::Prefix,
         cl::desc("Threads of code generation for a shared library or a "
                  "device binary (default 0: one per core)"),
         cl::value_desc("N"), cl::init(0), cl::cat(lgcCategory));
static cl::opt<bool> viaLLVMDialect(
    "via-llvm-dialect",
    cl::desc("CPU: lower through the convert-lgn-to-llvm pass and MLIR's "
             "LLVM IR translation instead of straight to LLVM IR (same code, "
             "slower to make)"),
    cl::init(false), cl::cat(lgcCategory));
static cl::opt<bool>
    timeSteps("time-steps",
              cl::desc("Print the wall time and peak memory of each "
                       "compilation step"),
              cl::init(false), cl::cat(lgcCategory));
static cl::opt<bool> verifyEach(
    "verify-each",
    cl::desc("Verify the IR after every optimisation pass (default: once)"),
    cl::init(false), cl::cat(lgcCategory));
static cl::opt<std::string> supportLibDir(
    "support-lib-dir",
    cl::desc("Directory of libLGCNetSupport*.a (default: ../lib beside lgc)"),
    cl::init(""), cl::cat(lgcCategory));

static cl::opt<unsigned> pipelineLevels(
    "pipeline",
    cl::desc("Verilog: registers every N logic levels (0: combinational)"),
    cl::init(0), cl::cat(lgcCategory));
static cl::opt<std::string> verilogOutputs(
    "verilog-outputs",
    cl::desc("Verilog output ports: counts,class (default), counts or class"),
    cl::init("counts,class"), cl::cat(lgcCategory));
static cl::opt<std::string> verilogModule("verilog-module",
                                          cl::desc("Verilog module name"),
                                          cl::init(""), cl::cat(lgcCategory));
static cl::opt<unsigned> tbVectors("tb-vectors",
                                   cl::desc("Testbench vectors (default 1000)"),
                                   cl::init(1000), cl::cat(lgcCategory));
static cl::opt<uint64_t> tbSeed("tb-seed", cl::desc("Seed of random vectors"),
                                cl::init(1), cl::cat(lgcCategory));
static cl::opt<std::string> tbData(
    "tb-data",
    cl::desc(
        "Testbench vectors from a data set's test split through the "
        "net's input encoding (e.g. fashion-mnist) instead of random bits"),
    cl::init(""), cl::cat(lgcCategory));
static cl::opt<std::string>
    tbHex("tb-hex",
          cl::desc("Where the testbench vectors go (default: <output>.hex)"),
          cl::init(""), cl::cat(lgcCategory));

static cl::opt<std::string>
    gpuArch("gpu-arch",
            cl::desc("GPU architecture (sm_80 .. sm_90a); for --emit=fatbin a "
                     "comma-separated list"),
            cl::init("sm_90"), cl::cat(lgcCategory));
static cl::opt<std::string>
    cudaPath("cuda-path",
             cl::desc("ptxas, or the CUDA Toolkit directory, for "
                      "--emit=cubin|fatbin (default: $CUDA_HOME, $CUDA_PATH, "
                      "PATH, /usr/local/cuda)"),
             cl::init(""), cl::cat(lgcCategory));
static cl::opt<unsigned>
    ptxLevel("ptx-O",
             cl::desc("LLVM's NVPTX code generation level (0-3, default 0: "
                      "ptxas optimises the PTX)"),
             cl::value_desc("N"), cl::init(0), cl::cat(lgcCategory));
static cl::opt<unsigned> ptxasLevel(
    "ptxas-O",
    cl::desc("ptxas optimisation level of the gate functions (0-3, default 1)"),
    cl::value_desc("N"), cl::init(lgc::kDefaultPtxasGateLevel),
    cl::cat(lgcCategory));
static cl::opt<unsigned> ptxasKernelLevel(
    "ptxas-kernel-O",
    cl::desc("ptxas optimisation level of the kernels: packing, the block "
             "kernel, the entry points (0-3, default 3)"),
    cl::value_desc("N"), cl::init(lgc::kDefaultPtxasKernelLevel),
    cl::cat(lgcCategory));
static cl::opt<unsigned> gpuRegisterWindow(
    "gpu-register-window",
    cl::desc("GPU: reload values used more than N gates after they were "
             "computed (default 4294967295: never; ptxas spills under "
             "--gpu-max-registers instead)"),
    cl::value_desc("N"), cl::init(lgc::kDefaultGpuRegisterWindow),
    cl::cat(lgcCategory));
static cl::opt<std::string> gpuKernel(
    "gpu-kernel",
    cl::desc("GPU: lgc_net's design: 'thread' (a thread per 64 samples, "
             "values in registers and scratch memory; the default) or "
             "'block' (a block's threads evaluate a level of gates at a time "
             "for a few words of 64 or 32 samples, values in shared memory) "
             "or 'both' (the runtime launches the block kernel where a launch "
             "has too few samples to fill the GPU with threads)"),
    cl::value_desc("thread|block|both"), cl::init("thread"),
    cl::cat(lgcCategory));
static cl::opt<unsigned> gpuBlockWords(
    "gpu-block-words",
    cl::desc("GPU block kernel: words (64 or 32 samples each, "
             "--gpu-block-word-bits) per block (1, 2, 4 or 8; default 0: the "
             "most whose shared memory leaves room for two blocks per "
             "multiprocessor)"),
    cl::value_desc("N"), cl::init(0), cl::cat(lgcCategory));
// Help texts that name a default are built once and kept: cl::desc holds
// only a reference to its text (a temporary printed freed memory).
static const std::string gpuBlockUnrollHelp =
    "GPU block kernel: gates a thread evaluates per round of a level, all "
    "loaded before any is stored (1-16, default " +
    std::to_string(lgc::kDefaultGpuBlockUnroll) +
    "; at most a quarter of a thread's registers over its words a block, "
    "so that their values fit without spilling)";
static const std::string gpuBlockSharedHelp =
    "GPU block kernel: bytes of shared memory per block that words per "
    "block aim at; values that do not fit in one word's worth go to global "
    "memory past it (default " +
    std::to_string(lgc::kDefaultGpuBlockSharedTarget) + ", at most " +
    std::to_string(lgc::kDefaultGpuBlockSharedLimit) + ")";
static const std::string gpuMaxRegistersHelp =
    "GPU: registers per thread ptxas may use in every kernel (ptxas "
    "-maxrregcount; 0: ptxas decides; default " +
    std::to_string(lgc::kDefaultGpuMaxRegisters) + ", " +
    std::to_string(lgc::kDefaultGpuMaxRegisters / 2) +
    " with --gpu-thread-word-bits=32)";
static const std::string gpuBlockThreadsHelp =
    "GPU block kernel: threads per block (32-" +
    std::to_string(lgc::kMaxGpuBlockThreads) +
    "; the kernel declares it and how many blocks its shared memory lets "
    "share a multiprocessor, so ptxas fits its registers to them: 64 a "
    "thread for 1,024; default " +
    std::to_string(lgc::kDefaultGpuBlockThreads) + ")";
static cl::opt<unsigned> gpuBlockThreads("gpu-block-threads",
                                         cl::desc(gpuBlockThreadsHelp),
                                         cl::value_desc("N"),
                                         cl::init(lgc::kDefaultGpuBlockThreads),
                                         cl::cat(lgcCategory));
static cl::opt<unsigned> gpuBlockUnroll("gpu-block-unroll",
                                        cl::desc(gpuBlockUnrollHelp),
                                        cl::value_desc("N"),
                                        cl::init(lgc::kDefaultGpuBlockUnroll),
                                        cl::cat(lgcCategory));
static cl::opt<bool> gpuBlockInterleave(
    "gpu-block-interleave",
    cl::desc("GPU block kernel: interleave a block's words over its threads "
             "(thread t evaluates word t % S of its gates, so a half warp "
             "reads the S words of 16 / S gates) instead of each thread "
             "evaluating every word of its gates"),
    cl::init(false), cl::cat(lgcCategory));
static cl::opt<bool> gpuBlockFuse(
    "gpu-block-fuse",
    cl::desc("GPU block kernel: evaluate a gate that only one other gate "
             "reads inside that gate's table entry, in registers, instead of "
             "through a shared-memory slot of its own (an experiment: "
             "a fifth fewer shared-memory accesses on random nets, but more "
             "bank conflicts; off by default)"),
    cl::init(false), cl::cat(lgcCategory));
static cl::opt<bool> gpuBlockBalanceLevels(
    "gpu-block-balance-levels",
    cl::desc("GPU block kernel: move gates to later levels, within what "
             "their readers allow, so that each level fills whole rounds of "
             "a block's gates (default on; =false: each gate at the level "
             "after its operands', the earlier schedule)"),
    cl::init(true), cl::cat(lgcCategory));
static cl::opt<bool> gpuBlockThreadRuns(
    "gpu-block-thread-runs",
    cl::desc("GPU block kernel: each thread takes U consecutive table "
             "entries a round (the earlier mapping, kept to measure against) "
             "instead of entries B apart, which a warp loads as one "
             "contiguous run"),
    cl::init(false), cl::Hidden, cl::cat(lgcCategory));
static cl::opt<bool> gpuBlockWordArgmax(
    "gpu-block-word-argmax",
    cl::desc("GPU block kernel: the argmax as one thread per 64-sample word "
             "(the earlier form, kept to measure against) instead of a "
             "thread per sample"),
    cl::init(false), cl::Hidden, cl::cat(lgcCategory));
static cl::opt<bool> gpuBlockU8(
    "gpu-block-u8",
    cl::desc("GPU block kernel: also emit its form that reads 8-bit "
             "features itself (lgc_net_u8), which the runtime launches for "
             "u8 input instead of the packing kernel and lgc_net, where the "
             "encoding is a thermometer (default on; "
             "--gpu-block-u8=false leaves it out)"),
    cl::init(true), cl::cat(lgcCategory));
static cl::opt<bool> gpuBlockU8Prefetch(
    "gpu-block-u8-prefetch",
    cl::desc("GPU block kernel's u8 form: after reading its pixels each "
             "block prefetches into the L2 the pixels of the block that "
             "will take its place, so that its reads come from the L2 while "
             "the level phases leave the DRAM idle (default off)"),
    cl::init(false), cl::cat(lgcCategory));
static cl::opt<std::string> gpuBlockTable(
    "gpu-block-table",
    cl::desc("GPU block kernel: where its gate table lives: global (the "
             "default: each level's entries loaded from the L2) or shared "
             "(copied into shared memory once a block beside the values, "
             "the blocks then looping over the grid's words; where the two "
             "do not fit together the table stays global, with a remark)"),
    cl::value_desc("global|shared"), cl::init("global"), cl::cat(lgcCategory));
static cl::opt<bool> gpuBlockRowsPrefetch(
    "gpu-block-rows-prefetch",
    cl::desc("GPU block kernel with --gpu-block-table=shared: after phase 0 "
             "each block prefetches into the L2 the packed input rows of the "
             "block it takes next, so that its next phase 0 reads them from "
             "the L2 (default off)"),
    cl::init(false), cl::cat(lgcCategory));
static cl::opt<std::string> gpuPack(
    "gpu-pack",
    cl::desc("GPU packing of 8-bit features with a thermometer encoding: "
             "thread (default: a thread per four features of a 64-sample "
             "word) or tiled (also lgc_pack_u8_tiled, which the runtime "
             "launches instead: a block per word copies its 64 samples' "
             "contiguous bytes into shared memory, 16 bytes a load, then "
             "thresholds them there)"),
    cl::init("thread"), cl::cat(lgcCategory));
static cl::opt<unsigned> gpuPackWords(
    "gpu-pack-words",
    cl::desc("GPU lgc_pack_u8_tiled (--gpu-pack=tiled): the 64-sample words "
             "a block packs, 1 (default), 2 or 4; with more than one, each "
             "input row's words are written together from shared memory (4: "
             "a whole 32-byte sector)"),
    cl::init(1), cl::cat(lgcCategory));
static cl::opt<unsigned> gpuPackBitsWords(
    "gpu-pack-bits-words",
    cl::desc("GPU lgc_pack_bits (packed-bit input): the 64-sample words a "
             "thread copies, 1 (default) or 4 (a row's four words, a whole "
             "32-byte sector, written by one thread in two 16-byte stores)"),
    cl::init(1), cl::cat(lgcCategory));
static cl::opt<bool> gpuBlockPrefetch(
    "gpu-block-prefetch",
    cl::desc("GPU block kernel: each thread loads its next round's gate "
             "table entries while it evaluates the current round (default "
             "on; --gpu-block-prefetch=false: each round loads its entries "
             "first, the earlier form)"),
    cl::init(true), cl::cat(lgcCategory));
static cl::opt<unsigned> gpuBlockWordBits(
    "gpu-block-word-bits",
    cl::desc("GPU block kernel: bits of its words, 64 or 32 (a value takes "
             "half the shared memory at 32, so the values of nets too wide "
             "for 64-bit words fit; default: 32 only where a 64-bit word's "
             "values do not fit a block's shared memory and a 32-bit word's "
             "do, and then its words may take all a block can have)"),
    cl::value_desc("BITS"), cl::init(0), cl::cat(lgcCategory));
static cl::opt<unsigned> gpuBlockShared(
    "gpu-block-shared", cl::desc(gpuBlockSharedHelp), cl::value_desc("BYTES"),
    cl::init(lgc::kDefaultGpuBlockSharedTarget), cl::cat(lgcCategory));
static cl::opt<unsigned> gpuThreadWordBits(
    "gpu-thread-word-bits",
    cl::desc("GPU thread kernel: bits of a thread's word, 64 or 32 (32: a "
             "thread per 32 samples, twice the threads for the same samples "
             "and half the registers a value, so twice the warps a "
             "multiprocessor runs at once; default 64)"),
    cl::value_desc("BITS"), cl::init(64), cl::cat(lgcCategory));
static cl::opt<bool> gpuReadOnlyInputs(
    "gpu-readonly-inputs",
    cl::desc("GPU thread kernel: read the input array through the "
             "read-only path (ld.global.nc), which lets ptxas reload an "
             "input instead of spilling it (default on; =false: generic "
             "loads, the earlier form, for measurements)"),
    cl::init(true), cl::cat(lgcCategory));
static cl::opt<unsigned> gpuPrefetchDistance(
    "gpu-prefetch-distance",
    cl::desc("GPU thread kernel: prefetch the row each load of a gate "
             "function reads this many loads before it (no register held "
             "for the value, so more rows on their way from DRAM at once; "
             "default 0: no prefetches)"),
    cl::value_desc("N"), cl::init(0), cl::cat(lgcCategory));
static cl::opt<unsigned> gpuPrefetchLevel(
    "gpu-prefetch-level",
    cl::desc("GPU thread kernel: the cache --gpu-prefetch-distance fills, "
             "2 (L2, default) or 1 (L1)"),
    cl::value_desc("1|2"), cl::init(2), cl::cat(lgcCategory));
static cl::opt<unsigned> gpuRematDepth(
    "gpu-remat-depth",
    cl::desc("GPU thread kernel: recompute a gate that an earlier gate "
             "function made, where every operand it needs is one the "
             "function reads anyway, up to this many gates deep, instead of "
             "loading it back from the scratch array (default 2; 0: always "
             "load)"),
    cl::value_desc("N"), cl::init(lgc::kDefaultGpuRematDepth),
    cl::cat(lgcCategory));
static cl::opt<bool> gpuRematInputs(
    "gpu-remat-inputs",
    cl::desc("GPU thread kernel: also recompute a gate, one gate deep, where "
             "the functions reading it would load inputs for it that they do "
             "not read, if that saves more loads and stores than it adds "
             "(default on; =false: only from what a function reads anyway)"),
    cl::init(true), cl::cat(lgcCategory));
static cl::opt<bool> gpuCountInCode(
    "gpu-count-in-code",
    cl::desc("GPU thread kernel: add each output to its class's count in "
             "the gate function that computes it, so outputs are not stored "
             "to scratch and read back by count functions after the gates "
             "(default on; =false: the earlier count functions, for "
             "measurements)"),
    cl::init(true), cl::cat(lgcCategory));
static cl::opt<bool> gpuLop3Adders(
    "gpu-lop3-adders",
    cl::desc("GPU: each full adder of the GroupSum's count as PTX lop3 "
             "instructions, its carry one LOP3 a 32-bit half (default on; "
             "=false: ANDs and ORs, of which ptxas makes two, for "
             "measurements)"),
    cl::init(true), cl::cat(lgcCategory));
static cl::opt<unsigned> gpuMaxRegisters("gpu-max-registers",
                                         cl::desc(gpuMaxRegistersHelp),
                                         cl::value_desc("N"),
                                         cl::init(lgc::kDefaultGpuMaxRegisters),
                                         cl::cat(lgcCategory));
static cl::list<std::string>
    xptxas("Xptxas", cl::desc("Pass ARG to every ptxas run (repeatable)"),
           cl::value_desc("ARG"), cl::cat(lgcCategory));
static cl::opt<bool> ptxasVerbose(
    "ptxas-verbose",
    cl::desc("Print ptxas's resource report (registers, spills) per part"),
    cl::init(false), cl::cat(lgcCategory));
static cl::opt<std::string>
    ptxFeatures("ptx-features",
                cl::desc("NVPTX features, e.g. +ptx80 (default: LLVM's)"),
                cl::init(""), cl::cat(lgcCategory));

static int fail(const Twine &msg) {
  WithColor::error(errs(), "lgc") << msg << "\n";
  return 1;
}

int main(int argc, char **argv) {
  InitLLVM y(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  cl::HideUnrelatedOptions(lgcCategory);
  cl::ParseCommandLineOptions(argc, argv, "lgc: logic gate network compiler\n");

  std::optional<lgc::Stage> stage;
  if (emitKind.getNumOccurrences())
    stage = emitKind.getValue();
  else
    stage = lgc::stageForOutput(outputFile);
  if (!stage) {
    std::string names;
    for (const lgc::StageInfo &info : lgc::stages())
      names += (names.empty() ? "" : "|") + std::string(info.name);
    return fail("cannot infer the output kind from '" + outputFile +
                "'; give --emit=" + names);
  }

  lgc::DriverOptions opts;
  opts.optLevel = optLevel;
  opts.printStats = printStats;
  opts.keepBlocks = keepBlocks;
  opts.statsJson = statsJson;
  opts.cpu.cpu = mcpu;
  opts.cpu.features = mattr;
  opts.cpu.vectorBits = vectorBits;
  opts.cpu.gatesPerFunction = gatesPerFunction;
  if (outputLocality.getNumOccurrences()) {
    opts.cpu.outputLocality = outputLocality;
    opts.gpuOutputLocality = outputLocality;
  }
  opts.cpu.registerWindow = registerWindow;
  opts.cpu.ternaryLogic = ternaryLogic;
  opts.cpu.partGates = partGates;
  opts.cpu.countInCode = countInCode;
  opts.cpu.prefetchCode = prefetchCode;
  opts.cpu.frameInputs = frameInputs;
  opts.cpu.convsPerLoop = convsPerLoop;
  opts.cpu.interleaveLayerRows = interleaveLayerRows;
  opts.cpu.machineScheduler = machineScheduler;
  opts.cpu.postRAScheduler = postRAScheduler;
  opts.cpu.jobs = jobs;
  opts.verifyEach = verifyEach;
  opts.viaLLVMDialect = viaLLVMDialect;
  opts.blockLoops = blockCode == BlockCode::Loop;
  if (blockCode == BlockCode::Auto)
    opts.autoLoopGates = autoLoopGates;
  opts.supportLibDir = supportLibDir.empty()
                           ? lgc::defaultSupportLibraryDir(
                                 argv[0], reinterpret_cast<void *>(&fail))
                           : supportLibDir.getValue();
  opts.gpuArch = gpuArch;
  opts.ptxFeatures = ptxFeatures;
  opts.cudaPath = cudaPath;
  opts.gpuRegisterWindow = gpuRegisterWindow;
  if (gpuKernel != "thread" && gpuKernel != "block" && gpuKernel != "both")
    return fail("invalid --gpu-kernel=" + Twine(gpuKernel) +
                " (thread, block or both)");
  opts.gpuBlockKernel = gpuKernel == "block" || gpuKernel == "both";
  opts.gpuBothKernels = gpuKernel == "both";
  if (gpuBlockWords != 0 && gpuBlockWords != 1 && gpuBlockWords != 2 &&
      gpuBlockWords != 4 && gpuBlockWords != 8)
    return fail("invalid --gpu-block-words=" + Twine(gpuBlockWords) +
                " (0, 1, 2, 4 or 8)");
  opts.gpuBlockWords = gpuBlockWords;
  if (gpuBlockUnroll < 1 || gpuBlockUnroll > 16)
    return fail("invalid --gpu-block-unroll=" + Twine(gpuBlockUnroll) +
                " (1-16)");
  opts.gpuBlockUnroll = gpuBlockUnroll;
  if (gpuBlockThreads < 32 || gpuBlockThreads > lgc::kMaxGpuBlockThreads)
    return fail("invalid --gpu-block-threads=" + Twine(gpuBlockThreads) +
                " (32-" + Twine(lgc::kMaxGpuBlockThreads) + ")");
  opts.gpuBlockThreads = gpuBlockThreads;
  opts.gpuBlockInterleave = gpuBlockInterleave;
  opts.gpuBlockFuse = gpuBlockFuse;
  opts.gpuBlockThreadRuns = gpuBlockThreadRuns;
  opts.gpuBlockBalanceLevels = gpuBlockBalanceLevels;
  opts.gpuBlockWordArgmax = gpuBlockWordArgmax;
  opts.gpuBlockU8 = gpuBlockU8;
  if (gpuBlockU8Prefetch && !gpuBlockU8)
    return fail("--gpu-block-u8-prefetch needs --gpu-block-u8");
  opts.gpuBlockU8Prefetch = gpuBlockU8Prefetch;
  if (gpuBlockTable != "global" && gpuBlockTable != "shared")
    return fail("invalid --gpu-block-table=" + Twine(gpuBlockTable) +
                " (global or shared)");
  opts.gpuBlockTableShared = gpuBlockTable == "shared";
  if (gpuBlockRowsPrefetch && !opts.gpuBlockTableShared)
    return fail("--gpu-block-rows-prefetch needs --gpu-block-table=shared");
  opts.gpuBlockRowsPrefetch = gpuBlockRowsPrefetch;
  if (gpuPack != "thread" && gpuPack != "tiled")
    return fail("invalid --gpu-pack=" + Twine(gpuPack) + " (thread or tiled)");
  opts.gpuPackTiled = gpuPack == "tiled";
  if (gpuPackWords != 1 && gpuPackWords != 2 && gpuPackWords != 4)
    return fail("invalid --gpu-pack-words=" + Twine(gpuPackWords) +
                " (1, 2 or 4)");
  if (gpuPackWords.getNumOccurrences() && !opts.gpuPackTiled)
    return fail("--gpu-pack-words needs --gpu-pack=tiled");
  opts.gpuPackWords = gpuPackWords;
  if (gpuPackBitsWords != 1 && gpuPackBitsWords != 4)
    return fail("invalid --gpu-pack-bits-words=" + Twine(gpuPackBitsWords) +
                " (1 or 4)");
  opts.gpuPackBitsWords = gpuPackBitsWords;
  opts.gpuBlockPrefetch = gpuBlockPrefetch;
  if (gpuBlockWordBits.getNumOccurrences() && gpuBlockWordBits != 32 &&
      gpuBlockWordBits != 64)
    return fail("invalid --gpu-block-word-bits=" + Twine(gpuBlockWordBits) +
                " (32 or 64)");
  if (gpuBlockWordBits == 32 && gpuBlockWordArgmax)
    return fail("--gpu-block-word-argmax needs --gpu-block-word-bits=64");
  opts.gpuBlockWordBits = gpuBlockWordBits;
  if (gpuBlockShared < 1024 ||
      gpuBlockShared > lgc::kDefaultGpuBlockSharedLimit)
    return fail("invalid --gpu-block-shared=" + Twine(gpuBlockShared) +
                " (1024-" + Twine(lgc::kDefaultGpuBlockSharedLimit) + ")");
  opts.gpuBlockShared = gpuBlockShared;
  // The block kernel's options mean nothing to the thread kernel.
  for (const cl::Option *blockOnly : std::initializer_list<const cl::Option *>{
           &gpuBlockWords, &gpuBlockUnroll, &gpuBlockThreads, &gpuBlockShared,
           &gpuBlockInterleave, &gpuBlockWordArgmax, &gpuBlockWordBits,
           &gpuBlockFuse, &gpuBlockThreadRuns, &gpuBlockU8, &gpuBlockPrefetch,
           &gpuBlockU8Prefetch, &gpuBlockBalanceLevels, &gpuBlockTable,
           &gpuBlockRowsPrefetch})
    if (blockOnly->getNumOccurrences() && !opts.gpuBlockKernel)
      return fail("--" + blockOnly->ArgStr +
                  " needs --gpu-kernel=block or --gpu-kernel=both");
  bool blockKernelAlone = opts.gpuBlockKernel && !opts.gpuBothKernels;
  for (const cl::Option *threadOnly : std::initializer_list<const cl::Option *>{
           &gpuThreadWordBits, &gpuReadOnlyInputs, &gpuCountInCode,
           &gpuPrefetchDistance, &gpuPrefetchLevel, &gpuRematDepth,
           &gpuRematInputs})
    if (threadOnly->getNumOccurrences() && blockKernelAlone)
      return fail("--" + threadOnly->ArgStr +
                  " needs --gpu-kernel=thread or --gpu-kernel=both");
  // The block kernel alone has no gate functions, so neither a level for
  // them (its code is the kernels': --ptxas-kernel-O) nor an order of its
  // outputs to choose (it keeps each class's outputs in order).
  if (blockKernelAlone && ptxasLevel.getNumOccurrences())
    return fail("--ptxas-O sets the level of the thread kernel's gate "
                "functions; the block kernel alone is assembled at "
                "--ptxas-kernel-O");
  bool gpuOutput = *stage == lgc::Stage::GPUMLIR ||
                   *stage == lgc::Stage::GPULLVM || *stage == lgc::Stage::PTX ||
                   *stage == lgc::Stage::Cubin || *stage == lgc::Stage::Fatbin;
  if (blockKernelAlone && gpuOutput && outputLocality.getNumOccurrences())
    return fail("--output-locality needs --gpu-kernel=thread or "
                "--gpu-kernel=both (the block kernel keeps each class's "
                "outputs in order)");
  for (const cl::opt<unsigned> *level :
       {&ptxasLevel, &ptxasKernelLevel, &ptxLevel})
    if (*level > 3)
      return fail("invalid --" + level->ArgStr + "=" + Twine(*level) +
                  " (0-3)");
  opts.ptxasLevel = ptxasLevel;
  opts.ptxasKernelLevel = ptxasKernelLevel;
  opts.ptxLevel = ptxLevel;
  if (gpuThreadWordBits != 32 && gpuThreadWordBits != 64)
    return fail("invalid --gpu-thread-word-bits=" + Twine(gpuThreadWordBits) +
                " (32 or 64)");
  opts.gpuThreadWordBits = gpuThreadWordBits;
  opts.gpuReadOnlyInputs = gpuReadOnlyInputs;
  opts.gpuCountInCode = gpuCountInCode;
  opts.gpuLop3Adders = gpuLop3Adders;
  if (gpuPrefetchLevel != 1 && gpuPrefetchLevel != 2)
    return fail("invalid --gpu-prefetch-level=" + Twine(gpuPrefetchLevel) +
                " (1 or 2)");
  if (gpuPrefetchLevel.getNumOccurrences() && !gpuPrefetchDistance)
    return fail("--gpu-prefetch-level needs --gpu-prefetch-distance");
  opts.gpuPrefetchDistance = gpuPrefetchDistance;
  opts.gpuPrefetchLevel = gpuPrefetchLevel;
  // Recomputing reads values from registers for the rest of a function,
  // which a window would have dropped.
  unsigned rematDepth = gpuRematDepth;
  if (rematDepth && gpuRegisterWindow != lgc::kUnlimitedWindow) {
    for (const cl::Option *remat : std::initializer_list<const cl::Option *>{
             &gpuRematDepth, &gpuRematInputs})
      if (remat->getNumOccurrences())
        return fail("--" + remat->ArgStr + " needs no --gpu-register-window");
    rematDepth = 0;
  }
  opts.gpuRematDepth = rematDepth;
  if (gpuRematInputs.getNumOccurrences() && !rematDepth)
    return fail("--gpu-remat-inputs needs --gpu-remat-depth of 1 or more");
  opts.gpuRematInputs = gpuRematInputs;
  // ptxas accepts 16..255; 0 leaves the choice to it.
  if (gpuMaxRegisters && (gpuMaxRegisters < 16 || gpuMaxRegisters > 255))
    return fail("invalid --gpu-max-registers=" + Twine(gpuMaxRegisters) +
                " (0, or 16-255)");
  // 32-bit words hold a value in one register instead of two: half the
  // registers keep as many values, and let twice the warps share a
  // multiprocessor (the point of the smaller words).
  unsigned maxRegisters = gpuMaxRegisters;
  if (gpuThreadWordBits == 32 && !gpuMaxRegisters.getNumOccurrences())
    maxRegisters = lgc::kDefaultGpuMaxRegisters / 2;
  if (maxRegisters)
    opts.ptxasArgs.push_back("-maxrregcount=" + std::to_string(maxRegisters));
  for (const std::string &arg : xptxas)
    opts.ptxasArgs.push_back(arg);
  if (ptxasVerbose) {
    opts.ptxasArgs.push_back("-v");
    opts.toolLog = &errs();
  }
  opts.verilog.pipeline = pipelineLevels;
  opts.verilog.moduleName = verilogModule;
  opts.verilog.partGates = partGates;
  opts.verilog.emitCounts = opts.verilog.emitClass = false;
  for (StringRef part : llvm::split(StringRef(verilogOutputs), ',')) {
    if (part == "counts")
      opts.verilog.emitCounts = true;
    else if (part == "class")
      opts.verilog.emitClass = true;
    else
      return fail("invalid --verilog-outputs entry '" + part +
                  "' (counts, class)");
  }
  opts.testbench.vectors = tbVectors;
  opts.testbench.seed = tbSeed;
  opts.testbench.data = tbData;
  opts.testbench.hexPath = tbHex;
  opts.configurePasses = [](mlir::PassManager &pm) -> LogicalResult {
    if (failed(applyPassManagerCLOptions(pm)))
      return failure();
    applyDefaultTimingPassManagerCLOptions(pm);
    return success();
  };

  MLIRContext context;
  // An op of a trained net prints as megabytes of operands: an error shows
  // its message and location alone unless --mlir-print-op-on-diagnostic
  // asks for the op.
  if (auto *opt =
          cl::getRegisteredOptions().lookup("mlir-print-op-on-diagnostic");
      !opt || !opt->getNumOccurrences())
    context.printOpOnDiagnostic(false);
  SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  // Diagnostics without a location (bad options, a missing linker) read as
  // the tool's own errors; located ones show their source line.
  ScopedDiagnosticHandler unlocated(&context, [](Diagnostic &d) {
    if (!isa<UnknownLoc>(d.getLocation()))
      return failure();
    WithColor::error(errs(), "lgc") << d.str() << "\n";
    return success();
  });
  lgc::Driver driver(context, std::move(opts));
  std::string out = outputFile.empty() ? "-" : outputFile.getValue();
  if (failed(driver.validate(*stage, out)))
    return 1;
  InputKind kind = inputKind;
  if (kind == InputKind::Auto)
    kind = StringRef(inputFile).ends_with(".mlir") ? InputKind::MLIR
                                                   : InputKind::LGN;
  OwningOpRef<ModuleOp> module =
      driver.load(inputFile, kind == InputKind::MLIR, sourceMgr);
  if (!module)
    return 1;
  bool ok = succeeded(driver.run(*module, *stage, out));
  if (timeSteps)
    driver.printStepTimes(errs());
  return ok ? 0 : 1;
}
