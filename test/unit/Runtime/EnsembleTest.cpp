//===- EnsembleTest.cpp - Nets that vote together -------------------------===//
//
// Part of lgc. An ensemble's class counts are its members' sums on every
// input; layers stay layers; blocks stay shared where they can and are
// unrolled where they cannot; members that disagree on inputs or classes
// are refused.
//
//===----------------------------------------------------------------------===//

#include "lgc/Runtime/Ensemble.h"
#include "../TestUtil.h"
#include "lgc/Runtime/Format.h"
#include "lgc/Runtime/Interpreter.h"

#include <gtest/gtest.h>

using namespace lgc;

namespace {

/// Eight identity-encoded inputs seen as a 2-channel 2x2 image: a conv of
/// two 2-leaf trees (2 outputs, nodes 8 and 9), then a pool over nodes
/// 6 .. 9, a range that begins among the inputs and ends among the conv's
/// outputs (node 10), and two gates.
const char *kStraddling = R"(lgn 2
inputs 8
conv in 0 shape 2 2 2 out 2 kernel 2 stride 1 padding 0 leaves 2
tree 0
leaf 0 0 1
leaf 1 1 0
g xor 0 1
tree 1
leaf 1 0 0
leaf 0 1 1
g and 0 1
pool in 6 shape 1 2 2 kernel 2 stride 1 padding 0
gates 2
layer
g not_and 10 3
g or 8 2
outputs 4 classes 2 tau 1
o 11 9
o 12 10
end
)";

/// Every pattern of `inputs` bits (inputs <= 12), packed for the
/// interpreter.
std::vector<uint64_t> allPatterns(uint32_t inputs, size_t &n) {
  n = size_t(1) << inputs;
  std::vector<uint64_t> words(size_t(inputs) * numBlocks(n), 0);
  for (size_t s = 0; s < n; ++s)
    for (uint32_t i = 0; i < inputs; ++i)
      if ((s >> i) & 1)
        words[size_t(i) * numBlocks(n) + s / 64] |= uint64_t(1) << (s % 64);
  return words;
}

using test::randomWords;

/// Checks that `ensemble`'s counts are the sums of `members`' counts and its
/// predictions their argmax, on `n` samples.
void expectSums(const std::vector<Net> &members, const Net &ensemble,
                const std::vector<uint64_t> &words, size_t n) {
  const uint32_t K = ensemble.numClasses;
  std::vector<uint32_t> sum(n * K, 0), counts(n * K), classes(n);
  for (const Net &m : members) {
    interpret(m, words.data(), n, counts.data(), nullptr);
    for (size_t i = 0; i < sum.size(); ++i)
      sum[i] += counts[i];
  }
  interpret(ensemble, words.data(), n, counts.data(), classes.data());
  EXPECT_EQ(counts, sum);
  size_t changes = 0;
  for (size_t s = 0; s < n; ++s) {
    EXPECT_EQ(classes[s], argmaxClass(&sum[s * K], K)) << "sample " << s;
    changes += sum[s * K] != sum[0];
  }
  // The counts depend on the input: the test would see a wrong wiring.
  EXPECT_GT(changes, 0u);
}

TEST(Ensemble, CountsAreTheMembersSums) {
  // Different depths, widths, group sizes and taus.
  std::vector<Net> members = {test::randomNet(40, {60, 40}, 4, -1, 1),
                              test::randomNet(40, {80, 60, 20}, 4, -1, 2),
                              test::randomNet(40, {32}, 4, -1, 3)};
  members[1].tau = 2;
  members[2].tau = 3.5;
  Net net;
  Status s = ensembleNets(members, net);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(verifyNet(net), "");
  EXPECT_EQ(net.gates.size(), 100u + 160 + 32);
  EXPECT_EQ(net.groupSize(), 10u + 5 + 8);
  EXPECT_EQ(net.tau, 6.5);
  const size_t n = 300;
  expectSums(members, net, randomWords(40, n, 7), n);

  // Layer k holds each member's layer k, and reads only earlier layers.
  ASSERT_EQ(net.layerStarts.size(), 3u);
  EXPECT_EQ(net.layerStarts[1], 60u + 80 + 32);
  EXPECT_EQ(net.layerStarts[2], 60u + 80 + 32 + 40 + 60);
  for (size_t k = 0; k < net.layerStarts.size(); ++k) {
    uint32_t begin = net.layerStarts[k];
    uint32_t end = k + 1 < net.layerStarts.size() ? net.layerStarts[k + 1]
                                                  : net.gates.size();
    for (uint32_t g = begin; g < end; ++g) {
      EXPECT_LT(net.gates[g].a, net.numInputs + begin) << "gate " << g;
      EXPECT_LT(net.gates[g].b, net.numInputs + begin) << "gate " << g;
    }
  }

  // It is an ordinary net: written and read back unchanged.
  Net back;
  ASSERT_TRUE(parseNet(writeNet(net), "ensemble.lgn", back).ok());
  EXPECT_EQ(back, net);
}

TEST(Ensemble, SharedBlocksStaySharedOrAreUnrolled) {
  Net conv, dense = test::randomNet(8, {12, 6}, 2, -1, 4);
  Status s = parseNet(kStraddling, "conv.lgn", conv, /*keepBlocks=*/true);
  ASSERT_TRUE(s.ok()) << s.message();
  size_t n = 0;
  std::vector<uint64_t> words = allPatterns(8, n);

  // First, the conv net's nodes keep their ids and its blocks stay.
  Net first;
  ASSERT_TRUE(ensembleNets({conv, dense}, first).ok());
  EXPECT_EQ(first.blocks, conv.blocks);
  expectSums({conv, dense}, first, words, n);

  // Second, its block outputs would move and the pool's range would split:
  // it is unrolled, and computes the same.
  Net second;
  ASSERT_TRUE(ensembleNets({dense, conv}, second).ok());
  EXPECT_TRUE(second.blocks.empty());
  expectSums({dense, conv}, second, words, n);

  // Two conv nets that read only the inputs: both keep their blocks, the
  // second's pool reading the second's conv outputs.
  Net conv2 = conv;
  conv2.blocks[1].input = 8; // the pool reads the conv outputs only
  conv2.blocks[1].channels = 2;
  conv2.blocks[1].height = 1;
  conv2.blocks[1].width = 1;
  conv2.blocks[1].kernel = 1;
  ASSERT_EQ(verifyNet(conv2), "");
  // Another function of the same shape, so that reading the other tower's
  // blocks would show.
  Net conv3 = conv2;
  conv3.blocks[0].tree[0].kind = uint8_t(GateKind::Or);
  conv3.blocks[0].tree[1].kind = uint8_t(GateKind::NotXor);
  Net both;
  ASSERT_TRUE(ensembleNets({conv2, conv3, dense}, both).ok());
  ASSERT_EQ(both.blocks.size(), 4u);
  EXPECT_EQ(both.blocks[3].input, 8u + 2 + 2); // after the first's four
  expectSums({conv2, conv3, dense}, both, words, n);
  Net flat = both;
  unrollBlocks(flat);
  expectSums({conv2, conv3, dense}, flat, words, n);
}

TEST(Ensemble, Metadata) {
  Net a = test::randomNet(10, {20}, 2, -1, 1), b = a, c = a;
  a.metadata = {{"dataset", "fashion-mnist"}, {"accuracy", "0.89"}};
  b.metadata = {{"accuracy", "0.88"}, {"dataset", "fashion-mnist"}};
  c.metadata = {{"dataset", "mnist"}};
  Net ab, abc;
  ASSERT_TRUE(ensembleNets({a, b}, ab).ok());
  using KV = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(ab.metadata, (KV{{"dataset", "fashion-mnist"},
                             {"member0.accuracy", "0.89"},
                             {"member1.accuracy", "0.88"},
                             {"ensemble", "2"}}));
  // An ensemble of an ensemble counts every net once.
  ASSERT_TRUE(ensembleNets({ab, c}, abc).ok());
  EXPECT_EQ(abc.metadata.back(),
            (std::pair<std::string, std::string>("ensemble", "3")));
  EXPECT_EQ(verifyNet(abc), "");
}

TEST(Ensemble, MembersMustAgree) {
  Net a = test::randomNet(10, {20}, 2, -1, 1);
  auto error = [&](const Net &b) {
    Net out;
    Status s = ensembleNets({a, b}, out, {"a.lgn", "b.lgn"});
    return s.ok() ? std::string("<ok>") : s.message();
  };
  EXPECT_EQ(error(test::randomNet(12, {20}, 2)).substr(0, 33),
            "b.lgn: error: its inputs (12 bits");
  EXPECT_NE(
      error(test::randomNet(10, {30}, 3)).find("its classes (3 against 2)"),
      std::string::npos);
  Net levels = a;
  levels.levels = {0.25f};
  // Same inputs and features, another threshold than the identity's 0.5.
  EXPECT_NE(error(levels).find("the encodings of input bit 0 differ"),
            std::string::npos);
  Net broken = a;
  broken.gates[3].a = 9999;
  EXPECT_NE(error(broken).find("b.lgn: error: invalid net: gate 13 reads a "
                               "later node"),
            std::string::npos);
  Net out;
  EXPECT_EQ(ensembleNets({}, out).message(),
            "error: an ensemble needs at least one net");
  // One member is that member.
  ASSERT_TRUE(ensembleNets({a}, out).ok());
  EXPECT_EQ(out.gates, a.gates);
  EXPECT_EQ(out.outputs, a.outputs);
}

} // namespace
