//===- GeneratedABI.h - Generated code <-> runtimes contract ----*- C++ -*-===//
//
// Part of lgc. The one place that defines what lgc's code generators put into
// a net.so or a PTX/cubin module and what the runtimes read back:
//
//   producers: compiler/lib/Conversion/LGNToLLVM (CPU), LGNToNVVM (GPU)
//   consumers: runtime/cpu/NetSupport.cpp (linked into every net.so),
//              runtime/lib/CudaNet.cpp (loads GPU modules)
//
// It is header-only, constexpr and freestanding (no C++ library), because
// NetSupport.cpp is compiled without the C++ runtime. Anything that changes
// a slot's meaning or a symbol's signature must bump kGeneratedABIVersion
// (stored in the shape table; CudaNet checks it when it loads a module, and
// a net.so carries the NetSupport of the same lgc, so it cannot differ).
//
// Symbols of the CPU code (convert-lgn-to-llvm):
//   void __lgc_gen_eval(const uint64_t *in, uint64_t *scratch)
//     in:      inputSlots(shape) x vector_words words (input bit i at
//              in[inputSlot(shape, i) * V]; i * V unless the inputs are
//              framed, kInputFrameHeight)
//     scratch: scratch_slots x vector_words words: cut values and outputs
//     (only where shape[kParts] <= 1)
//   void __lgc_gen_eval_part(const uint64_t *in, uint64_t *scratch,
//                            uint32_t part)
//     where shape[kParts] = P > 1 (an ensemble of independent nets, see
//     NetPartition): evaluates part `part` only, reusing the scratch of the
//     parts before it; the caller counts each part's outputs before it
//     evaluates the next one. Part p's outputs of class c are entries
//     [ends[(p - 1) C + c], ends[p C + c]) of class c's group (0 before
//     part 0), with
//   const uint32_t __lgc_gen_part_ends[P x classes]
//   const int32_t  __lgc_gen_outputs[outputs]: where output bit k lives
//     (see OutputHome below); absent where the code counts
//     (shape[kCountPlanes])
//   const uint32_t __lgc_gen_shape[kNumShapeSlots]     (ShapeSlot)
//   const double   __lgc_gen_tau
//   const uint32_t __lgc_gen_bit_feature[inputs]
//   const float    __lgc_gen_bit_threshold[inputs]
//
// Symbols of the GPU code (convert-lgn-to-nvvm), in the global address space.
// Arrays of words are tile-major: a tile is kGpuTileWords threads (one warp),
// and row k of thread t in an array of R rows is at
//   a[((t / kGpuTileWords) * R + k) * kGpuTileWords + t % kGpuTileWords]
// (gpuTileIndex below), so `words`, the number of threads, is a multiple of
// kGpuTileWords. Thread t holds samples 64 t .. 64 t + 63, sample 64 t + s in
// bit s.
//   kernel lgc_pack_u8(ptr x, i64 n, ptr in, i64 words)
//     grid over gpuPackU8Rows(shape) x words threads: thresholds 8-bit
//     features x (n x features, row-major) into in (inputs rows) through the
//     net's encoding; samples past n are 0. With a thermometer encoding
//     (shape[kLevels] > 0) thread gid makes every level of V features
//     (V = gpuPackU8FeaturesPerThread: 4 where features % 4 == 0, else 1),
//     features V * (gid % (features / V)) .. + V - 1, for word
//     gid / (features / V); else input bit gid % inputs.
//   kernel lgc_pack_bits(ptr bits, i64 n, ptr in, i64 words)
//     grid over inputs x words / P threads (gpuPackBitsThreads), P =
//     __lgc_gen_pack_bits_words (u32: 1 or 4; 1 where the module lacks
//     it): copies input bits in lgc_net.h's packed layout (bits[w * inputs
//     + i], ceil(n / 64) blocks) into in; samples past n are 0. Thread gid
//     copies words P q .. P q + P - 1 of input bit gid % inputs (q = gid /
//     inputs). Threads past the grid return, so a runtime that launches
//     inputs x words threads whatever P is still gets the same result.
//   kernel lgc_net(ptr in, ptr scratch, ptr planes, ptr classes, i64 words)
//     grid over `words` threads: classes[64 t + s] (u32) is the argmax for
//     sample 64 t + s (ties to the lowest class); row c * K + j of planes
//     (classes x K rows, K = shape[kPlanes]) is bit j of class c's counts;
//     scratch has max(1, shape[kScratchSlots]) rows.
//   __lgc_gen_shape (u32 x kNumShapeSlots), __lgc_gen_tau (f64),
//   __lgc_gen_bit_feature (u32 x inputs), __lgc_gen_bit_threshold_u8
//   (u32 x inputs: byteThreshold of each bit's threshold).
//   With shape[kGpuBlockWords] = S > 0, lgc_net is the block kernel
//   instead (lgc --gpu-kernel=block): the same arguments and results, a
//   grid of gpuBlockGrid blocks of shape[kGpuBlockThreads] threads with
//   shape[kGpuSharedBytes] bytes of dynamic shared memory; block k
//   evaluates words k S .. k S + S - 1 (of shape[kGpuWordBits] bits:
//   64, or 32: the halves of the arrays' 64-bit words), the gates of one
//   level at a time spread over its threads, the values in shared memory;
//   scratch has shape[kScratchSlots] rows (0: unused) for the values past
//   the shared memory of nets too wide for it. With the global
//   __lgc_gen_block_grid_stride (below) its blocks loop over the grid's
//   blocks, and a runtime may launch fewer.
//   A module may carry both designs (lgc --gpu-kernel=both): lgc_net the
//   thread kernel (shape[kGpuBlockWords] = 0), and
//   kernel lgc_net_block(ptr in, ptr scratch, ptr planes, ptr classes,
//                        i64 words)
//     the block kernel of the same net, with its own shape table
//     __lgc_gen_block_shape (kGpuBlock* slots as above, kScratchSlots 0:
//     its values all fit shared memory), the same in, planes and classes
//     arrays; a runtime may launch either for any launch (the block kernel
//     fills the GPU with far fewer samples). A runtime that knows only
//     lgc_net runs the module as a thread-kernel module.
//   With a block kernel and a thermometer encoding a module may also carry
//   kernel lgc_net_u8(ptr x, i64 n, ptr scratch, ptr planes, ptr classes,
//                     i64 words)
//     the block kernel (launched as lgc_net: the same grid, block and
//     shared memory) whose phase 0 reads x (n x features, row-major) and
//     thresholds it itself, instead of lgc_pack_u8 and then lgc_net;
//     lgc_net_block_u8 the same beside lgc_net_block. Optional: a runtime
//     that does not look for them launches the packing kernel.
//   With a thermometer encoding a module may also carry (lgc
//   --gpu-pack=tiled)
//   kernel lgc_pack_u8_tiled(ptr x, i64 n, ptr in, i64 words)
//     lgc_pack_u8's result from a grid of words / G blocks of
//     kGpuPackTiledThreads threads with gpuPackTiledSharedBytes bytes of
//     dynamic shared memory, G = __lgc_gen_pack_tiled_words (u32: 1, 2 or
//     4; 1 where the module lacks it): block b packs words b G .. b G + G
//     - 1, each word's 64 samples (64 x features contiguous bytes of x, 16
//     bytes a copy where x is 16-byte aligned) copied into shared memory,
//     then thresholded there; with G > 1 a row's G words are written
//     together. Correct for any x; a runtime may launch lgc_pack_u8
//     instead (for a pointer that is not 16-byte aligned, or where the
//     device cannot give the shared memory). Optional, as the u8 kernels
//     above.
//   In host mode (the same code run on the CPU by tests) the kernels are
//   left out and the per-thread functions are exported instead:
//   __lgc_gpu_thread(in, scratch, planes, classes, t), or for the block
//   kernel __lgc_gpu_block_phase(in, scratch, planes, classes, shared,
//   block, tid, phase), run for phases 0 .. shape[kGpuBlockPhases] - 1
//   in order, each for every thread of the block (the barrier), phase 0
//   of the u8 form being __lgc_gpu_block_inputs_u8(x, n, scratch, shared,
//   block, tid) instead,
//   __lgc_gpu_pack_u8(x, n, in, words, gid),
//   __lgc_gpu_pack_bits(bits, n, in, words, gid) and, with
//   lgc_pack_u8_tiled, __lgc_gpu_pack_u8_tiled(x, n, in, shared, block,
//   tid, phase), phases 0 .. gpuPackTiledPhases(G) - 1 in order, each for
//   every thread of the block (2 g: word g's copy, 2 g + 1: its words;
//   with G > 1, 2 G: the rows written).
//
//===----------------------------------------------------------------------===//

#ifndef LGC_RUNTIME_GENERATEDABI_H
#define LGC_RUNTIME_GENERATEDABI_H

#include <stdint.h>

namespace lgc::abi {

/// Bumped whenever a slot, a symbol or a layout below changes meaning.
constexpr uint32_t kGeneratedABIVersion = 10;

//===----------------------------------------------------------------------===//
// Symbols
//===----------------------------------------------------------------------===//

constexpr const char *kEvalSymbol = "__lgc_gen_eval";
constexpr const char *kEvalPartSymbol = "__lgc_gen_eval_part";
constexpr const char *kPartEndsSymbol = "__lgc_gen_part_ends";
constexpr const char *kShapeSymbol = "__lgc_gen_shape";
constexpr const char *kTauSymbol = "__lgc_gen_tau";
constexpr const char *kOutputsSymbol = "__lgc_gen_outputs";
constexpr const char *kBitFeatureSymbol = "__lgc_gen_bit_feature";
constexpr const char *kBitThresholdSymbol = "__lgc_gen_bit_threshold";
constexpr const char *kBitThresholdU8Symbol = "__lgc_gen_bit_threshold_u8";
/// Internal functions of the CPU code: gate chunk k is `kGatesFunction<k>`;
/// with position loops, the k-th block function (a framed image's gather, a
/// layer of convs, or a pool) is `kCpuBlockFunction<k>`, called before the
/// gates. Blocks use scratch slots like gates do, so the
/// runtime needs nothing more.
constexpr const char *kCpuGatesFunction = "__lgc_gen_gates_";
constexpr const char *kCpuBlockFunction = "__lgc_gen_block_";
/// Counting in code (kCountPlanes): part p's count function, called after
/// its gates, which finishes the part's counts.
constexpr const char *kCpuCountFunction = "__lgc_gen_count_";
/// With code prefetching (lgc --prefetch-code), each function the entry
/// point calls (blocks, gate chunks, count functions) is alone in a section
/// named after it without its leading underscores (`lgc_gen_gates_3`): a C
/// identifier, so the linker defines `__start_` and `__stop_` symbols at its
/// ends, and the entry point reads each callee's extent from them. A
/// contract between the generated code and the linker: the runtime never
/// sees it.
constexpr const char *kCpuCodeSectionPrefix = "lgc_gen_";
/// GPU kernels and their host-mode per-thread equivalents.
constexpr const char *kPackKernel = "lgc_pack_u8";
constexpr const char *kPackBitsKernel = "lgc_pack_bits";
/// The u8 packing kernel staged through shared memory (optional).
constexpr const char *kPackU8TiledKernel = "lgc_pack_u8_tiled";
constexpr const char *kNetKernel = "lgc_net";
/// The block kernel of a module that carries both designs, and its shape.
constexpr const char *kNetBlockKernel = "lgc_net_block";
/// The block kernel from 8-bit features (thermometer encodings): lgc_net_u8
/// where lgc_net is the block kernel, lgc_net_block_u8 beside
/// lgc_net_block; and its phase 0 in host mode.
constexpr const char *kNetU8Kernel = "lgc_net_u8";
constexpr const char *kNetBlockU8Kernel = "lgc_net_block_u8";
constexpr const char *kGpuBlockInputsU8Function = "__lgc_gpu_block_inputs_u8";
constexpr const char *kBlockShapeSymbol = "__lgc_gen_block_shape";
constexpr const char *kGpuGatesFunction = "__lgc_gpu_gates_";
constexpr const char *kGpuCountFunction = "__lgc_gpu_count_";
constexpr const char *kGpuThreadFunction = "__lgc_gpu_thread";
constexpr const char *kGpuBlockPhaseFunction = "__lgc_gpu_block_phase";
constexpr const char *kGpuPackFunction = "__lgc_gpu_pack_u8";
constexpr const char *kGpuPackBitsFunction = "__lgc_gpu_pack_bits";
constexpr const char *kGpuPackTiledFunction = "__lgc_gpu_pack_u8_tiled";
constexpr const char *kPackTiledWordsSymbol = "__lgc_gen_pack_tiled_words";
constexpr const char *kPackBitsWordsSymbol = "__lgc_gen_pack_bits_words";
/// The block kernel's u8 form with pixel prefetching (lgc
/// --gpu-block-u8-prefetch): a writable u32, 0 as emitted, that the runtime
/// sets when it loads the module to the blocks of that kernel the device
/// runs at once (multiprocessors x resident blocks). After its phase 0,
/// block b prefetches into the L2 the pixels of block b + that value, the
/// block that will take its place. Left 0 (a runtime that does not know
/// it), the kernel prefetches nothing.
constexpr const char *kBlockU8AheadSymbol = "__lgc_gen_block_u8_ahead";
/// That prefetch: (x, n, block, tid, ahead); exported by host mode with a
/// last argument, a `void (*)(const void *line)` it calls for each 128-byte
/// line instead of prefetching it.
constexpr const char *kGpuBlockPrefetchU8Function =
    "__lgc_gpu_block_prefetch_u8";
/// A block kernel whose gate table lives in shared memory (lgc
/// --gpu-block-table=shared) has this u32 global (1): each block of
/// lgc_net and lgc_net_u8 copies the table into its shared memory once and
/// then evaluates blocks b, b + grid, b + 2 grid, ... of gpuBlockGrid while
/// they exist, so a runtime may launch any grid from 1 block up; it
/// launches the blocks the device runs at once (multiprocessors x resident
/// blocks), or fewer for a small launch. A runtime that does not know it
/// launches gpuBlockGrid blocks, each of which then evaluates its own.
constexpr const char *kBlockGridStrideSymbol = "__lgc_gen_block_grid_stride";
/// That copy in host mode: (shared, tid), run for every thread of a block
/// before its first phase.
constexpr const char *kGpuBlockTableFunction = "__lgc_gpu_block_table";
/// With lgc --gpu-block-rows-prefetch, after phase 0 block b of such a
/// kernel prefetches into the L2 the lines of the packed input rows that
/// phase 0 of block b + grid reads: (in, words, next, tid), exported by
/// host mode with a last argument, a `void (*)(const void *line)` it calls
/// for each line instead of prefetching it.
constexpr const char *kGpuBlockPrefetchRowsFunction =
    "__lgc_gpu_block_prefetch_rows";

//===----------------------------------------------------------------------===//
// GPU array layout
//===----------------------------------------------------------------------===//

/// Threads per tile of the GPU arrays: one warp, so that a warp's access to
/// a row is one contiguous 256-byte segment.
constexpr uint64_t kGpuTileWords = 32;

/// Where row `row` of thread `t` lives in a GPU array of `rows` rows.
constexpr uint64_t gpuTileIndex(uint64_t rows, uint64_t row, uint64_t t) {
  return ((t / kGpuTileWords) * rows + row) * kGpuTileWords + t % kGpuTileWords;
}

/// Threads (64-sample words) the GPU kernels run for n samples: whole tiles.
constexpr uint64_t gpuWords(uint64_t n) {
  return (n + 64 * kGpuTileWords - 1) / (64 * kGpuTileWords) * kGpuTileWords;
}

//===----------------------------------------------------------------------===//
// The shape table (__lgc_gen_shape), the same slots on CPU and GPU
//===----------------------------------------------------------------------===//

enum ShapeSlot : uint32_t {
  kABIVersion = 0,   ///< kGeneratedABIVersion
  kInputs = 1,       ///< input bits
  kFeatures = 2,     ///< raw features per sample
  kClasses = 3,      ///< GroupSum classes
  kOutputs = 4,      ///< output bits (classes x group size)
  kGates = 5,        ///< gates emitted (after optimisation, live only)
  kVectorWords = 6,  ///< 64-bit words per value: CPU vector width; 1 on GPU
  kPlanes = 7,       ///< bits of a class count (planesPerClass)
  kScratchSlots = 8, ///< values in the scratch buffer (each kVectorWords)
  kLevels = 9,       ///< thermometer levels, 0 for an explicit encoding
  /// GPU only (0 on the CPU and for the thread kernel): lgc_net is the
  /// block kernel (see gpuBlockGrid), whose blocks of kGpuBlockThreads
  /// threads evaluate kGpuBlockWords words together in kGpuSharedBytes of
  /// dynamic shared memory, in kGpuBlockPhases phases with a barrier after
  /// each.
  kGpuBlockWords = 10,
  kGpuBlockThreads = 11,
  kGpuSharedBytes = 12,
  kGpuBlockPhases = 13,
  /// CPU: parts evaluated one after the other (__lgc_gen_eval_part); 0 or
  /// 1: one (__lgc_gen_eval).
  kParts = 14,
  /// CPU: 1 where the generated code counts (lgc --count-in-code): after
  /// __lgc_gen_eval, or __lgc_gen_eval_part for one part, the last
  /// classes x kPlanes slots of scratch hold that part's counts, plane j of
  /// class c in slot kScratchSlots - (classes - c) x kPlanes + j, and
  /// __lgc_gen_outputs is left out; 0: the caller counts the outputs
  /// through __lgc_gen_outputs. GPU thread kernel (lgc
  /// --gpu-count-in-code): 1 where its gate functions count, the planes
  /// kept in those scratch slots until lgc_net copies them into its planes
  /// array, which it writes either way (a runtime needs nothing more); 0
  /// in a block kernel's shape table.
  kCountPlanes = 15,
  /// CPU: the inputs framed as the image a padded conv reads (0 on the GPU
  /// and where no block reads the inputs so): with kInputFrameHeight H > 0,
  /// the inputs are the channels of an H x W image, input i = (c H + y) W +
  /// x its element (c, y, x), and each channel's plane is framed by P =
  /// kInputFramePadding rows and columns of zeros: input i is in slot c (H
  /// + 2P) (W + 2P) + (y + P) (W + 2P) + x + P of the input array
  /// (inputSlot), whose other slots hold zeros. The runtime zeroes the
  /// array once and writes only the inputs' slots, so that the conv reads
  /// its zero-padded image in place instead of copying it into a frame in
  /// scratch for every block.
  kInputFrameHeight = 16,
  kInputFrameWidth = 17,
  kInputFramePadding = 18,
  /// GPU only (0 elsewhere): the bits of lgc_net's words, 64 or 32 (0: 64).
  /// With 32 the kernel's words are the 32-sample halves of the 64-bit
  /// words of the in, planes and classes arrays (half 0 the low 32 bits):
  /// the block kernel's kGpuBlockWords words a block, so a value takes half
  /// the shared memory and the values of a net too wide for a 64-bit word
  /// per block (a random 6x64,000 net, 200 KB at 32 bits) fit; the thread
  /// kernel's thread 2 t + h evaluates half h of word t (gpuNetThreads:
  /// twice the threads for the same samples), its scratch rows 32 bits.
  kGpuWordBits = 19,
  kNumShapeSlots = 20
};

/// Slots of the input array (kInputFrameHeight): `inputs`, or the framed
/// image's.
constexpr uint64_t inputSlots(uint32_t inputs, uint32_t height, uint32_t width,
                              uint32_t padding) {
  if (!height || !width)
    return inputs;
  uint64_t channels = inputs / (uint64_t(height) * width);
  return channels * (height + 2 * uint64_t(padding)) *
         (width + 2 * uint64_t(padding));
}
constexpr uint64_t inputSlots(const uint32_t *shape) {
  return inputSlots(shape[kInputs], shape[kInputFrameHeight],
                    shape[kInputFrameWidth], shape[kInputFramePadding]);
}
/// The slot of input `input` in the input array.
constexpr uint64_t inputSlot(uint32_t input, uint32_t height, uint32_t width,
                             uint32_t padding) {
  if (!height || !width)
    return input;
  uint64_t plane = uint64_t(height) * width, c = input / plane,
           r = input % plane, framedWidth = width + 2 * uint64_t(padding);
  return (c * (height + 2 * uint64_t(padding)) + r / width + padding) *
             framedWidth +
         r % width + padding;
}
constexpr uint64_t inputSlot(const uint32_t *shape, uint32_t input) {
  return inputSlot(input, shape[kInputFrameHeight], shape[kInputFrameWidth],
                   shape[kInputFramePadding]);
}

/// Samples a block of the block kernel evaluates: kGpuBlockWords words of
/// kGpuWordBits bits (32 to 512, dividing a tile's 2,048).
constexpr uint64_t gpuBlockSamples(const uint32_t *shape) {
  return uint64_t(shape[kGpuBlockWords]) * shape[kGpuWordBits];
}

/// The bits of lgc_net's words (kGpuWordBits; 64 where 0).
constexpr uint32_t gpuWordBits(const uint32_t *shape) {
  return shape[kGpuWordBits] ? shape[kGpuWordBits] : 64;
}

/// Threads of the thread kernel (shape[kGpuBlockWords] = 0) for `words`
/// 64-bit words of samples: one per word of gpuWordBits bits. lgc_net's
/// last argument stays `words`; the kernel checks its thread id against
/// this.
constexpr uint64_t gpuNetThreads(const uint32_t *shape, uint64_t words) {
  return words * (64 / gpuWordBits(shape));
}

/// Blocks of the block kernel for `words` threads' worth of samples (a
/// multiple of kGpuTileWords; a block's samples divide a tile's, so they
/// lie in one tile).
constexpr uint64_t gpuBlockGrid(const uint32_t *shape, uint64_t words) {
  return words * 64 / gpuBlockSamples(shape);
}

/// Features per thread of lgc_pack_u8 with a thermometer encoding: four
/// where the features come in fours, so that a thread loads each sample's
/// four bytes as one 32-bit word and a warp's load reads 128 contiguous
/// bytes; else one.
constexpr uint64_t gpuPackU8FeaturesPerThread(uint32_t levels,
                                              uint32_t features) {
  return levels && features % 4 == 0 ? 4 : 1;
}
constexpr uint64_t gpuPackU8FeaturesPerThread(const uint32_t *shape) {
  return gpuPackU8FeaturesPerThread(shape[kLevels], shape[kFeatures]);
}

/// Threads per block of lgc_pack_u8_tiled (a block per word).
constexpr uint64_t kGpuPackTiledThreads = 256;

/// Dynamic shared memory of lgc_pack_u8_tiled packing `words` words a
/// block: a word's 64 samples of `features` bytes, in whole 16-byte
/// pieces, and with more than one word their `inputs` rows of 8 bytes each.
constexpr uint64_t gpuPackTiledSharedBytes(uint32_t features, uint32_t inputs,
                                           uint32_t words) {
  return (64 * uint64_t(features) + 15) / 16 * 16 +
         (words > 1 ? uint64_t(words) * inputs * 8 : 0);
}

/// Phases of lgc_pack_u8_tiled for `words` words a block: a copy and the
/// words for each, and with more than one a phase writing the rows.
constexpr uint32_t gpuPackTiledPhases(uint32_t words) {
  return words > 1 ? 2 * words + 1 : 2;
}

/// Threads of lgc_pack_bits for `words` words (a multiple of
/// kGpuTileWords) of `inputs` input bits, `perThread` words (1 or 4) a
/// thread.
constexpr uint64_t gpuPackBitsThreads(uint64_t inputs, uint64_t words,
                                      uint32_t perThread) {
  return inputs * (words / (perThread ? perThread : 1));
}

/// Threads per word of lgc_pack_u8: one per gpuPackU8FeaturesPerThread
/// features with a thermometer encoding (all their levels), else one per
/// input bit.
constexpr uint64_t gpuPackU8Rows(const uint32_t *shape) {
  return shape[kLevels] ? shape[kFeatures] / gpuPackU8FeaturesPerThread(shape)
                        : shape[kInputs];
}

/// Bits needed to hold a class count of 0..group.
constexpr uint32_t planesForGroup(uint32_t group) {
  uint32_t planes = 0;
  while (planes < 32 && (uint64_t(1) << planes) <= group)
    ++planes;
  return planes;
}

//===----------------------------------------------------------------------===//
// Output homes (__lgc_gen_outputs)
//===----------------------------------------------------------------------===//

/// Output bit k lives in scratch slot s (s >= 0), in slot i of the input
/// array (-1 - i; inputSlot), or is a constant.
constexpr int32_t kOutputConstZero = INT32_MIN;
constexpr int32_t kOutputConstOne = INT32_MIN + 1;
constexpr int32_t outputFromInput(uint32_t input) {
  return -1 - int32_t(input);
}
constexpr uint32_t inputOfOutput(int32_t home) { return uint32_t(-1 - home); }
constexpr bool outputIsInput(int32_t home) {
  return home < 0 && home != kOutputConstZero && home != kOutputConstOne;
}

//===----------------------------------------------------------------------===//
// Input encoding
//===----------------------------------------------------------------------===//

/// The smallest 8-bit value v with v / 255.0f > t (256: none), so that the
/// 8-bit paths threshold exactly as the float path and the interpreter do.
constexpr uint32_t byteThreshold(float t) {
  for (uint32_t v = 0; v < 256; ++v)
    if (float(v) / 255.0f > t)
      return v;
  return 256;
}

/// The thermometer rule: with F features and L levels, input bit j * F + f
/// is feature f > level j (threshold-major, difflogic's stacking). Returns
/// the bit's feature and level index.
constexpr uint32_t thermometerFeature(uint32_t bit, uint32_t features) {
  return bit % features;
}
constexpr uint32_t thermometerLevel(uint32_t bit, uint32_t features) {
  return bit / features;
}

} // namespace lgc::abi

#endif // LGC_RUNTIME_GENERATEDABI_H
