//===- lgc.cpp - The lgc compiler driver ----------------------------------===//
//
// Part of lgc. Reads a net (.lgn, or .mlir holding one lgn.net), runs the
// optimisation pipeline and emits the requested form:
//   lgc net.lgn --emit=mlir -o net.mlir
//   lgc net.lgn -O2 --emit=lgn -o small.lgn
//
//===----------------------------------------------------------------------===//

#include "lgc/Compiler/LGNImportExport.h"
#include "lgc/Dialect/LGN/Passes.h"
#include "lgc/Runtime/Dataset.h"
#include "lgc/Runtime/FileUtil.h"
#include "lgc/Runtime/Format.h"
#include "lgc/Runtime/Generate.h"
#include "lgc/Runtime/Interpreter.h"
#include "lgc/Target/CPU/CPUTarget.h"
#include "lgc/Target/GPU/GPUTarget.h"
#include "lgc/Target/Verilog/ExportVerilog.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
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
enum class Emit {
  None,
  LGN,
  MLIR,
  LLVMDialect,
  LLVM,
  Asm,
  Obj,
  SharedLib,
  Verilog,
  VerilogTestbench,
  GPUMLIR,
  GPULLVM,
  PTX
};
enum class InputKind { Auto, LGN, MLIR };
} // namespace

static cl::OptionCategory lgcCategory("lgc options");

static cl::opt<std::string> inputFile(cl::Positional,
                                      cl::desc("<input .lgn|.mlir>"),
                                      cl::init("-"), cl::cat(lgcCategory));
static cl::opt<std::string> outputFile("o", cl::desc("Output file"),
                                       cl::value_desc("file"), cl::init(""),
                                       cl::cat(lgcCategory));
static cl::opt<Emit> emitKind(
    "emit", cl::desc("What to write (default: from the -o extension)"),
    cl::init(Emit::None),
    cl::values(clEnumValN(Emit::LGN, "lgn", "the optimised net as .lgn"),
               clEnumValN(Emit::MLIR, "mlir", "the optimised lgn dialect"),
               clEnumValN(Emit::LLVMDialect, "llvm-mlir",
                          "the net lowered to MLIR's LLVM dialect"),
               clEnumValN(Emit::LLVM, "llvm", "LLVM IR"),
               clEnumValN(Emit::Asm, "asm", "assembly for the CPU"),
               clEnumValN(Emit::Obj, "obj", "an object file"),
               clEnumValN(Emit::SharedLib, "so",
                          "a shared library with the lgc_net C ABI"),
               clEnumValN(Emit::Verilog, "verilog", "a Verilog-2005 module"),
               clEnumValN(Emit::VerilogTestbench, "verilog-testbench",
                          "a self-checking testbench for --emit=verilog with "
                          "the same flags, and its vectors (--tb-hex)"),
               clEnumValN(Emit::GPUMLIR, "gpu-mlir",
                          "the GPU kernels in the LLVM and NVVM dialects"),
               clEnumValN(Emit::GPULLVM, "gpu-llvm",
                          "the GPU kernels as LLVM IR"),
               clEnumValN(Emit::PTX, "ptx", "PTX for the CUDA driver")),
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
static cl::opt<bool>
    printStats("print-stats",
               cl::desc("Print gate statistics before and after"),
               cl::init(false), cl::cat(lgcCategory));

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
    cl::init(3000), cl::cat(lgcCategory));
static cl::opt<bool> machineScheduler(
    "machine-scheduler",
    cl::desc("Run LLVM's machine instruction scheduler (slower compiles)"),
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

static cl::opt<std::string> gpuArch("gpu-arch",
                                    cl::desc("GPU architecture for --emit=ptx"),
                                    cl::init("sm_90"), cl::cat(lgcCategory));
static cl::opt<std::string>
    ptxFeatures("ptx-features",
                cl::desc("NVPTX features, e.g. +ptx80 (default: LLVM's)"),
                cl::init(""), cl::cat(lgcCategory));

static bool endsWith(StringRef s, StringRef suffix) {
  return s.ends_with(suffix);
}

static int fail(const Twine &msg) {
  WithColor::error(errs(), "lgc") << msg << "\n";
  return 1;
}

/// Translates a module in the LLVM (and NVVM) dialect for `tm` and renders it
/// as LLVM IR text, or else as assembly or an object.
static bool renderLLVM(ModuleOp module, TargetMachine &tm, bool llvmIR,
                       bool assembly, std::string &text, std::string &error) {
  LLVMContext llvmContext;
  std::unique_ptr<Module> llvmModule =
      lgc::translateToLLVMIR(module, llvmContext, tm);
  if (!llvmModule) {
    error = "translation to LLVM IR failed";
    return false;
  }
  if (llvmIR) {
    raw_string_ostream os(text);
    llvmModule->print(os, nullptr);
    return true;
  }
  return lgc::emitMachineCode(*llvmModule, tm, assembly, text, error);
}

int main(int argc, char **argv) {
  InitLLVM y(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  cl::HideUnrelatedOptions(lgcCategory);
  cl::ParseCommandLineOptions(argc, argv, "lgc: logic gate network compiler\n");

  if (optLevel > 2)
    return fail("invalid optimisation level -O" + Twine(optLevel) + " (0-2)");
  Emit emit = emitKind;
  if (emit == Emit::None) {
    static const std::pair<const char *, Emit> byExtension[] = {
        {".lgn", Emit::LGN},   {".mlir", Emit::MLIR}, {".so", Emit::SharedLib},
        {".o", Emit::Obj},     {".ll", Emit::LLVM},   {".s", Emit::Asm},
        {".v", Emit::Verilog}, {".ptx", Emit::PTX}};
    for (const auto &[extension, kind] : byExtension)
      if (endsWith(outputFile, extension))
        emit = kind;
    if (emit == Emit::None)
      return fail(
          "cannot infer the output kind from '" + outputFile +
          "'; give --emit=lgn|mlir|llvm-mlir|llvm|asm|obj|so|verilog|ptx");
  }
  if (vectorBits && vectorBits != 64 && vectorBits != 128 &&
      vectorBits != 256 && vectorBits != 512)
    return fail("invalid --vector-bits=" + Twine(vectorBits) +
                " (64, 128, 256 or 512)");
  if (gatesPerFunction == 0)
    return fail("--gates-per-function must be positive");
  if (emit == Emit::SharedLib && outputFile.empty())
    return fail("a shared library needs an output file (-o net.so)");
  lgc::VerilogOptions verilog;
  verilog.pipeline = pipelineLevels;
  verilog.moduleName = verilogModule;
  verilog.emitCounts = verilog.emitClass = false;
  for (StringRef part : llvm::split(StringRef(verilogOutputs), ',')) {
    if (part == "counts")
      verilog.emitCounts = true;
    else if (part == "class")
      verilog.emitClass = true;
    else
      return fail("invalid --verilog-outputs entry '" + part +
                  "' (counts, class)");
  }
  if (emit == Emit::VerilogTestbench && outputFile.empty())
    return fail("a testbench needs an output file (-o net_tb.v)");
  if (emit == Emit::VerilogTestbench && tbVectors == 0)
    return fail("--tb-vectors must be positive");
  std::string out = outputFile.empty() ? "-" : outputFile.getValue();
  InputKind kind = inputKind;
  if (kind == InputKind::Auto)
    kind = endsWith(inputFile, ".mlir") ? InputKind::MLIR : InputKind::LGN;

  MLIRContext context;
  context.getOrLoadDialect<lgc::lgn::LGNDialect>();
  SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module;
  if (kind == InputKind::LGN) {
    lgc::Net net;
    if (lgc::Status s = lgc::readNetFile(inputFile, net); !s) {
      errs() << s.message() << "\n";
      return 1;
    }
    module = lgc::importNet(net, &context, inputFile);
  } else {
    std::string errorMessage;
    auto file = openInputFile(inputFile, &errorMessage);
    if (!file)
      return fail(errorMessage);
    sourceMgr.AddNewSourceBuffer(std::move(file), SMLoc());
    module = parseSourceFile<ModuleOp>(sourceMgr, &context);
    if (!module)
      return 1;
  }
  FailureOr<lgc::lgn::NetOp> netOp = lgc::getSingleNet(*module);
  if (failed(netOp))
    return 1;

  // The reference for testbenches: the net as read, before optimisation, so
  // the simulation also checks the optimiser.
  lgc::Net reference;
  if (emit == Emit::VerilogTestbench &&
      failed(lgc::exportNet(*netOp, reference)))
    return 1;

  mlir::PassManager pm(&context);
  if (failed(applyPassManagerCLOptions(pm)))
    return fail("invalid pass manager options");
  applyDefaultTimingPassManagerCLOptions(pm);
  lgc::lgn::PipelineOptions pipeline;
  pipeline.optLevel = optLevel;
  pipeline.printStats = printStats;
  lgc::lgn::buildDefaultPipeline(pm, pipeline);
  if (failed(pm.run(*module)))
    return 1;

  std::string text;
  if (emit == Emit::MLIR) {
    raw_string_ostream os(text);
    module->print(os);
  } else if (emit == Emit::GPUMLIR || emit == Emit::GPULLVM ||
             emit == Emit::PTX) {
    std::string error;
    std::unique_ptr<TargetMachine> tm =
        lgc::createNVPTXTargetMachine(gpuArch, ptxFeatures, error);
    if (!tm)
      return fail(error);
    if (failed(lgc::lowerToNVVM(*module, gatesPerFunction, /*hostMode=*/false)))
      return 1;
    if (emit == Emit::GPUMLIR) {
      raw_string_ostream os(text);
      module->print(os);
    } else if (!renderLLVM(*module, *tm, emit == Emit::GPULLVM,
                           /*assembly=*/true, text, error)) {
      return fail(error);
    }
  } else if (emit == Emit::Verilog) {
    raw_string_ostream os(text);
    if (failed(lgc::exportVerilog(*netOp, verilog, os)))
      return 1;
  } else if (emit == Emit::VerilogTestbench) {
    std::vector<uint64_t> words;
    size_t n = tbVectors;
    if (!tbData.empty()) {
      lgc::Dataset data;
      if (lgc::Status s = lgc::loadDataset(tbData, "test", data); !s)
        return fail(s.message());
      if (data.numFeatures != reference.numFeatures)
        return fail("the net reads " + Twine(reference.numFeatures) +
                    " features, " + data.name + " has " +
                    Twine(data.numFeatures));
      n = std::min<size_t>(n, data.size());
      words = data.pixels.empty()
                  ? lgc::packFeatures(reference, data.features.data(), n)
                  : lgc::packFeaturesU8(reference, data.pixels.data(), n);
    } else {
      lgc::Rng rng(tbSeed);
      words.resize(lgc::numBlocks(n) * reference.numInputs);
      for (uint64_t &w : words)
        w = rng.next();
    }
    std::string hexPath = tbHex.empty() ? out + ".hex" : tbHex.getValue();
    std::string hex;
    raw_string_ostream os(text);
    if (failed(lgc::exportVerilogTestbench(*netOp, reference, verilog, words, n,
                                           hexPath, os, hex)))
      return 1;
    if (lgc::Status s = lgc::writeFileAtomic(hexPath, hex); !s) {
      errs() << s.message() << "\n";
      return 1;
    }
  } else if (emit == Emit::LGN) {
    lgc::Net result;
    if (failed(lgc::exportNet(*netOp, result)))
      return 1;
    text = lgc::writeNet(result);
  } else {
    lgc::CPUTargetOptions target;
    target.cpu = mcpu;
    target.features = mattr;
    target.vectorBits = vectorBits;
    target.codegenLevel = optLevel;
    target.gatesPerFunction = gatesPerFunction;
    target.machineScheduler = machineScheduler;
    std::string error;
    std::unique_ptr<TargetMachine> tm =
        lgc::createCPUTargetMachine(target, error);
    if (!tm)
      return fail(error);
    unsigned words = lgc::chooseVectorWords(*tm, target);
    if (failed(lgc::lowerToLLVMDialect(*module, words, gatesPerFunction)))
      return 1;
    if (emit == Emit::LLVMDialect) {
      raw_string_ostream os(text);
      module->print(os);
    } else {
      if (!renderLLVM(*module, *tm, emit == Emit::LLVM, emit == Emit::Asm, text,
                      error))
        return fail(error);
      if (emit == Emit::SharedLib) {
        std::string dir = supportLibDir.empty()
                              ? lgc::defaultSupportLibraryDir(
                                    argv[0], reinterpret_cast<void *>(&fail))
                              : supportLibDir.getValue();
        if (!lgc::linkSharedLibrary(text, out, lgc::supportLibraryFor(*tm, dir),
                                    error))
          return fail(error);
        return 0;
      }
    }
  }
  if (lgc::Status s = lgc::writeFileAtomic(out, text); !s) {
    errs() << s.message() << "\n";
    return 1;
  }
  return 0;
}
