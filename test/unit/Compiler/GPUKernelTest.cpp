//===- GPUKernelTest.cpp - The GPU kernels' code, run on the CPU ----------===//
//
// Part of lgc. The kernels' per-thread functions come from the same lowering
// (convert-lgn-to-nvvm) in host mode; compiled for the CPU, they run here
// over the whole grid and must match the reference interpreter bit for bit.
// Only the launch itself waits for a GPU (scripts/gpu-check.sh).
//
//===----------------------------------------------------------------------===//

#include "lgc/Compiler/Driver.h"
#include "lgc/Compiler/LGNImportExport.h"
#include "lgc/Conversion/Passes.h"
#include "lgc/Dialect/LGN/Passes.h"
#include "lgc/Runtime/Cascade.h"
#include "lgc/Runtime/CudaNet.h"
#include "lgc/Runtime/FileUtil.h"
#include "lgc/Runtime/Format.h"
#include "lgc/Runtime/Generate.h"
#include "lgc/Runtime/GeneratedABI.h"
#include "lgc/Runtime/Interpreter.h"
#include "lgc/Target/CPU/CPUTarget.h"
#include "lgc/Target/GPU/GPUTarget.h"
#include "lgc/lgc_runtime.h"

#include "../TestUtil.h"
#include "ConvNets.h"
#include "HostModule.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <dlfcn.h>
#include <fstream>
#include <iterator>
#include <link.h>
#include <unistd.h>

using namespace lgc;
using lgc::test::BlockOptions;
using lgc::test::buildHostModeLibrary;
using lgc::test::buildHostModule;
using lgc::test::writeHostModuleFile;

namespace {

using ThreadFn = void (*)(const uint64_t *, uint64_t *, uint64_t *, uint32_t *,
                          int64_t);
using PackFn = void (*)(const uint8_t *, int64_t, uint64_t *, int64_t, int64_t);
using PackBitsFn = void (*)(const uint64_t *, int64_t, uint64_t *, int64_t,
                            int64_t);

using BlockPhaseFn = void (*)(const uint64_t *, uint64_t *, uint64_t *,
                              uint32_t *, uint64_t *, int64_t, int64_t,
                              int64_t);
/// __lgc_gpu_pack_u8_tiled(x, n, in, shared, block, tid, phase).
using PackTiledFn = void (*)(const uint8_t *, int64_t, uint64_t *, void *,
                             int64_t, int64_t, int64_t);
/// __lgc_gpu_block_inputs_u8(x, n, scratch, shared, block, tid).
using BlockInputsU8Fn = void (*)(const uint8_t *, int64_t, uint64_t *,
                                 uint64_t *, int64_t, int64_t);
/// __lgc_gpu_block_table(shared, tid).
using BlockTableFn = void (*)(uint64_t *, int64_t);

/// n random samples of `net` as 8-bit features and packed bits, and the
/// interpreter's classes and counts for them.
struct Samples {
  std::vector<uint8_t> x;
  std::vector<uint64_t> bits;
  std::vector<uint32_t> want, wantCounts;
  Samples(const Net &net, size_t n, uint64_t seed)
      : x(n * net.numFeatures), want(n), wantCounts(n * net.numClasses) {
    Rng rng(seed);
    for (uint8_t &v : x)
      v = uint8_t(rng.below(256));
    bits = packFeaturesU8(net, x.data(), n);
    interpret(net, bits.data(), n, wantCounts.data(), want.data());
  }
};

/// The runtime tests' net: 40 features at three thermometer levels, two
/// hidden layers, six classes.
Net runtimeTestNet(uint64_t seed) {
  Net net = test::randomNet(120, {400, 300}, 6, 0.3, seed);
  net.numFeatures = 40;
  net.levels = {0.25f, 0.5f, 0.75f};
  return net;
}

/// CudaNet::open over the emulated CUDA driver (EmulatedCudaDriver.cpp),
/// which LGC_CUDA_DRIVER names for the call only.
Status openOverEmulatedDriver(const std::string &module,
                              std::unique_ptr<CudaNet> &out) {
  if (setenv("LGC_CUDA_DRIVER", LGC_EMULATED_CUDA_DRIVER, 1) != 0)
    return Status::error("setenv failed");
  Status s = CudaNet::open(module, out);
  unsetenv("LGC_CUDA_DRIVER");
  return s;
}

/// `gpu` runs the samples from 8-bit features and from packed bits with
/// the interpreter's classes and counts.
void expectRunsMatch(CudaNet &gpu, const Net &net, const Samples &d) {
  size_t n = d.want.size();
  std::vector<uint32_t> got(n, 999), counts(n * net.numClasses, 999);
  ASSERT_TRUE(gpu.runU8(d.x.data(), n, counts.data(), got.data()).ok());
  EXPECT_EQ(got, d.want);
  EXPECT_EQ(counts, d.wantCounts);
  std::fill(counts.begin(), counts.end(), 999);
  std::fill(got.begin(), got.end(), 999);
  ASSERT_TRUE(gpu.runPacked(d.bits.data(), n, counts.data(), got.data()).ok());
  EXPECT_EQ(got, d.want);
  EXPECT_EQ(counts, d.wantCounts);
}

/// `net`'s block-kernel module made with `block` (files `name`.so and
/// `name`.cubin in `dir`), opened by CudaNet over the driver that
/// LGC_CUDA_DRIVER names; null (and a test failure) where either fails.
std::unique_ptr<CudaNet> openBlockModule(const Net &net,
                                         const BlockOptions &block,
                                         test::TempDir &dir,
                                         const std::string &name) {
  std::string module = dir.file(name + ".cubin");
  if (!buildHostModule(net, 100, kDefaultGpuRegisterWindow,
                       dir.file(name + ".so"), module, &block)) {
    ADD_FAILURE() << "cannot build " << name;
    return nullptr;
  }
  std::unique_ptr<CudaNet> gpu;
  if (Status s = CudaNet::open(module, gpu); !s.ok()) {
    ADD_FAILURE() << s.message();
    return nullptr;
  }
  return gpu;
}

TEST(GPUKernel, HostModeMatchesInterpreter) {
  struct Case {
    uint32_t inputs;
    std::vector<uint32_t> widths;
    uint32_t classes;
    double pass;
    unsigned gatesPerFunction;
    /// Register window: values reloaded from scratch beyond it.
    unsigned window;
    /// A conv net of this spec (test::convNetSpecs()) instead, when >= 0.
    int conv = -1;
    /// The block kernel's words per block (0: its choice), threads per
    /// block and shared memory (0: the default; less sends slots to global
    /// memory), also run against the interpreter.
    int blockWords = 0;
    unsigned blockThreads = 0;
    unsigned blockShared = 0;
    /// The block kernel's count takes more than 32 bits a group in its
    /// first reduction (the words per thread form: its shape says so).
    bool wideCount = false;
  } cases[] = {
      {8, {8, 8}, 2, -1, 3000, kDefaultGpuRegisterWindow, -1, 1, 32},
      {60, {120, 90}, 9, 0.45, 50, 4, -1, 2, 64, 1024},
      {100, {300, 300, 300}, 10, 0.3, 3000, kUnlimitedWindow},
      {100, {300, 300, 300}, 10, 0.3, 3000, 1, -1, 4, 96, 4096},
      // The largest blocks (1,024 threads: more than a level's gates per
      // round) and 512.
      {100, {300, 300, 300}, 10, 0.3, 3000, kUnlimitedWindow, -1, 4, 1024},
      {60, {120, 90}, 9, 0.45, 50, 4, -1, 2, 512},
      {33, {70}, 1, -1, 7, kDefaultGpuRegisterWindow, -1, 8},
      {96, {150, 80}, 4, 0.3, 60, kDefaultGpuRegisterWindow, -1, 1, 0, 512},
      {90, {200, 100}, 5, 0.2, 100, 48, -1, 2, 33},
      {0, {}, 0, -1, 100, kDefaultGpuRegisterWindow, 0},
      {0, {}, 0, -1, 3000, 4, 2, 1, 64, 256},
      // 300 outputs per class: the block kernel's count in three
      // reductions (groups of 32 bits, then counts a few at a time).
      {41, {600}, 2, 0.3, 200, kDefaultGpuRegisterWindow, -1, 2, 64},
      // 600 outputs a class in two words and 64 threads: groups of 32 bits
      // would take two passes of the threads, so the first reduction takes
      // more bits a group (its shape's F past 32, checked below).
      {41, {1200}, 2, 0.3, 200, kDefaultGpuRegisterWindow, -1, 2, 64, 0,
       true},
      // Every gate passes its first operand through: no gates are left
      // after -O2, the outputs are inputs (the block kernel has no level).
      {21, {30, 30}, 3, 1.0, 100, kDefaultGpuRegisterWindow, -1, 0, 32}};
  char dir[] = "/tmp/lgc-gpu-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  int index = 0;
  // Block libraries whose gate table went into shared memory.
  int tablesShared = 0;
  for (const Case &c : cases) {
    SCOPED_TRACE(index);
    GenerateOptions g;
    g.inputs = c.inputs;
    g.widths = c.widths;
    g.classes = c.classes;
    g.passThroughShare = c.pass;
    g.seed = 21 + index;
    Net net;
    if (c.conv >= 0)
      net = test::randomConvNet(test::convNetSpecs()[c.conv], 30 + index);
    else
      ASSERT_TRUE(generateNet(g, net).ok());
    if (c.pass >= 1.0)
      for (Gate &gate : net.gates)
        gate.kind = 3; // A: the first operand
    // Encodings: three thermometer levels (90 inputs: one packing thread per
    // feature and word), explicit bits (other even sizes: one per bit), the
    // identity (odd sizes: the one-level thermometer).
    if (c.conv >= 0) {
      // The trainer's thermometer levels.
    } else if (net.numInputs == 90) {
      net.numFeatures = 30;
      net.levels = {0.1f, 0.5f, 0.93f};
    } else if (net.numInputs == 96) {
      // Features in fours: a packing thread per four features; levels
      // whose 8-bit thresholds are 0 (every value on) and 256 (none).
      net.numFeatures = 32;
      net.levels = {-0.25f, 0.6f, 1.0f};
    } else if (net.numInputs % 2 == 0) {
      net.numFeatures = net.numInputs / 2;
      for (uint32_t j = 0; j < 2; ++j)
        for (uint32_t f = 0; f < net.numFeatures; ++f)
          net.encoding.push_back(InputBit{f, j ? 0.62f : 0.2f});
    }
    std::string so = std::string(dir) + "/k" + std::to_string(index++) + ".so";
    // The thread kernel counting in its gate functions, 1, 2, 4 or all of
    // the counter's columns in registers (the others in scratch); in 32-bit
    // words (below, equal to it) the same in odd cases and through count
    // functions after the gates in even ones.
    unsigned countColumns = std::array{1u, 2u, 4u, 64u}[index % 4];
    bool count32 = index % 2;
    SCOPED_TRACE(
        "counter columns in registers: " + std::to_string(countColumns) +
        (count32 ? "" : "; 32-bit words: count functions"));
    // lgc_pack_u8_tiled packing 1, 2 or 4 words a block; lgc_pack_bits
    // copying 1 or 4 words a thread.
    unsigned tiledWords = std::array{1u, 2u, 4u}[index % 3];
    unsigned bitsWords = (index / 2) % 2 ? 4 : 1;
    SCOPED_TRACE("lgc_pack_bits: " + std::to_string(bitsWords) +
                 " words a thread");
    ASSERT_TRUE(buildHostModeLibrary(net, c.gatesPerFunction, c.window, so,
                                     nullptr, 64, nullptr, countColumns,
                                     kDefaultGpuRematDepth,
                                     test::PackOptions{tiledWords, bitsWords}));
    void *h = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(h, nullptr) << dlerror();
    auto thread = reinterpret_cast<ThreadFn>(dlsym(h, "__lgc_gpu_thread"));
    // The thread kernel in 32-bit words: a thread per half word.
    std::string so32 =
        std::string(dir) + "/k" + std::to_string(index) + "t32.so";
    ASSERT_TRUE(buildHostModeLibrary(net, c.gatesPerFunction, c.window, so32,
                                     nullptr, /*threadBits=*/32, nullptr,
                                     count32 ? countColumns : 0));
    void *h32 = dlopen(so32.c_str(), RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(h32, nullptr) << dlerror();
    auto thread32 = reinterpret_cast<ThreadFn>(dlsym(h32, "__lgc_gpu_thread"));
    auto shape32 = static_cast<const uint32_t *>(dlsym(h32, "__lgc_gen_shape"));
    ASSERT_TRUE(thread32 && shape32);
    EXPECT_EQ(shape32[lgc::abi::kGpuWordBits], 32u);
    EXPECT_EQ(lgc::abi::gpuNetThreads(shape32, 32), 64u);
    auto pack = reinterpret_cast<PackFn>(dlsym(h, "__lgc_gpu_pack_u8"));
    auto packBits =
        reinterpret_cast<PackBitsFn>(dlsym(h, lgc::abi::kGpuPackBitsFunction));
    auto shape = static_cast<const int32_t *>(dlsym(h, "__lgc_gen_shape"));
    ASSERT_TRUE(thread && pack && packBits && shape);
    // lgc_pack_u8_tiled's phases: made for thermometer encodings only.
    auto tiled = reinterpret_cast<PackTiledFn>(
        dlsym(h, lgc::abi::kGpuPackTiledFunction));
    EXPECT_EQ(tiled != nullptr, !net.thermometerLevels().empty());
    // Only a module of more than one word a thread says how many.
    auto bitsWordsSymbol =
        static_cast<const uint32_t *>(dlsym(h, lgc::abi::kPackBitsWordsSymbol));
    if (bitsWords == 1)
      EXPECT_EQ(bitsWordsSymbol, nullptr);
    else
      ASSERT_TRUE(bitsWordsSymbol && *bitsWordsSymbol == bitsWords);
    EXPECT_EQ(uint32_t(shape[lgc::abi::kABIVersion]),
              lgc::abi::kGeneratedABIVersion);
    EXPECT_EQ(uint32_t(shape[lgc::abi::kInputs]), net.numInputs);
    EXPECT_EQ(uint32_t(shape[lgc::abi::kFeatures]), net.numFeatures);
    EXPECT_EQ(uint32_t(shape[lgc::abi::kClasses]), net.numClasses);
    EXPECT_EQ(uint32_t(shape[lgc::abi::kLevels]),
              net.thermometerLevels().size());
    if (c.pass >= 1.0)
      EXPECT_EQ(shape[lgc::abi::kGates], 0);
    int64_t K = shape[lgc::abi::kPlanes],
            slots = shape[lgc::abi::kScratchSlots];
    // The block kernel of the same net, each thread evaluating every word
    // of its gates (the argmax a thread per sample), with the words
    // interleaved over the threads (the argmax a thread per word; U
    // consecutive entries a thread, the earlier mapping), in 32-bit words
    // (interleaved in every other case), and with gates read by one gate
    // only fused into its entry (in 32-bit words too; U consecutive entries
    // a thread in every other case).
    struct BlockLibrary {
      void *handle;
      BlockPhaseFn phase;
      /// The gate table's copy into shared memory, where the blocks loop
      /// over the grid, else null.
      BlockTableFn table;
      /// Phase 0 from 8-bit features (thermometer encodings), else null.
      BlockInputsU8Fn inputsU8;
      const int32_t *shape;
      int64_t S, B, phases, sharedWords, bits;
      std::string name;
    };
    std::vector<BlockLibrary> blockLibraries;
    for (int variant : {0, 1, 2, 3}) {
      bool interleave = variant == 1 || (variant == 2 && index % 2);
      std::string name = variant == 3   ? "fused gates"
                         : variant == 2 ? "32-bit words"
                         : variant == 1 ? "words interleaved"
                                        : "words per thread";
      SCOPED_TRACE(name);
      std::string blockSo = so + ".block" + std::to_string(variant) + ".so";
      // Gates per thread and round: 1 to 4 (index was advanced above).
      BlockOptions options;
      options.words = unsigned(c.blockWords);
      options.threads = c.blockThreads;
      options.unroll = 1 + unsigned(index) % 4;
      // 32-bit words in half the shared memory: the same slots spill.
      options.sharedLimit = variant == 2 ? c.blockShared / 2 : c.blockShared;
      options.interleave = interleave;
      options.wordArgmax = variant == 1;
      options.wordBits = variant == 2 ? 32 : 64;
      options.fuse = variant >= 2;
      options.threadRuns = variant == 1 || (variant == 3 && index % 2);
      // The gate table in shared memory in half the cases of the words per
      // thread, every case of the interleaved words (half of them loading
      // their entries each round) and the other half of the fused gates
      // (it stays global, with a remark, where the values spill or the two
      // do not fit).
      options.tableShared = (variant == 0 && index % 2) || variant == 1 ||
                            (variant == 3 && index % 2 == 0);
      SCOPED_TRACE(options.tableShared ? "gate table in shared memory" : "");
      // Table entries loaded a round ahead (the default) in every variant
      // but the interleaved one, and in half the cases there too.
      options.noPrefetch = variant == 1 && index % 2;
      SCOPED_TRACE(options.noPrefetch ? "entries loaded each round"
                                      : "entries loaded a round ahead");
      // Levels filled to whole rounds (the default) but in half the cases
      // of the words per thread and the fused gates.
      options.noBalance = (variant == 0 || variant == 3) && index % 2;
      SCOPED_TRACE(options.noBalance ? "levels as early as possible"
                                     : "levels filled to whole rounds");
      ASSERT_TRUE(buildHostModeLibrary(net, c.gatesPerFunction, c.window,
                                       blockSo, &options));
      void *hb = dlopen(blockSo.c_str(), RTLD_NOW | RTLD_LOCAL);
      ASSERT_NE(hb, nullptr) << dlerror();
      auto phase = reinterpret_cast<BlockPhaseFn>(
          dlsym(hb, lgc::abi::kGpuBlockPhaseFunction));
      auto blockShape =
          static_cast<const int32_t *>(dlsym(hb, "__lgc_gen_shape"));
      ASSERT_TRUE(phase && blockShape);
      ASSERT_EQ(dlsym(hb, "__lgc_gpu_thread"), nullptr);
      auto inputsU8 = reinterpret_cast<BlockInputsU8Fn>(
          dlsym(hb, lgc::abi::kGpuBlockInputsU8Function));
      EXPECT_EQ(inputsU8 != nullptr, !net.thermometerLevels().empty());
      auto table = reinterpret_cast<BlockTableFn>(
          dlsym(hb, lgc::abi::kGpuBlockTableFunction));
      if (!options.tableShared)
        EXPECT_EQ(table, nullptr);
      // The table's copy and the blocks' loop go together.
      EXPECT_EQ(table != nullptr,
                dlsym(hb, lgc::abi::kBlockGridStrideSymbol) != nullptr);
      tablesShared += table != nullptr;
      BlockLibrary lib{hb,
                       phase,
                       table,
                       inputsU8,
                       blockShape,
                       blockShape[lgc::abi::kGpuBlockWords],
                       blockShape[lgc::abi::kGpuBlockThreads],
                       blockShape[lgc::abi::kGpuBlockPhases],
                       (blockShape[lgc::abi::kGpuSharedBytes] + 7) / 8,
                       blockShape[lgc::abi::kGpuWordBits],
                       name};
      EXPECT_EQ(lib.bits, int64_t(options.wordBits));
      if (c.wideCount && variant == 0) {
        auto reduce0 = static_cast<const int32_t *>(
            dlsym(hb, "__lgc_gen_block_reduce0_shape"));
        ASSERT_NE(reduce0, nullptr);
        EXPECT_GT(reduce0[0], 32) << "the count's first reduction's bits";
      }
      int64_t S = lib.S;
      if (c.blockWords > 0)
        EXPECT_EQ(S, c.blockWords);
      else
        EXPECT_TRUE(S == 1 || S == 2 || S == 4 || S == 8) << S;
      EXPECT_EQ(lib.B, c.blockThreads ? int64_t(std::max(32u, c.blockThreads))
                                      : int64_t(kDefaultGpuBlockThreads));
      EXPECT_EQ(blockShape[lgc::abi::kPlanes], K);
      // Rows of `rows` slots, one a word (the values alone: not where the
      // table follows them).
      int64_t bytes = blockShape[lgc::abi::kGpuSharedBytes];
      if (!table)
        EXPECT_EQ(bytes % (S * lib.bits / 8), 0);
      int64_t rows = bytes / (S * lib.bits / 8);
      // Interleaved words: rows of banks / S slots modulo banks (the bank
      // spread; 16 pairs of banks for 64-bit words, 32 banks for 32-bit
      // ones), where the shared memory was not cut to a limit.
      int64_t banks = lib.bits == 64 ? 16 : 32;
      if (interleave && S > 1 && !c.blockShared && !table)
        EXPECT_EQ(rows % banks, banks / S);
      // A shared memory smaller than the values: the rest in global memory.
      if (c.blockShared)
        EXPECT_GT(blockShape[lgc::abi::kScratchSlots], 0);
      else
        EXPECT_EQ(blockShape[lgc::abi::kScratchSlots], 0);
      blockLibraries.push_back(lib);
    }

    // Up to three tiles, the last one partly used.
    for (size_t n : {size_t(1), size_t(64), size_t(200), size_t(4100)}) {
      SCOPED_TRACE(n);
      Rng rng(n);
      std::vector<uint8_t> x(n * net.numFeatures);
      for (uint8_t &v : x)
        v = uint8_t(rng.below(256));
      int64_t words = int64_t(lgc::abi::gpuWords(n));
      ASSERT_EQ(words % lgc::abi::kGpuTileWords, 0);
      ASSERT_GE(words * 64, int64_t(n));
      auto at = [&](uint64_t rows, uint64_t row, uint64_t t) {
        return lgc::abi::gpuTileIndex(rows, row, t);
      };
      std::vector<uint64_t> in(net.numInputs * words, ~0ull);
      std::vector<uint64_t> scratch(std::max<int64_t>(1, slots) * words);
      std::vector<uint64_t> planes(net.numClasses * K * words);
      std::vector<uint32_t> classes(words * 64, 999);
      // Packing threads in reverse order: no thread relies on another.
      int64_t packRows = int64_t(
          lgc::abi::gpuPackU8Rows(reinterpret_cast<const uint32_t *>(shape)));
      for (int64_t gid = packRows * words; gid-- > 0;)
        pack(x.data(), int64_t(n), in.data(), words, gid);
      std::vector<uint64_t> want = packFeaturesU8(net, x.data(), n);
      // Pixels at an odd address take the checked path (no 32-bit loads
      // of four features) and must pack the same.
      {
        std::vector<uint8_t> shifted(x.size() + 1);
        std::copy(x.begin(), x.end(), shifted.begin() + 1);
        std::vector<uint64_t> other(in.size(), 0x77);
        for (int64_t gid = 0; gid < packRows * words; ++gid)
          pack(shifted.data() + 1, int64_t(n), other.data(), words, gid);
        ASSERT_EQ(other, in);
      }
      // lgc_pack_u8_tiled: a block per tiledWords words, every thread of
      // a phase before any of the next (the barrier), the threads in
      // reverse order, shared memory starting as garbage; from pixels
      // 16-byte aligned (the 16-byte copies) and 1, 4 and 8 bytes off (the
      // checked copy), the same array.
      if (tiled)
        for (size_t offset : {0, 1, 4, 8}) {
          SCOPED_TRACE("tiled packing, " + std::to_string(tiledWords) +
                       " words a block, pixels 16 k + " +
                       std::to_string(offset));
          std::vector<uint64_t> storage((x.size() + 40) / 8);
          auto *base = reinterpret_cast<uint8_t *>(
              (reinterpret_cast<uintptr_t>(storage.data()) + 15) &
              ~uintptr_t(15));
          std::copy(x.begin(), x.end(), base + offset);
          std::vector<uint64_t> other(in.size(), 0x99);
          std::vector<uint64_t> sharedMem(
              (lgc::abi::gpuPackTiledSharedBytes(net.numFeatures, net.numInputs,
                                                 tiledWords) +
               7) /
              8);
          ASSERT_EQ(words % tiledWords, 0);
          for (int64_t block = 0; block < words / tiledWords; ++block) {
            std::fill(sharedMem.begin(), sharedMem.end(),
                      0xa5a5a5a5a5a5a5a5ull);
            for (int64_t phase = 0;
                 phase < int64_t(lgc::abi::gpuPackTiledPhases(tiledWords));
                 ++phase)
              for (int64_t tid = lgc::abi::kGpuPackTiledThreads; tid-- > 0;)
                tiled(base + offset, int64_t(n), other.data(), sharedMem.data(),
                      block, tid, phase);
          }
          ASSERT_EQ(other, in);
        }
      size_t blocks = want.size() / std::max<uint32_t>(1, net.numInputs);
      // The device packing equals the interpreter's, in the tile layout;
      // words past the data are zero.
      for (uint32_t i = 0; i < net.numInputs; ++i)
        for (int64_t t = 0; t < words; ++t)
          ASSERT_EQ(in[at(net.numInputs, i, t)],
                    size_t(t) < blocks ? want[t * net.numInputs + i] : 0)
              << i << " " << t;
      // Already-packed bits give the same array, bits past n cleared even
      // where the caller left them set; bitsWords words a thread, the
      // threads in reverse.
      std::vector<uint64_t> dirty = want;
      if (n % 64)
        for (uint32_t i = 0; i < net.numInputs; ++i)
          dirty[(blocks - 1) * net.numInputs + i] |= ~0ull << (n % 64);
      std::vector<uint64_t> fromBits(in.size(), 0x5555);
      for (int64_t gid = int64_t(lgc::abi::gpuPackBitsThreads(
               net.numInputs, uint64_t(words), bitsWords));
           gid-- > 0;)
        packBits(dirty.data(), int64_t(n), fromBits.data(), words, gid);
      ASSERT_EQ(fromBits, in);
      for (int64_t t = words; t-- > 0;)
        thread(in.data(), scratch.data(), planes.data(), classes.data(), t);
      // 32-bit words: thread 2 t + h makes half h of word t of the planes
      // and classes, its scratch rows its own (the 64-bit kernel's bytes).
      {
        std::vector<uint64_t> planes32(planes.size(), 0x6b6b6b6b6b6b6b6bull);
        std::vector<uint32_t> classes32(classes.size(), 555);
        // Its own scratch rows: count functions keep every output there.
        std::vector<uint64_t> scratch32(
            std::max<int64_t>(1, int64_t(shape32[lgc::abi::kScratchSlots])) *
                words,
            0x1234);
        for (int64_t j = int64_t(lgc::abi::gpuNetThreads(shape32, words));
             j-- > 0;)
          thread32(in.data(), scratch32.data(), planes32.data(),
                   classes32.data(), j);
        ASSERT_EQ(planes32, planes);
        ASSERT_EQ(classes32, classes);
      }
      std::vector<uint32_t> wantCounts(n * net.numClasses), wantClasses(n);
      interpret(net, want.data(), n, wantCounts.data(), wantClasses.data());
      // The block kernel: every thread of a phase before any of the next
      // (the barrier), shared memory starting as garbage, the threads of a
      // phase in reverse and in forward order (a thread that read what
      // another writes in the same phase would differ in one of them).
      for (const BlockLibrary &lib : blockLibraries)
        for (bool reverse : {true, false}) {
          SCOPED_TRACE(reverse ? "threads in reverse" : "threads in order");
          SCOPED_TRACE(lib.name);
          ASSERT_EQ(words * 64 % (lib.S * lib.bits), 0);
          std::vector<uint64_t> blockPlanes(planes.size(), 0x3c3c);
          std::vector<uint32_t> blockClasses(classes.size(), 777);
          std::vector<uint64_t> blockScratch(
              std::max<int64_t>(1, lib.shape[lgc::abi::kScratchSlots]) * words,
              0x5a5a5a5a5a5a5a5aull);
          // Every block's phases, phase 0 from the packed input or, with
          // `pixels`, by the u8 form's phase 0 from 8-bit features.
          auto runBlocks = [&](const uint8_t *pixels) {
            std::fill(blockPlanes.begin(), blockPlanes.end(), 0x3c3c);
            std::fill(blockClasses.begin(), blockClasses.end(), 777);
            int64_t grid = int64_t(lgc::abi::gpuBlockGrid(
                reinterpret_cast<const uint32_t *>(lib.shape), words));
            auto phases = [&](std::vector<uint64_t> &shared, int64_t blk) {
              for (int64_t p = 0; p < lib.phases; ++p)
                for (int64_t i = 0; i < lib.B; ++i) {
                  int64_t tid = reverse ? lib.B - 1 - i : i;
                  if (p == 0 && pixels)
                    lib.inputsU8(pixels, int64_t(n), blockScratch.data(),
                                 shared.data(), blk, tid);
                  else
                    lib.phase(pixels ? nullptr : in.data(), blockScratch.data(),
                              blockPlanes.data(), blockClasses.data(),
                              shared.data(), blk, tid, p);
                }
            };
            if (!lib.table) {
              for (int64_t blk = grid; blk-- > 0;) {
                std::vector<uint64_t> shared(lib.sharedWords,
                                             0xa5a5a5a5a5a5a5a5ull);
                phases(shared, blk);
              }
              return;
            }
            // Blocks that loop over the grid, two of them (the first
            // takes blocks 0, 2, ...): the table copied once into garbage
            // shared memory must survive every block's phases.
            for (int64_t first = 0; first < 2; ++first) {
              std::vector<uint64_t> shared(lib.sharedWords,
                                           0xa5a5a5a5a5a5a5a5ull);
              for (int64_t i = 0; i < lib.B; ++i)
                lib.table(shared.data(), reverse ? lib.B - 1 - i : i);
              for (int64_t blk = first; blk < grid; blk += 2)
                phases(shared, blk);
            }
          };
          runBlocks(nullptr);
          ASSERT_EQ(blockPlanes, planes);
          ASSERT_EQ(blockClasses, classes);
          if (!lib.inputsU8)
            continue;
          // From 8-bit features (lgc_net_u8), from x as it is and at an
          // odd address (the checked path throughout).
          std::vector<uint8_t> shifted(x.size() + 1);
          std::copy(x.begin(), x.end(), shifted.begin() + 1);
          for (const uint8_t *pixels : {x.data(), shifted.data() + 1}) {
            SCOPED_TRACE(pixels == x.data() ? "u8 kernel" : "u8 kernel, odd");
            runBlocks(pixels);
            ASSERT_EQ(blockPlanes, planes);
            ASSERT_EQ(blockClasses, classes);
          }
        }
      for (size_t s = 0; s < n; ++s) {
        ASSERT_EQ(classes[s], wantClasses[s]) << "sample " << s;
        for (uint32_t cl = 0; cl < net.numClasses; ++cl) {
          uint32_t count = 0;
          for (int64_t j = 0; j < K; ++j)
            count |=
                uint32_t((planes[at(net.numClasses * K, cl * K + j, s / 64)] >>
                          (s % 64)) &
                         1)
                << j;
          ASSERT_EQ(count, wantCounts[s * net.numClasses + cl])
              << "sample " << s;
        }
      }
    }
    dlclose(h);
    dlclose(h32);
    for (const BlockLibrary &lib : blockLibraries)
      dlclose(lib.handle);
  }
  // The nets whose tables fit shared memory beside their values.
  EXPECT_GE(tablesShared, 16);
  std::system(("rm -rf '" + std::string(dir) + "'").c_str());
}

/// CudaNet with the block kernel over the emulated driver: its grid, block
/// size and shared memory at launch (the emulator refuses any other), the
/// shared memory granted, the wave, every input path; and the error where
/// the device has less shared memory than the module needs.
TEST(GPUKernel, BlockKernelOverEmulatedDriver) {
  Net net = runtimeTestNet(7);
  test::TempDir dir;
  std::string so = dir.file("kernels.so"), module = dir.file("net.cubin");
  BlockOptions block;
  block.words = 2;
  block.threads = 64;
  ASSERT_TRUE(
      buildHostModule(net, 100, kDefaultGpuRegisterWindow, so, module, &block));
  ASSERT_EQ(setenv("LGC_CUDA_DRIVER", LGC_EMULATED_CUDA_DRIVER, 1), 0);
  void *driver = dlopen(LGC_EMULATED_CUDA_DRIVER, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(driver, nullptr) << dlerror();
  auto launches = reinterpret_cast<void (*)(long *, long *, long *)>(
      dlsym(driver, "lgc_emulated_launches"));
  ASSERT_NE(launches, nullptr);
  std::unique_ptr<CudaNet> gpu;
  Status s = CudaNet::open(module, gpu);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_TRUE(gpu->blockKernel());
  // A thermometer encoding: 8-bit features go straight to lgc_net_u8.
  EXPECT_TRUE(gpu->launchesU8Kernel(1));
  EXPECT_EQ(gpu->netBlockThreads(), 64u);
  EXPECT_EQ(gpu->netBlockWords(), 2u);
  // One multiprocessor, two blocks of two words.
  EXPECT_EQ(gpu->residentBlocks(), 2u);
  EXPECT_EQ(gpu->samplesPerWave(), size_t(2 * 2 * 64));
  for (size_t n : {size_t(1), size_t(5000), size_t(20000)}) {
    SCOPED_TRACE(n);
    Samples samples(net, n, n + 1);
    const std::vector<uint64_t> &bits = samples.bits;
    const std::vector<uint32_t> &want = samples.want;
    long net0, block0, u80, net1, block1, u81;
    launches(&net0, &block0, &u80);
    expectRunsMatch(*gpu, net, samples);
    launches(&net1, &block1, &u81);
    // runU8 by lgc_net_u8, runPacked by lgc_net.
    EXPECT_EQ(u81 - u80, 1);
    EXPECT_EQ(block1 - block0, 1);
    std::vector<uint32_t> got(n, 999);
    for (size_t chunk : {size_t(2048), size_t(0)})
      for (CudaNet::Input form : {CudaNet::Input::Packed, CudaNet::Input::U8}) {
        std::fill(got.begin(), got.end(), 999);
        ASSERT_TRUE(
            gpu->stream(form,
                        form == CudaNet::Input::U8
                            ? static_cast<const void *>(samples.x.data())
                            : bits.data(),
                        n, got.data(), chunk, nullptr)
                .ok());
        EXPECT_EQ(got, want) << "chunk " << chunk;
      }
    // The kernels the u8 kernel replaces, each alone, still run.
    CudaNet::KernelTimes times;
    ASSERT_TRUE(
        gpu->timeKernels(CudaNet::Input::U8, samples.x.data(), n, 1, times)
            .ok());
  }
  // 8-bit features already on the device: from an aligned pointer by
  // lgc_net_u8; from one that is not 4-byte aligned (its loads of four
  // features would not be) by the packing kernel and lgc_net. Both exact.
  {
    size_t n = 3000;
    Samples samples(net, n, 17);
    std::vector<uint8_t> shifted(samples.x.size() + 1);
    std::copy(samples.x.begin(), samples.x.end(), shifted.begin() + 1);
    uint64_t aligned = 0, odd = 0;
    ASSERT_TRUE(gpu->upload(samples.x.data(), samples.x.size(), &aligned).ok());
    ASSERT_TRUE(gpu->upload(shifted.data(), shifted.size(), &odd).ok());
    for (uint64_t input : {aligned, odd + 1}) {
      SCOPED_TRACE(input == aligned ? "aligned" : "odd");
      std::vector<uint32_t> got(n, 999);
      long net0, block0, u80, net1, block1, u81;
      launches(&net0, &block0, &u80);
      ASSERT_TRUE(
          gpu->runOnDevice(CudaNet::Input::U8, input, n, nullptr, got.data())
              .ok());
      launches(&net1, &block1, &u81);
      EXPECT_EQ(got, samples.want);
      EXPECT_EQ(u81 - u80, input == aligned ? 1 : 0);
      EXPECT_EQ(block1 - block0, input == aligned ? 0 : 1);
    }
    gpu->freeDevice(aligned);
    gpu->freeDevice(odd);
  }
  gpu.reset();
  // Values past 1 KB of shared memory in global memory: the runtime's
  // scratch array holds them.
  {
    BlockOptions tight = block;
    tight.unroll = 2;
    tight.sharedLimit = 1024;
    tight.wordBits = 64;
    std::unique_ptr<CudaNet> spilled = openBlockModule(net, tight, dir, "s");
    ASSERT_TRUE(spilled);
    EXPECT_EQ(spilled->netSharedBytes(), size_t(1024));
    size_t n = 3000;
    expectRunsMatch(*spilled, net, Samples(net, n, 5));
  }
  // The bank spread may give results fresh slots out of order, for their
  // banks: a few slots more than the most values live at once, where those
  // still fit. The most values live at once (the schedule without the
  // spread) as the limit: the spread's schedule then does not fit, and the
  // lowering keeps the one that does, all in shared memory.
  {
    BlockOptions plain = block;
    plain.words = 1;
    plain.wordBits = 64;
    plain.noBankSpread = true;
    std::unique_ptr<CudaNet> least = openBlockModule(net, plain, dir, "p");
    ASSERT_TRUE(least);
    size_t bytes = least->netSharedBytes();
    BlockOptions spread = plain;
    spread.noBankSpread = false;
    std::unique_ptr<CudaNet> more = openBlockModule(net, spread, dir, "m");
    ASSERT_TRUE(more);
    EXPECT_GT(more->netSharedBytes(), bytes);
    spread.sharedLimit = unsigned(bytes);
    std::unique_ptr<CudaNet> fits = openBlockModule(net, spread, dir, "f");
    ASSERT_TRUE(fits);
    EXPECT_EQ(fits->netSharedBytes(), bytes);
    expectRunsMatch(*fits, net, Samples(net, 3000, 9));
  }
  // 32-bit words, one a block: two blocks per 64-bit word of the arrays
  // (a grid of twice the words), each writing its half of the planes and
  // its 32 samples' classes.
  {
    BlockOptions half = block;
    half.words = 1;
    half.wordBits = 32;
    std::unique_ptr<CudaNet> halves = openBlockModule(net, half, dir, "h");
    ASSERT_TRUE(halves);
    EXPECT_EQ(halves->netBlockWordBits(), 32u);
    EXPECT_EQ(halves->netBlockSamples(), size_t(32));
    EXPECT_EQ(halves->samplesPerWave(), halves->residentBlocks() * size_t(32));
    for (size_t n : {size_t(1), size_t(33), size_t(5000)}) {
      SCOPED_TRACE(n);
      Samples samples(net, n, n + 9);
      expectRunsMatch(*halves, net, samples);
      std::vector<uint32_t> got(n, 999);
      ASSERT_TRUE(halves
                      ->stream(CudaNet::Input::Packed, samples.bits.data(), n,
                               got.data(), 2048, nullptr)
                      .ok());
      EXPECT_EQ(got, samples.want);
    }
  }
  // The gate table in shared memory: the blocks loop over the grid, so
  // the runtime launches the blocks the device runs at once (the emulator:
  // one multiprocessor) and each evaluates several of gpuBlockGrid's, its
  // table copied once; every input path, in 64- and 32-bit words, and a
  // launch smaller than those blocks.
  {
    auto lastLaunch = reinterpret_cast<void (*)(long *, long *)>(
        dlsym(driver, "lgc_emulated_last_block_launch"));
    ASSERT_NE(lastLaunch, nullptr);
    for (unsigned wordBits : {64u, 32u}) {
      SCOPED_TRACE(wordBits);
      BlockOptions shared = block;
      shared.tableShared = true;
      shared.wordBits = wordBits;
      std::unique_ptr<CudaNet> looped =
          openBlockModule(net, shared, dir, wordBits == 64 ? "t64" : "t32");
      ASSERT_TRUE(looped);
      BlockOptions global = shared;
      global.tableShared = false;
      std::unique_ptr<CudaNet> plain =
          openBlockModule(net, global, dir, wordBits == 64 ? "g64" : "g32");
      ASSERT_TRUE(plain);
      EXPECT_EQ(plain->gridStrideBlocks(), 0u);
      // Its shared memory holds the table after the values.
      EXPECT_GT(looped->netSharedBytes(), plain->netSharedBytes());
      EXPECT_EQ(looped->gridStrideBlocks(), looped->residentBlocks());
      for (size_t n : {size_t(1), size_t(5000)}) {
        SCOPED_TRACE(n);
        Samples samples(net, n, n + 3);
        std::vector<uint32_t> got(n, 999);
        ASSERT_TRUE(
            looped->runPacked(samples.bits.data(), n, nullptr, got.data())
                .ok());
        EXPECT_EQ(got, samples.want);
        long blocks = 0, gridBlocks = 0;
        lastLaunch(&blocks, &gridBlocks);
        uint64_t grid =
            lgc::abi::gpuWords(n) * 64 / uint64_t(looped->netBlockSamples());
        EXPECT_EQ(uint64_t(gridBlocks), grid);
        EXPECT_EQ(uint64_t(blocks),
                  std::min<uint64_t>(grid, looped->gridStrideBlocks()));
        expectRunsMatch(*looped, net, samples);
      }
    }
  }
  // The module refused with `expected` on a device that the emulator's
  // `variable` describes.
  auto refused = [&](const char *variable, const char *value,
                     const std::string &expected) {
    ASSERT_EQ(setenv(variable, value, 1), 0);
    std::unique_ptr<CudaNet> none;
    Status refusal = CudaNet::open(module, none);
    unsetenv(variable);
    ASSERT_FALSE(refusal.ok());
    EXPECT_NE(refusal.message().find(expected), std::string::npos)
        << refusal.message();
  };
  // A device with less shared memory per block than the module needs.
  refused("LGC_EMULATED_SHARED_OPTIN", "1024",
          "bytes of shared memory per block, the device allows 1024");
  // A device on which not one block of 64 threads fits (its registers):
  // a clear error when the module loads, not a failed launch later.
  refused("LGC_EMULATED_MAX_BLOCK_THREADS", "32",
          "lgc_net cannot run on this device: not one block of 64 threads "
          "and");
  unsetenv("LGC_CUDA_DRIVER");
  dlclose(driver);
}

/// The lines the block kernel's u8 form prefetches after phase 0
/// (__lgc_gpu_block_prefetch_u8, exported by host mode with a callback in
/// place of the prefetch): over a block's threads, each 128-byte line that
/// holds a byte of block bid + ahead's samples below n exactly once and no
/// other, from pixel arrays at any alignment (the addresses are only
/// collected, never read); none where ahead is 0 or that block has no
/// sample below n. In 64- and 32-bit words.
std::vector<uintptr_t> *prefetchedLines = nullptr;

/// The host-mode library of `net`'s block kernel in two words of
/// `wordBits` bits a block of 64 threads, `more` set on its options, built
/// into `so` and opened (null after a failure, reported).
void *openTwoWordBlockLibrary(const Net &net, const std::string &so,
                              unsigned wordBits,
                              llvm::function_ref<void(BlockOptions &)> more) {
  BlockOptions block;
  block.words = 2;
  block.threads = 64;
  block.wordBits = wordBits;
  more(block);
  if (!buildHostModeLibrary(net, 100, kDefaultGpuRegisterWindow, so, &block)) {
    ADD_FAILURE() << "cannot build " << so;
    return nullptr;
  }
  void *h = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h)
    ADD_FAILURE() << dlerror();
  return h;
}

TEST(GPUKernel, BlockU8PrefetchLines) {
  Net net = runtimeTestNet(7);
  test::TempDir dir;
  for (unsigned wordBits : {64u, 32u}) {
    SCOPED_TRACE(wordBits);
    void *h = openTwoWordBlockLibrary(
        net, dir.file("p" + std::to_string(wordBits) + ".so"), wordBits,
        [](BlockOptions &block) { block.u8Prefetch = true; });
    ASSERT_NE(h, nullptr);
    using Visit = void (*)(const void *);
    using Prefetch =
        void (*)(const void *, int64_t, int64_t, int64_t, int64_t, Visit);
    auto prefetch = reinterpret_cast<Prefetch>(
        dlsym(h, lgc::abi::kGpuBlockPrefetchU8Function));
    auto shape = static_cast<const int32_t *>(dlsym(h, lgc::abi::kShapeSymbol));
    ASSERT_TRUE(prefetch && shape);
    const uint64_t S = uint64_t(shape[lgc::abi::kGpuBlockWords]),
                   bits = uint64_t(shape[lgc::abi::kGpuWordBits]),
                   B = uint64_t(shape[lgc::abi::kGpuBlockThreads]),
                   F = net.numFeatures;
    EXPECT_EQ(S, 2u);
    EXPECT_EQ(bits, wordBits);
    const uint64_t blockSamples = S * bits, blockBytes = blockSamples * F;
    std::vector<uintptr_t> seen;
    prefetchedLines = &seen;
    Visit visit = [](const void *line) {
      prefetchedLines->push_back(reinterpret_cast<uintptr_t>(line));
    };
    size_t nonEmpty = 0;
    for (uintptr_t x :
         {uintptr_t(0x100000), uintptr_t(0x100005), uintptr_t(0x10007f)})
      for (uint64_t n : {uint64_t(1), 3 * blockSamples, 3 * blockSamples + 1,
                         5 * blockSamples - 7, uint64_t(100000)})
        for (uint64_t ahead : {0, 1, 3})
          for (uint64_t bid : {0, 1, 2}) {
            SCOPED_TRACE("x " + std::to_string(x) + " n " + std::to_string(n) +
                         " ahead " + std::to_string(ahead) + " block " +
                         std::to_string(bid));
            seen.clear();
            for (uint64_t tid = 0; tid < B; ++tid)
              prefetch(reinterpret_cast<const void *>(x), int64_t(n),
                       int64_t(bid), int64_t(tid), int64_t(ahead), visit);
            std::sort(seen.begin(), seen.end());
            uint64_t lo = (bid + ahead) * blockBytes, total = n * F;
            std::vector<uintptr_t> want;
            if (ahead != 0 && lo < total) {
              uint64_t end = std::min(lo + blockBytes, total);
              for (uintptr_t line = (x + lo) & ~uintptr_t(127); line < x + end;
                   line += 128)
                want.push_back(line);
            }
            nonEmpty += !want.empty();
            EXPECT_EQ(seen, want);
          }
    // Enough cases prefetch something for the comparison to mean it.
    EXPECT_GT(nonEmpty, size_t(40));
    prefetchedLines = nullptr;
    dlclose(h);
  }
}

/// The rows the block kernel prefetches after phase 0 where its blocks loop
/// over the grid (__lgc_gpu_block_prefetch_rows, exported by host mode
/// with a callback in place of the prefetch): over a block's threads, for
/// block `next`, each row phase 0 reads (the net's inputs, in
/// __lgc_gen_block_inputs) exactly once, at the address of that block's
/// first word of the row (gpuTileIndex), and nothing where `next` is past
/// the words. In 64- and 32-bit words; without the option, no such
/// function.
TEST(GPUKernel, BlockRowsPrefetchLines) {
  Net net = runtimeTestNet(7);
  test::TempDir dir;
  for (unsigned wordBits : {64u, 32u}) {
    SCOPED_TRACE(wordBits);
    void *h = openTwoWordBlockLibrary(
        net, dir.file("r" + std::to_string(wordBits) + ".so"), wordBits,
        [](BlockOptions &block) {
          block.tableShared = true;
          block.rowsPrefetch = true;
        });
    ASSERT_NE(h, nullptr);
    using Visit = void (*)(const void *);
    using Prefetch = void (*)(const void *, int64_t, int64_t, int64_t, Visit);
    auto prefetch = reinterpret_cast<Prefetch>(
        dlsym(h, lgc::abi::kGpuBlockPrefetchRowsFunction));
    auto shape = static_cast<const int32_t *>(dlsym(h, lgc::abi::kShapeSymbol));
    auto inputs =
        static_cast<const int32_t *>(dlsym(h, "__lgc_gen_block_inputs"));
    ASSERT_TRUE(prefetch && shape && inputs);
    ASSERT_NE(dlsym(h, lgc::abi::kBlockGridStrideSymbol), nullptr);
    const uint64_t S = uint64_t(shape[lgc::abi::kGpuBlockWords]),
                   bits = uint64_t(shape[lgc::abi::kGpuWordBits]),
                   B = uint64_t(shape[lgc::abi::kGpuBlockThreads]);
    EXPECT_EQ(bits, wordBits);
    // The inputs phase 0 reads: the first of each (input, slot) pair of
    // the table, whose size the library's symbol table gives.
    Dl_info info;
    void *entry = nullptr;
    ASSERT_TRUE(dladdr1(inputs, &info, &entry, RTLD_DL_SYMENT) && entry);
    std::vector<uint32_t> read;
    for (size_t k = 0; k < static_cast<const ElfW(Sym) *>(entry)->st_size / 8;
         ++k)
      read.push_back(uint32_t(inputs[2 * k]));
    ASSERT_GT(read.size(), size_t(10));
    for (uint32_t input : read)
      ASSERT_LT(input, net.numInputs);
    std::vector<uintptr_t> seen;
    prefetchedLines = &seen;
    Visit visit = [](const void *line) {
      prefetchedLines->push_back(reinterpret_cast<uintptr_t>(line));
    };
    const uintptr_t in = 0x200000;
    size_t nonEmpty = 0;
    // words: the kernel's, in its own words (twice the 64-bit ones for
    // 32-bit words); 96 64-bit words are three tiles.
    const int64_t words = 96 * int64_t(64 / bits);
    for (int64_t next : {0, 1, 5, 16, 17, 47, 48, 100})
      for (int64_t w : {words, int64_t(S), int64_t(2 * S)}) {
        SCOPED_TRACE("next " + std::to_string(next) + " words " +
                     std::to_string(w));
        seen.clear();
        for (uint64_t tid = 0; tid < B; ++tid)
          prefetch(reinterpret_cast<const void *>(in), w, next, int64_t(tid),
                   visit);
        std::sort(seen.begin(), seen.end());
        std::vector<uintptr_t> want;
        if (uint64_t(next) * S < uint64_t(w)) {
          uint64_t a0 = uint64_t(next) * S / (64 / bits);
          for (uint32_t input : read)
            want.push_back(
                in + 8 * lgc::abi::gpuTileIndex(net.numInputs, input, a0));
          std::sort(want.begin(), want.end());
        }
        nonEmpty += !want.empty();
        EXPECT_EQ(seen, want);
      }
    EXPECT_GT(nonEmpty, size_t(8));
    prefetchedLines = nullptr;
    dlclose(h);
    // Without the option: no such function.
    h = openTwoWordBlockLibrary(
        net, dir.file("n" + std::to_string(wordBits) + ".so"), wordBits,
        [](BlockOptions &block) { block.tableShared = true; });
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(dlsym(h, lgc::abi::kGpuBlockPrefetchRowsFunction), nullptr);
    dlclose(h);
  }
}

/// The block kernel's u8 form with pixel prefetching: the runtime writes
/// the blocks the device runs at once (the emulated device: one
/// multiprocessor times the resident blocks) into the module's
/// __lgc_gen_block_u8_ahead, alone and beside the thread kernel; a module
/// without it gets nothing written, one whose global has another size is
/// refused; the runs stay bit-exact (host mode prefetches nothing).
TEST(GPUKernel, BlockU8PrefetchAheadWritten) {
  Net net = runtimeTestNet(7);
  test::TempDir dir;
  int index = 0;
  for (bool both : {false, true})
    for (bool prefetch : {true, false}) {
      std::string name = "p" + std::to_string(index++);
      SCOPED_TRACE(name + (both ? " both" : " block") +
                   (prefetch ? " prefetch" : ""));
      std::string so = dir.file(name + ".so"),
                  module = dir.file(name + ".cubin");
      BlockOptions block;
      block.words = 2;
      block.threads = 64;
      block.bothKernels = both;
      block.u8Prefetch = prefetch;
      ASSERT_TRUE(buildHostModule(net, 100, kDefaultGpuRegisterWindow, so,
                                  module, &block));
      std::unique_ptr<CudaNet> gpu;
      Status s = openOverEmulatedDriver(module, gpu);
      ASSERT_TRUE(s.ok()) << s.message();
      unsigned resident =
          both ? gpu->besideResidentBlocks() : gpu->residentBlocks();
      EXPECT_EQ(resident, 2u);
      EXPECT_EQ(gpu->blockU8PrefetchAhead(), prefetch ? resident : 0u);
      // The module's own global holds what the runtime wrote (the
      // emulated device's memory is the library's).
      void *h = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
      ASSERT_NE(h, nullptr) << dlerror();
      auto ahead = static_cast<const uint32_t *>(
          dlsym(h, lgc::abi::kBlockU8AheadSymbol));
      EXPECT_EQ(ahead != nullptr, prefetch);
      if (ahead)
        EXPECT_EQ(*ahead, resident);
      dlclose(h);
      Samples samples(net, 5000, 23);
      expectRunsMatch(*gpu, net, samples);
    }
  // Another size: refused when the module loads.
  std::string so = dir.file("bad.so"), module = dir.file("bad.cubin");
  BlockOptions block;
  block.words = 2;
  block.threads = 64;
  block.u8Prefetch = true;
  test::GlobalEdit edit{lgc::abi::kBlockU8AheadSymbol, {0, 0}};
  ASSERT_TRUE(
      buildHostModeLibrary(net, 100, kDefaultGpuRegisterWindow, so, &block, 64,
                           nullptr, kDefaultGpuCountRegisterColumns,
                           kDefaultGpuRematDepth, {}, llvm::ArrayRef(edit)));
  ASSERT_TRUE(writeHostModuleFile(module, so));
  std::unique_ptr<CudaNet> gpu;
  Status s = openOverEmulatedDriver(module, gpu);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("unexpected size of __lgc_gen_block_u8_ahead (8 "
                             "bytes, expected 4)"),
            std::string::npos)
      << s.message();
  // The same for the global that says the blocks loop over the grid.
  block.u8Prefetch = false;
  block.tableShared = true;
  test::GlobalEdit stride{lgc::abi::kBlockGridStrideSymbol, {1, 1}};
  std::string strideSo = dir.file("stride.so"),
              strideModule = dir.file("stride.cubin");
  ASSERT_TRUE(
      buildHostModeLibrary(net, 100, kDefaultGpuRegisterWindow, strideSo,
                           &block, 64, nullptr, kDefaultGpuCountRegisterColumns,
                           kDefaultGpuRematDepth, {}, llvm::ArrayRef(stride)));
  ASSERT_TRUE(writeHostModuleFile(strideModule, strideSo));
  gpu.reset();
  s = openOverEmulatedDriver(strideModule, gpu);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(gpu, nullptr);
  EXPECT_NE(s.message().find("unexpected size of __lgc_gen_block_grid_stride "
                             "(8 bytes, expected 4)"),
            std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find(strideModule), std::string::npos) << s.message();
}

/// A module with both kernels (lgc --gpu-kernel=both) over the emulated
/// driver: launches of fewer samples than a wave of the thread kernel take
/// lgc_net_block, larger ones lgc_net, through every input path and stream
/// chunking, all bit-exact; a device without the block kernel's shared
/// memory, or a net whose values do not fit it, runs the thread kernel.
TEST(GPUKernel, BothKernelsOverEmulatedDriver) {
  Net net = runtimeTestNet(7);
  test::TempDir dir;
  std::string so = dir.file("kernels.so"), module = dir.file("net.cubin");
  BlockOptions block;
  block.words = 2;
  block.threads = 64;
  block.unroll = 2;
  block.interleave = block.bothKernels = true;
  ASSERT_TRUE(
      buildHostModule(net, 100, kDefaultGpuRegisterWindow, so, module, &block));
  ASSERT_EQ(setenv("LGC_CUDA_DRIVER", LGC_EMULATED_CUDA_DRIVER, 1), 0);
  void *driver = dlopen(LGC_EMULATED_CUDA_DRIVER, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(driver, nullptr) << dlerror();
  auto launches = reinterpret_cast<void (*)(long *, long *, long *)>(
      dlsym(driver, "lgc_emulated_launches"));
  ASSERT_NE(launches, nullptr);
  std::unique_ptr<CudaNet> gpu;
  Status s = CudaNet::open(module, gpu);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_FALSE(gpu->blockKernel());
  EXPECT_TRUE(gpu->hasBlockKernelBeside());
  // The thread kernel's wave: one multiprocessor, two blocks of 128 words.
  ASSERT_EQ(gpu->samplesPerWave(), size_t(2 * 128 * 64));
  EXPECT_EQ(gpu->residentBlocks(), 2u);
  EXPECT_EQ(gpu->besideResidentBlocks(), 2u);
  EXPECT_EQ(gpu->besideBlockThreads(), 64u);
  for (size_t n :
       {size_t(1), size_t(5000), size_t(16383), size_t(16384), size_t(40000)}) {
    SCOPED_TRACE(n);
    bool small = n < gpu->samplesPerWave();
    EXPECT_EQ(gpu->launchesBlockKernel(n), small);
    // 8-bit features of small launches: lgc_net_block_u8, no packing.
    EXPECT_EQ(gpu->launchesU8Kernel(n), small);
    long net0, block0, u80, net1, block1, u81;
    launches(&net0, &block0, &u80);
    Samples samples(net, n, n + 3);
    expectRunsMatch(*gpu, net, samples);
    launches(&net1, &block1, &u81);
    EXPECT_EQ(net1 > net0, !small);
    EXPECT_EQ(block1 > block0, small);
    EXPECT_EQ(u81 - u80, small ? 1 : 0);
    // Chunks of 2,048 take the block kernel; a wave's the thread kernel.
    std::vector<uint32_t> got(n, 999);
    for (size_t chunk : {size_t(2048), size_t(0)}) {
      std::fill(got.begin(), got.end(), 999);
      ASSERT_TRUE(gpu->stream(CudaNet::Input::Packed, samples.bits.data(), n,
                              got.data(), chunk, nullptr)
                      .ok());
      EXPECT_EQ(got, samples.want) << "chunk " << chunk;
    }
  }
  gpu.reset();
  // A device with too little shared memory for the block kernel: the
  // thread kernel for every launch.
  ASSERT_EQ(setenv("LGC_EMULATED_SHARED_OPTIN", "64", 1), 0);
  s = CudaNet::open(module, gpu);
  unsetenv("LGC_EMULATED_SHARED_OPTIN");
  ASSERT_TRUE(s.ok()) << s.message();
  // Every launch on the thread kernel, bit-exact.
  auto threadKernelOnly = [&](CudaNet &only, uint64_t seed) {
    EXPECT_FALSE(only.hasBlockKernelBeside());
    EXPECT_FALSE(only.launchesBlockKernel(1));
    EXPECT_FALSE(only.launchesU8Kernel(1));
    long net0, block0, u80, net1, block1, u81;
    launches(&net0, &block0, &u80);
    expectRunsMatch(only, net, Samples(net, 100, seed));
    launches(&net1, &block1, &u81);
    EXPECT_GT(net1, net0);
    EXPECT_EQ(block1, block0);
    EXPECT_EQ(u81, u80);
  };
  threadKernelOnly(*gpu, 9);
  gpu.reset();
  // A block kernel of 256 threads on a device that runs blocks of at most
  // 128 (its registers): the thread kernel, whose blocks have 128, for
  // every launch.
  {
    std::string wide = dir.file("wide.so"), wideModule = dir.file("w.cubin");
    BlockOptions wideBlock = block;
    wideBlock.threads = 256;
    ASSERT_TRUE(buildHostModule(net, 100, kDefaultGpuRegisterWindow, wide,
                                wideModule, &wideBlock));
    ASSERT_EQ(setenv("LGC_EMULATED_MAX_BLOCK_THREADS", "128", 1), 0);
    std::unique_ptr<CudaNet> threadOnly;
    s = CudaNet::open(wideModule, threadOnly);
    unsetenv("LGC_EMULATED_MAX_BLOCK_THREADS");
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_EQ(threadOnly->besideResidentBlocks(), 0u);
    threadKernelOnly(*threadOnly, 11);
  }
  // Values that do not fit 1 KB of shared memory: no block kernel made.
  BlockOptions tight = block;
  tight.interleave = false;
  tight.sharedLimit = 1024;
  tight.wordBits = 64;
  gpu = openBlockModule(net, tight, dir, "spilled");
  ASSERT_TRUE(gpu);
  EXPECT_FALSE(gpu->hasBlockKernelBeside());
  expectRunsMatch(*gpu, net, Samples(net, 100, 9));
  gpu.reset();
  // Values whose 64-bit words exceed the limit but whose 32-bit ones fit
  // it: by default the block kernel beside takes 32-bit words (the limit
  // between one value's 4 and 8 bytes a slot, read off the 64-bit form).
  {
    BlockOptions alone = tight;
    alone.bothKernels = false;
    alone.sharedLimit = 0;
    alone.words = 1;
    gpu = openBlockModule(net, alone, dir, "w64");
    ASSERT_TRUE(gpu);
    size_t slots = gpu->netSharedBytes() / 8;
    BlockOptions halves = tight;
    halves.wordBits = 0;
    halves.words = 1;
    halves.sharedLimit = unsigned(slots * 6);
    gpu = openBlockModule(net, halves, dir, "h");
    ASSERT_TRUE(gpu);
    ASSERT_TRUE(gpu->hasBlockKernelBeside());
    EXPECT_EQ(gpu->besideBlockWordBits(), 32u);
    long net0, block0, u80, net1, block1, u81;
    launches(&net0, &block0, &u80);
    expectRunsMatch(*gpu, net, Samples(net, 3000, 13));
    launches(&net1, &block1, &u81);
    EXPECT_GT(block1, block0);
    EXPECT_GT(u81, u80);
    EXPECT_EQ(net1, net0);
    gpu.reset();
  }
  unsetenv("LGC_CUDA_DRIVER");
  dlclose(driver);
}

/// A cascade whose nets are GPU modules (over the emulated driver) runs
/// like the same cascade on the interpreter: the doubted samples' rows go
/// to the second module as a batch of their own, and the device time adds
/// up over the modules that ran.
TEST(GPUKernel, CascadeOfModulesOverEmulatedDriver) {
  std::vector<Net> nets = {runtimeTestNet(11), runtimeTestNet(12)};
  test::TempDir dir;
  std::vector<std::unique_ptr<Runner>> gpuStages, hostStages;
  for (size_t i = 0; i < nets.size(); ++i) {
    std::string so = dir.file("kernels" + std::to_string(i) + ".so");
    std::string module = dir.file("net" + std::to_string(i) + ".cubin");
    ASSERT_TRUE(
        buildHostModule(nets[i], 100, kDefaultGpuRegisterWindow, so, module));
    ASSERT_EQ(setenv("LGC_CUDA_DRIVER", LGC_EMULATED_CUDA_DRIVER, 1), 0);
    gpuStages.emplace_back();
    Status s = Runner::open(module, gpuStages.back());
    unsetenv("LGC_CUDA_DRIVER");
    ASSERT_TRUE(s.ok()) << s.message();
    hostStages.push_back(Runner::interpreter(nets[i]));
  }
  // Six classes of 50 outputs each: a margin of 4 counts leaves some
  // samples to the second net and decides others.
  std::unique_ptr<Cascade> gpu, host;
  ASSERT_TRUE(Cascade::create(std::move(gpuStages), {4.0}, gpu).ok());
  ASSERT_TRUE(Cascade::create(std::move(hostStages), {4.0}, host).ok());
  const size_t n = 3000;
  Samples samples(nets[0], n, 5);
  const uint32_t K = nets[0].numClasses;
  std::vector<uint32_t> gpuCounts(n * K), hostCounts(n * K), gpuClasses(n),
      hostClasses(n);
  ASSERT_TRUE(
      gpu->runU8(samples.x.data(), n, gpuCounts.data(), gpuClasses.data())
          .ok());
  ASSERT_TRUE(
      host->runU8(samples.x.data(), n, hostCounts.data(), hostClasses.data())
          .ok());
  EXPECT_EQ(gpuCounts, hostCounts);
  EXPECT_EQ(gpuClasses, hostClasses);
  EXPECT_EQ(gpu->stageSamples(), host->stageSamples());
  EXPECT_GT(gpu->stageSamples()[1], 0u);
  EXPECT_LT(gpu->stageSamples()[1], n);
  EXPECT_GE(gpu->deviceSeconds(), 0);
  EXPECT_LT(host->deviceSeconds(), 0);
  // A cascade file opens its GPU modules on the device asked for (the
  // emulated driver has one: device 1 is refused, at the net's line), and
  // a device for a cascade without GPU modules is an error.
  auto write = [&](const std::string &name, const std::string &text) {
    std::string path = dir.file(name);
    std::ofstream(path) << text;
    return path;
  };
  std::string lgn = dir.file("net1.lgn");
  ASSERT_TRUE(writeNetFile(lgn, nets[1]).ok());
  std::string mixed = write("mixed.cascade", "lgc-cascade 1\nnet net0.cubin\n"
                                             "margin 4\nnet net1.lgn\n");
  std::string hostOnly = write("host.cascade", "lgc-cascade 1\nnet net1.lgn\n"
                                               "margin 4\nnet net1.lgn\n");
  ASSERT_EQ(setenv("LGC_CUDA_DRIVER", LGC_EMULATED_CUDA_DRIVER, 1), 0);
  std::unique_ptr<Runner> onDevice, refused, noGpu;
  Status s0 = Runner::open(mixed, onDevice, 0);
  Status s1 = Runner::open(mixed, refused, 1);
  Status s2 = Runner::open(hostOnly, noGpu, 1);
  unsetenv("LGC_CUDA_DRIVER");
  ASSERT_TRUE(s0.ok()) << s0.message();
  std::vector<uint32_t> mixedClasses(n);
  ASSERT_TRUE(
      onDevice->runU8(samples.x.data(), n, nullptr, mixedClasses.data()).ok());
  EXPECT_EQ(mixedClasses, hostClasses);
  EXPECT_FALSE(s1.ok());
  EXPECT_NE(s1.message().find("mixed.cascade:2:5: "), std::string::npos)
      << s1.message();
  EXPECT_NE(s1.message().find("net0.cubin: error: no CUDA device 1 (this "
                              "machine has 1)"),
            std::string::npos)
      << s1.message();
  EXPECT_FALSE(s2.ok());
  EXPECT_NE(s2.message().find("host.cascade: a CUDA device is chosen for a "
                              "cascade with GPU modules"),
            std::string::npos)
      << s2.message();
}

/// CudaNet with the thread kernel in 32-bit words over the emulated driver:
/// twice the threads for the same samples (the emulator runs the kernel's
/// own bounds check), every input path exact.
TEST(GPUKernel, HalfWordThreadKernelOverEmulatedDriver) {
  Net net = runtimeTestNet(7);
  test::TempDir dir;
  std::string so = dir.file("kernels.so"), module = dir.file("net.cubin");
  ASSERT_TRUE(buildHostModule(net, 100, kDefaultGpuRegisterWindow, so, module,
                              nullptr, /*threadBits=*/32));
  std::unique_ptr<CudaNet> gpu;
  Status s = openOverEmulatedDriver(module, gpu);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_FALSE(gpu->blockKernel());
  EXPECT_EQ(gpu->netBlockWordBits(), 32u);
  // 128 threads of 32 samples a block.
  EXPECT_EQ(gpu->netBlockSamples(), size_t(4096));
  // A thread kernel of any other word bits is refused when it loads.
  {
    std::string badSo = dir.file("bad.so"), badModule = dir.file("bad.cubin");
    ASSERT_TRUE(buildHostModeLibrary(net, 100, kDefaultGpuRegisterWindow, badSo,
                                     nullptr, 32,
                                     [](std::vector<int32_t> &shape) {
                                       shape[lgc::abi::kGpuWordBits] = 48;
                                     }));
    ASSERT_TRUE(writeHostModuleFile(badModule, badSo));
    std::unique_ptr<CudaNet> bad;
    Status refused = openOverEmulatedDriver(badModule, bad);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.message().find("malformed __lgc_gen_shape"),
              std::string::npos)
        << refused.message();
  }
  for (size_t n : {size_t(1), size_t(33), size_t(5000), size_t(20000)}) {
    SCOPED_TRACE(n);
    Samples samples(net, n, n + 1);
    expectRunsMatch(*gpu, net, samples);
    std::vector<uint32_t> got(n, 999);
    for (CudaNet::Input form : {CudaNet::Input::U8, CudaNet::Input::Packed}) {
      const void *input = form == CudaNet::Input::U8
                              ? static_cast<const void *>(samples.x.data())
                              : samples.bits.data();
      std::fill(got.begin(), got.end(), 999);
      ASSERT_TRUE(gpu->stream(form, input, n, got.data(), 2048).ok());
      EXPECT_EQ(got, samples.want);
    }
  }
}

/// lgc_pack_u8_tiled through CudaNet over the emulated driver: launched
/// for 8-bit features from the runtime's buffers and from 16-byte aligned
/// device pointers (with its shared memory granted past 48 KB), lgc_pack_u8
/// for other pointers and where the device lacks the shared memory; packed
/// bits through lgc_pack_bits at one and four words a thread; every run
/// bit-exact with the interpreter.
TEST(GPUKernel, TiledPackingOverEmulatedDriver) {
  test::TempDir dir;
  void *driver = dlopen(LGC_EMULATED_CUDA_DRIVER, RTLD_NOW | RTLD_GLOBAL);
  ASSERT_NE(driver, nullptr) << dlerror();
  auto packLaunches = reinterpret_cast<void (*)(long *, long *)>(
      dlsym(driver, "lgc_emulated_pack_launches"));
  ASSERT_NE(packLaunches, nullptr);
  // Launches of (lgc_pack_u8, lgc_pack_u8_tiled) that `run` makes.
  auto count = [&](auto run) {
    long thread0, tiled0, thread1, tiled1;
    packLaunches(&thread0, &tiled0);
    run();
    packLaunches(&thread1, &tiled1);
    return std::pair{thread1 - thread0, tiled1 - tiled0};
  };
  // 40 features at three levels (2,560 bytes of shared memory a block);
  // 784 at one (50,176: past the 48 KB a launch has without asking).
  Net small = runtimeTestNet(13);
  Net wide = test::randomNet(784, {300, 200}, 10, 0.3, 14);
  wide.numFeatures = 784;
  wide.levels = {0.5f};
  int index = 0;
  for (const Net *net : {&small, &wide})
    for (unsigned tiledWords : {1u, 4u}) {
      // lgc_pack_bits copies as many words a thread (1 or 4): the runs'
      // packed-bit inputs (expectRunsMatch) go through it.
      SCOPED_TRACE(std::to_string(net->numFeatures) + " features, " +
                   std::to_string(tiledWords) + " words a block or thread");
      std::string name = "n" + std::to_string(index++);
      std::string module = dir.file(name + ".cubin");
      ASSERT_TRUE(buildHostModule(
          *net, 100, kDefaultGpuRegisterWindow, dir.file(name + ".so"), module,
          nullptr, 64, kDefaultGpuCountRegisterColumns, kDefaultGpuRematDepth,
          test::PackOptions{tiledWords, tiledWords}));
      ASSERT_EQ(setenv("LGC_CUDA_DRIVER", LGC_EMULATED_CUDA_DRIVER, 1), 0);
      std::unique_ptr<CudaNet> gpu;
      Status s = CudaNet::open(module, gpu);
      ASSERT_TRUE(s.ok()) << s.message();
      EXPECT_EQ(gpu->packTiledWordsPerBlock(), tiledWords);
      EXPECT_EQ(gpu->packBitsWordsPerThread(), tiledWords);
      EXPECT_EQ(gpu->packTiledSharedBytes(),
                lgc::abi::gpuPackTiledSharedBytes(net->numFeatures,
                                                  net->numInputs, tiledWords));
      // Three tiles, the last partly used; and one sample.
      for (size_t n : {size_t(1), size_t(4100)}) {
        SCOPED_TRACE(n);
        Samples samples(*net, n, 19 + n);
        // From the host: the runtime's buffer, one tiled launch.
        auto [thread, tiled] =
            count([&] { expectRunsMatch(*gpu, *net, samples); });
        EXPECT_EQ(thread, 0);
        EXPECT_EQ(tiled, 1);
        // From the device, 16 bytes and 1 byte past an allocation's start.
        std::vector<uint8_t> shifted(samples.x.size() + 16);
        uint64_t device = 0;
        for (size_t offset : {16, 1}) {
          SCOPED_TRACE(offset);
          std::fill(shifted.begin(), shifted.end(), 0xee);
          std::copy(samples.x.begin(), samples.x.end(),
                    shifted.begin() + offset);
          ASSERT_TRUE(
              gpu->upload(shifted.data(), shifted.size(), &device).ok());
          ASSERT_EQ(device % 16, 0u);
          std::vector<uint32_t> got(n, 999), counts(n * net->numClasses, 999);
          auto [thread, tiled] = count([&] {
            ASSERT_TRUE(gpu->runOnDevice(CudaNet::Input::U8, device + offset, n,
                                         counts.data(), got.data())
                            .ok());
          });
          gpu->freeDevice(device);
          EXPECT_EQ(got, samples.want);
          EXPECT_EQ(counts, samples.wantCounts);
          EXPECT_EQ(thread, offset == 16 ? 0 : 1);
          EXPECT_EQ(tiled, offset == 16 ? 1 : 0);
        }
      }
      gpu.reset();
      // A device whose blocks have less shared memory than the kernel's:
      // lgc_pack_u8 for every launch, the same results.
      ASSERT_EQ(setenv("LGC_EMULATED_SHARED_OPTIN", "2048", 1), 0);
      s = CudaNet::open(module, gpu);
      unsetenv("LGC_EMULATED_SHARED_OPTIN");
      unsetenv("LGC_CUDA_DRIVER");
      ASSERT_TRUE(s.ok()) << s.message();
      EXPECT_FALSE(gpu->packsTiled(0));
      Samples samples(*net, 300, 23);
      auto [thread, tiled] =
          count([&] { expectRunsMatch(*gpu, *net, samples); });
      EXPECT_EQ(thread, 1);
      EXPECT_EQ(tiled, 0);
    }
}

/// The packing kernels' words (__lgc_gen_pack_bits_words,
/// __lgc_gen_pack_tiled_words) as a module may say them wrongly: a value
/// the runtime has no grid for, or a global of another size, is refused
/// when the module loads, naming the global, before any launch; the values
/// the lowering emits load.
TEST(GPUKernel, MalformedPackingWordsRefused) {
  test::TempDir dir;
  Net net = runtimeTestNet(13);
  struct Case {
    const char *symbol;
    std::vector<int32_t> values;
    const char *error; // null: the module loads
  };
  const char *bits = lgc::abi::kPackBitsWordsSymbol,
             *tiled = lgc::abi::kPackTiledWordsSymbol;
  const Case cases[] = {
      {bits, {4}, nullptr},
      {bits, {1}, nullptr},
      {bits, {3}, "malformed __lgc_gen_pack_bits_words"},
      {bits, {0}, "malformed __lgc_gen_pack_bits_words"},
      {bits,
       {4, 4},
       "unexpected size of __lgc_gen_pack_bits_words (8 bytes, expected 4)"},
      {tiled, {2}, nullptr},
      {tiled, {3}, "malformed __lgc_gen_pack_tiled_words"},
      {tiled, {8}, "malformed __lgc_gen_pack_tiled_words"},
      {tiled,
       {1, 1},
       "unexpected size of __lgc_gen_pack_tiled_words (8 bytes, expected 4)"},
  };
  int index = 0;
  for (const Case &c : cases) {
    std::string name = "m" + std::to_string(index++);
    SCOPED_TRACE(name + ": " + c.symbol);
    std::string so = dir.file(name + ".so"), module = dir.file(name + ".cubin");
    test::GlobalEdit edit{c.symbol, c.values};
    ASSERT_TRUE(buildHostModeLibrary(
        net, 100, kDefaultGpuRegisterWindow, so, nullptr, 64, nullptr,
        kDefaultGpuCountRegisterColumns, kDefaultGpuRematDepth,
        test::PackOptions{1, 1}, llvm::ArrayRef(edit)));
    ASSERT_TRUE(writeHostModuleFile(module, so));
    std::unique_ptr<CudaNet> gpu;
    Status s = openOverEmulatedDriver(module, gpu);
    if (!c.error) {
      ASSERT_TRUE(s.ok()) << s.message();
      if (c.symbol == bits)
        EXPECT_EQ(gpu->packBitsWordsPerThread(), unsigned(c.values[0]));
      else
        EXPECT_EQ(gpu->packTiledWordsPerBlock(), unsigned(c.values[0]));
      continue;
    }
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(gpu, nullptr);
    EXPECT_NE(s.message().find(c.error), std::string::npos) << s.message();
    EXPECT_NE(s.message().find(module), std::string::npos) << s.message();
  }
}

/// The thread kernel recomputing gates of earlier functions (0 to 4 gates
/// deep; small functions, so that many values cross them), in 64- and
/// 32-bit words, counting in its gate functions or in count functions after
/// them: bit for bit with the interpreter, in no more scratch slots than
/// without (fewer, counting in the gate functions).
TEST(GPUKernel, RecomputedGatesOverEmulatedDriver) {
  Net net = runtimeTestNet(9);
  test::TempDir dir;
  Samples samples(net, 5000, 17);
  for (unsigned bits : {64u, 32u})
    for (unsigned countColumns : {kDefaultGpuCountRegisterColumns, 0u}) {
      int64_t loadedSlots = 0;
      for (unsigned depth : {0u, 1u, 2u, 4u}) {
        std::string name = std::to_string(bits) + "_" +
                           std::to_string(countColumns) + "_" +
                           std::to_string(depth);
        SCOPED_TRACE(name);
        std::string so = dir.file(name + ".so"),
                    module = dir.file(name + ".cubin");
        ASSERT_TRUE(buildHostModule(net, 40, kDefaultGpuRegisterWindow, so,
                                    module, nullptr, bits, countColumns,
                                    depth));
        void *h = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
        ASSERT_NE(h, nullptr) << dlerror();
        auto shape = static_cast<const int32_t *>(dlsym(h, "__lgc_gen_shape"));
        ASSERT_NE(shape, nullptr);
        int64_t slots = shape[lgc::abi::kScratchSlots];
        dlclose(h);
        // With count functions every output waits in scratch until the
        // gates are done, which sets the slots' peak there.
        if (depth == 0)
          loadedSlots = slots;
        else if (countColumns)
          EXPECT_LT(slots, loadedSlots);
        else
          EXPECT_LE(slots, loadedSlots);
        std::unique_ptr<CudaNet> gpu;
        Status s = openOverEmulatedDriver(module, gpu);
        ASSERT_TRUE(s.ok()) << s.message();
        expectRunsMatch(*gpu, net, samples);
      }
    }
}

/// CudaNet over the emulated driver (EmulatedCudaDriver.cpp), whose module
/// is the kernels' host-mode functions: every run path of the runtime, bit
/// for bit against the interpreter, without a GPU.
/// lgc_rt_run_device (the C runtime, as Python's ctypes calls it) on
/// memory of the emulated device: bit-exact from 8-bit features and packed
/// bits, and every bad pointer, form or net an error before any launch.
TEST(GPUKernel, DeviceInputThroughCApi) {
  Net net = runtimeTestNet(11);
  test::TempDir dir;
  std::string module = dir.file("net.cubin"), lgn = dir.file("net.lgn");
  ASSERT_TRUE(buildHostModule(net, 100, kDefaultGpuRegisterWindow,
                              dir.file("kernels.so"), module));
  ASSERT_TRUE(writeNetFile(lgn, net).ok());
  void *rt = dlopen(LGC_RUNTIME_SO, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(rt, nullptr) << dlerror();
  // The runtime opens the same library: the same allocations.
  void *driver = dlopen(LGC_EMULATED_CUDA_DRIVER, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(driver, nullptr) << dlerror();
  auto open =
      reinterpret_cast<decltype(&lgc_rt_open)>(dlsym(rt, "lgc_rt_open"));
  auto openCuda = reinterpret_cast<decltype(&lgc_rt_open_cuda)>(
      dlsym(rt, "lgc_rt_open_cuda"));
  auto close =
      reinterpret_cast<decltype(&lgc_rt_close)>(dlsym(rt, "lgc_rt_close"));
  auto runDevice = reinterpret_cast<decltype(&lgc_rt_run_device)>(
      dlsym(rt, "lgc_rt_run_device"));
  using MemAlloc = int (*)(unsigned long long *, size_t);
  using MemFree = int (*)(unsigned long long);
  using CopyIn = int (*)(unsigned long long, const void *, size_t);
  auto memAlloc = reinterpret_cast<MemAlloc>(dlsym(driver, "cuMemAlloc_v2"));
  auto memFree = reinterpret_cast<MemFree>(dlsym(driver, "cuMemFree_v2"));
  auto copyIn = reinterpret_cast<CopyIn>(dlsym(driver, "cuMemcpyHtoD_v2"));
  auto launches = reinterpret_cast<void (*)(long *, long *, long *)>(
      dlsym(driver, "lgc_emulated_launches"));
  ASSERT_TRUE(open && openCuda && close && runDevice && memAlloc && memFree &&
              copyIn && launches);
  char error[512] = {};
  ASSERT_EQ(setenv("LGC_CUDA_DRIVER", LGC_EMULATED_CUDA_DRIVER, 1), 0);
  lgc_rt_net *gpu = open(module.c_str(), error, sizeof(error));
  ASSERT_NE(gpu, nullptr) << error;
  // A chosen device: the emulated driver has one. Devices it lacks, and
  // nets that are no GPU module, are errors.
  lgc_rt_net *gpu0 = openCuda(module.c_str(), 0, error, sizeof(error));
  EXPECT_NE(gpu0, nullptr) << error;
  for (int device : {1, -1}) {
    EXPECT_EQ(openCuda(module.c_str(), device, error, sizeof(error)), nullptr);
    EXPECT_NE(std::string(error).find("no CUDA device " +
                                      std::to_string(device) +
                                      " (this machine has 1)"),
              std::string::npos)
        << error;
  }
  EXPECT_EQ(openCuda(lgn.c_str(), 0, error, sizeof(error)), nullptr);
  EXPECT_NE(std::string(error).find("opens GPU modules (.ptx, .cubin, .fatbin) "
                                    "and cascade files only"),
            std::string::npos)
      << error;
  unsetenv("LGC_CUDA_DRIVER");
  lgc_rt_net *host = open(lgn.c_str(), error, sizeof(error));
  ASSERT_NE(host, nullptr) << error;
  auto upload = [&](const void *data, size_t bytes) {
    unsigned long long p = 0;
    EXPECT_EQ(memAlloc(&p, bytes), 0);
    EXPECT_EQ(copyIn(p, data, bytes), 0);
    return p;
  };
  const size_t K = net.numClasses;
  for (size_t n : {size_t(1), size_t(100), size_t(5000)}) {
    SCOPED_TRACE(n);
    Samples d(net, n, 40 + n);
    unsigned long long x = upload(d.x.data(), d.x.size());
    unsigned long long bits = upload(d.bits.data(), d.bits.size() * 8);
    // Waiting for a stream first (1: the legacy default stream) and not.
    for (uint64_t stream : {uint64_t(0), uint64_t(1)}) {
      std::vector<uint32_t> classes(n, 999), counts(n * K, 999);
      ASSERT_EQ(runDevice(gpu, LGC_RT_DEVICE_U8, x, n, counts.data(),
                          classes.data(), stream, error, sizeof(error)),
                LGC_OK)
          << error;
      EXPECT_EQ(classes, d.want);
      EXPECT_EQ(counts, d.wantCounts);
      std::fill(classes.begin(), classes.end(), 999);
      ASSERT_EQ(runDevice(gpu, LGC_RT_DEVICE_PACKED, bits, n, nullptr,
                          classes.data(), stream, error, sizeof(error)),
                LGC_OK)
          << error;
      EXPECT_EQ(classes, d.want);
    }
    memFree(x);
    memFree(bits);
  }

  // Bad input: a message, no launch, the outputs untouched.
  size_t n = 300;
  Samples d(net, n, 5);
  unsigned long long x = upload(d.x.data(), d.x.size());
  unsigned long long bits = upload(d.bits.data(), d.bits.size() * 8);
  unsigned long long freed = upload(d.x.data(), d.x.size());
  memFree(freed);
  struct Bad {
    const char *what;
    lgc_rt_net *net;
    int form;
    unsigned long long x;
    size_t n;
    const char *message;
  } bad[] = {{"host memory", gpu, LGC_RT_DEVICE_U8,
              (unsigned long long)(uintptr_t)d.x.data(), n,
              "is not memory the CUDA driver knows"},
             {"freed memory", gpu, LGC_RT_DEVICE_U8, freed, n,
              "is not memory the CUDA driver knows"},
             {"more samples than the allocation", gpu, LGC_RT_DEVICE_U8, x,
              n + 1, "but the allocation at"},
             {"starting inside it, too few bytes left", gpu, LGC_RT_DEVICE_U8,
              x + 1, n, "but the allocation at"},
             {"packed bits, more words than the allocation", gpu,
              LGC_RT_DEVICE_PACKED, bits, n + 64, "but the allocation at"},
             {"packed bits, misaligned", gpu, LGC_RT_DEVICE_PACKED, bits + 4, 1,
              "is not 8-byte aligned"},
             {"null input", gpu, LGC_RT_DEVICE_U8, 0, n, "null device input"},
             {"unknown form", gpu, 7, x, n, "invalid device input form 7"},
             {"a net on the host", host, LGC_RT_DEVICE_U8, x, n,
              "needs a GPU net (a .ptx, .cubin or .fatbin from lgc), not a "
              "reference interpreter"},
             {"no net", nullptr, LGC_RT_DEVICE_U8, x, n, "null argument"}};
  long before[3], after[3];
  for (const Bad &b : bad) {
    SCOPED_TRACE(b.what);
    std::vector<uint32_t> classes(b.n, 999), counts(b.n * K, 999);
    launches(&before[0], &before[1], &before[2]);
    std::memset(error, 0, sizeof(error));
    EXPECT_EQ(runDevice(b.net, b.form, b.x, b.n, counts.data(), classes.data(),
                        0, error, sizeof(error)),
              LGC_ERR_ARGUMENT);
    EXPECT_NE(std::string(error).find(b.message), std::string::npos) << error;
    launches(&after[0], &after[1], &after[2]);
    EXPECT_EQ(std::vector<long>(before, before + 3),
              std::vector<long>(after, after + 3));
    EXPECT_EQ(classes, std::vector<uint32_t>(b.n, 999));
    EXPECT_EQ(counts, std::vector<uint32_t>(b.n * K, 999));
  }
  // No samples: nothing to read, nothing fails; and the net still runs.
  EXPECT_EQ(runDevice(gpu, LGC_RT_DEVICE_U8, 0, 0, nullptr, nullptr, 0, error,
                      sizeof(error)),
            LGC_OK)
      << error;
  std::vector<uint32_t> classes(n, 999);
  ASSERT_EQ(runDevice(gpu, LGC_RT_DEVICE_U8, x, n, nullptr, classes.data(), 0,
                      error, sizeof(error)),
            LGC_OK)
      << error;
  EXPECT_EQ(classes, d.want);
  // The net opened on device 0 by choice runs the same.
  if (gpu0) {
    std::fill(classes.begin(), classes.end(), 999);
    EXPECT_EQ(runDevice(gpu0, LGC_RT_DEVICE_U8, x, n, nullptr, classes.data(),
                        0, error, sizeof(error)),
              LGC_OK)
        << error;
    EXPECT_EQ(classes, d.want);
    close(gpu0);
  }
  memFree(x);
  memFree(bits);
  close(host);
  close(gpu);
}

TEST(GPUKernel, RuntimeOverEmulatedDriver) {
  Net net = runtimeTestNet(5);
  test::TempDir dir;
  std::string so = dir.file("kernels.so"), module = dir.file("net.cubin");
  ASSERT_TRUE(buildHostModule(net, 100, kDefaultGpuRegisterWindow, so, module));
  ASSERT_EQ(setenv("LGC_CUDA_DRIVER", LGC_EMULATED_CUDA_DRIVER, 1), 0);
  void *driver = dlopen(LGC_EMULATED_CUDA_DRIVER, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(driver, nullptr) << dlerror();
  auto launches = reinterpret_cast<void (*)(long *, long *, long *)>(
      dlsym(driver, "lgc_emulated_launches"));
  ASSERT_NE(launches, nullptr);
  std::unique_ptr<CudaNet> gpu;
  Status s = CudaNet::open(module, gpu);
  // The same module through Runner: the C runtime's, Python's and
  // lgn-run's path.
  std::unique_ptr<Runner> runner;
  Status opened = Runner::open(module, runner);
  unsetenv("LGC_CUDA_DRIVER");
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_TRUE(opened.ok()) << opened.message();
  EXPECT_EQ(gpu->deviceName(), "emulated CUDA device");
  EXPECT_EQ(gpu->inputs(), net.numInputs);
  EXPECT_EQ(gpu->classes(), net.numClasses);
  // Up to ten tiles of 2,048 samples, the last one partly used. The
  // emulated device's wave is 16,384 samples, so the default chunks are one
  // (n <= 8,192) or several.
  for (size_t n : {size_t(1), size_t(100), size_t(5000), size_t(20000)}) {
    SCOPED_TRACE(n);
    Samples samples(net, n, n);
    const std::vector<uint8_t> &x = samples.x;
    const std::vector<uint64_t> &bits = samples.bits;
    const std::vector<uint32_t> &want = samples.want;
    expectRunsMatch(*gpu, net, samples);
    std::vector<uint32_t> got(n, 999);
    uint64_t onDevice = 0;
    ASSERT_TRUE(gpu->upload(bits.data(), bits.size() * 8, &onDevice).ok());
    std::fill(got.begin(), got.end(), 999);
    ASSERT_TRUE(gpu->runOnDevice(CudaNet::Input::Packed, onDevice, n, nullptr,
                                 got.data())
                    .ok());
    gpu->freeDevice(onDevice);
    EXPECT_EQ(got, want);
    // Batches in launches of at most 2,048 samples (one tile), counts
    // included, from every input path: the same outputs, in ceil(n / 2,048)
    // launches of lgc_net.
    gpu->setLaunchSamples(2048);
    EXPECT_EQ(gpu->launchSamples(), size_t(2048));
    {
      long before[3], after[3];
      launches(&before[0], &before[1], &before[2]);
      expectRunsMatch(*gpu, net, samples);
      launches(&after[0], &after[1], &after[2]);
      EXPECT_EQ(after[0] - before[0], long(2 * ((n + 2047) / 2048)));
      for (CudaNet::Input form : {CudaNet::Input::U8, CudaNet::Input::Packed}) {
        const void *input = form == CudaNet::Input::U8
                                ? static_cast<const void *>(x.data())
                                : bits.data();
        ASSERT_TRUE(
            gpu->upload(input, gpu->inputBytes(form, n), &onDevice).ok());
        std::vector<uint32_t> counts(n * net.numClasses, 999);
        std::fill(got.begin(), got.end(), 999);
        ASSERT_TRUE(
            gpu->runOnDevice(form, onDevice, n, counts.data(), got.data())
                .ok());
        gpu->freeDevice(onDevice);
        EXPECT_EQ(got, want);
        EXPECT_EQ(counts, samples.wantCounts);
      }
    }
    gpu->setLaunchSamples(0);
    // The default: kLaunchBytes of buffers, at least a wave.
    EXPECT_GE(gpu->launchSamples(), gpu->samplesPerWave());
    // Runner: past half a wave (8,192 samples here) streamed in chunks,
    // counts included, with no time of the kernels alone; below it one
    // launch, timed.
    {
      std::vector<uint32_t> classes(n, 999), counts(n * net.numClasses, 999);
      ASSERT_TRUE(
          runner->runU8(x.data(), n, counts.data(), classes.data()).ok());
      EXPECT_EQ(classes, want);
      EXPECT_EQ(counts, samples.wantCounts);
      EXPECT_EQ(runner->deviceSeconds() < 0, n > size_t(8192));
      std::fill(counts.begin(), counts.end(), 999);
      ASSERT_TRUE(runner->runU8(x.data(), n, counts.data(), nullptr).ok());
      EXPECT_EQ(counts, samples.wantCounts);
    }
    // Streams of one-tile chunks (several in flight), of one chunk, and of
    // the default chunks.
    EXPECT_EQ(gpu->samplesPerWave(), size_t(16384));
    for (size_t chunk : {size_t(2048), size_t(1) << 20, size_t(0)})
      for (CudaNet::Input form : {CudaNet::Input::U8, CudaNet::Input::Packed}) {
        const void *input = form == CudaNet::Input::U8
                                ? static_cast<const void *>(x.data())
                                : bits.data();
        std::fill(got.begin(), got.end(), 999);
        double seconds = -1;
        ASSERT_TRUE(
            gpu->stream(form, input, n, got.data(), chunk, &seconds).ok());
        EXPECT_EQ(got, want) << "chunk " << chunk;
        EXPECT_GE(seconds, 0);
        // With the counts too, and the counts alone.
        std::vector<uint32_t> counts(n * net.numClasses, 999);
        std::fill(got.begin(), got.end(), 999);
        ASSERT_TRUE(gpu->stream(form, input, n, got.data(), chunk, nullptr,
                                counts.data())
                        .ok());
        EXPECT_EQ(got, want) << "chunk " << chunk;
        EXPECT_EQ(counts, samples.wantCounts) << "chunk " << chunk;
        std::fill(counts.begin(), counts.end(), 999);
        ASSERT_TRUE(
            gpu->stream(form, input, n, nullptr, chunk, nullptr, counts.data())
                .ok());
        EXPECT_EQ(counts, samples.wantCounts) << "chunk " << chunk;
      }
    // Each kernel timed alone (the GPU check's pack and gate columns).
    for (CudaNet::Input form : {CudaNet::Input::U8, CudaNet::Input::Packed}) {
      CudaNet::KernelTimes times;
      const void *input = form == CudaNet::Input::U8
                              ? static_cast<const void *>(x.data())
                              : bits.data();
      ASSERT_TRUE(gpu->timeKernels(form, input, n, 2, times).ok());
      EXPECT_GT(times.pack, 0);
      EXPECT_GT(times.net, 0);
    }
  }
  // The module's encoding tables, as lgc-gpu-check reads them.
  std::vector<uint32_t> feature(net.numInputs), threshold(net.numInputs);
  ASSERT_TRUE(gpu->encoding(feature.data(), threshold.data()).ok());
  for (uint32_t i = 0; i < net.numInputs; ++i) {
    EXPECT_EQ(feature[i], i % net.numFeatures);
    EXPECT_EQ(threshold[i],
              lgc::abi::byteThreshold(net.levels[i / net.numFeatures]));
  }
  // The GPU check's program on this module: a check entry against the
  // interpreter's expected outputs and a bench entry, then the summary.
  {
    size_t n = 3000;
    Rng rng(3);
    std::string pixels(n * net.numFeatures, '\0');
    for (char &v : pixels)
      v = char(rng.below(256));
    std::ofstream(dir.file("images.u8"), std::ios::binary) << pixels;
    ASSERT_TRUE(writeNetFile(dir.file("net.lgn"), net).ok());
    // Check entries name their reference file (`shared` shares net's) or
    // default to NAME.expected (`net`); `wrong`'s differs in one class.
    std::ofstream(dir.file("manifest.txt"))
        << "# kind name module samples [reference]\n"
        << "check net net.cubin " << n << "\ncheck shared net.cubin " << n
        << " net.expected\ncheck wrong net.cubin " << n
        << " wrong.expected\nbench big net.cubin 5000 net.so\n"
        << "bench huge net.cubin 999999999999 net.so\n"
        << "choice variant net.cubin 5000 net.so\n"
        << "choice alone net.cubin 4000 net.so\n"
        << "check table table.cubin " << n << " net.expected\n";
    // A block kernel with its gate table in shared memory, its blocks
    // looping over the grid.
    {
      BlockOptions block;
      block.words = 2;
      block.threads = 64;
      block.tableShared = true;
      ASSERT_TRUE(buildHostModule(net, 100, kDefaultGpuRegisterWindow,
                                  dir.file("table.so"), dir.file("table.cubin"),
                                  &block));
    }
    // The bench entry's reference: the CPU backend's net.so.
    {
      mlir::MLIRContext context;
      auto module = importNet(net, &context);
      DriverOptions opts;
      opts.supportLibDir = LGC_SUPPORT_LIB_DIR;
      ASSERT_TRUE(mlir::succeeded(
          Driver(context, opts)
              .run(*module, Stage::SharedLib, dir.file("net.so"))));
    }
    std::string tool = LGC_GPU_CHECK;
    auto sh = [&](const std::string &args) {
      return std::system(("LGC_CUDA_DRIVER='" LGC_EMULATED_CUDA_DRIVER "' '" +
                          tool + "' " + args + " > '" + dir.file("out.txt") +
                          "' 2>&1")
                             .c_str());
    };
    ASSERT_EQ(sh("--expect '" + dir.file("net.lgn") + "' '" +
                 dir.file("images.u8") + "' " + std::to_string(n) + " '" +
                 dir.file("net.expected") + "'"),
              0);
    {
      std::string expected;
      ASSERT_TRUE(readFile(dir.file("net.expected"), expected).ok());
      expected[4 * 17] ^= 1; // image 17's class
      std::ofstream(dir.file("wrong.expected"), std::ios::binary) << expected;
    }
    EXPECT_NE(sh("'" + dir.path + "' wrong"), 0);
    // A mistyped option is an error, not a bundle directory named "-...".
    auto readOut = [&] {
      std::string text;
      EXPECT_TRUE(readFile(dir.file("out.txt"), text).ok());
      return text;
    };
    EXPECT_NE(sh("--bundle '" + dir.path + "'"), 0);
    EXPECT_NE(readOut().find("unknown option '--bundle'"), std::string::npos)
        << readOut();
    EXPECT_NE(sh("--summary"), 0);
    EXPECT_NE(readOut().find("wrong arguments to --summary"), std::string::npos)
        << readOut();
    EXPECT_EQ(sh("--help"), 0);
    EXPECT_NE(readOut().find("usage: lgc-gpu-check"), std::string::npos);
    auto readText = [](const std::string &path) {
      std::string text;
      EXPECT_TRUE(readFile(path, text).ok()) << path;
      return text;
    };
    EXPECT_EQ(sh("'" + dir.path + "' net"), 0);
    // A check entry also runs the pixels from device memory and has the
    // runtime refuse three bad pointers.
    EXPECT_NE(readText(dir.file("out.txt"))
                  .find("u8 from device memory: the same classes; bad "
                        "device pointers refused: 3 of 3"),
              std::string::npos)
        << readText(dir.file("out.txt"));
    EXPECT_EQ(sh("'" + dir.path + "' shared"), 0);
    EXPECT_EQ(sh("'" + dir.path + "' big"), 0);
    // A choice entry is timed like a bench entry (each kernel alone, the
    // CPU backend) and says how long it took.
    EXPECT_EQ(sh("'" + dir.path + "' variant"), 0);
    {
      std::string out = readText(dir.file("out.txt"));
      EXPECT_NE(out.find("variant: lgc_pack_u8 alone"), std::string::npos)
          << out;
      EXPECT_NE(out.find("variant: CPU backend, all host cores"),
                std::string::npos)
          << out;
      EXPECT_NE(out.find("variant: entry done in "), std::string::npos) << out;
    }
    EXPECT_EQ(sh("'" + dir.path + "' alone"), 0);
    // The check says how many blocks a launch of it takes, and is exact.
    EXPECT_EQ(sh("'" + dir.path + "' table"), 0)
        << readText(dir.file("out.txt"));
    EXPECT_NE(readText(dir.file("out.txt"))
                  .find("lgc_net: gate table in shared memory, at most 2 "
                        "blocks a launch, each looping over the grid"),
              std::string::npos)
        << readText(dir.file("out.txt"));
    // 10^12 samples: refused before any host memory is taken.
    EXPECT_NE(sh("'" + dir.path + "' huge"), 0);
    EXPECT_NE(readText(dir.file("out.txt")).find("GB of host memory"),
              std::string::npos)
        << readText(dir.file("out.txt"));
    // A malformed manifest: an error at its line.
    std::ofstream(dir.file("manifest.txt"), std::ios::app)
        << "bench broken net.cubin\n";
    EXPECT_NE(sh("'" + dir.path + "' big"), 0);
    EXPECT_NE(readText(dir.file("out.txt"))
                  .find("manifest.txt:10: error: expected 'kind name module "
                        "samples [reference]'"),
              std::string::npos)
        << readText(dir.file("out.txt"));
    // A row that is not bit-exact fails the summary too.
    EXPECT_NE(sh("--summary '" + dir.path + "'"), 0);
    std::string summary = readText(dir.file("out.txt"));
    EXPECT_NE(summary.find("| net "), std::string::npos) << summary;
    EXPECT_NE(summary.find("| yes"), std::string::npos) << summary;
    EXPECT_NE(summary.find("| big "), std::string::npos) << summary;
    // Six rows bit-exact (against the interpreter three times, the gate
    // table in shared memory among them, against the net.so three times),
    // and `wrong` not.
    size_t yes = 0;
    for (size_t at = summary.find("| yes"); at != std::string::npos;
         at = summary.find("| yes", at + 1))
      ++yes;
    EXPECT_EQ(yes, 6u) << summary;
    size_t wrong = summary.find("| wrong ");
    ASSERT_NE(wrong, std::string::npos) << summary;
    EXPECT_EQ(summary.find("NO"), summary.find("| NO", wrong) + 2) << summary;
    // The thread kernel's occupancy on the emulated device: two blocks of
    // 128 threads, 8 warps.
    EXPECT_NE(summary.find("| warps/SM "), std::string::npos) << summary;
    EXPECT_NE(summary.find("| 8 "), std::string::npos) << summary;
    // A choice beside its default (the bench entry of the same net.so and
    // samples: `variant` against `big`) gets each speed's ratio; `alone`
    // (4,000 samples) has no default. The manifest's malformed last row
    // leaves no comparison.
    EXPECT_NE(summary.find("choices and targets not compared"),
              std::string::npos)
        << summary;
    std::string manifest = readText(dir.file("manifest.txt"));
    manifest.erase(manifest.find("bench broken"));
    std::ofstream(dir.file("manifest.txt")) << manifest;
    EXPECT_NE(sh("--summary '" + dir.path + "'"), 0);
    summary = readText(dir.file("out.txt"));
    size_t compared = summary.find("choices against their defaults");
    ASSERT_NE(compared, std::string::npos) << summary;
    EXPECT_NE(summary.find("\n| variant | big "), std::string::npos) << summary;
    EXPECT_EQ(summary.find("\n| alone ", compared), std::string::npos)
        << summary;
  }

  // Errors stay errors: a null input, a module the driver rejects.
  EXPECT_FALSE(gpu->runU8(nullptr, 10, nullptr, nullptr).ok());
  EXPECT_FALSE(gpu->stream(CudaNet::Input::U8, nullptr, 10, nullptr).ok());
  CudaNet::KernelTimes times;
  EXPECT_FALSE(
      gpu->timeKernels(CudaNet::Input::U8, nullptr, 10, 1, times).ok());
  {
    std::ofstream os(dir.file("bad.cubin"));
    os << "not a module";
  }
  ASSERT_EQ(setenv("LGC_CUDA_DRIVER", LGC_EMULATED_CUDA_DRIVER, 1), 0);
  std::unique_ptr<CudaNet> bad;
  s = CudaNet::open(dir.file("bad.cubin"), bad);
  unsetenv("LGC_CUDA_DRIVER");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("loading the module failed"), std::string::npos)
      << s.message();
}

} // namespace

namespace {

/// lgc-gpu-check --summary: each choice's speeds over its default's (the
/// bench entry of the same reference and samples), from fixed results.
TEST(GPUKernel, GpuCheckSummaryComparesChoices) {
  test::TempDir dir;
  std::ofstream(dir.file("manifest.txt"))
      << "bench base net.cubin 4000000 net.so\n"
      << "bench base1M net.cubin 1000000 net.so\n"
      << "choice faster net.cubin 4000000 net.so\n"
      << "choice small net.cubin 1000000 net.so\n"
      << "choice other net.cubin 4000000 other.so\n"
      << "choice notrun net.cubin 4000000 net.so\n";
  // Columns: net, gates, samples, load s, u8 device, bits device, u8
  // +copies, bits +copies M/s and GB/s, CPU, gate kernel, pack GB/s,
  // warps/SM, u8 pack+net, bit-exact. `faster` ran twice: its last row
  // counts.
  std::ofstream(dir.file("results.tsv"))
      << "base\t10\t4000000\t0.1\t800.0\t1000.0\t60\t400.0\t40\t50"
         "\t1200.0\t3000\t16\t900.0\tyes\n"
      << "faster\t10\t4000000\t0.1\t1.0\t1.0\t1\t1.0\t1\t1\t1.0\t1\t16"
         "\t1.0\tyes\n"
      << "faster\t10\t4000000\t0.1\t1000.0\t1100.0\t60\t400.0\t40\t50"
         "\t1500.0\t2700\t16\t-\tyes\n"
      << "small\t10\t1000000\t0.1\t60.0\t-\t-\t-\t-\t-\t-\t-\t16\t-"
         "\tyes\n"
      << "other\t10\t4000000\t0.1\t500.0\t-\t-\t-\t-\t-\t-\t-\t16\t-"
         "\tyes\n";
  std::string out = dir.file("out.txt");
  ASSERT_EQ(std::system(("'" LGC_GPU_CHECK "' --summary '" + dir.path +
                         "' > '" + out + "' 2>&1")
                            .c_str()),
            0);
  std::string text;
  ASSERT_TRUE(readFile(out, text).ok());
  size_t compared = text.find("choices against their defaults");
  ASSERT_NE(compared, std::string::npos) << text;
  // u8 device, bits device, bits +copies, gate kernel, pack, u8 pack+net.
  EXPECT_NE(
      text.find("| faster | base    | 1.250               | 1.100         "
                "        | 1.000                  | 1.250               "
                "  | 0.900              | -                     |",
                compared),
      std::string::npos)
      << text;
  // `small` has no default run (base1M is not in the results), `other` no
  // bench entry of its reference, `notrun` no results.
  for (const char *name : {"| small ", "| other ", "| notrun "})
    EXPECT_EQ(text.find(name, compared), std::string::npos) << name << text;
}

TEST(GPUKernel, GpuCheckSummaryHoldsTargets) {
  test::TempDir dir;
  std::string manifest = dir.file("manifest.txt");
  std::ofstream(manifest) << "bench base net.cubin 4000000 net.so\n"
                          << "choice faster net.cubin 4000000 net.so\n"
                          << "choice quick net.cubin 4000000 net.so\n"
                          << "choice other net.cubin 4000000 other.so\n"
                          << "target base u8_device_M/s >= 900\n"
                          << "target base gate_kernel_M/s >= 1000\n"
                          << "target base load_s <= 0.05\n"
                          << "target base pack_u8_GB/s >= 5000\n"
                          << "target missing u8_device_M/s >= 1\n";
  // `other` (another net) beats every target but is not base's choice.
  std::ofstream(dir.file("results.tsv"))
      << "base\t10\t4000000\t0.1\t800.0\t1000.0\t60\t400.0\t40\t50"
         "\t1200.0\t3000\t16\t900.0\tyes\n"
      << "faster\t10\t4000000\t0.2\t1000.0\t1100.0\t60\t400.0\t40\t50"
         "\t1500.0\t2700\t16\t-\tyes\n"
      << "quick\t10\t4000000\t0.04\t950.0\t-\t-\t-\t-\t-\t-\t3100\t16"
         "\t-\tyes\n"
      << "other\t10\t4000000\t0.01\t9000.0\t-\t-\t-\t-\t-\t9000.0\t9000"
         "\t16\t-\tyes\n";
  auto summary = [&](std::string &text) {
    std::string out = dir.file("out.txt");
    int rc = std::system(("'" LGC_GPU_CHECK "' --summary '" + dir.path +
                          "' > '" + out + "' 2>&1")
                             .c_str());
    EXPECT_TRUE(readFile(out, text).ok());
    return rc;
  };
  std::string text;
  ASSERT_EQ(summary(text), 0) << text;
  size_t targets = text.find("targets (the manifest's");
  ASSERT_NE(targets, std::string::npos) << text;
  // Per target: the entry's figure, the best of its choices (largest for
  // >=, smallest for <=) and whether either meets it.
  for (const char *row :
       {"| base    | u8 device M/s   | >= 900  | 800.0   | 1000.0 (faster) "
        "| with faster |",
        "| base    | gate kernel M/s | >= 1000 | 1200.0  | 1500.0 (faster) "
        "| yes         |",
        "| base    | load s          | <= 0.05 | 0.1     | 0.04 (quick)    "
        "| with quick  |",
        "| base    | pack u8 GB/s    | >= 5000 | 3000    | 3100 (quick)    "
        "| no          |",
        "| missing | u8 device M/s   | >= 1    | -       | -               "
        "| no          |"})
    EXPECT_NE(text.find(row, targets), std::string::npos) << row << "\n"
                                                          << text;
  EXPECT_EQ(text.find("(other)", targets), std::string::npos) << text;
  // A malformed target row: an error at its line, and a failed summary.
  for (auto [row, error] :
       {std::pair{"target base u8_device_M/s 900",
                  "expected 'target name column >=|<= value'"},
        std::pair{"target base u8_device >= 900", "no figure 'u8_device'"},
        std::pair{"target base bit-exact >= 1", "no figure 'bit-exact'"},
        std::pair{"target base load_s == 1", "expected >= or <=, not '=='"},
        std::pair{"target base load_s <= -1",
                  "a target must be a positive number, not '-1'"},
        std::pair{"target base load_s <= .",
                  "a target must be a positive number, not '.'"},
        std::pair{"target base load_s <= 1.2.3",
                  "a target must be a positive number, not '1.2.3'"},
        std::pair{"target base load_s <= 1e9",
                  "a target must be a positive number, not '1e9'"}}) {
    std::ofstream(manifest) << "bench base net.cubin 4000000 net.so\n"
                            << row << "\n";
    EXPECT_NE(summary(text), 0) << row;
    EXPECT_NE(text.find("manifest.txt:2: error: " + std::string(error)),
              std::string::npos)
        << text;
  }
}

/// The PTX through the CUDA driver, bit-exact against the interpreter. Where
/// there is no GPU the test checks the runtime's clean error and reports
/// itself skipped.
TEST(GPUKernel, CudaDriverRun) {
  Net net = test::randomNet(784, {1000, 1000}, 10, 0.45);
  mlir::MLIRContext context;
  auto module = importNet(net, &context);
  DriverOptions opts;
  opts.gpuArch = "sm_80";
  std::string ptx;
  ASSERT_TRUE(mlir::succeeded(
      Driver(context, opts).compile(*module, Stage::PTX, "", ptx)));
  char path[] = "/tmp/lgc-ptx-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, ptx.data(), ptx.size()), ssize_t(ptx.size()));
  close(fd);
  std::unique_ptr<CudaNet> gpu;
  Status s = CudaNet::open(path, gpu);
  unlink(path);
  if (!s.ok()) {
    bool clean = s.message().find("no CUDA driver") != std::string::npos ||
                 s.message().find("no CUDA device") != std::string::npos;
    EXPECT_TRUE(clean) << s.message();
    GTEST_SKIP() << s.message();
  }
  const size_t n = 3000;
  Rng rng(77);
  std::vector<uint8_t> x(n * 784);
  for (uint8_t &v : x)
    v = uint8_t(rng.below(256));
  std::vector<uint32_t> classes(n), counts(n * 10);
  ASSERT_TRUE(gpu->runU8(x.data(), n, counts.data(), classes.data()).ok());
  std::vector<uint64_t> words = packFeaturesU8(net, x.data(), n);
  std::vector<uint32_t> wantClasses(n), wantCounts(n * 10);
  interpret(net, words.data(), n, wantCounts.data(), wantClasses.data());
  EXPECT_EQ(classes, wantClasses);
  EXPECT_EQ(counts, wantCounts);

  // Already-packed bits, input already on the device, and the streamed,
  // double-buffered path (chunks of one tile, from pinned memory): the
  // same classes.
  std::vector<uint32_t> got(n, 999);
  ASSERT_TRUE(gpu->runPacked(words.data(), n, nullptr, got.data()).ok());
  EXPECT_EQ(got, wantClasses);
  uint64_t onDevice = 0;
  ASSERT_TRUE(gpu->upload(x.data(), x.size(), &onDevice).ok());
  std::fill(got.begin(), got.end(), 999);
  ASSERT_TRUE(
      gpu->runOnDevice(CudaNet::Input::U8, onDevice, n, nullptr, got.data())
          .ok());
  gpu->freeDevice(onDevice);
  EXPECT_EQ(got, wantClasses);
  for (CudaNet::Input form : {CudaNet::Input::U8, CudaNet::Input::Packed}) {
    size_t bytes = gpu->inputBytes(form, n);
    void *pinned = nullptr;
    ASSERT_TRUE(gpu->allocatePinned(bytes, &pinned).ok());
    std::memcpy(pinned,
                form == CudaNet::Input::U8 ? static_cast<const void *>(x.data())
                                           : words.data(),
                bytes);
    std::fill(got.begin(), got.end(), 999);
    Status st = gpu->stream(form, pinned, n, got.data(), 2048);
    gpu->freePinned(pinned);
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_EQ(got, wantClasses);
  }
}

} // namespace
