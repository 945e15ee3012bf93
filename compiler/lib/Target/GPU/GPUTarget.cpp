//===- GPUTarget.cpp - lgn nets to PTX through LLVM's NVPTX target --------===//
//
// Part of lgc. The NVPTX target machine, and device binaries made from its
// PTX by the CUDA Toolkit's ptxas, nvlink and fatbinary (run as programs, as
// clang's CUDA driver does: lgc needs no CUDA library to build or run).
//
//===----------------------------------------------------------------------===//

#include "lgc/Target/GPU/GPUTarget.h"
#include "lgc/Target/CPU/CPUTarget.h"

#include "mlir/IR/Diagnostics.h"

#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <mutex>

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
                              const std::string &features, Location loc,
                              unsigned level) {
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
      llvm::CodeGenOpt::getLevel(int(std::min(level, 3u)))
          .value_or(llvm::CodeGenOptLevel::None)));
  if (!tm)
    emitError(loc) << "cannot create the NVPTX target machine";
  return tm;
}

//===----------------------------------------------------------------------===//
// Device binaries through the CUDA Toolkit
//===----------------------------------------------------------------------===//

FailureOr<CudaToolkit> lgc::findCudaToolkit(const std::string &hint,
                                            Location loc) {
  std::vector<std::string> candidates;
  if (!hint.empty()) {
    if (llvm::sys::fs::is_directory(hint)) {
      llvm::SmallString<256> p(hint);
      llvm::sys::path::append(p, "bin", "ptxas");
      candidates.push_back(std::string(p));
      p = hint;
      llvm::sys::path::append(p, "ptxas");
      candidates.push_back(std::string(p));
    } else {
      candidates.push_back(hint);
    }
  } else {
    for (const char *var : {"CUDA_HOME", "CUDA_PATH"})
      if (const char *dir = std::getenv(var); dir && *dir) {
        llvm::SmallString<256> p(dir);
        llvm::sys::path::append(p, "bin", "ptxas");
        candidates.push_back(std::string(p));
      }
    if (auto found = llvm::sys::findProgramByName("ptxas"))
      candidates.push_back(*found);
    candidates.push_back("/usr/local/cuda/bin/ptxas");
  }
  for (const std::string &ptxas : candidates) {
    if (!llvm::sys::fs::can_execute(ptxas))
      continue;
    CudaToolkit toolkit;
    toolkit.ptxas = ptxas;
    llvm::StringRef dir = llvm::sys::path::parent_path(ptxas);
    for (auto [name, slot] : {std::pair{"nvlink", &toolkit.nvlink},
                              std::pair{"fatbinary", &toolkit.fatbinary}}) {
      llvm::SmallString<256> p(dir);
      llvm::sys::path::append(p, name);
      *slot = std::string(p);
    }
    return toolkit;
  }
  return emitError(loc)
         << "no CUDA Toolkit found for device binaries: ptxas "
         << (hint.empty() ? "is not in $CUDA_HOME/bin, $CUDA_PATH/bin, the "
                            "PATH or /usr/local/cuda/bin"
                          : "not found at '" + hint + "'")
         << " (give --cuda-path, or use --emit=ptx, which needs no toolkit)";
}

namespace {
/// Temporary files that are removed when this goes out of scope.
struct Temporaries {
  std::vector<llvm::SmallString<128>> paths;
  ~Temporaries() {
    for (const auto &path : paths)
      llvm::sys::fs::remove(path);
  }
  /// A new temporary file holding `contents`; empty on failure.
  std::string create(llvm::StringRef suffix, llvm::StringRef contents,
                     std::string &error) {
    int fd;
    llvm::SmallString<128> path;
    if (auto ec =
            llvm::sys::fs::createTemporaryFile("lgc-gpu", suffix, fd, path)) {
      error = "cannot create a temporary file: " + ec.message();
      return {};
    }
    paths.push_back(path);
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << contents;
    return std::string(path);
  }
};
} // namespace

/// Runs `args` (args[0] is the program) and returns its exit code; its
/// output and error text go to `log`. Thread-safe.
static int runTool(const std::vector<std::string> &args, std::string &log) {
  Temporaries temps;
  std::string error;
  std::string output = temps.create("log", "", error);
  if (output.empty()) {
    log = error;
    return -1;
  }
  std::vector<llvm::StringRef> refs(args.begin(), args.end());
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, output, output};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(args[0], refs, std::nullopt, redirects, 0,
                                     0, &message);
  if (auto buffer = llvm::MemoryBuffer::getFile(output))
    log = (*buffer)->getBuffer().str();
  if (!message.empty())
    log += message + "\n";
  return rc;
}

static std::string commandLine(const std::vector<std::string> &args) {
  std::string line;
  for (const std::string &a : args)
    line += (line.empty() ? "" : " ") + a;
  return line;
}

/// Runs a toolkit program that writes `outPath` and reads that file into
/// `result`; the program's messages go to `text`. Returns an error message
/// ("<failure> (command, exit code N): messages"), or an empty string.
static std::string runInto(const std::vector<std::string> &args,
                           const std::string &failure, llvm::StringRef outPath,
                           std::string &result, std::string &text) {
  if (int rc = runTool(args, text); rc != 0)
    return failure + " (" + commandLine(args) + ", exit code " +
           std::to_string(rc) + "): " + text;
  auto buffer = llvm::MemoryBuffer::getFile(outPath, /*IsText=*/false);
  if (!buffer)
    return ("cannot read " + outPath + ": " + buffer.getError().message())
        .str();
  result = (*buffer)->getBuffer().str();
  return {};
}

LogicalResult lgc::emitCubin(
    std::unique_ptr<llvm::Module> module, llvm::TargetMachine &tm,
    llvm::function_ref<std::unique_ptr<llvm::TargetMachine>()> makeMachine,
    const CudaToolkit &toolkit, const CubinOptions &options, std::string &cubin,
    std::string &log, Location loc) {
  std::string arch = tm.getTargetCPU().str();
  std::vector<std::string> logs;
  std::mutex logMutex;
  // Each part's PTX is assembled on the thread that made it, so ptxas runs
  // on every core at once; with several parts the code is relocatable and
  // calls between parts are resolved by nvlink. With the levels apart, part
  // 0 holds the kernels and no gate function (where the module has any).
  bool apart = options.ptxasLevel != options.ptxasKernelLevel;
  auto assemble = [&](unsigned part, unsigned parts,
                      std::string &ptx) -> std::string {
    Temporaries temps;
    std::string error;
    std::string in = temps.create("ptx", ptx, error);
    std::string out = in.empty() ? "" : temps.create("cubin", "", error);
    if (out.empty())
      return error;
    // Apart, part 0 is the kernels' (all of the module where it has no gate
    // function: the block kernel alone).
    unsigned level =
        part == 0 && apart ? options.ptxasKernelLevel : options.ptxasLevel;
    std::string optimise = "-O" + std::to_string(std::min(level, 3u));
    std::vector<std::string> args = {toolkit.ptxas, "-arch=" + arch, optimise};
    if (parts > 1)
      args.push_back("-c");
    args.insert(args.end(), options.ptxasArgs.begin(), options.ptxasArgs.end());
    args.insert(args.end(), {in, "-o", out});
    std::string text;
    std::string failed = runInto(
        args, "ptxas failed on part " + std::to_string(part), out, ptx, text);
    std::lock_guard<std::mutex> lock(logMutex);
    if (!text.empty())
      logs.push_back(text);
    return failed;
  };
  std::vector<std::string> parts;
  if (failed(emitObjectsInParallel(
          std::move(module), tm, options.jobs, makeMachine, parts, loc,
          llvm::CodeGenFileType::AssemblyFile, assemble, apart)))
    return failure();
  for (const std::string &text : logs)
    log += text;
  if (parts.size() == 1) {
    cubin = std::move(parts[0]);
    return success();
  }
  Temporaries temps;
  std::string error;
  std::vector<std::string> args = {toolkit.nvlink, "-arch=" + arch};
  for (const std::string &part : parts) {
    std::string path = temps.create("o", part, error);
    if (path.empty())
      return emitError(loc) << error;
    args.push_back(path);
  }
  std::string out = temps.create("cubin", "", error);
  if (out.empty())
    return emitError(loc) << error;
  args.insert(args.end(), {"-o", out});
  std::string text;
  if (std::string failed = runInto(args, "nvlink failed", out, cubin, text);
      !failed.empty())
    return emitError(loc) << failed;
  log += text;
  return success();
}

LogicalResult lgc::createFatbin(const CudaToolkit &toolkit,
                                llvm::ArrayRef<std::string> archs,
                                llvm::ArrayRef<std::string> cubins,
                                std::string &fatbin, Location loc) {
  Temporaries temps;
  std::string error;
  std::string out = temps.create("fatbin", "", error);
  if (out.empty())
    return emitError(loc) << error;
  std::vector<std::string> args = {toolkit.fatbinary, "-64", "--create=" + out};
  for (size_t i = 0; i < archs.size(); ++i) {
    std::string path = temps.create("cubin", cubins[i], error);
    if (path.empty())
      return emitError(loc) << error;
    llvm::StringRef sm = llvm::StringRef(archs[i]).drop_front(3);
    args.push_back(("--image3=kind=elf,sm=" + sm + ",file=" + path).str());
  }
  std::string text;
  if (std::string failed = runInto(args, "fatbinary failed", out, fatbin, text);
      !failed.empty())
    return emitError(loc) << failed;
  return success();
}
