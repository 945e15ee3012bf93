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

/// One shared block on one word of samples, straight from its definition:
/// every output position evaluates the block's circuit on its window.
static void evalBlock(const SharedBlock &b, uint64_t first,
                      std::vector<uint64_t> &value,
                      std::vector<uint64_t> &local) {
  const uint32_t H2 = b.outHeight(), W2 = b.outWidth();
  auto in = [&](uint32_t c, int64_t y, int64_t x) -> uint64_t {
    if (y < 0 || x < 0 || y >= int64_t(b.height) || x >= int64_t(b.width))
      return 0; // padding
    return value[b.input + (uint64_t(c) * b.height + uint64_t(y)) * b.width +
                 uint64_t(x)];
  };
  for (uint32_t o = 0; o < b.outputChannels(); ++o)
    for (uint32_t y = 0; y < H2; ++y)
      for (uint32_t x = 0; x < W2; ++x) {
        int64_t y0 = int64_t(y) * b.stride - int64_t(b.padding),
                x0 = int64_t(x) * b.stride - int64_t(b.padding);
        uint64_t out = 0;
        if (b.kind == SharedBlock::Conv) {
          local.resize(2 * size_t(b.leaves) - 1);
          for (uint32_t l = 0; l < b.leaves; ++l) {
            const TreeLeaf &f = b.leaf[size_t(o) * b.leaves + l];
            local[l] = in(f.c, y0 + f.dy, x0 + f.dx);
          }
          for (uint32_t j = 0; j + 1 < b.leaves; ++j) {
            const Gate &g = b.tree[size_t(o) * (b.leaves - 1) + j];
            local[b.leaves + j] = evalGateWord(g.kind, local[g.a], local[g.b]);
          }
          out = local[2 * size_t(b.leaves) - 2];
        } else {
          for (uint32_t dy = 0; dy < b.kernel; ++dy)
            for (uint32_t dx = 0; dx < b.kernel; ++dx)
              out |= in(o, y0 + dy, x0 + dx);
        }
        value[first + (uint64_t(o) * H2 + y) * W2 + x] = out;
      }
}

void lgc::interpret(const Net &net, const uint64_t *words, size_t n,
                    uint32_t *counts, uint32_t *classes) {
  std::vector<uint64_t> value(net.numNodes()), local;
  std::vector<uint32_t> rowCounts(net.numClasses);
  uint32_t group = net.groupSize();
  for (size_t w = 0; w < numBlocks(n); ++w) {
    const uint64_t *in = words + w * net.numInputs;
    for (uint32_t i = 0; i < net.numInputs; ++i)
      value[i] = in[i];
    uint64_t first = net.numInputs;
    for (const SharedBlock &b : net.blocks) {
      evalBlock(b, first, value, local);
      first += b.numOutputs();
    }
    for (size_t g = 0; g < net.gates.size(); ++g) {
      const Gate &gate = net.gates[g];
      value[first + g] = evalGateWord(gate.kind, value[gate.a], value[gate.b]);
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
