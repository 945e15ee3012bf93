//===- CudaNet.cpp - Running PTX nets through the CUDA driver -------------===//
//
// Part of lgc. The driver API is declared here (the few entry points used)
// and resolved with dlsym, so this file needs no CUDA installation.
//
//===----------------------------------------------------------------------===//

#include "lgc/Runtime/CudaNet.h"
#include "lgc/Runtime/FileUtil.h"
#include "lgc/Runtime/GeneratedABI.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <vector>

using namespace lgc;

namespace {
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
constexpr CUresult CUDA_SUCCESS = 0;
constexpr CUresult CUDA_ERROR_STUB_LIBRARY = 34;
constexpr CUresult CUDA_ERROR_NO_DEVICE = 100;
constexpr int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
constexpr int CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97;
constexpr int CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;
// cuPointerGetAttribute's attributes and CUmemorytype (cuda.h).
constexpr int CU_POINTER_ATTRIBUTE_MEMORY_TYPE = 2;
constexpr int CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL = 9;
constexpr int CU_POINTER_ATTRIBUTE_RANGE_START_ADDR = 11;
constexpr int CU_POINTER_ATTRIBUTE_RANGE_SIZE = 12;
constexpr unsigned CU_MEMORYTYPE_HOST = 1;
constexpr int CU_JIT_ERROR_LOG_BUFFER = 5;
constexpr int CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;

/// Whether a block kernel's shape table (GeneratedABI.h) describes a
/// launch this runtime can make: 1, 2, 4 or 8 words of 32 or 64 bits a
/// block, and some threads.
bool blockShapeValid(const int32_t *shape) {
  int32_t S = shape[abi::kGpuBlockWords], bits = shape[abi::kGpuWordBits];
  return (S == 1 || S == 2 || S == 4 || S == 8) && (bits == 32 || bits == 64) &&
         shape[abi::kGpuBlockThreads] > 0;
}
} // namespace

struct CudaNet::Driver {
  void *lib = nullptr;
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetName)(char *, int, CUdevice);
  CUresult (*cuDevicePrimaryCtxRetain)(void **, CUdevice);
  CUresult (*cuDevicePrimaryCtxRelease)(CUdevice);
  CUresult (*cuCtxSetCurrent)(void *);
  CUresult (*cuCtxSynchronize)();
  CUresult (*cuModuleLoadDataEx)(void **, const void *, unsigned, int *,
                                 void **);
  CUresult (*cuModuleUnload)(void *);
  CUresult (*cuModuleGetFunction)(void **, void *, const char *);
  CUresult (*cuModuleGetGlobal)(CUdeviceptr *, size_t *, void *, const char *);
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
  CUresult (*cuMemFree)(CUdeviceptr);
  CUresult (*cuMemcpyHtoD)(CUdeviceptr, const void *, size_t);
  CUresult (*cuMemcpyDtoH)(void *, CUdeviceptr, size_t);
  CUresult (*cuLaunchKernel)(void *, unsigned, unsigned, unsigned, unsigned,
                             unsigned, unsigned, unsigned, void *, void **,
                             void **);
  CUresult (*cuGetErrorString)(CUresult, const char **);
  CUresult (*cuMemAllocHost)(void **, size_t);
  CUresult (*cuMemFreeHost)(void *);
  CUresult (*cuStreamCreate)(void **, unsigned);
  CUresult (*cuStreamDestroy)(void *);
  CUresult (*cuStreamSynchronize)(void *);
  CUresult (*cuMemcpyHtoDAsync)(CUdeviceptr, const void *, size_t, void *);
  CUresult (*cuMemcpyDtoHAsync)(void *, CUdeviceptr, size_t, void *);
  CUresult (*cuDeviceGetAttribute)(int *, int, int);
  CUresult (*cuOccupancyMaxActiveBlocksPerMultiprocessor)(int *, void *, int,
                                                          size_t);
  CUresult (*cuFuncSetAttribute)(void *, int, int);
  CUresult (*cuPointerGetAttribute)(void *, int, CUdeviceptr);

  ~Driver() {
    if (lib)
      dlclose(lib);
  }

  /// Opens libcuda and initialises it; a clear error where there is no
  /// driver or no device.
  static Status load(std::shared_ptr<Driver> &out) {
    auto d = std::make_shared<Driver>();
    // LGC_CUDA_DRIVER names another library with the driver API (a driver
    // outside the loader's path, or the tests' emulated one).
    const char *name = std::getenv("LGC_CUDA_DRIVER");
    std::string library = name && *name ? name : "libcuda.so.1";
    d->lib = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!d->lib)
      return Status::error("no CUDA driver (" + library + " cannot be loaded)");
    bool ok = true;
    auto sym = [&](auto &fn, const char *name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(
          dlsym(d->lib, name));
      ok &= fn != nullptr;
    };
    sym(d->cuInit, "cuInit");
    sym(d->cuDeviceGetCount, "cuDeviceGetCount");
    sym(d->cuDeviceGet, "cuDeviceGet");
    sym(d->cuDeviceGetName, "cuDeviceGetName");
    sym(d->cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
    sym(d->cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2");
    sym(d->cuCtxSetCurrent, "cuCtxSetCurrent");
    sym(d->cuCtxSynchronize, "cuCtxSynchronize");
    sym(d->cuModuleLoadDataEx, "cuModuleLoadDataEx");
    sym(d->cuModuleUnload, "cuModuleUnload");
    sym(d->cuModuleGetFunction, "cuModuleGetFunction");
    sym(d->cuModuleGetGlobal, "cuModuleGetGlobal_v2");
    sym(d->cuMemAlloc, "cuMemAlloc_v2");
    sym(d->cuMemFree, "cuMemFree_v2");
    sym(d->cuMemcpyHtoD, "cuMemcpyHtoD_v2");
    sym(d->cuMemcpyDtoH, "cuMemcpyDtoH_v2");
    sym(d->cuLaunchKernel, "cuLaunchKernel");
    sym(d->cuGetErrorString, "cuGetErrorString");
    sym(d->cuMemAllocHost, "cuMemAllocHost_v2");
    sym(d->cuMemFreeHost, "cuMemFreeHost");
    sym(d->cuStreamCreate, "cuStreamCreate");
    sym(d->cuStreamDestroy, "cuStreamDestroy_v2");
    sym(d->cuStreamSynchronize, "cuStreamSynchronize");
    sym(d->cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2");
    sym(d->cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2");
    sym(d->cuDeviceGetAttribute, "cuDeviceGetAttribute");
    sym(d->cuOccupancyMaxActiveBlocksPerMultiprocessor,
        "cuOccupancyMaxActiveBlocksPerMultiprocessor");
    sym(d->cuFuncSetAttribute, "cuFuncSetAttribute");
    sym(d->cuPointerGetAttribute, "cuPointerGetAttribute");
    if (!ok)
      return Status::error("libcuda.so.1 lacks driver API entry points");
    CUresult rc = d->cuInit(0);
    if (rc == CUDA_ERROR_STUB_LIBRARY)
      return Status::error(
          "no CUDA driver (only the stub libcuda is installed)");
    if (rc == CUDA_ERROR_NO_DEVICE)
      return Status::error("no CUDA device");
    int count = 0;
    if (rc != CUDA_SUCCESS || d->cuDeviceGetCount(&count) != CUDA_SUCCESS ||
        count == 0)
      return Status::error("no CUDA device (cuInit returned " +
                           std::to_string(rc) + ")");
    out = std::move(d);
    return Status::success();
  }
};

Status CudaNet::check(int rc, const char *what,
                      const std::string &detail) const {
  if (rc == CUDA_SUCCESS)
    return Status::success();
  const char *msg = nullptr;
  driver->cuGetErrorString(rc, &msg);
  return Status::errorAt(path, std::string(what) +
                                   " failed: " + (msg ? msg : "?") + " (" +
                                   std::to_string(rc) + ")" + detail);
}

Status CudaNet::open(const std::string &ptxPath, std::unique_ptr<CudaNet> &out,
                     int device) {
  // PTX is text the driver compiles (JIT); a cubin or fatbin (from
  // lgc --emit=cubin|fatbin) loads as it is. cuModuleLoadDataEx tells them
  // apart by their headers; PTX needs its terminating NUL.
  std::string ptx;
  if (Status s = readFile(ptxPath, ptx); !s)
    return s;
  std::unique_ptr<CudaNet> net(new CudaNet());
  net->path = ptxPath;
  if (Status s = Driver::load(net->driver); !s)
    return s.withContext(ptxPath + ": ");
  Driver &d = *net->driver;
  int count = 0;
  if (Status s = net->check(d.cuDeviceGetCount(&count), "cuDeviceGetCount"); !s)
    return s;
  if (device < 0 || device >= count)
    return Status::errorAt(ptxPath, "no CUDA device " + std::to_string(device) +
                                        " (this machine has " +
                                        std::to_string(count) + ")");
  CUdevice dev;
  if (Status s = net->check(d.cuDeviceGet(&dev, device), "cuDeviceGet"); !s)
    return s;
  net->deviceId = dev;
  char name[256] = {};
  d.cuDeviceGetName(name, sizeof(name), dev);
  net->device = name;
  if (Status s = net->check(d.cuDevicePrimaryCtxRetain(&net->context, dev),
                            "cuDevicePrimaryCtxRetain");
      !s)
    return s;
  if (Status s = net->check(d.cuCtxSetCurrent(net->context), "cuCtxSetCurrent");
      !s)
    return s;
  std::vector<char> log(8192, 0);
  int options[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {log.data(), reinterpret_cast<void *>(log.size())};
  ptx.push_back('\0');
  CUresult rc =
      d.cuModuleLoadDataEx(&net->module, ptx.data(), 2, options, values);
  if (rc != CUDA_SUCCESS)
    return net->check(rc, "loading the module",
                      log[0] ? std::string(": ") + log.data() : "");
  if (Status s = net->check(d.cuModuleGetFunction(&net->packKernel, net->module,
                                                  abi::kPackKernel),
                            "finding kernel lgc_pack_u8 (not an lgc GPU net?)");
      !s)
    return s;
  if (Status s =
          net->check(d.cuModuleGetFunction(&net->packBitsKernel, net->module,
                                           abi::kPackBitsKernel),
                     "finding kernel lgc_pack_bits");
      !s)
    return s;
  if (Status s = net->check(
          d.cuModuleGetFunction(&net->netKernel, net->module, abi::kNetKernel),
          "finding kernel lgc_net");
      !s)
    return s;
  // The ABI version first: an older module's shape table is shorter.
  if (Status s = net->readGlobal(abi::kShapeSymbol, net->shape,
                                 sizeof(net->shape[0]), /*prefix=*/true);
      !s)
    return s;
  if (uint32_t(net->shape[abi::kABIVersion]) != abi::kGeneratedABIVersion)
    return Status::errorAt(ptxPath,
                           "generated-code ABI version " +
                               std::to_string(net->shape[abi::kABIVersion]) +
                               ", this runtime reads " +
                               std::to_string(abi::kGeneratedABIVersion) +
                               " (recompile the net with this lgc)");
  if (Status s =
          net->readGlobal(abi::kShapeSymbol, net->shape, sizeof(net->shape));
      !s)
    return s;
  if (Status s = net->readGlobal(abi::kTauSymbol, &net->tauValue,
                                 sizeof(net->tauValue));
      !s)
    return s;
  // A block kernel's shared memory: more than 48 KB must be asked for, up
  // to what the device allows per block.
  int optin = 0;
  if (Status s = net->check(
          d.cuDeviceGetAttribute(
              &optin, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN,
              dev),
          "reading the shared memory per block");
      !s)
    return s;
  auto grant = [&](void *fn, size_t bytes, const char *what) {
    return net->check(
        d.cuFuncSetAttribute(
            fn, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, int(bytes)),
        what);
  };
  unsigned netThreads = net->netBlockThreads();
  size_t sharedBytes = net->netSharedBytes();
  // The thread kernel's words: 64 (0 in the table) or 32 bits.
  if (int32_t bits = net->shape[abi::kGpuWordBits];
      !net->blockKernel() && bits != 0 && bits != 32 && bits != 64)
    return Status::errorAt(ptxPath,
                           "malformed " + std::string(abi::kShapeSymbol));
  if (net->blockKernel()) {
    if (!blockShapeValid(net->shape))
      return Status::errorAt(ptxPath,
                             "malformed " + std::string(abi::kShapeSymbol));
    if (sharedBytes > size_t(optin))
      return Status::errorAt(
          ptxPath, "the block kernel needs " + std::to_string(sharedBytes) +
                       " bytes of shared memory per block, the device "
                       "allows " +
                       std::to_string(optin) +
                       " (recompile with a smaller --gpu-block-words, or "
                       "--gpu-kernel=thread)");
    if (Status s = grant(net->netKernel, sharedBytes,
                         "granting lgc_net its shared memory");
        !s)
      return s;
  }
  // Grants the block kernel `name` of shape table `kernelShape` its shared
  // memory and reads how many of its blocks a multiprocessor holds (0:
  // not one, for its registers).
  auto residency = [&](void *fn, const char *name, const int32_t *kernelShape,
                       int &resident) -> Status {
    size_t bytes = size_t(kernelShape[abi::kGpuSharedBytes]);
    std::string what = std::string("granting ") + name + " its shared memory";
    if (Status s = grant(fn, bytes, what.c_str()); !s)
      return s;
    what = std::string("reading ") + name + "'s occupancy";
    return net->check(
        d.cuOccupancyMaxActiveBlocksPerMultiprocessor(
            &resident, fn, kernelShape[abi::kGpuBlockThreads], bytes),
        what.c_str());
  };
  // The block kernel from 8-bit features (GeneratedABI.h): optional, as
  // its block kernel's shared memory, and left unused where not one block
  // fits (its registers may differ from its block kernel's).
  auto u8Kernel = [&](const char *name, const int32_t *kernelShape,
                      void *&out) -> Status {
    void *fn = nullptr;
    if (d.cuModuleGetFunction(&fn, net->module, name) != CUDA_SUCCESS)
      return Status::success();
    int resident = 0;
    if (Status s = residency(fn, name, kernelShape, resident); !s)
      return s;
    if (resident > 0)
      out = fn;
    return Status::success();
  };
  if (net->blockKernel())
    if (Status s = u8Kernel(abi::kNetU8Kernel, net->shape, net->netU8Kernel);
        !s)
      return s;
  // The block kernel beside the thread kernel (GeneratedABI.h): optional,
  // and left unused where this device lacks its shared memory.
  void *blockFn = nullptr;
  if (!net->blockKernel() &&
      d.cuModuleGetFunction(&blockFn, net->module, abi::kNetBlockKernel) ==
          CUDA_SUCCESS) {
    if (Status s = net->readGlobal(abi::kBlockShapeSymbol, net->blockShape,
                                   sizeof(net->blockShape));
        !s)
      return s;
    if (!blockShapeValid(net->blockShape) ||
        net->blockShape[abi::kScratchSlots] != 0 ||
        net->blockShape[abi::kPlanes] != net->shape[abi::kPlanes])
      return Status::errorAt(ptxPath, "malformed " +
                                          std::string(abi::kBlockShapeSymbol));
    if (size_t(net->blockShape[abi::kGpuSharedBytes]) <= size_t(optin)) {
      int resident = 0;
      if (Status s = residency(blockFn, abi::kNetBlockKernel, net->blockShape,
                               resident);
          !s)
        return s;
      // A block this device cannot run at all (registers) leaves the
      // thread kernel to every launch, as too little shared memory does.
      if (resident > 0) {
        net->netBlockKernel = blockFn;
        net->besideResident = unsigned(resident);
        if (Status s = u8Kernel(abi::kNetBlockU8Kernel, net->blockShape,
                                net->netBlockU8Kernel);
            !s)
          return s;
      }
    }
  }
  // lgc_pack_bits's words a thread: 1 where the module does not say.
  uint32_t bitsWords = 1;
  if (Status s = net->readOptionalU32(abi::kPackBitsWordsSymbol, bitsWords); !s)
    return s;
  if (bitsWords != 1 && bitsWords != 4)
    return Status::errorAt(ptxPath, "malformed " +
                                        std::string(abi::kPackBitsWordsSymbol));
  net->packBitsWords = bitsWords;
  // The packing kernel staged through shared memory (GeneratedABI.h):
  // optional, and left unused where this device lacks its shared memory.
  void *tiledFn = nullptr;
  if (net->shape[abi::kLevels] &&
      d.cuModuleGetFunction(&tiledFn, net->module, abi::kPackU8TiledKernel) ==
          CUDA_SUCCESS) {
    // Its words a block: 1 where the module does not say.
    uint32_t words = 1;
    if (Status s = net->readOptionalU32(abi::kPackTiledWordsSymbol, words); !s)
      return s;
    if (words != 1 && words != 2 && words != 4)
      return Status::errorAt(
          ptxPath, "malformed " + std::string(abi::kPackTiledWordsSymbol));
    net->packTiledWords = words;
    size_t bytes = net->packTiledSharedBytes();
    if (bytes <= size_t(optin)) {
      if (Status s = grant(tiledFn, bytes,
                           "granting lgc_pack_u8_tiled its shared memory");
          !s)
        return s;
      net->packTiledKernel = tiledFn;
    }
  }
  // One wave of lgc_net: the samples whose threads the GPU runs at once.
  // A thread of the thread kernel evaluates the whole net for its samples,
  // so a launch takes about as long for a few tiles as for a full wave:
  // stream() cuts its input into waves (into larger chunks for the block
  // kernel, whose blocks are short).
  int sms = 0, blocks = 0;
  if (Status s =
          net->check(d.cuDeviceGetAttribute(
                         &sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev),
                     "reading the multiprocessor count");
      !s)
    return s;
  if (Status s =
          net->check(d.cuOccupancyMaxActiveBlocksPerMultiprocessor(
                         &blocks, net->netKernel, int(netThreads), sharedBytes),
                     "reading lgc_net's occupancy");
      !s)
    return s;
  // No block fits a multiprocessor: a launch would fail with "too many
  // resources requested" (registers per thread times threads per block).
  if (blocks < 1)
    return Status::errorAt(
        ptxPath, "lgc_net cannot run on this device: not one block of " +
                     std::to_string(netThreads) + " threads" +
                     (sharedBytes ? " and " + std::to_string(sharedBytes) +
                                        " bytes of shared memory"
                                  : std::string()) +
                     " fits a multiprocessor (its registers per thread "
                     "times its threads exceed the device's; recompile with "
                     "a smaller --gpu-max-registers or --gpu-block-threads)");
  net->netResident = unsigned(blocks);
  net->waveSamples =
      size_t(std::max(1, sms)) * size_t(blocks) * net->netBlockSamples();
  // The block kernel's u8 form may prefetch the pixels of the block that
  // takes each block's place (GeneratedABI.h): as many blocks ahead as the
  // device runs of it at once.
  CUdeviceptr aheadPtr;
  size_t aheadBytes;
  if (d.cuModuleGetGlobal(&aheadPtr, &aheadBytes, net->module,
                          abi::kBlockU8AheadSymbol) == CUDA_SUCCESS) {
    if (aheadBytes != sizeof(uint32_t))
      return Status::errorAt(ptxPath, std::string("unexpected size of ") +
                                          abi::kBlockU8AheadSymbol + " (" +
                                          std::to_string(aheadBytes) +
                                          " bytes, expected 4)");
    uint32_t ahead =
        uint32_t(std::max(1, sms)) *
        (net->blockKernel() ? net->netResident : net->besideResident);
    if (Status s = net->check(d.cuMemcpyHtoD(aheadPtr, &ahead, sizeof(ahead)),
                              "writing __lgc_gen_block_u8_ahead");
        !s)
      return s;
    net->blockU8Ahead = ahead;
  }
  // A block kernel whose blocks loop over the grid (its gate table in
  // shared memory, copied once a block): launched with the blocks the
  // device runs at once, so that each copies the table once.
  uint32_t gridStride = 0;
  if (Status s = net->readOptionalU32(abi::kBlockGridStrideSymbol, gridStride);
      !s)
    return s;
  if (net->blockKernel() && gridStride)
    net->strideBlocks = uint32_t(std::max(1, sms)) * net->netResident;
  out = std::move(net);
  return Status::success();
}

Status CudaNet::readOptionalU32(const char *name, uint32_t &value) const {
  CUdeviceptr ptr;
  size_t bytes;
  if (driver->cuModuleGetGlobal(&ptr, &bytes, module, name) != CUDA_SUCCESS)
    return Status::success();
  if (bytes != sizeof(value))
    return Status::errorAt(path, std::string("unexpected size of ") + name +
                                     " (" + std::to_string(bytes) +
                                     " bytes, expected 4)");
  std::string what = std::string("reading ") + name;
  return check(driver->cuMemcpyDtoH(&value, ptr, sizeof(value)), what.c_str());
}

Status CudaNet::readGlobal(const char *name, void *out, size_t size,
                           bool prefix) const {
  CUdeviceptr ptr;
  size_t bytes;
  std::string what = std::string("finding ") + name;
  if (Status s = check(driver->cuModuleGetGlobal(&ptr, &bytes, module, name),
                       what.c_str());
      !s)
    return s;
  if (prefix ? bytes < size : bytes != size)
    return Status::errorAt(path, std::string("unexpected size of ") + name +
                                     " (" + std::to_string(bytes) +
                                     " bytes, expected " +
                                     std::to_string(size) + ")");
  what = std::string("reading ") + name;
  return check(driver->cuMemcpyDtoH(out, ptr, size), what.c_str());
}

CudaNet::~CudaNet() {
  if (driver && module)
    driver->cuModuleUnload(module);
  if (driver && context)
    driver->cuDevicePrimaryCtxRelease(deviceId);
}

Status CudaNet::runU8(const uint8_t *x, size_t n, uint32_t *counts,
                      uint32_t *classes, double *deviceSeconds,
                      unsigned repeat) {
  return run(Input::U8, x, 0, n, counts, classes, deviceSeconds, repeat);
}

Status CudaNet::runPacked(const uint64_t *bits, size_t n, uint32_t *counts,
                          uint32_t *classes, double *deviceSeconds,
                          unsigned repeat) {
  return run(Input::Packed, bits, 0, n, counts, classes, deviceSeconds, repeat);
}

Status CudaNet::timeKernels(Input form, const void *hostInput, size_t n,
                            unsigned repeat, KernelTimes &times) {
  // One launch of both first (module loading, caches), then each alone.
  if (Status s =
          run(form, hostInput, 0, n, nullptr, nullptr, nullptr, 1, &times);
      !s)
    return s;
  return run(form, hostInput, 0, n, nullptr, nullptr, nullptr, repeat, &times);
}

Status CudaNet::runOnDevice(Input form, uint64_t input, size_t n,
                            uint32_t *counts, uint32_t *classes,
                            double *deviceSeconds, unsigned repeat) {
  if (n == 0)
    return Status::success();
  if (!input)
    return Status::errorAt(path, "null device input");
  if (Status s = checkDeviceInput(form, input, n); !s)
    return s;
  return run(form, nullptr, input, n, counts, classes, deviceSeconds, repeat);
}

Status CudaNet::checkDeviceInput(Input form, uint64_t input, size_t n) const {
  Driver &d = *driver;
  if (Status s = check(d.cuCtxSetCurrent(context), "cuCtxSetCurrent"); !s)
    return s;
  auto hex = [](uint64_t v) {
    char text[24];
    std::snprintf(text, sizeof(text), "0x%llx", (unsigned long long)v);
    return std::string(text);
  };
  const char *what = form == Input::U8 ? "8-bit features" : "packed bits";
  // The kernels would fault on anything else, and a fault leaves the
  // context unusable for every later launch: a host pointer, memory freed,
  // memory of another device, or an allocation that ends too soon.
  unsigned type = 0;
  if (d.cuPointerGetAttribute(&type, CU_POINTER_ATTRIBUTE_MEMORY_TYPE,
                              CUdeviceptr(input)) != CUDA_SUCCESS)
    return Status::errorAt(
        path, "device input " + hex(input) +
                  " is not memory the CUDA driver knows (a host pointer, "
                  "or memory already freed?): it must come from cuMemAlloc, "
                  "cudaMalloc or a CUDA array of PyTorch, CuPy or Numba");
  int ordinal = deviceId;
  if (type != CU_MEMORYTYPE_HOST &&
      d.cuPointerGetAttribute(&ordinal, CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL,
                              CUdeviceptr(input)) == CUDA_SUCCESS &&
      ordinal != deviceId)
    return Status::errorAt(
        path, "device input " + hex(input) + " is memory of device " +
                  std::to_string(ordinal) + "; the net runs on device " +
                  std::to_string(deviceId) +
                  " (lgc_rt_open_cuda, or lgc.load(path, device=N) in "
                  "Python, opens it on another)");
  // lgc_pack_bits loads whole 64-bit words.
  if (form == Input::Packed && input % 8)
    return Status::errorAt(path, "device input " + hex(input) +
                                     " of packed bits is not 8-byte aligned");
  // Where the driver gives the allocation's range (memory reserved for
  // mapping reports its whole reservation), the input must end within it.
  CUdeviceptr start = 0;
  size_t size = 0;
  size_t bytes = inputBytes(form, n);
  if (d.cuPointerGetAttribute(&start, CU_POINTER_ATTRIBUTE_RANGE_START_ADDR,
                              CUdeviceptr(input)) == CUDA_SUCCESS &&
      d.cuPointerGetAttribute(&size, CU_POINTER_ATTRIBUTE_RANGE_SIZE,
                              CUdeviceptr(input)) == CUDA_SUCCESS &&
      start <= input && input - start <= size && bytes > size - (input - start))
    return Status::errorAt(path, std::to_string(n) + " samples of " + what +
                                     " take " + std::to_string(bytes) +
                                     " bytes, but the allocation at " +
                                     hex(start) + " holds " +
                                     std::to_string(size - (input - start)) +
                                     " from " + hex(input));
  return Status::success();
}

Status CudaNet::waitForStream(uint64_t stream) {
  if (!stream)
    return Status::success();
  if (Status s = check(driver->cuCtxSetCurrent(context), "cuCtxSetCurrent"); !s)
    return s;
  return check(driver->cuStreamSynchronize(reinterpret_cast<void *>(stream)),
               "waiting for the input's stream");
}

void CudaNet::bufferSizes(size_t inputBytes, uint64_t words,
                          size_t sizes[5]) const {
  size_t slots = std::max<size_t>(1, shape[abi::kScratchSlots]);
  size_t planeRows = size_t(classes()) * size_t(shape[abi::kPlanes]);
  sizes[0] = inputBytes;
  sizes[1] = size_t(inputs()) * words * 8;
  sizes[2] = slots * words * 8;
  sizes[3] = planeRows * words * 8;
  sizes[4] = size_t(words) * 64 * 4;
}

Status CudaNet::launch(Input form, uint64_t input, size_t n,
                       const unsigned long long buffers[5], uint64_t words,
                       void *stream, bool pack, bool net) {
  long long nn = (long long)n, w = (long long)words;
  CUdeviceptr in = input, packed = buffers[1], scratch = buffers[2],
              planes = buffers[3], classOut = buffers[4];
  long long threads = (long long)packThreads(form, words);
  void *packArgs[] = {&in, &nn, &packed, &w};
  // The u8 kernel reads four features a load where they come in fours;
  // from a pointer that is not 4-byte aligned (a caller's device input)
  // each of its words would take its checked path, a byte and a shared
  // memory update at a time, so such input takes the packing kernel.
  void *u8 = u8KernelFor(form, n);
  if (u8 &&
      abi::gpuPackU8FeaturesPerThread(
          reinterpret_cast<const uint32_t *>(shape)) == 4 &&
      input % 4)
    u8 = nullptr;
  if (pack && !(net && u8)) {
    // lgc_pack_u8_tiled, where the module has it: a block per
    // packTiledWords words, their samples' bytes staged in shared memory;
    // else a thread per row of a word.
    bool tiled = form == Input::U8 && packsTiled(input);
    void *fn = tiled               ? packTiledKernel
               : form == Input::U8 ? packKernel
                                   : packBitsKernel;
    unsigned grid =
        tiled ? unsigned(w / packTiledWords) : unsigned((threads + 255) / 256);
    unsigned block = tiled ? unsigned(abi::kGpuPackTiledThreads) : 256;
    unsigned shared = tiled ? unsigned(packTiledSharedBytes()) : 0;
    if (Status s =
            check(driver->cuLaunchKernel(fn, grid, 1, 1, block, 1, 1, shared,
                                         stream, packArgs, nullptr),
                  tiled               ? "launching lgc_pack_u8_tiled"
                  : form == Input::U8 ? "launching lgc_pack_u8"
                                      : "launching lgc_pack_bits");
        !s)
      return s;
  }
  void *netArgs[] = {&packed, &scratch, &planes, &classOut, &w};
  if (!net)
    return Status::success();
  // A block kernel of shape `kernelShape`: its grid, block and shared
  // memory from that table.
  auto launchBlocks = [&](void *fn, const int32_t *kernelShape, void **args,
                          const char *what) {
    uint64_t grid = abi::gpuBlockGrid(
        reinterpret_cast<const uint32_t *>(kernelShape), words);
    // Blocks that loop over the grid: as many as run at once.
    if (kernelShape == shape && strideBlocks)
      grid = std::min<uint64_t>(grid, strideBlocks);
    return check(
        driver->cuLaunchKernel(fn, unsigned(grid), 1, 1,
                               unsigned(kernelShape[abi::kGpuBlockThreads]), 1,
                               1, unsigned(kernelShape[abi::kGpuSharedBytes]),
                               stream, args, nullptr),
        what);
  };
  // Both kernels from 8-bit features: the block kernel's u8 form, where
  // the launch's block kernel has one, reads them itself (pack was
  // launched above only for a caller that asked for it alone).
  if (u8 && pack) {
    void *u8Args[] = {&in, &nn, &scratch, &planes, &classOut, &w};
    return launchesBlockKernel(n)
               ? launchBlocks(u8, blockShape, u8Args,
                              "launching lgc_net_block_u8")
               : launchBlocks(u8, shape, u8Args, "launching lgc_net_u8");
  }
  // A launch too small to fill the GPU with the thread kernel's threads
  // takes the block kernel beside it, where the module has one.
  if (launchesBlockKernel(n))
    return launchBlocks(netBlockKernel, blockShape, netArgs,
                        "launching lgc_net_block");
  if (blockKernel())
    return launchBlocks(netKernel, shape, netArgs, "launching lgc_net");
  // The thread kernel: a thread per word of its bits.
  uint64_t grid =
      (abi::gpuNetThreads(reinterpret_cast<const uint32_t *>(shape), words) +
       kNetBlock - 1) /
      kNetBlock;
  return check(driver->cuLaunchKernel(netKernel, unsigned(grid), 1, 1,
                                      kNetBlock, 1, 1, 0, stream, netArgs,
                                      nullptr),
               "launching lgc_net");
}

void *CudaNet::u8KernelFor(Input form, size_t n) const {
  if (form != Input::U8)
    return nullptr;
  if (launchesBlockKernel(n))
    return netBlockU8Kernel;
  return blockKernel() ? netU8Kernel : nullptr;
}

uint64_t CudaNet::packThreads(Input form, uint64_t words) const {
  return form == Input::U8
             ? abi::gpuPackU8Rows(reinterpret_cast<const uint32_t *>(shape)) *
                   words
             : abi::gpuPackBitsThreads(inputs(), words, packBitsWords);
}

size_t CudaNet::inputBytes(Input form, size_t n) const {
  return form == Input::U8 ? n * size_t(features())
                           : (n + 63) / 64 * size_t(inputs()) * 8;
}

size_t CudaNet::launchSamples() const {
  const size_t tileSamples = 64 * abi::kGpuTileWords;
  if (launchLimit)
    return std::max(tileSamples, launchLimit / tileSamples * tileSamples);
  // Device bytes a tile of samples takes at most: launchRun's buffers
  // for it, its input as 8-bit features.
  size_t sizes[5];
  bufferSizes(inputBytes(Input::U8, tileSamples), abi::gpuWords(tileSamples),
              sizes);
  size_t perTile = sizes[0] + sizes[1] + sizes[2] + sizes[3] + sizes[4];
  size_t samples = std::max(waveSamples, kLaunchBytes / perTile * tileSamples);
  return std::max(tileSamples, samples / tileSamples * tileSamples);
}

Status CudaNet::run(Input form, const void *hostInput, uint64_t deviceInput,
                    size_t n, uint32_t *countsOut, uint32_t *classesOut,
                    double *deviceSeconds, unsigned repeat,
                    KernelTimes *times) {
  size_t limit = launchSamples();
  if (times || n <= limit)
    return launchRun(form, hostInput, deviceInput, n, countsOut, classesOut,
                     deviceSeconds, repeat, times);
  // Launches of at most `limit` samples (whole tiles, so packed input's
  // 64-sample blocks and the outputs continue where the last one ended):
  // device memory for a batch of any size, and each launch a wave or more
  // of the gate kernel.
  double total = 0;
  for (size_t start = 0; start < n; start += limit) {
    size_t m = std::min(limit, n - start);
    double seconds = 0;
    size_t offset = inputBytes(form, start);
    if (Status s = launchRun(
            form,
            hostInput ? static_cast<const char *>(hostInput) + offset : nullptr,
            hostInput ? 0 : deviceInput + offset, m,
            countsOut ? countsOut + start * classes() : nullptr,
            classesOut ? classesOut + start : nullptr, &seconds, repeat,
            nullptr);
        !s)
      return s;
    total += seconds;
  }
  if (deviceSeconds)
    *deviceSeconds = total;
  return Status::success();
}

Status CudaNet::launchRun(Input form, const void *hostInput,
                          uint64_t deviceInput, size_t n, uint32_t *countsOut,
                          uint32_t *classesOut, double *deviceSeconds,
                          unsigned repeat, KernelTimes *times) {
  if (n == 0)
    return Status::success();
  if (!hostInput && !deviceInput)
    return Status::errorAt(path, "null input");
  Driver &d = *driver;
  if (Status s = check(d.cuCtxSetCurrent(context), "cuCtxSetCurrent"); !s)
    return s;
  // Whole tiles of threads (GeneratedABI.h): the arrays are tile-major.
  long long words = (long long)abi::gpuWords(n);
  size_t sizes[5];
  bufferSizes(hostInput ? inputBytes(form, n) : 0, uint64_t(words), sizes);
  CUdeviceptr buf[5] = {};
  Status status = Status::success();
  auto release = [&] {
    for (CUdeviceptr p : buf)
      if (p)
        d.cuMemFree(p);
  };
  for (int i = 0; i < 5 && status; ++i)
    if (i != 0 || hostInput)
      status =
          check(d.cuMemAlloc(&buf[i], sizes[i] ? sizes[i] : 8), "cuMemAlloc");
  if (status && hostInput)
    status =
        check(d.cuMemcpyHtoD(buf[0], hostInput, sizes[0]), "copying the input");
  uint64_t input = hostInput ? buf[0] : deviceInput;
  if (status) {
    // Seconds per launch of the kernels (`pack`, `net`) over `repeat`
    // launches.
    auto timed = [&](bool pack, bool net) {
      auto start = std::chrono::steady_clock::now();
      for (unsigned r = 0; r < std::max(1u, repeat) && status; ++r)
        status =
            launch(form, input, n, buf, uint64_t(words), nullptr, pack, net);
      if (status)
        status = check(d.cuCtxSynchronize(), "running the kernels");
      return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                           start)
                 .count() /
             std::max(1u, repeat);
    };
    double both = timed(true, true);
    if (deviceSeconds)
      *deviceSeconds = both;
    // Each kernel alone: the packing kernel's output stays valid for the
    // gate kernel's launches (the launches above left it in place).
    if (times && status) {
      times->pack = timed(true, false);
      if (status)
        times->net = timed(false, true);
    }
  }
  if (status && classesOut) {
    std::vector<uint32_t> padded(size_t(words) * 64);
    status = check(d.cuMemcpyDtoH(padded.data(), buf[4], sizes[4]),
                   "copying classes back");
    if (status)
      std::memcpy(classesOut, padded.data(), n * 4);
  }
  if (status && countsOut) {
    std::vector<uint64_t> planes(sizes[3] / 8);
    status = check(d.cuMemcpyDtoH(planes.data(), buf[3], sizes[3]),
                   "copying counts back");
    if (status)
      decodeCounts(planes.data(), n, countsOut);
  }
  release();
  return status;
}

void CudaNet::decodeCounts(const uint64_t *planes, size_t n,
                           uint32_t *countsOut) const {
  size_t K = size_t(shape[abi::kPlanes]);
  size_t planeRows = size_t(classes()) * K;
  for (size_t s = 0; s < n; ++s)
    for (uint32_t c = 0; c < classes(); ++c) {
      uint32_t count = 0;
      for (size_t j = 0; j < K; ++j)
        count |=
            uint32_t((planes[abi::gpuTileIndex(planeRows, c * K + j, s / 64)] >>
                      (s % 64)) &
                     1)
            << j;
      countsOut[s * classes() + c] = count;
    }
}

Status CudaNet::allocatePinned(size_t bytes, void **out) {
  *out = nullptr;
  if (Status s = check(driver->cuCtxSetCurrent(context), "cuCtxSetCurrent"); !s)
    return s;
  return check(driver->cuMemAllocHost(out, bytes ? bytes : 1),
               "allocating pinned host memory");
}

void CudaNet::freePinned(void *p) {
  if (p)
    driver->cuMemFreeHost(p);
}

Status CudaNet::stream(Input form, const void *input, size_t n,
                       uint32_t *classesOut, size_t chunk, double *seconds,
                       uint32_t *countsOut) {
  if (n == 0)
    return Status::success();
  if (!input || (!classesOut && !countsOut))
    return Status::errorAt(path, "null input or output");
  Driver &d = *driver;
  if (Status s = check(d.cuCtxSetCurrent(context), "cuCtxSetCurrent"); !s)
    return s;
  // Chunks of whole tiles, so that packed input (64-sample blocks) and the
  // classes of one chunk start where the previous one ended.
  const size_t tileSamples = 64 * abi::kGpuTileWords;
  // By default one wave of the gate kernel. A launch of fewer samples takes
  // about as long, so smaller chunks only pay where they let a copy
  // overlap kernels: n of more than half a wave goes in at least two
  // chunks. On an H200, 784-6x8000: 4M u8 images in one chunk 54 M
  // images/s, in two 63 M/s; 16M packed in waves 452-461 M/s, in chunks of
  // 1M 357-365 M/s; 784-6x64000, 1M packed in one chunk 75.5 M/s, in two
  // 57.8 M/s.
  // The block kernel's blocks are short (6x8000 on an H200: a wave is
  // 34K samples) and a launch lasts as long as its waves, so its unit is
  // 4M samples, the thread kernel's wave there (a choice, not measured).
  size_t unit =
      blockKernel() ? std::max(waveSamples, size_t(1) << 22) : waveSamples;
  if (chunk == 0)
    chunk = n <= unit / 2 ? n : std::min(unit, (n + 1) / 2);
  chunk = std::max(tileSamples, chunk / tileSamples * tileSamples);
  chunk = std::min(chunk, (n + tileSamples - 1) / tileSamples * tileSamples);
  uint64_t words = abi::gpuWords(chunk);
  size_t sizes[5];
  bufferSizes(inputBytes(form, chunk), words, sizes);
  constexpr int kSlots = 2;
  CUdeviceptr buf[kSlots][5] = {};
  void *streams[kSlots] = {};
  void *pinnedOut[kSlots] = {}, *pinnedPlanes[kSlots] = {};
  Status status = Status::success();
  for (int k = 0; k < kSlots && status; ++k) {
    for (int i = 0; i < 5 && status; ++i)
      status = check(d.cuMemAlloc(&buf[k][i], sizes[i] ? sizes[i] : 8),
                     "cuMemAlloc");
    if (status)
      status = check(d.cuStreamCreate(&streams[k], 0), "cuStreamCreate");
    if (status && classesOut)
      status = check(d.cuMemAllocHost(&pinnedOut[k], sizes[4]),
                     "allocating pinned host memory");
    if (status && countsOut)
      status = check(d.cuMemAllocHost(&pinnedPlanes[k], sizes[3]),
                     "allocating pinned host memory");
  }
  // The classes of a finished chunk, from its pinned buffer to the caller.
  std::vector<size_t> pending(kSlots, SIZE_MAX);
  auto finish = [&](int k) -> Status {
    if (pending[k] == SIZE_MAX)
      return Status::success();
    if (Status s = check(d.cuStreamSynchronize(streams[k]), "running a chunk");
        !s)
      return s;
    size_t first = pending[k], count = std::min(chunk, n - first);
    if (classesOut)
      std::memcpy(classesOut + first, pinnedOut[k], count * 4);
    if (countsOut)
      decodeCounts(static_cast<const uint64_t *>(pinnedPlanes[k]), count,
                   countsOut + first * classes());
    pending[k] = SIZE_MAX;
    return Status::success();
  };
  auto start = std::chrono::steady_clock::now();
  const char *bytes = static_cast<const char *>(input);
  size_t index = 0;
  for (size_t first = 0; first < n && status; first += chunk, ++index) {
    int k = int(index % kSlots);
    // The slot's previous chunk must be done before its buffers are reused;
    // meanwhile the other slot's copies and kernels run.
    status = finish(k);
    if (!status)
      break;
    size_t count = std::min(chunk, n - first);
    status =
        check(d.cuMemcpyHtoDAsync(buf[k][0], bytes + inputBytes(form, first),
                                  inputBytes(form, count), streams[k]),
              "copying a chunk to the device");
    if (status)
      status = launch(form, buf[k][0], count, buf[k], words, streams[k]);
    if (status && classesOut)
      status = check(
          d.cuMemcpyDtoHAsync(pinnedOut[k], buf[k][4], count * 4, streams[k]),
          "copying classes back");
    if (status && countsOut)
      status = check(
          d.cuMemcpyDtoHAsync(pinnedPlanes[k], buf[k][3], sizes[3], streams[k]),
          "copying counts back");
    if (status)
      pending[k] = first;
  }
  for (int k = 0; k < kSlots && status; ++k)
    status = finish(k);
  if (seconds)
    *seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
  for (int k = 0; k < kSlots; ++k) {
    if (streams[k])
      d.cuStreamSynchronize(streams[k]);
    for (CUdeviceptr p : buf[k])
      if (p)
        d.cuMemFree(p);
    if (streams[k])
      d.cuStreamDestroy(streams[k]);
    if (pinnedOut[k])
      d.cuMemFreeHost(pinnedOut[k]);
    if (pinnedPlanes[k])
      d.cuMemFreeHost(pinnedPlanes[k]);
  }
  return status;
}

Status CudaNet::upload(const void *data, size_t bytes, uint64_t *out) {
  *out = 0;
  if (Status s = check(driver->cuCtxSetCurrent(context), "cuCtxSetCurrent"); !s)
    return s;
  CUdeviceptr p = 0;
  if (Status s = check(driver->cuMemAlloc(&p, bytes ? bytes : 8), "cuMemAlloc");
      !s)
    return s;
  if (Status s = check(driver->cuMemcpyHtoD(p, data, bytes), "uploading"); !s) {
    driver->cuMemFree(p);
    return s;
  }
  *out = p;
  return Status::success();
}

void CudaNet::freeDevice(uint64_t p) {
  if (p)
    driver->cuMemFree(CUdeviceptr(p));
}

Status CudaNet::encoding(uint32_t *feature, uint32_t *thresholdU8) const {
  size_t bytes = size_t(inputs()) * 4;
  if (Status s = readGlobal(abi::kBitFeatureSymbol, feature, bytes); !s)
    return s;
  return readGlobal(abi::kBitThresholdU8Symbol, thresholdU8, bytes);
}
