//===- CPUTarget.cpp - From lowered LLVM dialect to net.so ----------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Target/CPU/CPUTarget.h"
#include "lgc/Runtime/GeneratedABI.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/Transforms/IPO/AlwaysInliner.h"
#include "llvm/Transforms/Utils/Cloning.h"

using namespace mlir;
using namespace lgc;

/// The most operands of a token factor LLVM's DAG combiner merges into
/// another (its option combiner-tokenfactor-inline-limit).
constexpr unsigned kTokenFactorInlineLimit = 64;

/// Sets one of LLVM's global code generation options (llc's flags). The
/// position is non-zero because some passes (the post-RA scheduler) only
/// let an option override the subtarget's choice when it has a position.
static void setLLVMOption(llvm::StringRef name, llvm::StringRef value) {
  llvm::StringMap<llvm::cl::Option *> &options =
      llvm::cl::getRegisteredOptions();
  if (llvm::cl::Option *option = options.lookup(name))
    option->addOccurrence(/*pos=*/1, name, value);
}

const llvm::Target *lgc::lookupTarget(const std::string &triple,
                                      const std::string &cpu, Location loc,
                                      const llvm::Twine &what) {
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target) {
    emitError(loc) << error;
    return nullptr;
  }
  // Probe with the default CPU: a subtarget made for an unknown one prints
  // LLVM's own warning to stderr before the diagnostic below.
  std::unique_ptr<llvm::MCSubtargetInfo> probe(
      target->createMCSubtargetInfo(triple, "", ""));
  if (!probe || !probe->isCPUStringValid(cpu)) {
    emitError(loc) << what;
    return nullptr;
  }
  return target;
}

std::unique_ptr<llvm::TargetMachine>
lgc::createCPUTargetMachine(const CPUTargetOptions &opts, Location loc) {
  setLLVMOption("enable-misched", opts.machineScheduler ? "true" : "false");
  setLLVMOption("post-RA-scheduler", opts.postRAScheduler ? "true" : "false");
  // The DAG combiner merges the token factors that chain a block's memory
  // operations, at a cost quadratic in their operands (up to 2,048 by
  // default); a gate function loads hundreds of values between two stores.
  // On 784-6x8000 with outputs visited for locality one function's
  // combining took 1.86 s at the default and 0.08 s at 8 (llc -O2, AVX2),
  // and the .so of 6x8000 and 6x64000 come out byte-identical at 64, in
  // 1.85 instead of 2.49 s and 14.1 instead of 15.7 s (docs/cpu-backend.md).
  setLLVMOption("combiner-tokenfactor-inline-limit",
                std::to_string(kTokenFactorInlineLimit));
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  std::string triple = llvm::sys::getDefaultTargetTriple();
  std::string cpu = opts.cpu;
  std::string features;
  if (cpu == "native") {
    cpu = llvm::sys::getHostCPUName().str();
    for (const auto &[name, enabled] : llvm::sys::getHostCPUFeatures())
      features += (features.empty() ? "" : ",") +
                  std::string(enabled ? "+" : "-") + name.str();
  }
  if (!opts.features.empty())
    features += (features.empty() ? "" : ",") + opts.features;
  const llvm::Target *target = lookupTarget(
      triple, cpu, loc, "unknown CPU '" + opts.cpu + "' for " + triple);
  if (!target)
    return nullptr;
  llvm::CodeGenOptLevel level =
      opts.codegenLevel == 0   ? llvm::CodeGenOptLevel::None
      : opts.codegenLevel == 1 ? llvm::CodeGenOptLevel::Less
      : opts.codegenLevel == 2 ? llvm::CodeGenOptLevel::Default
                               : llvm::CodeGenOptLevel::Aggressive;
  llvm::TargetOptions to;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, cpu, features, to, llvm::Reloc::PIC_, std::nullopt, level));
  if (!tm)
    emitError(loc) << "cannot create a target machine for " << triple;
  return tm;
}

unsigned lgc::chooseVectorWords(const llvm::TargetMachine &tm,
                                const CPUTargetOptions &opts) {
  if (opts.vectorBits)
    return std::max(1u, opts.vectorBits / 64);
  const llvm::MCSubtargetInfo *sti = tm.getMCSubtargetInfo();
  auto has = [&](const char *feature) {
    return sti->checkFeatures(std::string("+") + feature);
  };
  if (tm.getTargetTriple().isX86()) {
    if (has("avx512f") && has("evex512"))
      return 8;
    if (has("avx2"))
      return 4;
    return 2; // SSE2 is part of x86-64
  }
  if (tm.getTargetTriple().isAArch64())
    return 2;
  return 1;
}

bool lgc::hasTernaryLogic(const llvm::TargetMachine &tm, unsigned vectorWords) {
  const llvm::MCSubtargetInfo *sti = tm.getMCSubtargetInfo();
  if (!tm.getTargetTriple().isX86() || !sti->checkFeatures("+avx512f"))
    return false;
  if (vectorWords == 8)
    return sti->checkFeatures("+evex512");
  return (vectorWords == 4 || vectorWords == 2) &&
         sti->checkFeatures("+avx512vl");
}

std::unique_ptr<llvm::Module> lgc::translateToLLVMIR(ModuleOp module,
                                                     llvm::LLVMContext &context,
                                                     llvm::TargetMachine &tm) {
  // NVVM too, so the GPU kernels translate through the same function.
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerNVVMDialectTranslation(registry);
  module.getContext()->appendDialectRegistry(registry);
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, context, "net");
  if (!llvmModule)
    return nullptr;
  llvmModule->setDataLayout(tm.createDataLayout());
  llvmModule->setTargetTriple(tm.getTargetTriple().str());
  return llvmModule;
}

bool lgc::generateCode(llvm::Module &module, llvm::TargetMachine &tm,
                       llvm::CodeGenFileType type, std::string &out) {
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager pm;
  // Functions marked alwaysinline (the GPU block kernel's phases beside the
  // thread kernel, whose relocatable parts ptxas does not inline across
  // functions) go into their callers first; code generation alone would
  // keep the call.
  pm.add(llvm::createAlwaysInlinerLegacyPass());
  if (tm.addPassesToEmitFile(pm, os, nullptr, type))
    return false;
  pm.run(module);
  out.assign(buffer.begin(), buffer.end());
  return true;
}

LogicalResult lgc::emitMachineCode(llvm::Module &module,
                                   llvm::TargetMachine &tm, bool assembly,
                                   std::string &out, Location loc) {
  if (!generateCode(module, tm,
                    assembly ? llvm::CodeGenFileType::AssemblyFile
                             : llvm::CodeGenFileType::ObjectFile,
                    out))
    return emitError(loc) << "the target cannot emit this file type";
  return success();
}

/// The gate functions, which the parts share out: the module's defined
/// functions of local linkage (the entry point and the tables are external)
/// named as the lowerings name their gate, count and block functions
/// (GeneratedABI.h). Any other function (the GPU kernels' own: the block
/// kernel's phases, its u8 form's phase 0 and pixel prefetch, the thread
/// kernel's loop over the gate functions, the packing kernels' bodies)
/// stays in part 0 with the kernels that call it, where it is inlined and
/// assembled at the kernels' level (CubinOptions). A call across parts
/// spills at every phase, and relocatable code took the block kernels from
/// 79 registers to 128; nvlink refuses a call from a kernel of fewer
/// registers than its callee's. By name rather than by exception, so that
/// a new helper of a kernel cannot leave part 0 unnoticed.
static bool isGateFunction(const llvm::Function &f) {
  if (f.isDeclaration() || !f.hasLocalLinkage())
    return false;
  llvm::StringRef name = f.getName();
  return llvm::any_of(
      std::initializer_list<const char *>{
          lgc::abi::kCpuGatesFunction, lgc::abi::kCpuBlockFunction,
          lgc::abi::kCpuCountFunction, lgc::abi::kGpuGatesFunction,
          lgc::abi::kGpuCountFunction},
      [&](const char *prefix) { return name.starts_with(prefix); });
}

unsigned lgc::partCount(unsigned jobs, size_t units) {
  if (!jobs)
    jobs = unsigned(llvm::hardware_concurrency().compute_thread_count());
  return unsigned(std::max<size_t>(1, std::min<size_t>(jobs, units)));
}

std::vector<unsigned> lgc::spreadBySize(llvm::ArrayRef<size_t> sizes,
                                        unsigned parts) {
  std::vector<unsigned> order(sizes.size()), owner(sizes.size(), 0);
  for (unsigned i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](unsigned a, unsigned b) { return sizes[a] > sizes[b]; });
  std::vector<size_t> load(parts, 0);
  for (unsigned i : order) {
    unsigned best =
        unsigned(std::min_element(load.begin(), load.end()) - load.begin());
    owner[i] = best;
    load[best] += sizes[i];
  }
  return owner;
}

void lgc::runParts(unsigned parts, llvm::function_ref<void(unsigned)> fn) {
  if (parts == 1)
    return fn(0);
  llvm::DefaultThreadPool pool(llvm::hardware_concurrency(parts));
  for (unsigned p = 0; p < parts; ++p)
    pool.async([fn, p] { fn(p); });
  pool.wait();
}

/// The part of the module each function definition goes to: gate
/// functions (the bulk of the code) are spread over `parts` parts by size,
/// numbered from `first`; everything else stays in part 0.
static llvm::DenseMap<const llvm::GlobalValue *, unsigned>
assignParts(llvm::Module &module, unsigned parts, unsigned first) {
  std::vector<llvm::Function *> gates;
  std::vector<size_t> sizes;
  for (llvm::Function &f : module)
    if (isGateFunction(f)) {
      gates.push_back(&f);
      sizes.push_back(f.getInstructionCount());
    }
  std::vector<unsigned> part = spreadBySize(sizes, parts);
  llvm::DenseMap<const llvm::GlobalValue *, unsigned> owner;
  for (size_t i = 0; i < gates.size(); ++i)
    owner[gates[i]] = first + part[i];
  return owner;
}

LogicalResult lgc::emitObjectsInParallel(
    std::unique_ptr<llvm::Module> owned, llvm::TargetMachine &tm, unsigned jobs,
    llvm::function_ref<std::unique_ptr<llvm::TargetMachine>()> makeMachine,
    std::vector<std::string> &objects, Location loc, llvm::CodeGenFileType type,
    FinishPart finish, bool gatesApart) {
  llvm::Module &module = *owned;
  // One part per thread, but never more parts than gate functions; apart,
  // one more for the rest.
  size_t gateFunctions = llvm::count_if(module, isGateFunction);
  unsigned gateParts = partCount(jobs, gateFunctions);
  unsigned first = gatesApart && gateFunctions ? 1 : 0;
  unsigned parts = first + gateParts;
  if (parts == 1) {
    objects.resize(1);
    if (!generateCode(module, tm, type, objects[0]))
      return emitError(loc) << "the target cannot emit this file type";
    if (finish)
      if (std::string error = finish(0, 1, objects[0]); !error.empty())
        return emitError(loc) << error;
    return success();
  }
  // A target machine per thread, made here: making one sets LLVM's global
  // options, which the threads read.
  std::vector<std::unique_ptr<llvm::TargetMachine>> more;
  std::vector<llvm::TargetMachine *> machines = {&tm};
  for (unsigned p = 1; p < parts; ++p) {
    more.push_back(makeMachine());
    if (!more.back())
      return failure();
    machines.push_back(more.back().get());
  }
  llvm::DenseMap<const llvm::GlobalValue *, unsigned> owner =
      assignParts(module, gateParts, first);
  // A function called from another part must be visible to the linker, but
  // not outside the library.
  for (llvm::Function &f : module)
    if (isGateFunction(f)) {
      f.setLinkage(llvm::GlobalValue::ExternalLinkage);
      f.setVisibility(llvm::GlobalValue::HiddenVisibility);
    }
  // The module travels as one bitcode image into a context per thread
  // (a context belongs to one thread); each thread loads it lazily and
  // keeps only its own definitions. Cloning a module per part here instead
  // was half of the parallel step, on one thread.
  std::vector<std::vector<std::string>> names(parts);
  for (llvm::Function &f : module)
    if (!f.isDeclaration())
      names[owner.lookup(&f)].push_back(f.getName().str());
  llvm::SmallVector<char, 0> bitcode;
  {
    llvm::raw_svector_ostream os(bitcode);
    llvm::WriteBitcodeToFile(module, os);
  }
  // The bitcode holds everything now; big nets need the memory.
  owned.reset();
  objects.assign(parts, std::string());
  std::vector<std::string> errors(parts);
  runParts(parts, [&](unsigned p) {
    llvm::LLVMContext context;
    llvm::Expected<std::unique_ptr<llvm::Module>> part =
        llvm::getLazyBitcodeModule(
            llvm::MemoryBufferRef(
                llvm::StringRef(bitcode.data(), bitcode.size()), "net"),
            context);
    if (!part) {
      errors[p] = llvm::toString(part.takeError());
      return;
    }
    // Other parts' definitions become declarations; the data tables
    // are defined in part 0 only.
    llvm::StringSet<> mine;
    for (const std::string &name : names[p])
      mine.insert(name);
    for (llvm::Function &f : **part)
      if (!f.isDeclaration() && !mine.contains(f.getName()))
        f.deleteBody();
    if (p != 0)
      for (llvm::GlobalVariable &g : (*part)->globals()) {
        g.setInitializer(nullptr);
        g.setLinkage(llvm::GlobalValue::ExternalLinkage);
      }
    if (llvm::Error e = (*part)->materializeAll()) {
      errors[p] = llvm::toString(std::move(e));
      return;
    }
    if (!generateCode(**part, *machines[p], type, objects[p]))
      errors[p] = "the target cannot emit this file type";
    else if (finish)
      errors[p] = finish(p, parts, objects[p]);
  });
  for (const std::string &error : errors)
    if (!error.empty())
      return emitError(loc)
             << (finish ? "" : "parallel code generation: ") << error;
  return success();
}

std::string lgc::defaultSupportLibraryDir(const char *argv0, void *mainAddr) {
  std::string exe = llvm::sys::fs::getMainExecutable(argv0, mainAddr);
  llvm::SmallString<256> path(llvm::sys::path::parent_path(exe));
  llvm::sys::path::append(path, "..", "lib");
  return std::string(path);
}

std::string lgc::supportLibraryFor(const llvm::TargetMachine &tm,
                                   const std::string &dir) {
  const llvm::MCSubtargetInfo *sti = tm.getMCSubtargetInfo();
  auto hasAll = [&](std::initializer_list<const char *> features) {
    for (const char *f : features)
      if (!sti->checkFeatures(std::string("+") + f))
        return false;
    return true;
  };
  std::string suffix;
  if (tm.getTargetTriple().isX86() && tm.getTargetTriple().isArch64Bit() &&
      hasAll({"avx2", "bmi", "bmi2", "fma", "lzcnt", "movbe", "f16c"}))
    suffix = hasAll({"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl",
                     "evex512"})
                 ? "-v4"
                 : "-v3";
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, "libLGCNetSupport" + suffix + ".a");
  return std::string(path);
}

/// ld.lld from LLVM 19 first, then any lld, then the system compiler driver.
static std::string findLinker(bool &isCompilerDriver) {
  isCompilerDriver = false;
  for (const char *name :
       {"/usr/lib/llvm-19/bin/ld.lld", "ld.lld-19", "ld.lld"}) {
    if (auto path = llvm::sys::findProgramByName(name))
      return *path;
    if (llvm::sys::fs::can_execute(name))
      return name;
  }
  for (const char *name : {"cc", "gcc", "clang"})
    if (auto path = llvm::sys::findProgramByName(name)) {
      isCompilerDriver = true;
      return *path;
    }
  return {};
}

LogicalResult lgc::linkSharedLibrary(llvm::ArrayRef<std::string> objects,
                                     const std::string &outPath,
                                     const std::string &supportLibrary,
                                     Location loc, const std::string &exports) {
  if (!supportLibrary.empty() && !llvm::sys::fs::exists(supportLibrary))
    return emitError(loc) << "net support library not found at '"
                          << supportLibrary << "' (give --support-lib-dir)";
  // The linker first: nothing is written when there is none.
  bool driver;
  std::string linker = findLinker(driver);
  if (linker.empty())
    return emitError(loc) << "no linker found (install lld-19)";
  llvm::SmallVector<llvm::SmallString<128>> objPaths;
  llvm::SmallString<128> scriptPath;
  int fd;
  // Every path below removes the temporaries.
  auto removeTemporaries = llvm::make_scope_exit([&] {
    for (const auto &path : objPaths)
      llvm::sys::fs::remove(path);
    if (!scriptPath.empty())
      llvm::sys::fs::remove(scriptPath);
  });
  for (const std::string &object : objects) {
    llvm::SmallString<128> objPath;
    if (auto ec =
            llvm::sys::fs::createTemporaryFile("lgc-net", "o", fd, objPath))
      return emitError(loc)
             << "cannot create a temporary file: " << ec.message();
    objPaths.push_back(objPath);
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << object;
  }
  if (auto ec =
          llvm::sys::fs::createTemporaryFile("lgc-net", "map", fd, scriptPath))
    return emitError(loc) << "cannot create a temporary file: " << ec.message();
  {
    // Only the documented ABI leaves the library.
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << "{ global: " << exports << "; local: *; };\n";
  }
  std::string tmpOut =
      outPath + ".tmp" + std::to_string(llvm::sys::Process::getProcessId());
  std::vector<std::string> args = {linker};
  auto wl = [&](const std::string &flag) {
    args.push_back(driver ? "-Wl," + flag : flag);
  };
  if (driver)
    args.push_back("-nostdlib");
  args.push_back("-shared");
  wl("--version-script=" + std::string(scriptPath));
  wl("--gc-sections");
  wl("-znoexecstack");
  args.insert(args.end(), {"-o", tmpOut});
  for (const auto &path : objPaths)
    args.push_back(std::string(path));
  // Nothing in the kernel refers to the ABI functions: pull them in whole.
  if (!supportLibrary.empty()) {
    wl("--whole-archive");
    args.push_back(supportLibrary);
    wl("--no-whole-archive");
  }
  std::vector<llvm::StringRef> argRefs(args.begin(), args.end());
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(linker, argRefs, std::nullopt, {}, 0, 0,
                                     &message);
  if (rc != 0) {
    llvm::sys::fs::remove(tmpOut);
    return emitError(loc) << "linking " << outPath << " failed (" << linker
                          << ")" << (message.empty() ? "" : ": ") << message;
  }
  if (auto ec = llvm::sys::fs::rename(tmpOut, outPath)) {
    llvm::sys::fs::remove(tmpOut);
    return emitError(loc) << "cannot write " << outPath << ": " << ec.message();
  }
  return success();
}
