//===- CudaNet.h - Running PTX nets through the CUDA driver -----*- C++ -*-===//
//
// Part of lgc. No CUDA headers or libraries at build time: libcuda.so.1 is
// opened at run time, so programs start (and report "no CUDA driver" or "no
// CUDA device" cleanly) on machines without a GPU. LGC_CUDA_DRIVER, if set,
// names the library to open instead. A net is a module from
// lgc: PTX (JIT-compiled by the driver when loaded), or a cubin or fatbin
// (loaded as they are).
//
//===----------------------------------------------------------------------===//

#ifndef LGC_RUNTIME_CUDANET_H
#define LGC_RUNTIME_CUDANET_H

#include "lgc/Runtime/GeneratedABI.h"
#include "lgc/Runtime/Status.h"

#include <cstdint>
#include <memory>
#include <string>

namespace lgc {

class CudaNet {
public:
  /// Loads `ptxPath` (from `lgc --emit=ptx|cubin|fatbin`) into the primary
  /// context of CUDA device `device` (an ordinal, as cuDeviceGet takes).
  static Status open(const std::string &ptxPath, std::unique_ptr<CudaNet> &out,
                     int device = 0);
  ~CudaNet();

  uint32_t inputs() const { return shape[abi::kInputs]; }
  uint32_t features() const { return shape[abi::kFeatures]; }
  uint32_t classes() const { return shape[abi::kClasses]; }
  uint32_t outputs() const { return shape[abi::kOutputs]; }
  uint32_t gates() const { return shape[abi::kGates]; }
  double tau() const { return tauValue; }
  const std::string &deviceName() const { return device; }

  /// Classifies n samples of 8-bit features: packing, gates, GroupSum and
  /// argmax on the device. `counts` (n x classes) and `classes` may be
  /// null (the argument order of lgc_net.h). `deviceSeconds`, if given,
  /// receives the time of the kernels alone (averaged over `repeat` launches
  /// on the same uploaded data).
  Status runU8(const uint8_t *x, size_t n, uint32_t *counts, uint32_t *classes,
               double *deviceSeconds = nullptr, unsigned repeat = 1);
  /// The same from input bits already packed in lgc_net.h's layout
  /// (bits[w * inputs + i] is input bit i of samples 64 w .. 64 w + 63):
  /// inputs / 8 bytes per sample cross the bus instead of `features`.
  Status runPacked(const uint64_t *bits, size_t n, uint32_t *counts,
                   uint32_t *classes, double *deviceSeconds = nullptr,
                   unsigned repeat = 1);

  /// The input's form: 8-bit features, or packed bits as runPacked takes.
  enum class Input { U8, Packed };
  /// The same from input already in device memory (a CUdeviceptr of this
  /// net's context, inputBytes(form, n) bytes), for callers whose data is on
  /// the GPU: nothing is copied to the device. The pointer is checked first
  /// (checkDeviceInput): a bad one is an error, not a fault of the kernels.
  Status runOnDevice(Input form, uint64_t input, size_t n, uint32_t *counts,
                     uint32_t *classes, double *deviceSeconds = nullptr,
                     unsigned repeat = 1);
  /// Whether n samples of `form` at device address `input` are memory the
  /// kernels can read, by the driver's attributes of the pointer: memory
  /// the driver knows (device, managed or mapped pinned host memory), of
  /// this net's device, 8-byte aligned for packed bits, and, where the
  /// driver reports the allocation's range, inputBytes(form, n) bytes
  /// within it.
  Status checkDeviceInput(Input form, uint64_t input, size_t n) const;
  /// Blocks until the work queued on `stream` (a CUstream of this net's
  /// context as an integer; 1 and 2 are the legacy and per-thread default
  /// streams; 0: none) has finished: for device input a caller produces
  /// there, before runOnDevice reads it.
  Status waitForStream(uint64_t stream);
  /// Each kernel's time alone on n samples of `form` from host memory, in
  /// seconds per launch averaged over `repeat` launches after a warm-up:
  /// the packing kernel, and lgc_net (gates, GroupSum, argmax). For
  /// benchmarks that need the gate kernel's speed apart from the packing.
  /// Where launchesU8Kernel(n), runU8's time is that kernel's, and these
  /// two are the path it replaces.
  struct KernelTimes {
    double pack = 0, net = 0;
  };
  Status timeKernels(Input form, const void *hostInput, size_t n,
                     unsigned repeat, KernelTimes &times);
  /// The input encoding baked into the module: input bit i is feature
  /// feature[i] >= thresholdU8[i] (inputs() entries each).
  Status encoding(uint32_t *feature, uint32_t *thresholdU8) const;
  /// Bytes of input for n samples in `form`.
  size_t inputBytes(Input form, size_t n) const;

  /// Classifies n samples from host memory end to end, in chunks of about
  /// `chunk` samples (whole tiles of 2,048; 0: samplesPerWave(), for the
  /// block kernel at least 4M, and at least two chunks where n is over half
  /// of that) on two streams: while one
  /// chunk's input is copied to the device, the other's kernels run and its
  /// classes come back, so copies and compute overlap. Input in pinned
  /// memory (allocatePinned) is copied by DMA at the bus's speed; other
  /// memory works too, through the driver's staging. `seconds` receives the
  /// wall time of the whole run, copies included. `counts` (n x classes),
  /// if given, also receives the class counts; `classes` may then be null.
  Status stream(Input form, const void *input, size_t n, uint32_t *classes,
                size_t chunk = 0, double *seconds = nullptr,
                uint32_t *counts = nullptr);
  /// The samples of one full wave of the gate kernel on this device
  /// (multiprocessors x resident blocks x words per block x 64): for the
  /// thread kernel smaller launches take about as long, since each thread
  /// runs the whole net.
  size_t samplesPerWave() const { return waveSamples; }
  /// Whether lgc_net is the block kernel (GeneratedABI.h); lgc_net's
  /// threads per block, words per block (64 or 32 samples each,
  /// netBlockWordBits(); one per thread for the thread kernel) and dynamic
  /// shared memory.
  bool blockKernel() const { return shape[abi::kGpuBlockWords] > 0; }
  unsigned netBlockThreads() const {
    return blockKernel() ? unsigned(shape[abi::kGpuBlockThreads]) : kNetBlock;
  }
  size_t netBlockWords() const {
    return blockKernel() ? size_t(shape[abi::kGpuBlockWords]) : kNetBlock;
  }
  unsigned netBlockWordBits() const {
    return abi::gpuWordBits(reinterpret_cast<const uint32_t *>(shape));
  }
  /// Samples a block of lgc_net evaluates (words per block times their
  /// bits: 64 or 32 per thread for the thread kernel).
  size_t netBlockSamples() const {
    return blockKernel() ? size_t(abi::gpuBlockSamples(
                               reinterpret_cast<const uint32_t *>(shape)))
                         : size_t(kNetBlock) * netBlockWordBits();
  }
  size_t netSharedBytes() const {
    return blockKernel() ? size_t(shape[abi::kGpuSharedBytes]) : 0;
  }
  /// Blocks of lgc_net resident on one multiprocessor at once: the driver's
  /// occupancy for its threads per block, registers and shared memory (at
  /// least 1: a module none of whose blocks fit does not load).
  unsigned residentBlocks() const { return netResident; }
  /// The same for lgc_net_block, where hasBlockKernelBeside().
  unsigned besideResidentBlocks() const { return besideResident; }
  /// How many blocks ahead the block kernel's u8 form prefetches pixels
  /// (GeneratedABI.h, kBlockU8AheadSymbol: the multiprocessors times its
  /// resident blocks); 0 where the module does not prefetch them.
  uint32_t blockU8PrefetchAhead() const { return blockU8Ahead; }
  /// The blocks a launch of lgc_net (or lgc_net_u8) runs where its blocks
  /// loop over the grid (GeneratedABI.h, kBlockGridStrideSymbol: the
  /// multiprocessors times its resident blocks); 0 where they do not (a
  /// block per gpuBlockGrid block).
  uint32_t gridStrideBlocks() const { return strideBlocks; }
  /// lgc_net_block's threads per block, where hasBlockKernelBeside().
  unsigned besideBlockThreads() const {
    return unsigned(blockShape[abi::kGpuBlockThreads]);
  }
  /// lgc_net_block's word bits (64, or 32 where only those fit), where
  /// hasBlockKernelBeside().
  unsigned besideBlockWordBits() const {
    return unsigned(blockShape[abi::kGpuWordBits]);
  }
  /// Whether the module also carries the block kernel beside the thread
  /// kernel (lgc --gpu-kernel=both) and this device runs it: launches of
  /// fewer than samplesPerWave() samples, which leave part of the GPU idle
  /// with a thread per word, take it instead.
  bool hasBlockKernelBeside() const { return netBlockKernel != nullptr; }
  /// Whether a launch of n samples of 8-bit features takes the block
  /// kernel that reads them itself (lgc_net_u8, or lgc_net_block_u8 where
  /// launchesBlockKernel(n); GeneratedABI.h) instead of the packing kernel
  /// and lgc_net: modules with a block kernel and a thermometer encoding.
  bool launchesU8Kernel(size_t n) const {
    return u8KernelFor(Input::U8, n) != nullptr;
  }
  /// Whether packing 8-bit features from `input` (a device address) takes
  /// lgc_pack_u8_tiled (GeneratedABI.h: lgc --gpu-pack=tiled, a device
  /// that gives its shared memory, input 16-byte aligned) instead of
  /// lgc_pack_u8.
  bool packsTiled(uint64_t input) const {
    return packTiledKernel && input % 16 == 0;
  }
  /// lgc_pack_u8_tiled's words a block (lgc --gpu-pack-words) and its
  /// shared memory, where the module has it.
  unsigned packTiledWordsPerBlock() const { return packTiledWords; }
  size_t packTiledSharedBytes() const {
    return abi::gpuPackTiledSharedBytes(features(), inputs(), packTiledWords);
  }
  /// lgc_pack_bits's words a thread (lgc --gpu-pack-bits-words).
  unsigned packBitsWordsPerThread() const { return packBitsWords; }
  /// Whether a launch of n samples takes lgc_net_block.
  bool launchesBlockKernel(size_t n) const {
    return netBlockKernel && n < waveSamples;
  }
  /// The most samples one launch of runU8, runPacked or runOnDevice takes;
  /// larger batches go in launches of that many, one after the other, so
  /// that their device buffers stay bounded whatever the batch: by default
  /// the samples whose buffers fill kLaunchBytes, and at least a wave of
  /// the gate kernel (samplesPerWave()), in whole tiles of 2,048 samples.
  size_t launchSamples() const;
  /// Sets launchSamples() (rounded down to whole tiles, at least one; 0:
  /// the default), for callers short of device memory and for tests.
  void setLaunchSamples(size_t samples) { launchLimit = samples; }
  /// The device memory whose buffers set the default launchSamples().
  static constexpr size_t kLaunchBytes = size_t(4) << 30;

  /// Device memory of this net's context holding a copy of `data` (for
  /// runOnDevice); freeDevice releases it.
  Status upload(const void *data, size_t bytes, uint64_t *devicePtr);
  void freeDevice(uint64_t devicePtr);
  /// Page-locked host memory of this net's context, for stream()'s input.
  Status allocatePinned(size_t bytes, void **out);
  void freePinned(void *p);

  struct Driver;

private:
  CudaNet() = default;
  /// A failed driver call as "path: error: what failed: ...detail".
  Status check(int rc, const char *what, const std::string &detail = "") const;
  /// Reads the u32 global `name` into `value` where the module has it;
  /// leaves `value` as it is where not.
  Status readOptionalU32(const char *name, uint32_t &value) const;
  /// Copies the module's global `name` (exactly `size` bytes, or its first
  /// `size` bytes with `prefix`) to `out`.
  Status readGlobal(const char *name, void *out, size_t size,
                    bool prefix = false) const;
  /// Threads of the packing kernel for `words` words of `form`
  /// (lgc_pack_u8: gpuPackU8Rows a word; lgc_pack_bits:
  /// gpuPackBitsThreads).
  uint64_t packThreads(Input form, uint64_t words) const;
  /// Bytes of the device buffers for `words` threads: input (given), packed
  /// input, scratch, planes, classes.
  void bufferSizes(size_t inputBytes, uint64_t words, size_t sizes[5]) const;
  /// Launches the packing kernel for `form` and lgc_net over n samples on
  /// `stream` (null: the default one); buffers[1..4] as bufferSizes.
  /// `pack` or `net` false leaves that kernel out (timeKernels).
  Status launch(Input form, uint64_t input, size_t n,
                const unsigned long long buffers[5], uint64_t words,
                void *stream, bool pack = true, bool net = true);
  /// Runs the kernels on input from the host (`hostInput`) or the device;
  /// with `times`, also each kernel alone. Batches of more than
  /// launchSamples() go in launches of that many (without `times`).
  Status run(Input form, const void *hostInput, uint64_t deviceInput, size_t n,
             uint32_t *counts, uint32_t *classes, double *deviceSeconds,
             unsigned repeat, KernelTimes *times = nullptr);
  /// The class counts of samples 0 .. n - 1 from the planes array of
  /// their launch (tile-major rows, GeneratedABI.h).
  void decodeCounts(const uint64_t *planes, size_t n, uint32_t *counts) const;
  /// One launch of run's: buffers for all n samples.
  Status launchRun(Input form, const void *hostInput, uint64_t deviceInput,
                   size_t n, uint32_t *counts, uint32_t *classes,
                   double *deviceSeconds, unsigned repeat, KernelTimes *times);

  /// The kernel that takes a launch of n samples of `form` from the input
  /// itself, without the packing kernel: lgc_net_u8 or lgc_net_block_u8,
  /// where the module has it for the launch's block kernel; else null.
  void *u8KernelFor(Input form, size_t n) const;

  std::shared_ptr<Driver> driver;
  void *context = nullptr, *module = nullptr, *packKernel = nullptr,
       *packBitsKernel = nullptr, *netKernel = nullptr,
       *netBlockKernel = nullptr, *netU8Kernel = nullptr,
       *netBlockU8Kernel = nullptr, *packTiledKernel = nullptr;
  int deviceId = 0;
  int32_t shape[abi::kNumShapeSlots] = {};
  /// lgc_net_block's shape table, where the module has it.
  int32_t blockShape[abi::kNumShapeSlots] = {};
  double tauValue = 1;
  size_t waveSamples = size_t(1) << 20;
  /// setLaunchSamples's limit (0: the default).
  size_t launchLimit = 0;
  unsigned netResident = 1, besideResident = 0;
  /// What open() wrote to __lgc_gen_block_u8_ahead (0: the module has none).
  uint32_t blockU8Ahead = 0;
  /// gridStrideBlocks().
  uint32_t strideBlocks = 0;
  /// lgc_pack_u8_tiled's words a block.
  unsigned packTiledWords = 1;
  /// lgc_pack_bits's words a thread (GeneratedABI.h: 1 or 4).
  unsigned packBitsWords = 1;
  /// Threads per block of lgc_net.
  static constexpr unsigned kNetBlock = 128;
  std::string path, device;
};

} // namespace lgc

#endif // LGC_RUNTIME_CUDANET_H
