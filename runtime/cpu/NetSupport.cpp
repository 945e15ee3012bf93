//===- NetSupport.cpp - The runtime half of every compiled net.so ---------===//
//
// Part of lgc. Linked by lgc into each net.so next to the generated kernel.
// It implements the C ABI of lgc_net.h on top of the generated symbols
// described in lgc/Conversion/LGNToLLVM/LGNToLLVM.h: thresholding and bit
// packing of raw features (SSE2 compares and movemask, then 64x64 bit
// transposes), the kernel call per block, and a bit-sliced argmax over the
// count planes.
//
// Freestanding on purpose: no C++ runtime (no new, no exceptions, no static
// guards), only malloc/free/memset from libc, so the .so links with a plain
// `ld.lld -shared`.
//
//===----------------------------------------------------------------------===//

#include "lgc/lgc_net.h"

#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

extern "C" {
extern const uint32_t __lgc_gen_shape[10];
extern const double __lgc_gen_tau;
extern const uint32_t __lgc_gen_bit_feature[];
extern const float __lgc_gen_bit_threshold[];
void __lgc_gen_eval(const uint64_t *in, uint64_t *scratch, uint64_t *planes);
}

namespace {

enum Shape {
  kInputs,
  kFeatures,
  kClasses,
  kOutputs,
  kGates,
  kVectorWords,
  kPlanes,
  kScratchWords,
  kLevels,
  kEncoding
};

uint32_t shape(Shape s) { return __lgc_gen_shape[s]; }

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

/// out[i] bit s = in[s] bit i (in place).
void transpose64(uint64_t a[64]) {
  uint64_t m = 0x00000000FFFFFFFFull;
  for (unsigned j = 32; j != 0; j >>= 1, m ^= (m << j)) {
    for (unsigned k = 0; k < 64; k = ((k | j) + 1) & ~j) {
      uint64_t t = ((a[k] >> j) ^ a[k | j]) & m;
      a[k] ^= t << j;
      a[k | j] ^= t;
    }
  }
}

/// The smallest 8-bit value v with v / 255.0f > t (256: none), so that the
/// 8-bit path thresholds exactly as the float path and the interpreter do.
unsigned byteThreshold(float t) {
  for (unsigned v = 0; v < 256; ++v)
    if (float(v) / 255.0f > t)
      return v;
  return 256;
}

/// ORs `count` (<= 16) bits of `bits` into a bit row at bit offset `at`.
inline void orBits(uint64_t *row, size_t at, uint64_t bits) {
  size_t w = at / 64, sh = at % 64;
  row[w] |= bits << sh;
  if (sh > 48 && (bits >> (64 - sh)))
    row[w + 1] |= bits >> (64 - sh);
}

struct Buffers {
  uint64_t *in = nullptr, *scratch = nullptr, *planes = nullptr;
  uint64_t *rows = nullptr;   // 64 rows of rowWords words: sample-major bits
  uint16_t *byteT = nullptr;  // per threshold (thermometer) or per bit
  size_t rowWords = 0;

  bool allocate() {
    uint32_t V = shape(kVectorWords);
    rowWords = (shape(kInputs) + 63) / 64 + 1;
    size_t levels = shape(kEncoding) ? shape(kLevels) : shape(kInputs);
    in = alloc(size_t(shape(kInputs)) * V);
    scratch = alloc(shape(kScratchWords) ? shape(kScratchWords) : 1);
    planes = alloc(size_t(shape(kClasses)) * shape(kPlanes) * V);
    rows = alloc(64 * rowWords);
    byteT = static_cast<uint16_t *>(malloc(sizeof(uint16_t) * (levels + 1)));
    if (!in || !scratch || !planes || !rows || !byteT)
      return false;
    for (size_t j = 0; j < levels; ++j)
      byteT[j] = uint16_t(byteThreshold(
          shape(kEncoding) ? __lgc_gen_bit_threshold[j * shape(kFeatures)]
                           : __lgc_gen_bit_threshold[j]));
    return true;
  }
  static uint64_t *alloc(size_t words) {
    void *p = nullptr;
    if (posix_memalign(&p, 64, (words ? words : 1) * 8) != 0)
      return nullptr;
    return static_cast<uint64_t *>(p);
  }
  ~Buffers() {
    free(in);
    free(scratch);
    free(planes);
    free(rows);
    free(byteT);
  }
};

/// Thresholds one sample into a sample-major bit row.
void rowBitsU8(const uint8_t *x, const Buffers &buf, uint64_t *row) {
  uint32_t F = shape(kFeatures);
  memset(row, 0, buf.rowWords * 8);
  if (!shape(kEncoding)) {
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
#if defined(__SSE2__)
    __m128i tv = _mm_set1_epi8(char(T));
    for (; f + 16 <= F; f += 16) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i *>(x + f));
      // x >= T  <=>  max(x, T) == x, unsigned.
      unsigned mask = unsigned(
          _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(v, tv), v)));
      if (mask)
        orBits(row, base + f, mask);
    }
#endif
    for (; f < F; ++f)
      if (x[f] >= T)
        row[(base + f) / 64] |= uint64_t(1) << ((base + f) % 64);
  }
}

void rowBitsF32(const float *x, const Buffers &buf, uint64_t *row) {
  uint32_t F = shape(kFeatures);
  memset(row, 0, buf.rowWords * 8);
  if (!shape(kEncoding)) {
    for (uint32_t i = 0; i < shape(kInputs); ++i)
      if (x[__lgc_gen_bit_feature[i]] > __lgc_gen_bit_threshold[i])
        row[i / 64] |= uint64_t(1) << (i % 64);
    return;
  }
  for (uint32_t j = 0; j < shape(kLevels); ++j) {
    float t = __lgc_gen_bit_threshold[j * F];
    size_t base = size_t(j) * F;
    uint32_t f = 0;
#if defined(__SSE2__)
    __m128 tv = _mm_set1_ps(t);
    for (; f + 16 <= F; f += 16) {
      unsigned mask = 0;
      for (unsigned q = 0; q < 4; ++q)
        mask |= unsigned(_mm_movemask_ps(
                    _mm_cmpgt_ps(_mm_loadu_ps(x + f + 4 * q), tv)))
                << (4 * q);
      if (mask)
        orBits(row, base + f, mask);
    }
#endif
    for (; f < F; ++f)
      if (x[f] > t)
        row[(base + f) / 64] |= uint64_t(1) << ((base + f) % 64);
  }
}

/// Fills word v of every input vector for samples [first, first + count).
template <typename T, typename RowFn>
void packWord(const T *x, size_t first, size_t count, unsigned v,
              Buffers &buf, RowFn rowBits) {
  uint32_t inputs = shape(kInputs), V = shape(kVectorWords);
  uint64_t *rows = buf.rows;
  for (size_t s = 0; s < 64; ++s) {
    uint64_t *row = rows + s * buf.rowWords;
    if (s < count)
      rowBits(x + (first + s) * shape(kFeatures), buf, row);
    else
      memset(row, 0, buf.rowWords * 8);
  }
  uint64_t tile[64];
  for (uint32_t w = 0; w * 64 < inputs; ++w) {
    for (unsigned s = 0; s < 64; ++s)
      tile[s] = rows[s * buf.rowWords + w];
    transpose64(tile);
    for (unsigned i = 0; i < 64 && w * 64 + i < inputs; ++i)
      buf.in[size_t(w * 64 + i) * V + v] = tile[i];
  }
}

/// Reads counts and argmax classes of samples [first, first + count) from
/// word v of the planes.
void decodeWord(const uint64_t *planes, size_t first, size_t count, unsigned v,
                uint32_t *counts, uint32_t *classes) {
  uint32_t C = shape(kClasses), K = shape(kPlanes), V = shape(kVectorWords);
  auto plane = [&](uint32_t c, uint32_t j) {
    return planes[(size_t(c) * K + j) * V + v];
  };
  if (classes) {
    // Bit-sliced running maximum; strict comparison keeps the lowest index.
    uint64_t best[32], idx[32];
    unsigned idxBits = 0;
    while ((1u << idxBits) < C)
      ++idxBits;
    for (uint32_t j = 0; j < K; ++j)
      best[j] = plane(0, j);
    for (unsigned m = 0; m < idxBits; ++m)
      idx[m] = 0;
    for (uint32_t c = 1; c < C; ++c) {
      uint64_t gt = 0, eq = ~uint64_t(0);
      for (uint32_t j = K; j-- > 0;) {
        uint64_t a = plane(c, j), b = best[j];
        gt |= eq & a & ~b;
        eq &= ~(a ^ b);
      }
      for (uint32_t j = 0; j < K; ++j)
        best[j] = (gt & plane(c, j)) | (~gt & best[j]);
      for (unsigned m = 0; m < idxBits; ++m)
        idx[m] = (gt & ((c >> m) & 1 ? ~uint64_t(0) : 0)) | (~gt & idx[m]);
    }
    for (size_t s = 0; s < count; ++s) {
      uint32_t cls = 0;
      for (unsigned m = 0; m < idxBits; ++m)
        cls |= uint32_t((idx[m] >> s) & 1) << m;
      classes[first + s] = cls;
    }
  }
  if (counts)
    for (size_t s = 0; s < count; ++s)
      for (uint32_t c = 0; c < C; ++c) {
        uint32_t n = 0;
        for (uint32_t j = 0; j < K; ++j)
          n |= uint32_t((plane(c, j) >> s) & 1) << j;
        counts[(first + s) * C + c] = n;
      }
}

template <typename Pack>
int runBlocks(size_t n, uint32_t *counts, uint32_t *classes, Pack pack) {
  Buffers buf;
  if (!buf.allocate())
    return LGC_ERR_MEMORY;
  uint32_t V = shape(kVectorWords);
  size_t block = size_t(64) * V;
  for (size_t start = 0; start < n; start += block) {
    for (unsigned v = 0; v < V; ++v) {
      size_t first = start + size_t(64) * v;
      size_t count = first < n ? (n - first < 64 ? n - first : 64) : 0;
      pack(first, count, v, buf);
    }
    __lgc_gen_eval(buf.in, buf.scratch, buf.planes);
    for (unsigned v = 0; v < V; ++v) {
      size_t first = start + size_t(64) * v;
      if (first >= n)
        break;
      size_t count = n - first < 64 ? n - first : 64;
      decodeWord(buf.planes, first, count, v, counts, classes);
    }
  }
  return LGC_OK;
}

} // namespace

extern "C" {

uint32_t lgc_net_abi_version(void) { return LGC_NET_ABI_VERSION; }

const lgc_net_info *lgc_net_get_info(void) { return &info; }

int lgc_net_run_u8(const uint8_t *x, size_t n, uint32_t *counts,
                   uint32_t *classes) {
  if (n && !x)
    return LGC_ERR_ARGUMENT;
  return runBlocks(n, counts, classes,
                   [&](size_t first, size_t count, unsigned v, Buffers &buf) {
                     packWord(x, first, count, v, buf, rowBitsU8);
                   });
}

int lgc_net_run_f32(const float *x, size_t n, uint32_t *counts,
                    uint32_t *classes) {
  if (n && !x)
    return LGC_ERR_ARGUMENT;
  return runBlocks(n, counts, classes,
                   [&](size_t first, size_t count, unsigned v, Buffers &buf) {
                     packWord(x, first, count, v, buf, rowBitsF32);
                   });
}

int lgc_net_run_packed(const uint64_t *bits, size_t n, uint32_t *counts,
                       uint32_t *classes) {
  if (n && !bits)
    return LGC_ERR_ARGUMENT;
  uint32_t inputs = shape(kInputs), V = shape(kVectorWords);
  return runBlocks(n, counts, classes,
                   [&](size_t first, size_t count, unsigned v, Buffers &buf) {
                     const uint64_t *src = bits + (first / 64) * inputs;
                     for (uint32_t i = 0; i < inputs; ++i)
                       buf.in[size_t(i) * V + v] = count ? src[i] : 0;
                   });
}

} // extern "C"
