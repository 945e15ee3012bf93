//===- Driver.cpp - The staged compiler driver ----------------------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Compiler/Driver.h"
#include "lgc/Compiler/LGNImportExport.h"
#include "lgc/Conversion/GateLowering.h"
#include "lgc/Conversion/Passes.h"
#include "lgc/Dialect/LGN/NetStats.h"
#include "lgc/Dialect/LGN/Passes.h"
#include "lgc/Runtime/Dataset.h"
#include "lgc/Runtime/FileUtil.h"
#include "lgc/Runtime/Format.h"
#include "lgc/Runtime/Generate.h"
#include "lgc/Runtime/Interpreter.h"
#include "lgc/Target/C/ExportC.h"
#include "lgc/Target/CPU/EmitLLVMIR.h"
#include "lgc/Target/GPU/GPUTarget.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Transforms/Utils/Cloning.h"

#include <sys/resource.h>

using namespace mlir;
using namespace lgc;

static const StageInfo kStages[] = {
    {Stage::LGN, "lgn", ".lgn", "the optimised net as .lgn"},
    {Stage::MLIR, "mlir", ".mlir", "the optimised lgn dialect"},
    {Stage::LLVMMLIR, "llvm-mlir", "",
     "the net lowered to MLIR's LLVM dialect"},
    {Stage::LLVM, "llvm", ".ll", "LLVM IR"},
    {Stage::Asm, "asm", ".s", "assembly for the CPU"},
    {Stage::Obj, "obj", ".o", "an object file"},
    {Stage::SharedLib, "so", ".so", "a shared library with the lgc_net C ABI"},
    {Stage::GPUMLIR, "gpu-mlir", "",
     "the GPU kernels in the LLVM and NVVM dialects"},
    {Stage::GPULLVM, "gpu-llvm", "", "the GPU kernels as LLVM IR"},
    {Stage::PTX, "ptx", ".ptx", "PTX for the CUDA driver"},
    {Stage::Cubin, "cubin", ".cubin",
     "a device binary for one GPU architecture (needs the CUDA Toolkit's "
     "ptxas and nvlink)"},
    {Stage::Fatbin, "fatbin", ".fatbin",
     "device binaries for every --gpu-arch in one file (needs the CUDA "
     "Toolkit)"},
    {Stage::Verilog, "verilog", ".v", "a Verilog-2005 module"},
    {Stage::VerilogTestbench, "verilog-testbench", "",
     "a self-checking testbench for --emit=verilog with the same flags, and "
     "its vectors (--tb-hex)"},
    {Stage::C, "c", ".c",
     "portable C99 with the lgc_net C ABI (cc -shared -fPIC net.c)"},
};

ArrayRef<StageInfo> lgc::stages() { return kStages; }

const StageInfo &lgc::stageInfo(Stage stage) {
  for (const StageInfo &info : kStages)
    if (info.stage == stage)
      return info;
  llvm_unreachable("every stage is in the table");
}

std::optional<Stage> lgc::stageByName(StringRef name) {
  for (const StageInfo &info : kStages)
    if (name == info.name)
      return info.stage;
  return std::nullopt;
}

std::optional<Stage> lgc::stageForOutput(StringRef path) {
  for (const StageInfo &info : kStages)
    if (*info.extension && path.ends_with(info.extension))
      return info.stage;
  return std::nullopt;
}

Driver::Driver(MLIRContext &context, DriverOptions options)
    : context(context), opts(std::move(options)),
      stepStart(std::chrono::steady_clock::now()) {
  context.getOrLoadDialect<lgn::LGNDialect>();
}

/// The process's peak resident set so far.
static uint64_t peakResidentBytes() {
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) != 0)
    return 0;
#if defined(__APPLE__)
  return uint64_t(usage.ru_maxrss); // bytes there, KiB on Linux
#else
  return uint64_t(usage.ru_maxrss) * 1024;
#endif
}

void Driver::endStep(StringRef name) {
  auto now = std::chrono::steady_clock::now();
  steps.push_back({name.str(),
                   std::chrono::duration<double>(now - stepStart).count(),
                   peakResidentBytes()});
  stepStart = now;
}

void Driver::printStepTimes(llvm::raw_ostream &os) const {
  double total = 0;
  for (const StepTime &step : steps)
    total += step.seconds;
  std::string rule = "===" + std::string(73, '-') + "===\n";
  os << rule << "                          lgc compilation steps\n"
     << rule << llvm::formatv("  Total wall time: {0:f3} s\n\n", total)
     << "   ---Wall Time---   --Peak Memory--  --- Step ---\n";
  for (const StepTime &step : steps)
    os << llvm::formatv("  {0,8:f3} ({1,5:f1}%)  {2,10:f1} MiB  {3}\n",
                        step.seconds,
                        total > 0 ? 100 * step.seconds / total : 0.0,
                        double(step.peakBytes) / (1 << 20), step.name);
}

/// Errors about options and the environment have no place in the input:
/// they are reported at an unknown location (a tool prints them with its
/// name).
LogicalResult Driver::error(const Twine &message) {
  return emitError(UnknownLoc::get(&context)) << message;
}

/// A runtime-layer Status already reads "where: error: what"; it is printed
/// as it is rather than wrapped in a second diagnostic.
static LogicalResult report(const Status &status) {
  llvm::errs() << status.message() << "\n";
  return failure();
}

LogicalResult Driver::validate(Stage stage, StringRef outPath) {
  if (opts.optLevel > 2)
    return error("invalid optimisation level -O" + Twine(opts.optLevel) +
                 " (0-2)");
  unsigned bits = opts.cpu.vectorBits;
  if (bits && bits != 64 && bits != 128 && bits != 256 && bits != 512)
    return error("invalid --vector-bits=" + Twine(bits) +
                 " (64, 128, 256 or 512)");
  if (opts.cpu.gatesPerFunction == 0)
    return error("--gates-per-function must be positive");
  if (opts.cpu.convsPerLoop == 0)
    return error("--convs-per-loop must be at least 1");
  if (opts.keepBlocks && stage != Stage::MLIR && stage != Stage::LGN)
    return error("--keep-blocks needs --emit=mlir or --emit=lgn: every "
                 "later stage needs the blocks unrolled to gates");
  if (opts.blockLoops && opts.keepBlocks)
    return error("--blocks=loop and --keep-blocks: choose one");
  bool cpuStage = stage == Stage::LLVM || stage == Stage::Asm ||
                  stage == Stage::Obj || stage == Stage::SharedLib;
  if (opts.blockLoops && !(cpuStage || stage == Stage::MLIR))
    return error("--blocks=loop is for the CPU backend (--emit=llvm, asm, "
                 "obj, so) and --emit=mlir; --emit=" +
                 Twine(stageInfo(stage).name) + " needs unrolled blocks");
  if (opts.blockLoops && opts.viaLLVMDialect)
    return error("--blocks=loop emits LLVM IR directly; it does not go "
                 "through --via-llvm-dialect");
  bool toFile = !outPath.empty() && outPath != "-";
  if (stage == Stage::SharedLib && !toFile)
    return error("a shared library needs an output file (-o net.so)");
  if (stage == Stage::VerilogTestbench && !toFile)
    return error("a testbench needs an output file (-o net_tb.v)");
  if (stage == Stage::VerilogTestbench && opts.testbench.vectors == 0)
    return error("--tb-vectors must be positive");
  return success();
}

OwningOpRef<ModuleOp> Driver::load(StringRef path, bool mlir,
                                   llvm::SourceMgr &sourceMgr) {
  if (!mlir) {
    Net net;
    // Shared blocks stay blocks: the importer makes lgn.conv and
    // lgn.or_pool of them, which the pipeline folds and then unrolls.
    if (Status s = readNetFile(path.str(), net, /*keepBlocks=*/true); !s) {
      (void)report(s);
      return nullptr;
    }
    endStep("read");
    OwningOpRef<ModuleOp> module = importNet(net, &context, path);
    endStep("import");
    return module;
  }
  std::string message;
  auto file = openInputFile(path, &message);
  if (!file) {
    (void)error(message);
    return nullptr;
  }
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  endStep("parse");
  return module;
}

LogicalResult Driver::optimize(ModuleOp module) {
  PassManager pm(&context);
  if (opts.configurePasses && failed(opts.configurePasses(pm)))
    return failure();
  lgn::PipelineOptions pipeline;
  pipeline.optLevel = opts.optLevel;
  pipeline.printStats = opts.printStats;
  pipeline.unrollBlocks = !opts.keepBlocks && !opts.blockLoops;
  pipeline.optimizeAroundBlocks = opts.blockLoops;
  lgn::buildDefaultPipeline(pm, pipeline);
  // The pipeline's result is verified once; every pass's, on request.
  pm.enableVerifier(opts.verifyEach);
  if (failed(pm.run(module)) || failed(verify(module)))
    return failure();
  endStep("optimise");
  return success();
}

/// Renders a module in the LLVM (and NVVM) dialect as LLVM IR text or, with
/// `machineCode`, as assembly or an object for `tm`.
static LogicalResult renderLLVM(ModuleOp module, llvm::TargetMachine &tm,
                                bool machineCode, bool assembly,
                                std::string &out) {
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateToLLVMIR(module, llvmContext, tm);
  if (!llvmModule)
    return emitError(module.getLoc()) << "translation to LLVM IR failed";
  if (!machineCode) {
    llvm::raw_string_ostream os(out);
    llvmModule->print(os, nullptr);
    return success();
  }
  return emitMachineCode(*llvmModule, tm, assembly, out, module.getLoc());
}

static LogicalResult print(ModuleOp module, std::string &out) {
  llvm::raw_string_ostream os(out);
  module.print(os);
  return success();
}

LogicalResult Driver::convert(ModuleOp module, std::unique_ptr<Pass> pass) {
  PassManager pm(&context);
  pm.addPass(std::move(pass));
  return pm.run(module);
}

LogicalResult Driver::cpuStages(ModuleOp module, Stage stage, StringRef outPath,
                                std::string &out) {
  CPUTargetOptions target = opts.cpu;
  target.codegenLevel = opts.optLevel;
  Location loc = UnknownLoc::get(&context);
  std::unique_ptr<llvm::TargetMachine> tm = createCPUTargetMachine(target, loc);
  if (!tm)
    return failure();
  ConvertLGNToLLVMOptions lowering;
  lowering.vectorWords = chooseVectorWords(*tm, target);
  lowering.gatesPerFunction = target.gatesPerFunction;
  lowering.outputLocality = target.outputLocality;
  lowering.registerWindow = target.registerWindow;
  // The conversion pass evaluates a net in one part.
  lowering.partGates = opts.viaLLVMDialect ? 0 : target.partGates;
  lowering.countInCode = !opts.viaLLVMDialect && target.countInCode;
  lowering.prefetchCode = !opts.viaLLVMDialect && target.prefetchCode;
  lowering.frameInputs = !opts.viaLLVMDialect && target.frameInputs;
  lowering.convsPerLoop = target.convsPerLoop;
  lowering.interleaveLayerRows = target.interleaveLayerRows;
  lowering.ternaryLogic =
      target.ternaryLogic && hasTernaryLogic(*tm, lowering.vectorWords);
  std::string dir = opts.supportLibDir;
  if (stage == Stage::SharedLib && dir.empty())
    return error("the support library directory is not set");
  auto makeMachine = [&] { return createCPUTargetMachine(target, loc); };
  std::vector<std::string> objects;
  if (stage != Stage::LLVMMLIR && !opts.viaLLVMDialect) {
    // Straight to LLVM IR, in parallel for a library (EmitLLVMIR.h).
    FailureOr<lgn::NetOp> net = getSingleNet(module);
    if (failed(net) || failed(checkBlocksAheadOfGates(*net)))
      return failure();
    if (opts.printStats && lowering.partGates) {
      llvm::errs() << "parts: " << countNetParts(*net, lowering.partGates)
                   << " (independent nets evaluated one after the other, "
                      "parts of at least "
                   << lowering.partGates << " gates)\n";
    }
    if (stage != Stage::SharedLib) {
      llvm::LLVMContext llvmContext;
      std::unique_ptr<llvm::Module> llvmModule =
          emitNetModule(*net, lowering, *tm, llvmContext);
      endStep("lower to LLVM IR");
      if (stage == Stage::LLVM) {
        llvm::raw_string_ostream os(out);
        llvmModule->print(os, nullptr);
        return success();
      }
      if (failed(emitMachineCode(*llvmModule, *tm, stage == Stage::Asm, out,
                                 module.getLoc())))
        return failure();
      endStep("generate code");
      return success();
    }
    if (failed(emitNetObjects(*net, lowering, target.jobs, makeMachine, objects,
                              module.getLoc())))
      return failure();
    endStep(objects.size() == 1 ? "lower to LLVM IR and generate code"
                                : ("lower to LLVM IR and generate code (" +
                                   Twine(objects.size()) + " threads)")
                                      .str());
  } else {
    if (failed(convert(module, createConvertLGNToLLVM(lowering))))
      return failure();
    endStep("lower to LLVM dialect");
    if (stage == Stage::LLVMMLIR)
      return print(module, out);
    if (stage != Stage::SharedLib) {
      if (failed(renderLLVM(module, *tm, stage != Stage::LLVM,
                            stage == Stage::Asm, out)))
        return failure();
      endStep("translate and generate code");
      return success();
    }
    llvm::LLVMContext llvmContext;
    std::unique_ptr<llvm::Module> llvmModule =
        translateAndRelease(module, llvmContext, *tm);
    if (!llvmModule)
      return failure();
    if (failed(emitObjectsInParallel(std::move(llvmModule), *tm, target.jobs,
                                     makeMachine, objects, module.getLoc())))
      return failure();
    endStep(
        objects.size() == 1
            ? "generate code"
            : ("generate code (" + Twine(objects.size()) + " threads)").str());
  }
  if (failed(linkSharedLibrary(objects, outPath.str(),
                               supportLibraryFor(*tm, dir), loc)))
    return failure();
  endStep("link");
  return success();
}

std::unique_ptr<llvm::Module>
Driver::translateAndRelease(ModuleOp module, llvm::LLVMContext &llvmContext,
                            llvm::TargetMachine &tm) {
  std::unique_ptr<llvm::Module> llvmModule =
      translateToLLVMIR(module, llvmContext, tm);
  if (!llvmModule) {
    emitError(module.getLoc()) << "translation to LLVM IR failed";
    return nullptr;
  }
  // Nothing reads the lowered module again; big nets need the memory.
  module.getBody()->clear();
  endStep("translate to LLVM IR");
  return llvmModule;
}

LogicalResult Driver::lowerToNVVM(ModuleOp module) {
  ConvertLGNToNVVMOptions lowering;
  lowering.gatesPerFunction = opts.cpu.gatesPerFunction;
  lowering.outputLocality = opts.gpuOutputLocality;
  lowering.rematDepth = opts.gpuRematDepth;
  lowering.rematInputs = opts.gpuRematInputs;
  lowering.registerWindow = opts.gpuRegisterWindow;
  lowering.blockKernel = opts.gpuBlockKernel;
  lowering.blockWords = opts.gpuBlockWords;
  lowering.blockUnroll = opts.gpuBlockUnroll;
  lowering.blockThreads = opts.gpuBlockThreads;
  lowering.blockInterleaveWords = opts.gpuBlockInterleave;
  lowering.blockFuseGates = opts.gpuBlockFuse;
  lowering.blockThreadRuns = opts.gpuBlockThreadRuns;
  lowering.blockBalanceLevels = opts.gpuBlockBalanceLevels;
  lowering.bothKernels = opts.gpuBothKernels;
  lowering.blockWordArgmax = opts.gpuBlockWordArgmax;
  lowering.blockU8 = opts.gpuBlockU8;
  lowering.blockU8Prefetch = opts.gpuBlockU8Prefetch;
  lowering.blockTableShared = opts.gpuBlockTableShared;
  lowering.blockRowsPrefetch = opts.gpuBlockRowsPrefetch;
  lowering.blockPrefetch = opts.gpuBlockPrefetch;
  lowering.blockWordBits = opts.gpuBlockWordBits;
  lowering.threadWordBits = opts.gpuThreadWordBits;
  lowering.readOnlyInputs = opts.gpuReadOnlyInputs;
  lowering.prefetchDistance = opts.gpuPrefetchDistance;
  lowering.prefetchLevel = opts.gpuPrefetchLevel;
  lowering.countInCode = opts.gpuCountInCode;
  lowering.lop3Adders = opts.gpuLop3Adders;
  lowering.packTiled = opts.gpuPackTiled;
  lowering.packTiledWords = opts.gpuPackWords;
  lowering.packBitsWords = opts.gpuPackBitsWords;
  lowering.blockSharedTarget = opts.gpuBlockShared;
  if (failed(convert(module, createConvertLGNToNVVM(lowering))))
    return failure();
  endStep("lower to NVVM");
  return success();
}

LogicalResult Driver::gpuStages(ModuleOp module, Stage stage,
                                std::string &out) {
  std::unique_ptr<llvm::TargetMachine> tm = createNVPTXTargetMachine(
      opts.gpuArch, opts.ptxFeatures, UnknownLoc::get(&context), opts.ptxLevel);
  if (!tm)
    return failure();
  if (failed(lowerToNVVM(module)))
    return failure();
  if (stage == Stage::GPUMLIR)
    return print(module, out);
  if (failed(
          renderLLVM(module, *tm, stage == Stage::PTX, /*assembly=*/true, out)))
    return failure();
  endStep("translate and generate PTX");
  return success();
}

LogicalResult Driver::gpuBinary(ModuleOp module, Stage stage,
                                std::string &out) {
  Location loc = UnknownLoc::get(&context);
  SmallVector<std::string> archs;
  for (StringRef arch : llvm::split(opts.gpuArch, ','))
    archs.push_back(arch.trim().str());
  if (stage == Stage::Cubin && archs.size() != 1)
    return error("--emit=cubin is for one architecture (--gpu-arch=" +
                 opts.gpuArch + "); use --emit=fatbin for several");
  // Everything that can fail early does, before minutes of compilation.
  FailureOr<CudaToolkit> toolkit = findCudaToolkit(opts.cudaPath, loc);
  if (failed(toolkit))
    return failure();
  std::vector<std::unique_ptr<llvm::TargetMachine>> machines;
  for (const std::string &arch : archs) {
    machines.push_back(
        createNVPTXTargetMachine(arch, opts.ptxFeatures, loc, opts.ptxLevel));
    if (!machines.back())
      return failure();
  }
  if (failed(lowerToNVVM(module)))
    return failure();
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateAndRelease(module, llvmContext, *machines[0]);
  if (!llvmModule)
    return failure();
  CubinOptions cubinOptions;
  // The block kernel is a few small functions, the phases one of them:
  // one part, so that ptxas inlines them into lgc_net instead of calling
  // across parts (which costs a call per phase and spills at each; 6x8000:
  // 64 bytes of stack and spills in the phase function).
  // (With both kernels the phase function stays in part 0 beside
  // lgc_net_block, and the thread kernel's gate functions spread.)
  cubinOptions.jobs =
      opts.gpuBlockKernel && !opts.gpuBothKernels ? 1 : opts.cpu.jobs;
  cubinOptions.ptxasLevel = opts.ptxasLevel;
  cubinOptions.ptxasKernelLevel = opts.ptxasKernelLevel;
  cubinOptions.ptxasArgs = opts.ptxasArgs;
  std::vector<std::string> cubins(archs.size());
  for (size_t i = 0; i < archs.size(); ++i) {
    // The last architecture takes the module itself, the others a copy.
    std::unique_ptr<llvm::Module> part = i + 1 < archs.size()
                                             ? llvm::CloneModule(*llvmModule)
                                             : std::move(llvmModule);
    const std::string &arch = archs[i];
    std::string log;
    LogicalResult result = emitCubin(
        std::move(part), *machines[i],
        [&] {
          return createNVPTXTargetMachine(arch, opts.ptxFeatures, loc,
                                          opts.ptxLevel);
        },
        *toolkit, cubinOptions, cubins[i], log, module.getLoc());
    if (opts.toolLog)
      *opts.toolLog << log;
    if (failed(result))
      return failure();
    endStep("generate PTX and assemble (" + arch + ")");
  }
  if (stage == Stage::Cubin) {
    out = std::move(cubins[0]);
    return success();
  }
  if (failed(createFatbin(*toolkit, archs, cubins, out, loc)))
    return failure();
  endStep("fatbinary");
  return success();
}

LogicalResult Driver::testbench(lgn::NetOp net, const Net &reference,
                                const VerilogOptions &verilog,
                                StringRef outPath, std::string &out) {
  const TestbenchOptions &tb = opts.testbench;
  std::vector<uint64_t> words;
  size_t n = tb.vectors;
  if (!tb.data.empty()) {
    Dataset data;
    if (Status s = loadDataset(tb.data, "test", data); !s)
      return report(s);
    if (data.numFeatures != reference.numFeatures)
      return error("the net reads " + Twine(reference.numFeatures) +
                   " features, " + data.name + " has " +
                   Twine(data.numFeatures));
    n = std::min<size_t>(n, data.size());
    words = data.pixels.empty()
                ? packFeatures(reference, data.features.data(), n)
                : packFeaturesU8(reference, data.pixels.data(), n);
  } else {
    Rng rng(tb.seed);
    words.resize(numBlocks(n) * reference.numInputs);
    for (uint64_t &w : words)
      w = rng.next();
  }
  std::string hexPath =
      tb.hexPath.empty() ? (outPath + ".hex").str() : tb.hexPath;
  std::string hex;
  llvm::raw_string_ostream os(out);
  if (failed(exportVerilogTestbench(net, reference, verilog, words, n, hexPath,
                                    os, hex)))
    return failure();
  if (Status s = writeFileAtomic(hexPath, hex); !s)
    return report(s);
  return success();
}

/// The gates `net` has once its blocks are unrolled as written, before any
/// folding (padding's constants not counted), and whether it has blocks.
static uint64_t unrolledGates(lgn::NetOp net, bool &hasBlocks) {
  uint64_t gates = 0;
  hasBlocks = false;
  for (Operation &op : net.getBody().front()) {
    if (auto conv = dyn_cast<lgn::ConvOp>(op)) {
      uint64_t body = 0;
      conv.getBody().walk([&](lgn::GateOp) { ++body; });
      gates += body * conv.getResults().size();
      hasBlocks = true;
    } else if (auto pool = dyn_cast<lgn::OrPoolOp>(op)) {
      uint64_t k = pool.getKernel();
      gates += (k * k - 1) * pool.getResults().size();
      hasBlocks = true;
    } else if (isa<lgn::GateOp>(op)) {
      ++gates;
    }
  }
  return gates;
}

LogicalResult Driver::compile(ModuleOp module, Stage stage, StringRef outPath,
                              std::string &out) {
  FailureOr<lgn::NetOp> single = getSingleNet(module);
  if (failed(validate(stage, outPath)) || failed(single))
    return failure();
  // The passes run on the net itself (nested on lgn.net), so this handle
  // stays valid through optimisation.
  lgn::NetOp net = *single;
  bool cpuStage = stage == Stage::LLVM || stage == Stage::Asm ||
                  stage == Stage::Obj || stage == Stage::SharedLib;
  if (!opts.blockLoops && opts.autoLoopGates && cpuStage && !opts.keepBlocks &&
      !opts.viaLLVMDialect) {
    bool hasBlocks = false;
    uint64_t gates = unrolledGates(net, hasBlocks);
    opts.blockLoops = hasBlocks && gates > opts.autoLoopGates;
    if (hasBlocks && opts.printStats)
      llvm::errs() << "blocks: " << (opts.blockLoops ? "loops" : "unrolled")
                   << " (" << gates
                   << " gates unrolled as written; loops above "
                   << opts.autoLoopGates << ")\n";
  }
  // The testbench's reference is the net as read, before optimisation, so
  // the simulation also checks the optimiser.
  Net reference;
  if (stage == Stage::VerilogTestbench && failed(exportNet(net, reference)))
    return failure();
  // The Verilog parts are found before optimisation: once the blocks are
  // unrolled, structural hashing merges the members' equal gates.
  VerilogOptions verilog = opts.verilog;
  if ((stage == Stage::Verilog || stage == Stage::VerilogTestbench) &&
      verilog.partGates && verilog.outputParts.empty()) {
    SmallVector<unsigned> outputPart;
    unsigned parts = findNetParts(net, verilog.partGates, outputPart);
    // One part stays one module: the export need not look for parts again
    // on the optimised net.
    if (parts > 1)
      verilog.outputParts.assign(outputPart.begin(), outputPart.end());
    else
      verilog.partGates = 0;
    if (opts.printStats)
      llvm::errs() << "parts: " << parts
                   << " (Verilog modules of independent nets, parts of at "
                      "least "
                   << verilog.partGates << " gates)\n";
  }
  std::optional<lgn::NetStats> before;
  if (!opts.statsJson.empty())
    before = lgn::computeNetStats(net);
  if (failed(optimize(module)))
    return failure();
  if (before) {
    llvm::json::Object stats{
        {"net", net.getSymName()},
        {"opt_level", int64_t(opts.optLevel)},
        {"before", lgn::netStatsToJSON(*before)},
        {"after", lgn::netStatsToJSON(lgn::computeNetStats(net))}};
    std::string text;
    llvm::raw_string_ostream os(text);
    os << llvm::formatv("{0:2}", llvm::json::Value(std::move(stats))) << "\n";
    if (Status s = writeFileAtomic(opts.statsJson, os.str()); !s)
      return report(s);
  }
  switch (stage) {
  case Stage::LGN: {
    Net result;
    if (failed(exportNet(net, result)))
      return failure();
    out = writeNet(result);
    return success();
  }
  case Stage::MLIR:
    return print(module, out);
  case Stage::LLVMMLIR:
  case Stage::LLVM:
  case Stage::Asm:
  case Stage::Obj:
  case Stage::SharedLib:
    return cpuStages(module, stage, outPath, out);
  case Stage::GPUMLIR:
  case Stage::GPULLVM:
  case Stage::PTX:
    return gpuStages(module, stage, out);
  case Stage::Cubin:
  case Stage::Fatbin:
    return gpuBinary(module, stage, out);
  case Stage::Verilog: {
    llvm::raw_string_ostream os(out);
    return exportVerilog(net, verilog, os);
  }
  case Stage::VerilogTestbench:
    return testbench(net, reference, verilog, outPath, out);
  case Stage::C: {
    llvm::raw_string_ostream os(out);
    return exportC(net, opts.cpu.gatesPerFunction, os);
  }
  }
  llvm_unreachable("every stage is handled");
}

LogicalResult Driver::run(ModuleOp module, Stage stage, StringRef outPath) {
  // An output that cannot be written is reported before the compilation
  // (minutes for a big net), not after it.
  if (!outPath.empty() && outPath != "-") {
    StringRef dir = llvm::sys::path::parent_path(outPath);
    if (dir.empty())
      dir = ".";
    if (!llvm::sys::fs::is_directory(dir))
      return report(Status::errorAt(
          outPath.str(), "cannot create file: no directory " + dir.str()));
    if (llvm::sys::fs::access(dir, llvm::sys::fs::AccessMode::Write))
      return report(
          Status::errorAt(outPath.str(), "cannot create file: " + dir.str() +
                                             " is not writable"));
  }
  std::string out;
  if (failed(compile(module, stage, outPath, out)))
    return failure();
  // The shared library stage links straight into its output.
  if (stage == Stage::SharedLib)
    return success();
  std::string path = outPath.empty() ? "-" : outPath.str();
  if (Status s = writeFileAtomic(path, out); !s)
    return report(s);
  endStep("write");
  return success();
}
