//===- MirrorTest.cpp - A net that sees its images mirrored ---------------===//
//
// Part of lgc. The mirror of a net computes, on every input, what the net
// computes on the left-right mirror of that input: dense nets and conv
// nets, thermometer and identity encodings; mirroring twice gives the net
// back; geometries that cannot be mirrored are refused.
//
//===----------------------------------------------------------------------===//

#include "lgc/Runtime/Mirror.h"
#include "../TestUtil.h"
#include "lgc/Runtime/Ensemble.h"
#include "lgc/Runtime/Format.h"
#include "lgc/Runtime/Interpreter.h"

#include <gtest/gtest.h>

using namespace lgc;

namespace {

/// A conv (2 trees of 4 leaves, 3x3 windows, padding 1) over a 4x4 image
/// of two thermometer levels, a pool, and gates reading pool outputs and
/// input bits.
const char *kConvNet = R"(lgn 2
inputs 32
features 16
thresholds 0.3 0.7
conv in 0 shape 2 4 4 out 2 kernel 3 stride 1 padding 1 leaves 4
tree 0
leaf 0 0 0
leaf 1 1 2
leaf 0 2 1
leaf 1 0 2
g xor 0 1
g and 2 3
g or 4 5
tree 1
leaf 1 2 0
leaf 0 1 1
leaf 1 0 0
leaf 0 2 2
g not_implies 0 1
g xor 2 3
g and 4 5
pool in 32 shape 2 4 4 kernel 2 stride 2 padding 0
gates 4
layer
g xor 64 67
g and 65 3
g or 66 7
g not_and 70 9
outputs 4 classes 2 tau 1
o 72 73
o 74 75
end
)";

using test::randomWords;

/// mirror's counts on every input are net's on the mirrored input, and
/// they vary with the input.
void expectMirrored(const Net &net, const Net &mirror, uint32_t width) {
  const size_t n = 500;
  const uint32_t K = net.numClasses;
  std::vector<uint64_t> words = randomWords(net.numInputs, n, 11);
  std::vector<uint32_t> want(n * K), got(n * K);
  interpret(net, test::mirrorRows(words, net.numInputs, width).data(), n,
            want.data(), nullptr);
  interpret(mirror, words.data(), n, got.data(), nullptr);
  EXPECT_EQ(got, want);
  // The mirror is not the net itself: on the unmirrored inputs it differs.
  std::vector<uint32_t> plain(n * K);
  interpret(net, words.data(), n, plain.data(), nullptr);
  EXPECT_NE(got, plain);
}

TEST(Mirror, DenseNetsSeeTheMirroredImage) {
  // Identity encoding, 36 features: a 6x6 image unless told otherwise.
  Net net = test::randomNet(36, {80, 60, 40}, 4, -1, 3);
  Net mirror;
  Status s = mirrorNet(net, mirror);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(verifyNet(mirror), "");
  EXPECT_EQ(mirror.gates.size(), net.gates.size());
  expectMirrored(net, mirror, 6);
  // As a 3x12 image the permutation differs.
  Net wide;
  ASSERT_TRUE(mirrorNet(net, wide, {3, 12}).ok());
  expectMirrored(net, wide, 12);

  // A thermometer encoding: two levels of 36 features, each level a plane.
  Net levels = test::randomNet(72, {100, 40}, 4, -1, 4);
  levels.numFeatures = 36;
  levels.levels = {0.25f, 0.75f};
  ASSERT_TRUE(mirrorNet(levels, mirror).ok());
  expectMirrored(levels, mirror, 6);

  // Twice is the net again, metadata included.
  Net twice;
  ASSERT_TRUE(mirrorNet(mirror, twice).ok());
  EXPECT_EQ(twice, levels);
}

TEST(Mirror, ConvBlocksFlipTheirWindows) {
  Net net;
  Status s = parseNet(kConvNet, "conv.lgn", net, /*keepBlocks=*/true);
  ASSERT_TRUE(s.ok()) << s.message();
  Net mirror;
  s = mirrorNet(net, mirror);
  ASSERT_TRUE(s.ok()) << s.message();
  // The geometry came from the conv: 4 wide.
  expectMirrored(net, mirror, 4);
  ASSERT_EQ(mirror.blocks.size(), 2u);
  EXPECT_EQ(mirror.blocks[0].leaf[1], (TreeLeaf{1, 1, 0}));
  EXPECT_EQ(mirror.blocks[1], net.blocks[1]);
  // Gates that read pool outputs read the mirrored position; input bits
  // likewise (bit 3 is x = 3 of row 0: x = 0).
  EXPECT_EQ(mirror.gates[0], (Gate{net.gates[0].kind, 65, 66}));
  EXPECT_EQ(mirror.gates[1], (Gate{net.gates[1].kind, 64, 0}));
  // Unrolled, it is the same function.
  Net flat = mirror;
  unrollBlocks(flat);
  expectMirrored(net, flat, 4);
  Net twice;
  ASSERT_TRUE(mirrorNet(mirror, twice).ok());
  EXPECT_EQ(twice, net);

  // With the net, an ensemble that votes on both views.
  Net both;
  ASSERT_TRUE(ensembleNets({net, mirror}, both).ok());
  const size_t n = 300;
  std::vector<uint64_t> words = randomWords(net.numInputs, n, 5);
  std::vector<uint32_t> a(n * 2), b(n * 2), sum(n * 2);
  interpret(net, words.data(), n, a.data(), nullptr);
  interpret(net, test::mirrorRows(words, 32, 4).data(), n, b.data(), nullptr);
  interpret(both, words.data(), n, sum.data(), nullptr);
  for (size_t i = 0; i < sum.size(); ++i)
    EXPECT_EQ(sum[i], a[i] + b[i]) << i;
}

TEST(Mirror, RefusesWhatHasNoMirror) {
  Net out;
  auto refused = [&](const Net &net, ImageShape image, const char *what) {
    Status s = mirrorNet(net, out, image);
    EXPECT_FALSE(s.ok()) << what;
    EXPECT_NE(s.message().find(what), std::string::npos) << s.message();
  };
  // 10 features: no square, no block, no geometry given.
  refused(test::randomNet(10, {20}, 2, -1, 1), {}, "no square image");
  // 36 features are no whole number of 5x5 planes.
  refused(test::randomNet(36, {20}, 2, -1, 1), {5, 5}, "no whole number");
  // A bit whose mirrored feature has no bit of its threshold.
  Net explicitBits = test::randomNet(2, {4}, 2, -1, 1);
  explicitBits.numFeatures = 4;
  explicitBits.encoding = {{0, 0.5f}, {1, 0.3f}};
  refused(explicitBits, {2, 2}, "no bit reads its mirror");
  // Windows that leave a column uncovered on one side only.
  Net pooled;
  Status s = parseNet("lgn 2\ninputs 25\npool in 0 shape 1 5 5 kernel 2 "
                      "stride 2 padding 0\ngates 1\ng and 25 26\n"
                      "outputs 2 classes 2 tau 1\no 27\no 28\nend\n",
                      "pool.lgn", pooled, /*keepBlocks=*/true);
  ASSERT_TRUE(s.ok()) << s.message();
  refused(pooled, {}, "do not cover its image symmetrically");
  // A block whose image is not the inputs' geometry: 4-wide rows of a
  // 5-wide image.
  Net skewed;
  s = parseNet("lgn 2\ninputs 25\npool in 0 shape 1 2 4 kernel 2 stride 2 "
               "padding 0\ngates 1\ng and 25 26\n"
               "outputs 2 classes 2 tau 1\no 27\no 25\nend\n",
               "skewed.lgn", skewed, /*keepBlocks=*/true);
  ASSERT_TRUE(s.ok()) << s.message();
  refused(skewed, {5, 5}, "not the mirrored position");
}

} // namespace
