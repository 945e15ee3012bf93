//===- Interpreter.h - Reference evaluation of a net ------------*- C++ -*-===//
//
// Part of lgc. The oracle every backend is tested against: deliberately
// simple, one gate at a time over 64-sample words.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_RUNTIME_INTERPRETER_H
#define LGC_RUNTIME_INTERPRETER_H

#include "lgc/Runtime/Net.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lgc {

/// Number of 64-sample blocks needed for n samples.
inline size_t numBlocks(size_t n) { return (n + 63) / 64; }

/// Bit-packed input layout used across lgc: for block w (samples 64w ..
/// 64w+63), words[w * numInputs + i] holds input bit i of those samples,
/// sample 64w + s in bit s. Bits of samples past n are zero.
std::vector<uint64_t> packFeatures(const Net &net, const float *x, size_t n);

/// As packFeatures for 8-bit features; feature value = x / 255.0f, so both
/// paths threshold identically.
std::vector<uint64_t> packFeaturesU8(const Net &net, const uint8_t *x,
                                     size_t n);

/// Evaluates `net` on n packed samples. Writes n * numClasses counts (the
/// number of set output bits per class group) to `counts` and n predicted
/// classes (argmax, lowest index on ties) to `classes`; either may be null.
void interpret(const Net &net, const uint64_t *words, size_t n,
               uint32_t *counts, uint32_t *classes);

/// The predicted class for one row of counts: first index of the maximum.
uint32_t argmaxClass(const uint32_t *counts, uint32_t numClasses);

} // namespace lgc

#endif // LGC_RUNTIME_INTERPRETER_H
