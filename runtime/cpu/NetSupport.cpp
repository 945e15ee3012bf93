//===- NetSupport.cpp - The runtime half of every compiled net.so ---------===//
//
// Part of lgc. Linked by lgc into each net.so next to the generated kernel.
// It implements the C ABI of lgc_net.h on top of the generated symbols
// of lgc/Runtime/GeneratedABI.h:
//  - thresholding and bit packing of raw features: vector compares give
//    sample-major bit rows, 64x64 bit transposes turn them into one word per
//    input bit; 8-bit thermometer inputs on AVX-512 are transposed as bytes
//    first, so that each compare gives an input bit's word directly;
//  - the kernel call per block of 64 x vector_words samples;
//  - GroupSum: the generated code's counts (kCountPlanes), or, where it
//    does not count, per class a Harley-Seal carry-save adder over the
//    output vectors, as bit planes; a bit-sliced comparison keeps the
//    running maximum and its class (lowest index on ties).
//
// It is built once per x86-64 ISA level (baseline, v3 = AVX2, v4 = AVX-512)
// and lgc links the variant matching the CPU it compiles for, so the
// vector code here is as wide as the kernel's.
//
// Freestanding on purpose: no C++ runtime (no operator new, only placement
// new on malloc'd memory; no exceptions, no static guards), only
// malloc/free/memset (and madvise) from libc, so the .so links with a plain
// `ld.lld -shared`.
//
// One file (over 600 lines) on purpose: it is compiled once per ISA level
// into its own archive, and its packing, counting and ABI parts share the
// ISA-specific helpers and the Buffers layout; split, each piece would need
// the same per-level build and the helpers in a header of their own.
//
//===----------------------------------------------------------------------===//

#include "lgc/Runtime/GeneratedABI.h"
#include "lgc/lgc_net.h"

#include <array>
#include <new>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <utility>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

extern "C" {
extern const uint32_t __lgc_gen_shape[lgc::abi::kNumShapeSlots];
extern const double __lgc_gen_tau;
extern const uint32_t __lgc_gen_bit_feature[];
extern const float __lgc_gen_bit_threshold[];
// Absent where the generated code counts (kCountPlanes).
__attribute__((weak)) extern const int32_t __lgc_gen_outputs[];
// One of the two is defined (GeneratedABI.h, kParts).
__attribute__((weak)) void __lgc_gen_eval(const uint64_t *in,
                                          uint64_t *scratch);
__attribute__((weak)) void
__lgc_gen_eval_part(const uint64_t *in, uint64_t *scratch, uint32_t part);
__attribute__((weak)) extern const uint32_t __lgc_gen_part_ends[];
}

namespace {

using namespace lgc::abi;

inline uint32_t shape(ShapeSlot s) { return __lgc_gen_shape[s]; }

constexpr unsigned kMaxPlanes = 32;
alignas(64) const uint64_t kZeroVector[8] = {0, 0, 0, 0, 0, 0, 0, 0};
alignas(64) const uint64_t kOnesVector[8] = {~0ull, ~0ull, ~0ull, ~0ull,
                                             ~0ull, ~0ull, ~0ull, ~0ull};

lgc_net_info info;

__attribute__((constructor)) void initInfo() {
  info.abi_version = LGC_NET_ABI_VERSION;
  info.inputs = shape(kInputs);
  info.features = shape(kFeatures);
  info.classes = shape(kClasses);
  info.outputs = shape(kOutputs);
  info.gates = shape(kGates);
  info.vector_bits = 64 * shape(kVectorWords);
  info.reserved = 0;
  info.tau = __lgc_gen_tau;
}

//===----------------------------------------------------------------------===//
// Packing
//===----------------------------------------------------------------------===//

/// out[i] bit s = in[s] bit i, in place. Written as runs of contiguous words
/// so the compiler vectorises the wide stages.
void transpose64(uint64_t *a) {
  static const uint64_t masks[6] = {
      0x00000000FFFFFFFFull, 0x0000FFFF0000FFFFull, 0x00FF00FF00FF00FFull,
      0x0F0F0F0F0F0F0F0Full, 0x3333333333333333ull, 0x5555555555555555ull};
  unsigned j = 32;
  for (unsigned stage = 0; stage < 6; ++stage, j >>= 1) {
    uint64_t m = masks[stage];
    for (unsigned base = 0; base < 64; base += 2 * j)
      for (unsigned k = base; k < base + j; ++k) {
        uint64_t t = ((a[k] >> j) ^ a[k + j]) & m;
        a[k] ^= t << j;
        a[k + j] ^= t;
      }
  }
}

#if defined(__AVX512BW__)
/// One in-register stage of the transpose: words k and k ^ J of each
/// vector swap the bits selected by m (lanes with k & J == 0 are "low").
template <int J>
inline __m512i transposeStage(__m512i r, __m512i s, __m512i m, __mmask8 high) {
  __m512i lo =
      _mm512_and_si512(_mm512_xor_si512(_mm512_srli_epi64(r, J), s), m);
  __m512i hi =
      _mm512_and_si512(_mm512_xor_si512(_mm512_srli_epi64(s, J), r), m);
  return _mm512_xor_si512(
      r, _mm512_mask_blend_epi64(high, _mm512_slli_epi64(lo, J), hi));
}

/// Words k and k + J of two vectors swap the bits selected by m.
template <int J>
inline void transposePair(__m512i &lo, __m512i &hi, __m512i m) {
  __m512i t =
      _mm512_and_si512(_mm512_xor_si512(_mm512_srli_epi64(lo, J), hi), m);
  lo = _mm512_xor_si512(lo, _mm512_slli_epi64(t, J));
  hi = _mm512_xor_si512(hi, t);
}

/// transpose64 in eight zmm registers: the three wide stages pair
/// registers, the three narrow ones permute lanes within a register.
inline void transpose64Avx512(uint64_t *a) {
  __m512i r[8];
  for (int i = 0; i < 8; ++i)
    r[i] = _mm512_loadu_si512(a + 8 * i);
  __m512i m32 = _mm512_set1_epi64(0x00000000FFFFFFFFll);
  __m512i m16 = _mm512_set1_epi64(0x0000FFFF0000FFFFll);
  __m512i m8 = _mm512_set1_epi64(0x00FF00FF00FF00FFll);
  for (int i = 0; i < 4; ++i)
    transposePair<32>(r[i], r[i + 4], m32);
  for (int i = 0; i < 8; ++i)
    if (!(i & 2))
      transposePair<16>(r[i], r[i + 2], m16);
  for (int i = 0; i < 8; i += 2)
    transposePair<8>(r[i], r[i + 1], m8);
  __m512i m4 = _mm512_set1_epi64(0x0F0F0F0F0F0F0F0Fll);
  __m512i m2 = _mm512_set1_epi64(0x3333333333333333ll);
  __m512i m1 = _mm512_set1_epi64(0x5555555555555555ll);
  for (int i = 0; i < 8; ++i) {
    __m512i v = r[i];
    v = transposeStage<4>(
        v, _mm512_shuffle_i64x2(v, v, _MM_SHUFFLE(1, 0, 3, 2)), m4, 0xF0);
    v = transposeStage<2>(
        v, _mm512_shuffle_i64x2(v, v, _MM_SHUFFLE(2, 3, 0, 1)), m2, 0xCC);
    v = transposeStage<1>(v, _mm512_permutex_epi64(v, _MM_SHUFFLE(2, 3, 0, 1)),
                          m1, 0xAA);
    _mm512_storeu_si512(a + 8 * i, v);
  }
}
#endif

#if defined(__AVX512BW__)
/// Whether the CPU has GFNI and AVX512-VBMI (Ice Lake, Zen 4 and later),
/// which this AVX-512 build does not assume (x86-64-v4 has neither).
/// LGC_CPU_NO_GFNI=1 in the environment says no (the tests run both paths).
bool hasGfniVbmi() {
  if (const char *no = getenv("LGC_CPU_NO_GFNI"); no && *no == '1')
    return false;
  unsigned a, b, c, d;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
    return false;
  return (c & (1u << 8)) && (c & (1u << 1)); // GFNI, AVX512_VBMI
}

/// Words k and k + Q of registers a and b swap their places (k & Q == 0),
/// one two-source permute per register: with the pairs (m, m + Q) at
/// Q = 1, 2, 4, eight registers' 8 x 8 words are transposed.
template <unsigned Q> inline void transposeWordPair(__m512i &a, __m512i &b) {
  alignas(64) int64_t lo[8], hi[8];
  for (unsigned k = 0; k < 8; ++k) {
    lo[k] = (k & Q) ? 8 + (k - Q) : k;
    hi[k] = (k & Q) ? 8 + k : k + Q;
  }
  __m512i na = _mm512_permutex2var_epi64(a, _mm512_load_si512(lo), b);
  __m512i nb = _mm512_permutex2var_epi64(a, _mm512_load_si512(hi), b);
  a = na;
  b = nb;
}

/// Eight registers' 8 x 8 words transposed: word k of register m and word
/// m of register k swap.
inline void transposeWords8(__m512i *z) {
  for (unsigned m = 0; m < 8; m += 2)
    transposeWordPair<1>(z[m], z[m + 1]);
  for (unsigned m = 0; m < 8; ++m)
    if (!(m & 2))
      transposeWordPair<2>(z[m], z[m + 2]);
  for (unsigned m = 0; m < 4; ++m)
    transposeWordPair<4>(z[m], z[m + 4]);
}

/// transpose64 with GFNI: the 64 x 64 bits as 8 x 8 blocks of 8 x 8 bits.
/// A byte permute gathers each block into a word (rows reversed), one
/// gf2p8affine with that word as its matrix transposes all eight blocks of
/// a register, an 8 x 8 word transpose across the registers puts each
/// block where it goes, and a byte permute orders the bytes: 48
/// instructions, where the shift-and-mask stages take about 180.
__attribute__((target("gfni,avx512vbmi,avx512bw,avx512f"))) void
transpose64Gfni(uint64_t *a) {
  struct Tables {
    uint8_t gather[64], order[64], columns[64];
    constexpr Tables() : gather(), order(), columns() {
      for (unsigned q = 0; q < 8; ++q)
        for (unsigned r = 0; r < 8; ++r) {
          // Word q of a register: byte 7 - i of it is byte q of word i.
          gather[8 * q + r] = uint8_t(8 * (7 - r) + q);
          order[8 * q + r] = uint8_t(8 * r + q);
          // gf2p8affine's vector operand: byte i picks column i.
          columns[8 * q + r] = uint8_t(1u << r);
        }
    }
  };
  alignas(64) static constexpr Tables t{};
  __m512i gather = _mm512_load_si512(t.gather),
          order = _mm512_load_si512(t.order),
          columns = _mm512_load_si512(t.columns);
  __m512i z[8];
  for (unsigned r = 0; r < 8; ++r)
    z[r] = _mm512_gf2p8affine_epi64_epi8(
        columns, _mm512_permutexvar_epi8(gather, _mm512_load_si512(a + 8 * r)),
        0);
  transposeWords8(z);
  for (unsigned c = 0; c < 8; ++c)
    _mm512_store_si512(a + 8 * c, _mm512_permutexvar_epi8(order, z[c]));
}
#endif

/// ORs up to 64 bits into a bit row at bit offset `at`.
inline void orBits(uint64_t *row, size_t at, uint64_t bits) {
  size_t w = at / 64, sh = at % 64;
  row[w] |= bits << sh;
  if (sh)
    row[w + 1] |= bits >> (64 - sh);
}

/// A net of several parts evaluates a chunk of blocks at a time, part by
/// part: each part's code then runs over all the chunk's blocks while it is
/// in the caches, instead of every part's code being fetched again for each
/// block. An ensemble's gate code (13 MB for 14 conv members) does not stay
/// in the caches from one block to the next, and fetching it again for
/// every block made each member's gates run several times slower than the
/// member's alone. Bounded by the chunk's packed inputs, which the parts
/// after the first read again.
constexpr size_t kChunkInputBytes = size_t(4) << 20;
constexpr uint32_t kMaxChunkBlocks = 16;
/// Buffers of at least half this are allocated in whole huge pages.
constexpr size_t kHugePageBytes = size_t(2) << 20;

struct Buffers {
  /// The packed inputs and class totals of the block being worked on: views
  /// into inChunk and planesChunk, one block's worth each, set per block.
  uint64_t *in = nullptr, *scratch = nullptr, *planes = nullptr;
  uint64_t *inChunk = nullptr, *planesChunk = nullptr;
  uint32_t chunkBlocks = 1;  // blocks evaluated together (see kChunkInputBytes)
  uint64_t *rows = nullptr;  // 64 rows of rowWords words: sample-major bits
  uint16_t *byteT = nullptr; // per threshold (thermometer) or per bit
  const uint64_t **outputs = nullptr; // where each output vector is
  /// Where the inputs are framed (GeneratedABI.h, kInputFrameHeight), input
  /// i's vector is in[slotOf[i] * V]; null where input i is at in[i * V],
  /// which the packers then write as runs (through the table, the packing
  /// alone ran 8-10 % slower).
  uint32_t *slotOf = nullptr;
  size_t slot(uint32_t i) const { return slotOf ? slotOf[i] : i; }
  size_t rowWords = 0;
#if defined(__AVX512BW__)
  // Thermometer encodings: each level's float threshold in every lane.
  __m512 *levelVectors = nullptr;
  bool levelsAscend = false; // float packing by counts applies
  // 8-bit thermometer levels that all sit on multiples of 32 (the byte
  // thresholds of 1/8, 2/8, .., 7/8, of 1/4 .. 3/4, of 1/2), on 512-bit
  // vectors: each level is a function of the pixels' top three bits
  // (packBlockTopBitsU8): its threshold on those bits here (0 .. 8).
  uint8_t *topBitsThresholds = nullptr;
  // Float levels that ascend, at most 7 of them, on 512-bit vectors: the
  // count of levels a float exceeds has three bits, and level j is that
  // count >= j + 1, through the same packer (packBlockThermometerF32).
  uint8_t *countTopBitsThresholds = nullptr;
  void (*transposeBits)(uint64_t *) = transpose64Avx512;
#endif

  bool allocate() {
    uint32_t V = shape(kVectorWords);
    rowWords = (shape(kInputs) + 63) / 64 + 1;
    size_t levels = shape(kLevels) ? shape(kLevels) : shape(kInputs);
    chunkBlocks = chunkBlocksFor();
    inChunk = alloc(inWords() * chunkBlocks);
    scratch = alloc(size_t(shape(kScratchSlots)) * V);
    planesChunk = alloc(planesWords() * chunkBlocks);
    in = inChunk;
    planes = planesChunk;
    rows = alloc(64 * rowWords);
    byteT = static_cast<uint16_t *>(malloc(sizeof(uint16_t) * (levels + 1)));
    outputs = static_cast<const uint64_t **>(
        malloc(sizeof(uint64_t *) * (shape(kOutputs) + 1)));
    if (!inChunk || !scratch || !planesChunk || !rows || !byteT || !outputs)
      return false;
    if (shape(kInputFrameHeight)) {
      slotOf = static_cast<uint32_t *>(
          malloc(sizeof(uint32_t) * (size_t(shape(kInputs)) + 1)));
      if (!slotOf)
        return false;
      for (uint32_t i = 0; i < shape(kInputs); ++i)
        slotOf[i] = uint32_t(inputSlot(__lgc_gen_shape, i));
      // The border: zeros, which no packer overwrites.
      memset(inChunk, 0, inWords() * chunkBlocks * 8);
    }
    // Generated code writes every slot before reading it (a block's zero
    // frame included). All ones rather than whatever the allocator left:
    // code that broke this rule would fail the first call on a fresh set of
    // buffers the same way every time, and the bit-exact tests would see it
    // (later calls reuse the set, with the last call's values in it).
    memset(scratch, 0xff, sizeof(uint64_t) * shape(kScratchSlots) * V);
    for (uint32_t k = 0; !shape(kCountPlanes) && k < shape(kOutputs); ++k) {
      int32_t home = __lgc_gen_outputs[k];
      outputs[k] = home >= 0             ? scratch + size_t(home) * V
                   : outputIsInput(home) ? in + size_t(inputOfOutput(home)) * V
                   : home == kOutputConstZero ? kZeroVector
                                              : kOnesVector;
    }
    for (size_t j = 0; j < levels; ++j)
      byteT[j] = uint16_t(byteThreshold(
          shape(kLevels) ? __lgc_gen_bit_threshold[j * shape(kFeatures)]
                         : __lgc_gen_bit_threshold[j]));
#if defined(__AVX512BW__)
    if (uint32_t L = shape(kLevels)) {
      levelVectors = reinterpret_cast<__m512 *>(alloc(size_t(L) * 8));
      if (!levelVectors)
        return false;
      levelsAscend = L <= 255;
      bool topBits = shape(kVectorWords) == 8;
      for (uint32_t j = 0; j < L && topBits; ++j)
        topBits = byteT[j] % 32 == 0;
      if (topBits) {
        topBitsThresholds = static_cast<uint8_t *>(malloc(L));
        if (!topBitsThresholds)
          return false;
        for (uint32_t j = 0; j < L; ++j)
          // Pixel bits 7, 6, 5; the pixel reaches the level when its top
          // three bits, as a number, reach threshold / 32 (8: never).
          topBitsThresholds[j] = uint8_t(byteT[j] / 32);
      }
      for (uint32_t j = 0; j < L; ++j) {
        float t = __lgc_gen_bit_threshold[size_t(j) * shape(kFeatures)];
        levelVectors[j] = _mm512_set1_ps(t);
        // Written so that a NaN threshold fails it too.
        if (j &&
            !(__lgc_gen_bit_threshold[size_t(j - 1) * shape(kFeatures)] <= t))
          levelsAscend = false;
      }
      if (levelsAscend && L <= 7 && shape(kVectorWords) == 8) {
        countTopBitsThresholds = static_cast<uint8_t *>(malloc(L));
        if (!countTopBitsThresholds)
          return false;
        for (uint32_t j = 0; j < L; ++j)
          countTopBitsThresholds[j] = uint8_t(j + 1);
      }
      if ((topBitsThresholds || countTopBitsThresholds) && hasGfniVbmi())
        transposeBits = transpose64Gfni;
    }
#endif
    return true;
  }
  static size_t inWords() {
    return size_t(inputSlots(__lgc_gen_shape)) * shape(kVectorWords);
  }
  static size_t planesWords() {
    return size_t(shape(kClasses)) * shape(kPlanes) * shape(kVectorWords);
  }
  /// One block unless the net has several parts and no output bit is an
  /// input bit (the output pointers are resolved once, into block 0's
  /// inputs).
  static uint32_t chunkBlocksFor() {
    if (shape(kParts) <= 1)
      return 1;
    for (uint32_t k = 0; !shape(kCountPlanes) && k < shape(kOutputs); ++k)
      if (outputIsInput(__lgc_gen_outputs[k]))
        return 1;
    size_t bytes = inWords() * 8;
    size_t blocks = bytes ? kChunkInputBytes / bytes : kMaxChunkBlocks;
    return uint32_t(blocks < 1                 ? 1
                    : blocks > kMaxChunkBlocks ? kMaxChunkBlocks
                                               : blocks);
  }
  /// Points `in` and `planes` at block b of the chunk.
  void selectBlock(uint32_t b) {
    in = inChunk + inWords() * b;
    planes = planesChunk + planesWords() * b;
  }

  static uint64_t *alloc(size_t words) {
    void *p = nullptr;
    size_t bytes = (words ? words : 1) * 8;
#if defined(MADV_HUGEPAGE)
    // Scratch and packed inputs of the large nets are megabytes read in no
    // particular order, every block: in 4 KiB pages that is a TLB miss (a
    // nested page walk under a hypervisor) on many reads. Whole, aligned
    // huge pages where the kernel grants them (a hint: where it does not,
    // the memory is the same, only in small pages); a conv ensemble member
    // ran 3-5 % faster.
    if (bytes >= kHugePageBytes / 2) {
      bytes = (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
      if (posix_memalign(&p, kHugePageBytes, bytes) != 0)
        return nullptr;
      madvise(p, bytes, MADV_HUGEPAGE);
      return static_cast<uint64_t *>(p);
    }
#endif
    if (posix_memalign(&p, 64, bytes) != 0)
      return nullptr;
    return static_cast<uint64_t *>(p);
  }
  ~Buffers() {
    free(inChunk);
    free(scratch);
    free(planesChunk);
    free(rows);
    free(byteT);
    free(outputs);
    free(slotOf);
#if defined(__AVX512BW__)
    free(levelVectors);
    free(topBitsThresholds);
    free(countTopBitsThresholds);
#endif
  }
};

/// Thresholds one sample of 8-bit features into a sample-major bit row.
void rowBitsU8(const uint8_t *x, const Buffers &buf, uint64_t *row) {
  uint32_t F = shape(kFeatures);
  memset(row, 0, buf.rowWords * 8);
  if (!shape(kLevels)) {
    for (uint32_t i = 0; i < shape(kInputs); ++i)
      if (x[__lgc_gen_bit_feature[i]] >= buf.byteT[i])
        row[i / 64] |= uint64_t(1) << (i % 64);
    return;
  }
  for (uint32_t j = 0; j < shape(kLevels); ++j) {
    unsigned T = buf.byteT[j];
    if (T > 255)
      continue;
    size_t base = size_t(j) * F;
    uint32_t f = 0;
#if defined(__AVX512BW__)
    __m512i tv = _mm512_set1_epi8(char(T));
    for (; f + 64 <= F; f += 64)
      orBits(
          row, base + f,
          _mm512_cmpge_epu8_mask(
              _mm512_loadu_si512(reinterpret_cast<const void *>(x + f)), tv));
    if (f < F) {
      // The tail in one masked load: bytes past F are neither read nor set.
      __mmask64 live = (~0ull) >> (64 - (F - f));
      orBits(row, base + f,
             _mm512_mask_cmpge_epu8_mask(
                 live, _mm512_maskz_loadu_epi8(live, x + f), tv));
      f = F;
    }
#elif defined(__AVX2__)
    __m256i tv = _mm256_set1_epi8(char(T));
    for (; f + 32 <= F; f += 32) {
      __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(x + f));
      // x >= T  <=>  max(x, T) == x, unsigned.
      orBits(row, base + f,
             uint32_t(_mm256_movemask_epi8(
                 _mm256_cmpeq_epi8(_mm256_max_epu8(v, tv), v))));
    }
#elif defined(__SSE2__)
    __m128i tv = _mm_set1_epi8(char(T));
    for (; f + 16 <= F; f += 16) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i *>(x + f));
      orBits(
          row, base + f,
          unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(v, tv), v))));
    }
#endif
    for (; f < F; ++f)
      if (x[f] >= T)
        row[(base + f) / 64] |= uint64_t(1) << ((base + f) % 64);
  }
}

/// Thresholds one sample of float features into a sample-major bit row.
void rowBitsF32(const float *x, const Buffers &buf, uint64_t *row) {
  uint32_t F = shape(kFeatures);
  memset(row, 0, buf.rowWords * 8);
  if (!shape(kLevels)) {
    for (uint32_t i = 0; i < shape(kInputs); ++i)
      if (x[__lgc_gen_bit_feature[i]] > __lgc_gen_bit_threshold[i])
        row[i / 64] |= uint64_t(1) << (i % 64);
    return;
  }
  for (uint32_t j = 0; j < shape(kLevels); ++j) {
    float t = __lgc_gen_bit_threshold[j * F];
    size_t base = size_t(j) * F;
    uint32_t f = 0;
#if defined(__AVX512F__)
    __m512 tv = _mm512_set1_ps(t);
    for (; f + 16 <= F; f += 16)
      orBits(row, base + f,
             _mm512_cmp_ps_mask(_mm512_loadu_ps(x + f), tv, _CMP_GT_OQ));
#elif defined(__AVX__)
    __m256 tv = _mm256_set1_ps(t);
    for (; f + 8 <= F; f += 8)
      orBits(row, base + f,
             unsigned(_mm256_movemask_ps(
                 _mm256_cmp_ps(_mm256_loadu_ps(x + f), tv, _CMP_GT_OQ))));
#elif defined(__SSE2__)
    __m128 tv = _mm_set1_ps(t);
    for (; f + 4 <= F; f += 4)
      orBits(row, base + f,
             unsigned(_mm_movemask_ps(_mm_cmpgt_ps(_mm_loadu_ps(x + f), tv))));
#endif
    for (; f < F; ++f)
      if (x[f] > t)
        row[(base + f) / 64] |= uint64_t(1) << ((base + f) % 64);
  }
}

/// How many of samples [0, n) fall in [first, first + size).
inline size_t samplesIn(size_t n, size_t first, size_t size) {
  return first < n ? (n - first < size ? n - first : size) : 0;
}

/// How many of a block's n samples fall in its word v (64 samples a word).
inline size_t wordCount(size_t n, unsigned v) {
  return samplesIn(n, size_t(64) * v, 64);
}

/// Fills word v of every input vector for samples [first, first + count).
template <typename T, typename RowFn>
void packWord(const T *x, size_t first, size_t count, unsigned v, Buffers &buf,
              RowFn rowBits) {
  uint32_t inputs = shape(kInputs), V = shape(kVectorWords);
  uint64_t *rows = buf.rows;
  size_t rowBytes = size_t(shape(kFeatures)) * sizeof(T);
  for (size_t s = 0; s < 64; ++s) {
    uint64_t *row = rows + s * buf.rowWords;
    // Samples stream from memory once: fetch a few rows ahead.
    if (s + 4 < count) {
      const char *next = reinterpret_cast<const char *>(
          x + (first + s + 4) * shape(kFeatures));
      for (size_t b = 0; b < rowBytes; b += 64)
        __builtin_prefetch(next + b);
    }
    if (s < count)
      rowBits(x + (first + s) * shape(kFeatures), buf, row);
    else
      memset(row, 0, buf.rowWords * 8);
  }
  alignas(64) uint64_t tile[64];
  for (uint32_t w = 0; w * 64 < inputs; ++w) {
    for (unsigned s = 0; s < 64; ++s)
      tile[s] = rows[s * buf.rowWords + w];
#if defined(__AVX512BW__)
    transpose64Avx512(tile);
#else
    transpose64(tile);
#endif
    uint32_t n = inputs - w * 64 < 64 ? inputs - w * 64 : 64;
    for (unsigned i = 0; i < n; ++i)
      buf.in[buf.slot(w * 64 + i) * V + v] = tile[i];
  }
}

#if defined(__AVX512BW__)
/// One stage of a 64x64 byte transpose on rows `a` (row i) and `b` (row
/// i + B): swaps the off-diagonal B x B blocks, so that a's bytes at
/// positions with bit B set come from b's at p - B and b's bytes at
/// positions with bit B clear from a's at p + B. After the stages B = 32, 16,
/// ..., 1 row r holds what was column r.
template <unsigned B> inline void transposeStage8(__m512i &a, __m512i &b) {
  __m512i na = a, nb = b;
  if constexpr (B >= 8) {
    transposeWordPair<B / 8>(na, nb); // whole qwords
  } else if constexpr (B == 4) {
    na = _mm512_mask_blend_epi32(0xAAAA, a, _mm512_slli_epi64(b, 32));
    nb = _mm512_mask_blend_epi32(0x5555, b, _mm512_srli_epi64(a, 32));
  } else if constexpr (B == 2) {
    na = _mm512_mask_blend_epi16(0xAAAAAAAAu, a, _mm512_slli_epi32(b, 16));
    nb = _mm512_mask_blend_epi16(0x55555555u, b, _mm512_srli_epi32(a, 16));
  } else {
    na = _mm512_mask_blend_epi8(0xAAAAAAAAAAAAAAAAull, a,
                                _mm512_slli_epi16(b, 8));
    nb = _mm512_mask_blend_epi8(0x5555555555555555ull, b,
                                _mm512_srli_epi16(a, 8));
  }
  a = na;
  b = nb;
}

template <unsigned B> inline void transposeStage8(__m512i *r) {
  for (unsigned i = 0; i < 64; ++i)
    if (!(i & B))
      transposeStage8<B>(r[i], r[i + B]);
}

/// Fills every input vector of a block, samples [start, start + n) with
/// n <= 64 V, from a thermometer encoding on AVX-512: bit j * F + f is
/// byte(x[f]) >= threshold(j), one per level (above 255: no byte reaches
/// it), where `Row` gives the
/// 64 bytes byte(x[f0 .. f0 + 63]) of a sample (zeros past F) and prefetches
/// what the next pass reads. 64 features of 64 samples at a time are
/// transposed as bytes (64 x 64), so that a row holds one feature of the 64
/// samples; one compare per level then gives that input bit's word
/// directly, with no bit transposes and no shifting of compare masks into
/// place. The V words of an input vector share a cache line, so the V groups
/// of 64 samples are the inner loop: a pass over 64 features writes its
/// 64 x levels lines while they are in L1, once.
template <typename Threshold, typename Row>
void packBlockThermometer(size_t start, size_t n, Threshold threshold,
                          Buffers &buf, Row row) {
  uint32_t F = shape(kFeatures), levels = shape(kLevels),
           V = shape(kVectorWords);
  __m512i r[64];
  for (uint32_t f0 = 0; f0 < F; f0 += 64) {
    uint32_t width = F - f0 < 64 ? F - f0 : 64;
    for (unsigned v = 0; v < V; ++v) {
      size_t first = start + size_t(64) * v, count = wordCount(n, v);
      // Word v of input j F + f0 + c (feature f0 + c of level j).
      auto word = [&](uint32_t j, uint32_t c) -> uint64_t & {
        return buf.in[buf.slot(j * F + f0 + c) * V + v];
      };
      if (!count) {
        for (uint32_t j = 0; j < levels; ++j)
          for (uint32_t c = 0; c < width; ++c)
            word(j, c) = 0;
        continue;
      }
      for (unsigned s = 0; s < 64; ++s)
        r[s] = s < count ? row(first + s, f0, width) : _mm512_setzero_si512();
      transposeStage8<32>(r);
      transposeStage8<16>(r);
      transposeStage8<8>(r);
      transposeStage8<4>(r);
      transposeStage8<2>(r);
      transposeStage8<1>(r);
      // Samples past `count` get no bits, whatever the threshold.
      __mmask64 live = count == 64 ? ~0ull : (1ull << count) - 1;
      for (uint32_t j = 0; j < levels; ++j) {
        unsigned T = threshold(j);
        if (T > 255) {
          // No byte reaches this threshold.
          for (uint32_t c = 0; c < width; ++c)
            word(j, c) = 0;
          continue;
        }
        __m512i tv = _mm512_set1_epi8(char(T));
        for (uint32_t c = 0; c < width; ++c)
          word(j, c) = _mm512_mask_cmpge_epu8_mask(live, r[c], tv);
      }
    }
  }
}

/// Input vectors first + c (c < width) of one level, at `in + (first + c)
/// * 8`, or at `in + slot[c] * 8` where the inputs are framed (`slot` the
/// level's slots from `first` on): vpternlog table T of the features' three
/// planes (packBlockTopBits).
template <unsigned T>
void storeLevelWith(const __m512i (*tplanes)[64], uint64_t *in,
                    const uint32_t *slot, size_t first, uint32_t width) {
  auto level = [&](uint32_t c) {
    return _mm512_ternarylogic_epi64(tplanes[0][c], tplanes[1][c],
                                     tplanes[2][c], T);
  };
  if (slot) {
    for (uint32_t c = 0; c < width; ++c)
      _mm512_store_si512(in + size_t(slot[c]) * 8, level(c));
    return;
  }
  for (uint32_t c = 0; c < width; ++c)
    _mm512_store_si512(in + (first + c) * 8, level(c));
}

/// The vpternlog table of "a three-bit number q >= t" (t of 0 .. 8), bit
/// (a << 2 | b << 1 | c) for the number's bits a, b, c.
constexpr uint8_t atLeastTable(unsigned t) {
  unsigned table = 0;
  for (unsigned q = 0; q < 8; ++q)
    table |= unsigned(q >= t) << q;
  return uint8_t(table);
}

using StoreLevelFn = void (*)(const __m512i (*)[64], uint64_t *,
                              const uint32_t *, size_t, uint32_t);
template <size_t... T> constexpr auto storeLevelFns(std::index_sequence<T...>) {
  return std::array<StoreLevelFn, sizeof...(T)>{
      storeLevelWith<atLeastTable(T)>...};
}
/// storeLevelWith for "q >= t", t of 0 .. 8 (8: no byte reaches the level).
constexpr auto kStoreLevel = storeLevelFns(std::make_index_sequence<9>());

/// Thermometer levels that are functions of three bits per feature, on
/// 512-bit vectors: 8-bit pixels on multiples of 32 (bits 7, 6 and 5 of the
/// pixel), or float levels through the count of levels a float exceeds
/// (that count moved to bits 7 to 5); `thresholds` are the levels on those
/// three bits (Buffers). Only the three bit planes are transposed, not the
/// bytes.
/// Per 64 samples and 64 features: a vptestmb per plane and sample gives the
/// sample's bits of that plane (a word over the features), a 64 x 64 bit
/// transpose turns them into a word over the samples per feature; for 8
/// features the planes' words of the block's 8 groups of 64 samples are
/// transposed as 8 x 8 words, so that a register holds one feature's plane
/// over all 512 samples, and each level is one vpternlog of the three
/// planes and one aligned 64-byte store: the whole input vector at once.
/// About half the instructions of the byte transposes' path.
template <typename Row>
void packBlockTopBits(size_t start, size_t n, const uint8_t *thresholds,
                      Buffers &buf, Row row) {
  uint32_t F = shape(kFeatures), levels = shape(kLevels);
  constexpr unsigned V = 8;
  alignas(64) uint64_t planes[3][V][64];
  const __m512i bit[3] = {_mm512_set1_epi8(char(0x80)), _mm512_set1_epi8(0x40),
                          _mm512_set1_epi8(0x20)};
  // Samples past n read as zero bytes. Their bits are never read (every
  // gate and the counting work bit by bit, and only the first n samples'
  // counts and classes are decoded), so a level every byte reaches may set
  // them.
  for (uint32_t f0 = 0; f0 < F; f0 += 64) {
    uint32_t width = F - f0 < 64 ? F - f0 : 64;
    __mmask64 cols = width == 64 ? ~0ull : (1ull << width) - 1;
    for (unsigned v = 0; v < V; ++v) {
      size_t first = start + size_t(64) * v, count = wordCount(n, v);
      for (unsigned s = 0; s < 64; ++s) {
        __m512i bytes = s < count ? row(first + s, f0, width, cols)
                                  : _mm512_setzero_si512();
        for (unsigned q = 0; q < 3; ++q)
          planes[q][v][s] = _mm512_test_epi8_mask(bytes, bit[q]);
      }
      for (unsigned q = 0; q < 3; ++q)
        buf.transposeBits(planes[q][v]);
    }
    // Each feature's planes over the block's 512 samples, then each level
    // over every feature: its table is chosen once per 64 features, and
    // vpternlog's immediate stays a constant.
    alignas(64) __m512i tplanes[3][64];
    for (uint32_t c0 = 0; c0 < width; c0 += 8)
      for (unsigned q = 0; q < 3; ++q) {
        __m512i *z = &tplanes[q][c0];
        for (unsigned v = 0; v < V; ++v)
          z[v] = _mm512_load_si512(&planes[q][v][c0]);
        transposeWords8(z);
      }
    for (uint32_t j = 0; j < levels; ++j) {
      size_t first = size_t(j) * F + f0;
      kStoreLevel[thresholds[j]](tplanes, buf.in,
                                 buf.slotOf ? buf.slotOf + first : nullptr,
                                 first, width);
    }
  }
}

/// 8-bit pixels whose levels are on multiples of 32.
void packBlockTopBitsU8(const uint8_t *x, size_t start, size_t n,
                        Buffers &buf) {
  uint32_t F = shape(kFeatures);
  packBlockTopBits(start, n, buf.topBitsThresholds, buf,
                   [=](size_t s, uint32_t f0, uint32_t, __mmask64 cols) {
                     const uint8_t *p = x + s * F;
                     // The next pass's line of this row, into L2 (as the
                     // byte path).
                     __builtin_prefetch(p + (f0 + 127 < F ? f0 + 127 : F - 1),
                                        0, 2);
                     return _mm512_maskz_loadu_epi8(cols, p + f0);
                   });
}

/// 8-bit features: the bytes themselves against the levels' byte thresholds.
void packBlockThermometerU8(const uint8_t *x, size_t start, size_t n,
                            Buffers &buf) {
  uint32_t F = shape(kFeatures);
  if (buf.topBitsThresholds)
    return packBlockTopBitsU8(x, start, n, buf);
  packBlockThermometer(
      start, n, [t = buf.byteT](uint32_t j) { return unsigned(t[j]); }, buf,
      [=](size_t s, uint32_t f0, uint32_t width) {
        const uint8_t *row = x + s * F;
        // The next pass reads this row's bytes up to f0 + 127: fetch that
        // line into L2 now, so its load does not wait on memory (the line of
        // f0 + 64 is this pass's last or already fetched).
        __builtin_prefetch(row + (f0 + 127 < F ? f0 + 127 : F - 1), 0, 2);
        __mmask64 cols = width == 64 ? ~0ull : (1ull << width) - 1;
        return _mm512_maskz_loadu_epi8(cols, row + f0);
      });
}

/// Float features, when the levels ascend (t_0 <= t_1 <= ...): x > t_j is
/// q(x) > j with q(x) the number of levels x exceeds, so each float becomes
/// that count as a byte (L compares and adds per 16 floats) and the byte
/// packer compares the counts against 1, 2, ..., L. NaN exceeds no level and
/// gets no bits, as in the generic packer.
void packBlockThermometerF32(const float *x, size_t start, size_t n,
                             Buffers &buf) {
  uint32_t F = shape(kFeatures), L = shape(kLevels);
  const __m512 *t = buf.levelVectors;
  auto counts = [=](size_t s, uint32_t f0, uint32_t width) {
    const float *row = x + s * F;
    // The next pass's 256 bytes of this row, into L2 now.
    const char *ahead = reinterpret_cast<const char *>(row + f0 + 64);
    const char *end = reinterpret_cast<const char *>(row + F);
    for (unsigned b = 0; b < 256 && ahead + b < end; b += 64)
      __builtin_prefetch(ahead + b, 0, 2);
    __m512i bytes = _mm512_setzero_si512();
    __m512i one = _mm512_set1_epi32(1);
    for (unsigned k = 0; k * 16 < width; ++k) {
      unsigned live = width - k * 16 < 16 ? width - k * 16 : 16;
      __mmask16 m = __mmask16((1u << live) - 1);
      __m512 v = _mm512_maskz_loadu_ps(m, row + f0 + k * 16);
      __m512i q = _mm512_setzero_si512();
      for (uint32_t j = 0; j < L; ++j)
        q = _mm512_mask_add_epi32(
            q, _mm512_mask_cmp_ps_mask(m, v, t[j], _CMP_GT_OQ), q, one);
      bytes = _mm512_inserti32x4(bytes, _mm512_cvtepi32_epi8(q), 0);
      // Place the 16 counts at bytes 16k .. 16k + 15.
      bytes = _mm512_alignr_epi32(bytes, bytes, 4);
    }
    // Rotate the lanes written to their places (one lane per group).
    for (unsigned k = (width + 15) / 16; k < 4; ++k)
      bytes = _mm512_alignr_epi32(bytes, bytes, 4);
    return bytes;
  };
  // At most 7 levels: the counts' three bits, moved to bits 7, 6, 5.
  if (buf.countTopBitsThresholds)
    return packBlockTopBits(
        start, n, buf.countTopBitsThresholds, buf,
        [=](size_t s, uint32_t f0, uint32_t width, __mmask64) {
          return _mm512_slli_epi16(counts(s, f0, width), 5);
        });
  packBlockThermometer(
      start, n, [](uint32_t j) { return j + 1; }, buf, counts);
}
#endif

//===----------------------------------------------------------------------===//
// GroupSum and argmax, bit-sliced over V-word vectors
//===----------------------------------------------------------------------===//

/// V 64-bit lanes as one vector of the compiler's: bitwise operators map to
/// single vector instructions (and fuse into vpternlog on AVX-512).
template <unsigned V> struct VecOf {
  typedef uint64_t type __attribute__((vector_size(8 * V)));
};
template <unsigned V> using Vec = typename VecOf<V>::type;

template <unsigned V> inline Vec<V> splat(uint64_t x) {
  Vec<V> r;
  for (unsigned i = 0; i < V; ++i)
    r[i] = x;
  return r;
}

/// Carry-save adder: a + b + c = 2 * high + low, lane-wise. Written as
/// majority and three-way xor, each one vpternlog on AVX-512 (sharing a ^ b
/// between them made it three instructions).
template <typename T> inline void csa(T &high, T &low, T a, T b, T c) {
  high = (a & b) | (a & c) | (b & c);
  low = a ^ b ^ c;
}

/// Adds x (a vector of bits of weight 2^w) into the K-plane counter.
template <typename T> inline void addAt(T *acc, unsigned K, unsigned w, T x) {
  for (unsigned j = w; j < K; ++j) {
    T t = acc[j] & x;
    acc[j] = acc[j] ^ x;
    x = t;
  }
}

/// The output vectors of one block, resolved to pointers once per call so
/// the counting loop does not branch on where each bit lives.
template <unsigned V> struct Group {
  const uint64_t *const *ptr;
  Vec<V> bit(uint32_t k) const {
    return *reinterpret_cast<const Vec<V> *>(ptr[k]);
  }
};

/// Counts the set bits of `n` output vectors, as K bit planes (Harley-Seal:
/// 32 bits at a time through a carry-save tree whose ones .. sixteens carry
/// over from one round to the next, one ripple add of the thirty-twos per
/// round). A ripple add costs two instructions per plane above its weight,
/// as much as the tree's 16 inputs did when it ran every 16.
template <unsigned V>
void countGroup(const Group<V> &g, uint32_t homes, uint32_t n, Vec<V> *acc,
                unsigned K) {
  for (unsigned j = 0; j < K; ++j)
    acc[j] = splat<V>(0);
  Vec<V> ones = splat<V>(0), twos = ones, fours = ones, eights = ones,
         sixteens = ones;
  // Adds bits h0 .. h0 + 15 into ones .. eights; returns their sixteens.
  auto add16 = [&](uint32_t h0) {
    auto h = [&](unsigned k) { return g.bit(h0 + k); };
    Vec<V> twosA, twosB, foursA, foursB, eightsA, eightsB, carry;
    csa(twosA, ones, ones, h(0), h(1));
    csa(twosB, ones, ones, h(2), h(3));
    csa(foursA, twos, twos, twosA, twosB);
    csa(twosA, ones, ones, h(4), h(5));
    csa(twosB, ones, ones, h(6), h(7));
    csa(foursB, twos, twos, twosA, twosB);
    csa(eightsA, fours, fours, foursA, foursB);
    csa(twosA, ones, ones, h(8), h(9));
    csa(twosB, ones, ones, h(10), h(11));
    csa(foursA, twos, twos, twosA, twosB);
    csa(twosA, ones, ones, h(12), h(13));
    csa(twosB, ones, ones, h(14), h(15));
    csa(foursB, twos, twos, twosA, twosB);
    csa(eightsB, fours, fours, foursA, foursB);
    csa(carry, eights, eights, eightsA, eightsB);
    return carry;
  };
  uint32_t i = 0;
  for (; i + 32 <= n; i += 32) {
    Vec<V> sixteensA = add16(homes + i), sixteensB = add16(homes + i + 16),
           thirtytwos;
    csa(thirtytwos, sixteens, sixteens, sixteensA, sixteensB);
    addAt(acc, K, 5, thirtytwos);
  }
  for (; i + 16 <= n; i += 16)
    addAt(acc, K, 4, add16(homes + i));
  for (; i < n; ++i)
    addAt(acc, K, 0, g.bit(homes + i));
  addAt(acc, K, 0, ones);
  addAt(acc, K, 1, twos);
  addAt(acc, K, 2, fours);
  addAt(acc, K, 3, eights);
  addAt(acc, K, 4, sixteens);
}

/// Counts net part `part`'s outputs of every class into the class totals
/// (buf.planes, K planes per class): the first part sets them, later parts
/// add to them (a ripple add per class). With one part, all outputs. Where
/// the generated code counted (kCountPlanes), the part's counts are in the
/// last slots of scratch.
template <unsigned V> void countPart(const Buffers &buf, uint32_t part) {
  uint32_t C = shape(kClasses), K = shape(kPlanes);
  uint32_t group = shape(kOutputs) / C, parts = shape(kParts);
  Group<V> g{buf.outputs};
  Vec<V> *planes = reinterpret_cast<Vec<V> *>(buf.planes);
  const Vec<V> *counted =
      shape(kCountPlanes) ? reinterpret_cast<const Vec<V> *>(buf.scratch) +
                                (size_t(shape(kScratchSlots)) - size_t(C) * K)
                          : nullptr;
  Vec<V> acc[kMaxPlanes];
  for (uint32_t c = 0; c < C; ++c) {
    if (counted) {
      for (unsigned j = 0; j < K; ++j)
        acc[j] = counted[size_t(c) * K + j];
    } else {
      uint32_t begin = 0, end = group;
      if (parts > 1) {
        begin = part ? __lgc_gen_part_ends[(part - 1) * C + c] : 0;
        end = __lgc_gen_part_ends[part * C + c];
      }
      countGroup<V>(g, c * group + begin, end - begin, acc, K);
    }
    Vec<V> *total = planes + size_t(c) * K;
    if (part == 0) {
      for (unsigned j = 0; j < K; ++j)
        total[j] = acc[j];
      continue;
    }
    Vec<V> carry = splat<V>(0);
    for (unsigned j = 0; j < K; ++j) {
      Vec<V> a = total[j], b = acc[j];
      total[j] = a ^ b ^ carry;
      carry = (a & b) | (a & carry) | (b & carry);
    }
  }
}

/// Argmax and decoding for one block, from the class totals.
template <unsigned V>
void decide(const Buffers &buf, size_t first, size_t n, uint32_t *counts,
            uint32_t *classes) {
  uint32_t C = shape(kClasses), K = shape(kPlanes);
  const Vec<V> *planes = reinterpret_cast<const Vec<V> *>(buf.planes);
  Vec<V> best[kMaxPlanes], idx[kMaxPlanes];
  unsigned idxBits = 0;
  while ((1u << idxBits) < C)
    ++idxBits;
  for (unsigned m = 0; m < idxBits; ++m)
    idx[m] = splat<V>(0);
  for (uint32_t c = 0; c < C && classes; ++c) {
    const Vec<V> *acc = planes + size_t(c) * K;
    if (c == 0) {
      for (unsigned j = 0; j < K; ++j)
        best[j] = acc[j];
      continue;
    }
    // Strictly greater keeps the lowest index on ties.
    Vec<V> gt = splat<V>(0), eq = splat<V>(~uint64_t(0));
    for (unsigned j = K; j-- > 0;) {
      gt = gt | (eq & acc[j] & ~best[j]);
      eq = eq & ~(acc[j] ^ best[j]);
    }
    for (unsigned j = 0; j < K; ++j)
      best[j] = (gt & acc[j]) | (~gt & best[j]);
    for (unsigned m = 0; m < idxBits; ++m)
      if ((c >> m) & 1)
        idx[m] = idx[m] | gt;
      else
        idx[m] = idx[m] & ~gt;
  }
#if defined(__AVX512F__)
  // Sixteen samples at a time: bit j of sample s is bit s of plane j's
  // word, so a masked OR of 1 << j into sixteen 32-bit lanes under that
  // word's sixteen bits builds sixteen numbers per plane. Reading the bits
  // one sample at a time cost a shift, a mask, a shift and an OR per bit:
  // for 10 classes of 13 planes, a tenth to a fifth of a conv member's time
  // whenever counts are asked for (a cascade asks every stage).
  auto gather16 = [](const Vec<V> *src, unsigned bits, unsigned v,
                     unsigned shift) {
    __m512i acc = _mm512_setzero_si512();
    for (unsigned j = 0; j < bits; ++j)
      acc = _mm512_mask_or_epi32(acc, __mmask16(src[j][v] >> shift), acc,
                                 _mm512_set1_epi32(int(1u << j)));
    return acc;
  };
  alignas(64) uint32_t lanes[16];
  for (size_t s0 = 0; s0 < n; s0 += 16) {
    unsigned v = unsigned(s0 / 64), shift = unsigned(s0 % 64);
    size_t m = n - s0 < 16 ? n - s0 : 16;
    if (classes) {
      _mm512_store_si512(lanes, gather16(idx, idxBits, v, shift));
      for (size_t i = 0; i < m; ++i)
        classes[first + s0 + i] = lanes[i];
    }
    if (counts)
      for (uint32_t c = 0; c < C; ++c) {
        _mm512_store_si512(lanes,
                           gather16(planes + size_t(c) * K, K, v, shift));
        for (size_t i = 0; i < m; ++i)
          counts[(first + s0 + i) * C + c] = lanes[i];
      }
  }
#else
  for (size_t s = 0; s < n; ++s) {
    unsigned v = unsigned(s / 64), bit = unsigned(s % 64);
    if (classes) {
      uint32_t cls = 0;
      for (unsigned m = 0; m < idxBits; ++m)
        cls |= uint32_t((idx[m][v] >> bit) & 1) << m;
      classes[first + s] = cls;
    }
    if (counts) {
      for (uint32_t c = 0; c < C; ++c) {
        uint32_t count = 0;
        for (unsigned j = 0; j < K; ++j)
          count |= uint32_t((planes[size_t(c) * K + j][v] >> bit) & 1) << j;
        counts[(first + s) * C + c] = count;
      }
    }
  }
#endif
}

/// Evaluates the net on the chunk's packed blocks, counts and decides; block
/// b holds samples [first + b * 64 V, ...), n of them in all.
template <unsigned V>
void evalAndCount(Buffers &buf, uint32_t blocks, size_t first, size_t n,
                  uint32_t *counts, uint32_t *classes) {
  uint32_t parts = shape(kParts);
  if (parts <= 1) {
    for (uint32_t b = 0; b < blocks; ++b) {
      buf.selectBlock(b);
      __lgc_gen_eval(buf.in, buf.scratch);
      countPart<V>(buf, 0);
    }
  } else {
    for (uint32_t p = 0; p < parts; ++p)
      for (uint32_t b = 0; b < blocks; ++b) {
        buf.selectBlock(b);
        __lgc_gen_eval_part(buf.in, buf.scratch, p);
        countPart<V>(buf, p);
      }
  }
  const size_t block = size_t(64) * V;
  for (uint32_t b = 0; b < blocks; ++b) {
    buf.selectBlock(b);
    decide<V>(buf, first + b * block, samplesIn(n, b * block, block), counts,
              classes);
  }
}

void evalAndCountAnyWidth(Buffers &buf, uint32_t blocks, size_t first, size_t n,
                          uint32_t *counts, uint32_t *classes) {
  switch (shape(kVectorWords)) {
  case 1:
    return evalAndCount<1>(buf, blocks, first, n, counts, classes);
  case 2:
    return evalAndCount<2>(buf, blocks, first, n, counts, classes);
  case 4:
    return evalAndCount<4>(buf, blocks, first, n, counts, classes);
  default:
    return evalAndCount<8>(buf, blocks, first, n, counts, classes);
  }
}

/// One set of buffers parked between calls, so that a call does not
/// allocate (and fault in, and fill) its scratch memory again: megabytes for
/// a conv net run as position loops, a noticeable share of a call of
/// thousands of samples. A caller takes it with an atomic exchange, or
/// allocates a set of its own when another thread holds it; a finished call
/// parks its set and frees the one it displaces. Freed when the library is
/// unloaded.
Buffers *parked = nullptr;

void freeBuffers(Buffers *b) {
  if (b) {
    b->~Buffers();
    free(b);
  }
}

Buffers *takeBuffers() {
  if (Buffers *b = __atomic_exchange_n(&parked, nullptr, __ATOMIC_ACQ_REL))
    return b;
  void *p = malloc(sizeof(Buffers));
  if (!p)
    return nullptr;
  Buffers *b = new (p) Buffers;
  if (!b->allocate()) {
    freeBuffers(b);
    return nullptr;
  }
  return b;
}

void parkBuffers(Buffers *b) {
  freeBuffers(__atomic_exchange_n(&parked, b, __ATOMIC_ACQ_REL));
}

__attribute__((destructor)) void freeParkedBuffers() {
  freeBuffers(__atomic_exchange_n(&parked, nullptr, __ATOMIC_ACQ_REL));
}

/// Runs the net over n samples, a block of 64 V at a time; pack(start, count,
/// buf) fills every input vector for samples [start, start + count).
template <typename Pack>
int runBlocks(size_t n, uint32_t *counts, uint32_t *classes, Pack pack) {
  if (shape(kPlanes) > kMaxPlanes)
    return LGC_ERR_ARGUMENT;
  Buffers *buf = takeBuffers();
  if (!buf)
    return LGC_ERR_MEMORY;
  size_t block = size_t(64) * shape(kVectorWords);
  size_t chunk = block * buf->chunkBlocks;
  for (size_t start = 0; start < n; start += chunk) {
    size_t count = n - start < chunk ? n - start : chunk;
    uint32_t blocks = uint32_t((count + block - 1) / block);
    for (uint32_t b = 0; b < blocks; ++b) {
      buf->selectBlock(b);
      pack(start + b * block, samplesIn(count, b * block, block), *buf);
    }
    evalAndCountAnyWidth(*buf, blocks, start, count, counts, classes);
  }
  parkBuffers(buf);
  return LGC_OK;
}

/// A block packer from a packer of one word (64 samples) of every vector.
template <typename PackWord> auto wordByWord(PackWord packWord) {
  return [=](size_t start, size_t n, Buffers &buf) {
    for (unsigned v = 0; v < shape(kVectorWords); ++v)
      packWord(start + size_t(64) * v, wordCount(n, v), v, buf);
  };
}

} // namespace

extern "C" {

uint32_t lgc_net_abi_version(void) { return LGC_NET_ABI_VERSION; }

const lgc_net_info *lgc_net_get_info(void) { return &info; }

int lgc_net_run_u8(const uint8_t *x, size_t n, uint32_t *counts,
                   uint32_t *classes) {
  if (n && !x)
    return LGC_ERR_ARGUMENT;
#if defined(__AVX512BW__)
  if (shape(kLevels))
    return runBlocks(n, counts, classes,
                     [&](size_t start, size_t count, Buffers &buf) {
                       packBlockThermometerU8(x, start, count, buf);
                     });
#endif
  return runBlocks(
      n, counts, classes,
      wordByWord([&](size_t first, size_t count, unsigned v, Buffers &buf) {
        packWord(x, first, count, v, buf, rowBitsU8);
      }));
}

int lgc_net_run_f32(const float *x, size_t n, uint32_t *counts,
                    uint32_t *classes) {
  if (n && !x)
    return LGC_ERR_ARGUMENT;
  auto generic =
      wordByWord([&](size_t first, size_t count, unsigned v, Buffers &buf) {
        packWord(x, first, count, v, buf, rowBitsF32);
      });
  return runBlocks(n, counts, classes,
                   [&](size_t start, size_t count, Buffers &buf) {
#if defined(__AVX512BW__)
                     if (buf.levelsAscend)
                       return packBlockThermometerF32(x, start, count, buf);
#endif
                     generic(start, count, buf);
                   });
}

int lgc_net_run_packed(const uint64_t *bits, size_t n, uint32_t *counts,
                       uint32_t *classes) {
  if (n && !bits)
    return LGC_ERR_ARGUMENT;
  uint32_t inputs = shape(kInputs), V = shape(kVectorWords);
  return runBlocks(
      n, counts, classes,
      wordByWord([&](size_t first, size_t count, unsigned v, Buffers &buf) {
        const uint64_t *src = bits + (first / 64) * inputs;
        for (uint32_t i = 0; i < inputs; ++i)
          buf.in[buf.slot(i) * V + v] = count ? src[i] : 0;
      }));
}

} // extern "C"
