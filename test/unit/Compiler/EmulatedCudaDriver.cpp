//===- EmulatedCudaDriver.cpp - The CUDA driver API over host memory ------===//
//
// Part of lgc. A test stand-in for libcuda.so.1 (CudaNet opens it when
// LGC_CUDA_DRIVER names it): the entry points CudaNet uses, over host
// memory, one context, synchronous streams. A "module" is the text
// "lgc-host-module:PATH", PATH a shared library of the GPU kernels' host-mode
// functions (convert-lgn-to-nvvm host-mode=true); a launch runs the kernel's
// grid on the calling thread with the kernel's own bounds check. So the
// runtime's side of the GPU path (buffer sizes, grids, the tile layout of the
// counts, packed and device input, chunked streams) is tested bit for bit
// without a GPU; the kernels themselves are the generated code.
//
//===----------------------------------------------------------------------===//

#include "lgc/Runtime/GeneratedABI.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <functional>
#include <link.h>
#include <map>
#include <mutex>
#include <string>
#include <vector>

using namespace lgc;

namespace {
using CUresult = int;
using CUdeviceptr = unsigned long long;
// CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN and
// CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES.
constexpr int kMaxSharedPerBlockOptin = 97, kMaxDynamicSharedBytes = 8;
constexpr CUresult kSuccess = 0, kInvalidValue = 1, kNotFound = 500,
                   kInvalidImage = 200;

using ThreadFn = void (*)(const uint64_t *, uint64_t *, uint64_t *, uint32_t *,
                          int64_t);
using PackFn = void (*)(const void *, int64_t, uint64_t *, int64_t, int64_t);
using BlockPhaseFn = void (*)(const uint64_t *, uint64_t *, uint64_t *,
                              uint32_t *, uint64_t *, int64_t, int64_t,
                              int64_t);
using BlockInputsU8Fn = void (*)(const void *, int64_t, uint64_t *, uint64_t *,
                                 int64_t, int64_t);
using PackTiledFn = void (*)(const void *, int64_t, uint64_t *, void *, int64_t,
                             int64_t, int64_t);
using BlockTableFn = void (*)(uint64_t *, int64_t);

struct Module {
  void *library;
  ThreadFn thread;
  PackFn packU8, packBits;
  const uint32_t *shape;
  /// The block kernel's phases (lgc_net is the block kernel, or
  /// lgc_net_block beside the thread kernel), else null.
  BlockPhaseFn blockPhase;
  /// lgc_net_block's shape table, where the module has both kernels.
  const uint32_t *blockShape;
  /// The block kernel's phase 0 from 8-bit features, where it has one.
  BlockInputsU8Fn inputsU8;
  /// lgc_pack_u8_tiled's phases, where the module has it, and its words a
  /// block.
  PackTiledFn packTiled = nullptr;
  uint32_t packTiledWords = 1;
  /// lgc_pack_bits's words a thread.
  uint32_t packBitsWords = 1;
  /// The block kernel's copy of its gate table into shared memory, where
  /// its blocks loop over the grid (kBlockGridStrideSymbol).
  BlockTableFn blockTable = nullptr;
  /// Shared memory granted with cuFuncSetAttribute.
  int sharedGranted = 48 * 1024;
};

struct Function {
  Module *module;
  enum { PackU8, PackBits, Net, NetBlock, NetU8, NetBlockU8, PackU8Tiled } kind;
};

int context;

// cuPointerGetAttribute's attributes and memory types (cuda.h).
constexpr int kPointerMemoryType = 2, kPointerDeviceOrdinal = 9,
              kPointerRangeStart = 11, kPointerRangeSize = 12;
constexpr unsigned kMemoryTypeHost = 1, kMemoryTypeDevice = 2;

/// The memory cuMemAlloc and cuMemAllocHost handed out, by address.
struct Allocation {
  size_t bytes;
  unsigned type;
};
std::map<CUdeviceptr, Allocation> allocations;
std::mutex allocationsMutex;

void remember(CUdeviceptr p, size_t bytes, unsigned type) {
  std::lock_guard<std::mutex> lock(allocationsMutex);
  allocations[p] = Allocation{bytes, type};
}
void forget(CUdeviceptr p) {
  std::lock_guard<std::mutex> lock(allocationsMutex);
  allocations.erase(p);
}
/// Launches of lgc_net, lgc_net_block and the u8 kernels so far
/// (lgc_emulated_launches).
long netLaunches, netBlockLaunches, u8Launches;
/// Launches of lgc_pack_u8 and lgc_pack_u8_tiled (lgc_emulated_pack_launches).
long packLaunches, packTiledLaunches;
/// Blocks of the last launch of a block kernel, and the gpuBlockGrid blocks
/// they evaluated (lgc_emulated_last_block_launch).
long lastBlocks, lastGridBlocks;

/// Whether a launch's dynamic shared memory is what a launch may have: up
/// to 48 KB, or as much as cuFuncSetAttribute granted.
bool sharedGranted(const Module &m, unsigned bytes) {
  return bytes <= 48 * 1024 || int(bytes) <= m.sharedGranted;
}

/// A launch's `launched` blocks as a GPU's barriers order them, of the
/// `blocks` a kernel evaluates: launched block b evaluates block b (where
/// b < blocks), or with `loops` blocks b, b + launched, ... below
/// `blocks`, each one's phases in order, every thread of a phase (in
/// reverse order: no thread may rely on a later one of the same phase)
/// before any of the next. Its shared memory starts as garbage; where
/// `prologue(shared, tid)` is given it runs first for every thread, once a
/// launched block (the gate table's copy), and the shared memory then
/// stays from one evaluated block to the next. `phase(shared, block, tid,
/// p)` runs one thread's phase p. Returns the blocks evaluated.
template <typename Phase>
long runBlocks(unsigned launched, unsigned threads, unsigned sharedBytes,
               int64_t phases, int64_t blocks, bool loops, Phase phase,
               const std::function<void(uint64_t *, int64_t)> &prologue = {}) {
  std::vector<uint64_t> shared((sharedBytes + 7) / 8);
  long evaluated = 0;
  for (int64_t first = 0; first < int64_t(launched) && first < blocks;
       ++first) {
    std::fill(shared.begin(), shared.end(), 0xa5a5a5a5a5a5a5a5ull);
    if (prologue)
      for (int64_t tid = threads; tid-- > 0;)
        prologue(shared.data(), tid);
    for (int64_t block = first; block < blocks; block += launched) {
      ++evaluated;
      for (int64_t p = 0; p < phases; ++p)
        for (int64_t tid = threads; tid-- > 0;)
          phase(shared.data(), block, tid, p);
      if (!loops)
        break;
    }
  }
  return evaluated;
}
} // namespace

extern "C" {

CUresult cuInit(unsigned) { return kSuccess; }
CUresult cuDeviceGetCount(int *count) {
  *count = 1;
  return kSuccess;
}
CUresult cuDeviceGet(int *device, int) {
  *device = 0;
  return kSuccess;
}
CUresult cuDeviceGetName(char *name, int size, int) {
  std::strncpy(name, "emulated CUDA device", size_t(size));
  return kSuccess;
}
CUresult cuDevicePrimaryCtxRetain(void **ctx, int) {
  *ctx = &context;
  return kSuccess;
}
CUresult cuDevicePrimaryCtxRelease_v2(int) { return kSuccess; }
CUresult cuCtxSetCurrent(void *) { return kSuccess; }
CUresult cuCtxSynchronize() { return kSuccess; }

CUresult cuModuleLoadDataEx(void **out, const void *image, unsigned, int *,
                            void **) {
  const char *text = static_cast<const char *>(image);
  const char prefix[] = "lgc-host-module:";
  if (std::strncmp(text, prefix, sizeof(prefix) - 1) != 0)
    return kInvalidImage;
  std::string path(text + sizeof(prefix) - 1);
  while (!path.empty() && (path.back() == '\n' || path.back() == '\0'))
    path.pop_back();
  void *library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library)
    return kInvalidImage;
  auto *m = new Module{
      library,
      reinterpret_cast<ThreadFn>(dlsym(library, abi::kGpuThreadFunction)),
      reinterpret_cast<PackFn>(dlsym(library, abi::kGpuPackFunction)),
      reinterpret_cast<PackFn>(dlsym(library, abi::kGpuPackBitsFunction)),
      static_cast<const uint32_t *>(dlsym(library, abi::kShapeSymbol)),
      reinterpret_cast<BlockPhaseFn>(
          dlsym(library, abi::kGpuBlockPhaseFunction)),
      static_cast<const uint32_t *>(dlsym(library, abi::kBlockShapeSymbol)),
      reinterpret_cast<BlockInputsU8Fn>(
          dlsym(library, abi::kGpuBlockInputsU8Function))};
  m->packTiled =
      reinterpret_cast<PackTiledFn>(dlsym(library, abi::kGpuPackTiledFunction));
  m->blockTable = reinterpret_cast<BlockTableFn>(
      dlsym(library, abi::kGpuBlockTableFunction));
  if (auto *words = static_cast<const uint32_t *>(
          dlsym(library, abi::kPackTiledWordsSymbol)))
    m->packTiledWords = *words;
  if (auto *words = static_cast<const uint32_t *>(
          dlsym(library, abi::kPackBitsWordsSymbol)))
    m->packBitsWords = *words;
  if (!(m->thread || m->blockPhase) || !m->packU8 || !m->packBits ||
      !m->shape) {
    dlclose(library);
    delete m;
    return kInvalidImage;
  }
  *out = m;
  return kSuccess;
}

/// One multiprocessor running two blocks at a time: a wave of 16,384
/// samples (of the thread kernel); an H100's 227 KB of shared memory per
/// block (LGC_EMULATED_SHARED_OPTIN: another size).
CUresult cuDeviceGetAttribute(int *value, int attribute, int) {
  *value = 1;
  if (attribute == kMaxSharedPerBlockOptin) {
    const char *optin = std::getenv("LGC_EMULATED_SHARED_OPTIN");
    *value = optin && *optin ? std::atoi(optin) : 227 * 1024;
  }
  return kSuccess;
}
/// Two blocks per multiprocessor, none where a block has more threads than
/// LGC_EMULATED_MAX_BLOCK_THREADS (where set): a real device's answer for
/// a kernel whose registers per thread times threads exceed the register
/// file.
CUresult cuOccupancyMaxActiveBlocksPerMultiprocessor(int *blocks, void *,
                                                     int threads, size_t) {
  const char *most = std::getenv("LGC_EMULATED_MAX_BLOCK_THREADS");
  *blocks = most && *most && threads > std::atoi(most) ? 0 : 2;
  return kSuccess;
}

CUresult cuFuncSetAttribute(void *function, int attribute, int value) {
  auto *f = static_cast<Function *>(function);
  if (attribute != kMaxDynamicSharedBytes || value < 0 || value > 227 * 1024)
    return kInvalidValue;
  f->module->sharedGranted = value;
  return kSuccess;
}

CUresult cuModuleUnload(void *module) {
  auto *m = static_cast<Module *>(module);
  dlclose(m->library);
  delete m;
  return kSuccess;
}

CUresult cuModuleGetFunction(void **out, void *module, const char *name) {
  auto *m = static_cast<Module *>(module);
  if (!std::strcmp(name, abi::kPackKernel))
    *out = new Function{m, Function::PackU8};
  else if (!std::strcmp(name, abi::kPackU8TiledKernel) && m->packTiled)
    *out = new Function{m, Function::PackU8Tiled};
  else if (!std::strcmp(name, abi::kPackBitsKernel))
    *out = new Function{m, Function::PackBits};
  else if (!std::strcmp(name, abi::kNetKernel))
    *out = new Function{m, Function::Net};
  else if (!std::strcmp(name, abi::kNetBlockKernel) && m->blockShape &&
           m->blockPhase && m->thread)
    *out = new Function{m, Function::NetBlock};
  else if (!std::strcmp(name, abi::kNetU8Kernel) && m->inputsU8 && !m->thread)
    *out = new Function{m, Function::NetU8};
  else if (!std::strcmp(name, abi::kNetBlockU8Kernel) && m->inputsU8 &&
           m->blockShape && m->thread)
    *out = new Function{m, Function::NetBlockU8};
  else
    return kNotFound;
  return kSuccess;
}

CUresult cuModuleGetGlobal_v2(CUdeviceptr *ptr, size_t *bytes, void *module,
                              const char *name) {
  auto *m = static_cast<Module *>(module);
  void *p = dlsym(m->library, name);
  if (!p)
    return kNotFound;
  // The global's size from the library's symbol table, as a driver gives
  // it from the module, so that the runtime's size checks see what the
  // lowering emitted.
  Dl_info info;
  void *entry = nullptr;
  if (!dladdr1(p, &info, &entry, RTLD_DL_SYMENT) || !entry)
    return kNotFound;
  auto *symbol = static_cast<const ElfW(Sym) *>(entry);
  *ptr = CUdeviceptr(uintptr_t(p));
  *bytes = size_t(symbol->st_size);
  return kSuccess;
}

CUresult cuMemAlloc_v2(CUdeviceptr *ptr, size_t bytes) {
  // Fresh device memory holds garbage, as on a GPU.
  void *p = std::malloc(bytes);
  if (!p)
    return kInvalidValue;
  std::memset(p, 0xa5, bytes);
  *ptr = CUdeviceptr(uintptr_t(p));
  remember(*ptr, bytes, kMemoryTypeDevice);
  return kSuccess;
}
CUresult cuMemFree_v2(CUdeviceptr ptr) {
  forget(ptr);
  std::free(reinterpret_cast<void *>(uintptr_t(ptr)));
  return kSuccess;
}
CUresult cuMemAllocHost_v2(void **p, size_t bytes) {
  *p = std::malloc(bytes);
  if (*p)
    remember(CUdeviceptr(uintptr_t(*p)), bytes, kMemoryTypeHost);
  return *p ? kSuccess : kInvalidValue;
}
CUresult cuMemFreeHost(void *p) {
  forget(CUdeviceptr(uintptr_t(p)));
  std::free(p);
  return kSuccess;
}
/// The attributes CudaNet asks for, of memory from cuMemAlloc and
/// cuMemAllocHost; anything else is unknown to the driver, as a pageable
/// host pointer or freed memory is to a real one.
CUresult cuPointerGetAttribute(void *data, int attribute, CUdeviceptr ptr) {
  std::lock_guard<std::mutex> lock(allocationsMutex);
  auto it = allocations.upper_bound(ptr);
  if (it == allocations.begin())
    return kInvalidValue;
  --it;
  if (ptr - it->first >= std::max<size_t>(1, it->second.bytes))
    return kInvalidValue;
  switch (attribute) {
  case kPointerMemoryType:
    *static_cast<unsigned *>(data) = it->second.type;
    return kSuccess;
  case kPointerDeviceOrdinal:
    *static_cast<int *>(data) = 0;
    return kSuccess;
  case kPointerRangeStart:
    *static_cast<CUdeviceptr *>(data) = it->first;
    return kSuccess;
  case kPointerRangeSize:
    *static_cast<size_t *>(data) = it->second.bytes;
    return kSuccess;
  }
  return kInvalidValue;
}
CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t bytes) {
  std::memcpy(reinterpret_cast<void *>(uintptr_t(dst)), src, bytes);
  return kSuccess;
}
CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t bytes) {
  std::memcpy(dst, reinterpret_cast<const void *>(uintptr_t(src)), bytes);
  return kSuccess;
}
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src, size_t bytes,
                              void *) {
  return cuMemcpyHtoD_v2(dst, src, bytes);
}
CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t bytes,
                              void *) {
  return cuMemcpyDtoH_v2(dst, src, bytes);
}
CUresult cuStreamCreate(void **stream, unsigned) {
  *stream = &context;
  return kSuccess;
}
CUresult cuStreamDestroy_v2(void *) { return kSuccess; }
CUresult cuStreamSynchronize(void *) { return kSuccess; }

/// The kernels' grid: every thread id, each kernel's own bounds check.
CUresult cuLaunchKernel(void *function, unsigned gx, unsigned gy, unsigned gz,
                        unsigned bx, unsigned by, unsigned bz,
                        unsigned sharedBytes, void *, void **params, void **) {
  if (gy != 1 || gz != 1 || by != 1 || bz != 1 || !bx)
    return kInvalidValue;
  auto *f = static_cast<Function *>(function);
  auto ptr = [&](int i) {
    return reinterpret_cast<void *>(
        uintptr_t(*static_cast<CUdeviceptr *>(params[i])));
  };
  auto i64 = [&](int i) { return *static_cast<long long *>(params[i]); };
  uint64_t threads = uint64_t(gx) * bx;
  bool u8 = f->kind == Function::NetU8 || f->kind == Function::NetBlockU8;
  bool block = f->kind == Function::NetBlock || u8 ||
               (f->kind == Function::Net && !f->module->thread);
  if (block) {
    // The block kernel: each block's phases in order, every thread of a
    // phase before any of the next (the barrier); its own check drops
    // blocks past the words. The launch must give the block size and the
    // shared memory the module was made for, and have been granted it.
    ++(u8 ? u8Launches : netBlockLaunches);
    const uint32_t *shape =
        f->kind == Function::NetBlock || f->kind == Function::NetBlockU8
            ? f->module->blockShape
            : f->module->shape;
    // The u8 kernels' arguments: x, n, then lgc_net's from scratch on.
    int at = u8 ? 1 : 0;
    if (bx != shape[abi::kGpuBlockThreads] ||
        sharedBytes != shape[abi::kGpuSharedBytes] ||
        !sharedGranted(*f->module, sharedBytes))
      return kInvalidValue;
    int64_t words = i64(at + 4), samples = int64_t(abi::gpuBlockSamples(shape));
    auto *scratch = static_cast<uint64_t *>(ptr(at + 1));
    // The u8 forms' phase 0 reads the pixels (inputsU8); every other
    // phase is the phase function's.
    auto phase = [&](uint64_t *shared, int64_t block, int64_t tid, int64_t p) {
      if (u8 && p == 0)
        f->module->inputsU8(ptr(0), i64(1), scratch, shared, block, tid);
      else
        f->module->blockPhase(
            u8 ? nullptr : static_cast<const uint64_t *>(ptr(0)), scratch,
            static_cast<uint64_t *>(ptr(at + 2)),
            static_cast<uint32_t *>(ptr(at + 3)), shared, block, tid, p);
    };
    // Blocks that loop over the grid (kBlockGridStrideSymbol) copy the
    // gate table into their shared memory once, and it must survive every
    // block's phases.
    bool loops = f->module->blockTable &&
                 (f->kind == Function::Net || f->kind == Function::NetU8);
    std::function<void(uint64_t *, int64_t)> copy;
    if (loops)
      copy = f->module->blockTable;
    lastBlocks = gx;
    lastGridBlocks =
        runBlocks(gx, bx, sharedBytes, int64_t(shape[abi::kGpuBlockPhases]),
                  (words * 64 + samples - 1) / samples, loops, phase, copy);
    return kSuccess;
  }
  if (f->kind == Function::PackU8Tiled) {
    // A block per G words, its phases as the block kernel's; the grid,
    // block and shared memory the ABI gives, the shared memory granted.
    ++packTiledLaunches;
    const uint32_t *shape = f->module->shape;
    uint32_t G = f->module->packTiledWords;
    int64_t words = i64(3);
    if (bx != abi::kGpuPackTiledThreads || int64_t(gx) * G != words ||
        sharedBytes != abi::gpuPackTiledSharedBytes(shape[abi::kFeatures],
                                                    shape[abi::kInputs], G) ||
        !sharedGranted(*f->module, sharedBytes))
      return kInvalidValue;
    runBlocks(gx, bx, sharedBytes, int64_t(abi::gpuPackTiledPhases(G)), gx,
              /*loops=*/false,
              [&](uint64_t *shared, int64_t block, int64_t tid, int64_t p) {
                f->module->packTiled(ptr(0), i64(1),
                                     static_cast<uint64_t *>(ptr(2)), shared,
                                     block, tid, p);
              });
    return kSuccess;
  }
  if (f->kind == Function::Net) {
    ++netLaunches;
    // The kernel's bounds check: a thread per word of its bits.
    int64_t limit =
        int64_t(abi::gpuNetThreads(f->module->shape, uint64_t(i64(4))));
    for (uint64_t gid = 0; gid < threads; ++gid)
      if (int64_t(gid) < limit)
        f->module->thread(static_cast<const uint64_t *>(ptr(0)),
                          static_cast<uint64_t *>(ptr(1)),
                          static_cast<uint64_t *>(ptr(2)),
                          static_cast<uint32_t *>(ptr(3)), int64_t(gid));
    return kSuccess;
  }
  if (f->kind == Function::PackU8)
    ++packLaunches;
  PackFn pack =
      f->kind == Function::PackU8 ? f->module->packU8 : f->module->packBits;
  // The kernel's bounds check (GeneratedABI.h).
  int64_t words = i64(3);
  int64_t limit = f->kind == Function::PackU8
                      ? words * int64_t(abi::gpuPackU8Rows(f->module->shape))
                      : int64_t(abi::gpuPackBitsThreads(
                            f->module->shape[abi::kInputs], uint64_t(words),
                            f->module->packBitsWords));
  for (uint64_t gid = 0; gid < threads; ++gid)
    if (int64_t(gid) < limit)
      pack(ptr(0), i64(1), static_cast<uint64_t *>(ptr(2)), words,
           int64_t(gid));
  return kSuccess;
}

/// Not a driver entry point: how many launches lgc_net, lgc_net_block and
/// the u8 kernels (lgc_net_u8, lgc_net_block_u8) have had, for tests that
/// check which kernel a launch took.
void lgc_emulated_launches(long *net, long *netBlock, long *u8) {
  *net = netLaunches;
  *netBlock = netBlockLaunches;
  *u8 = u8Launches;
}

/// Not a driver entry point: the blocks the last launch of a block kernel
/// had, and the gpuBlockGrid blocks they evaluated.
void lgc_emulated_last_block_launch(long *blocks, long *gridBlocks) {
  *blocks = lastBlocks;
  *gridBlocks = lastGridBlocks;
}

/// Not a driver entry point: how many launches lgc_pack_u8 and
/// lgc_pack_u8_tiled have had.
void lgc_emulated_pack_launches(long *thread, long *tiled) {
  *thread = packLaunches;
  *tiled = packTiledLaunches;
}

CUresult cuGetErrorString(CUresult, const char **text) {
  *text = "emulated driver error";
  return kSuccess;
}

} // extern "C"
