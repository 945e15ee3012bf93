//===- Interpreter.cpp - Reference evaluation of a net --------------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Runtime/Interpreter.h"

using namespace lgc;

/// Thresholds every input bit; `feature(row, f)` gives feature f as a float.
template <typename T, typename ToFloat>
static std::vector<uint64_t> pack(const Net &net, const T *x, size_t n,
                                  ToFloat toFloat) {
  std::vector<uint64_t> words(numBlocks(n) * net.numInputs, 0);
  for (size_t s = 0; s < n; ++s) {
    const T *row = x + s * net.numFeatures;
    uint64_t *block = words.data() + (s / 64) * net.numInputs;
    for (uint32_t i = 0; i < net.numInputs; ++i) {
      InputBit bit = net.inputBit(i);
      if (toFloat(row[bit.feature]) > bit.threshold)
        block[i] |= uint64_t(1) << (s % 64);
    }
  }
  return words;
}

std::vector<uint64_t> lgc::packFeatures(const Net &net, const float *x,
                                        size_t n) {
  return pack(net, x, n, [](float v) { return v; });
}

std::vector<uint64_t> lgc::packFeaturesU8(const Net &net, const uint8_t *x,
                                          size_t n) {
  return pack(net, x, n, [](uint8_t v) { return float(v) / 255.0f; });
}

uint32_t lgc::argmaxClass(const uint32_t *counts, uint32_t numClasses) {
  uint32_t best = 0;
  for (uint32_t c = 1; c < numClasses; ++c)
    if (counts[c] > counts[best])
      best = c;
  return best;
}

void lgc::interpret(const Net &net, const uint64_t *words, size_t n,
                    uint32_t *counts, uint32_t *classes) {
  std::vector<uint64_t> value(net.numNodes());
  std::vector<uint32_t> rowCounts(net.numClasses);
  uint32_t group = net.groupSize();
  for (size_t w = 0; w < numBlocks(n); ++w) {
    const uint64_t *in = words + w * net.numInputs;
    for (uint32_t i = 0; i < net.numInputs; ++i)
      value[i] = in[i];
    for (size_t g = 0; g < net.gates.size(); ++g) {
      const Gate &gate = net.gates[g];
      value[net.numInputs + g] =
          evalGateWord(gate.kind, value[gate.a], value[gate.b]);
    }
    for (size_t s = w * 64; s < n && s < w * 64 + 64; ++s) {
      unsigned bit = s % 64;
      for (uint32_t c = 0; c < net.numClasses; ++c) {
        uint32_t count = 0;
        for (uint32_t j = 0; j < group; ++j)
          count += (value[net.outputs[c * group + j]] >> bit) & 1;
        rowCounts[c] = count;
      }
      if (counts)
        for (uint32_t c = 0; c < net.numClasses; ++c)
          counts[s * net.numClasses + c] = rowCounts[c];
      if (classes)
        classes[s] = argmaxClass(rowCounts.data(), net.numClasses);
    }
  }
}
