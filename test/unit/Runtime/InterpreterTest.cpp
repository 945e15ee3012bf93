//===- InterpreterTest.cpp - The reference interpreter --------------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Runtime/Interpreter.h"
#include "lgc/Runtime/Format.h"

#include <gtest/gtest.h>

using namespace lgc;

namespace {

/// The gate table (docs/lgn-format.md), written out by hand rather than
/// derived from the index.
bool specGate(unsigned kind, bool a, bool b) {
  switch (kind) {
  case 0:
    return false;
  case 1:
    return a && b;
  case 2:
    return a && !b;
  case 3:
    return a;
  case 4:
    return !a && b;
  case 5:
    return b;
  case 6:
    return a != b;
  case 7:
    return a || b;
  case 8:
    return !(a || b);
  case 9:
    return a == b;
  case 10:
    return !b;
  case 11:
    return a || !b;
  case 12:
    return !a;
  case 13:
    return !a || b;
  case 14:
    return !(a && b);
  case 15:
    return true;
  }
  return false;
}

TEST(Interpreter, AllKindsOnAllInputPairs) {
  // One gate per kind on inputs (0, 1); four samples cover (a, b) pairs.
  Net net;
  net.numInputs = net.numFeatures = 2;
  for (unsigned k = 0; k < 16; ++k) {
    net.gates.push_back(Gate{uint8_t(k), 0, 1});
    net.outputs.push_back(2 + k);
  }
  net.numClasses = 16;
  ASSERT_EQ(verifyNet(net), "");
  // Sample s has a = s >> 1, b = s & 1.
  std::vector<uint64_t> words = {0b1100, 0b1010};
  std::vector<uint32_t> counts(4 * 16);
  interpret(net, words.data(), 4, counts.data(), nullptr);
  for (unsigned s = 0; s < 4; ++s)
    for (unsigned k = 0; k < 16; ++k) {
      bool a = s >> 1, b = s & 1;
      EXPECT_EQ(counts[s * 16 + k], specGate(k, a, b) ? 1u : 0u)
          << "kind " << gateKindName(k) << " a=" << a << " b=" << b;
      EXPECT_EQ(evalGate(k, a, b), specGate(k, a, b));
    }
}

TEST(Interpreter, GroupSumCountsAndTies) {
  // 3 classes of 2 outputs; outputs are inputs directly.
  Net net;
  net.numInputs = net.numFeatures = 6;
  net.outputs = {0, 1, 2, 3, 4, 5};
  net.numClasses = 3;
  ASSERT_EQ(verifyNet(net), "");
  // sample 0: counts (1, 2, 0) -> 1; sample 1: (1, 1, 1) tie -> 0;
  // sample 2: (0, 0, 2) -> 2; sample 3: (0, 1, 1) tie -> 1.
  const bool bits[4][6] = {{1, 0, 1, 1, 0, 0},
                           {0, 1, 1, 0, 0, 1},
                           {0, 0, 0, 0, 1, 1},
                           {0, 0, 0, 1, 1, 0}};
  std::vector<uint64_t> words(6, 0);
  for (int s = 0; s < 4; ++s)
    for (int i = 0; i < 6; ++i)
      words[i] |= uint64_t(bits[s][i]) << s;
  std::vector<uint32_t> counts(12), classes(4);
  interpret(net, words.data(), 4, counts.data(), classes.data());
  EXPECT_EQ(counts,
            (std::vector<uint32_t>{1, 2, 0, 1, 1, 1, 0, 0, 2, 0, 1, 1}));
  EXPECT_EQ(classes, (std::vector<uint32_t>{1, 0, 2, 1}));
}

TEST(Interpreter, BatchesAcrossWordsMatchPerSampleEvaluation) {
  const char *text = R"(lgn 1
inputs 3
gates 3
g xor 0 1
g not_implies 3 2
g or 0 2
outputs 2 classes 2 tau 1
o 4
o 5
end
)";
  Net net;
  ASSERT_TRUE(parseNet(text, "t", net).ok());
  // 150 samples: three 64-sample words, the last one partial.
  const size_t n = 150;
  std::vector<float> x(n * 3);
  for (size_t s = 0; s < n; ++s)
    for (int f = 0; f < 3; ++f)
      x[s * 3 + f] = ((s * 7 + f * 13) % 5) / 4.0f; // 0, .25, .5, .75, 1
  std::vector<uint64_t> words = packFeatures(net, x.data(), n);
  ASSERT_EQ(words.size(), 3u * 3u);
  std::vector<uint32_t> counts(n * 2), classes(n);
  interpret(net, words.data(), n, counts.data(), classes.data());
  for (size_t s = 0; s < n; ++s) {
    bool a = x[s * 3] > 0.5f, b = x[s * 3 + 1] > 0.5f, c = x[s * 3 + 2] > 0.5f;
    uint32_t out0 = (a != b) && !c, out1 = a || c;
    EXPECT_EQ(counts[s * 2], out0) << s;
    EXPECT_EQ(counts[s * 2 + 1], out1) << s;
    EXPECT_EQ(classes[s], out1 > out0 ? 1u : 0u) << s;
  }
  // Padding bits of the last word stay zero.
  for (uint32_t i = 0; i < 3; ++i)
    EXPECT_EQ(words[2 * 3 + i] >> (n - 128), 0u);
}

TEST(Interpreter, EncodingThresholdsU8AndFloatAgree) {
  Net net;
  ASSERT_TRUE(parseNet("lgn 1\ninputs 4\nthresholds 0.25 0.5\ngates 0\n"
                       "outputs 4 classes 1 tau 1\no 0 1 2 3\nend\n",
                       "t", net)
                  .ok());
  std::vector<uint8_t> px;
  std::vector<float> fx;
  for (int v = 0; v < 256; ++v)
    for (int f = 0; f < 2; ++f) {
      px.push_back(uint8_t(v));
      fx.push_back(float(v) / 255.0f);
    }
  auto a = packFeaturesU8(net, px.data(), 256);
  auto b = packFeatures(net, fx.data(), 256);
  EXPECT_EQ(a, b);
  std::vector<uint32_t> counts(256);
  interpret(net, a.data(), 256, counts.data(), nullptr);
  for (int v = 0; v < 256; ++v) {
    float x = float(v) / 255.0f;
    EXPECT_EQ(counts[v], 2u * (x > 0.25f) + 2u * (x > 0.5f)) << v;
  }
}

} // namespace
