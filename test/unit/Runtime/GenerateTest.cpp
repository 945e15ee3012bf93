//===- GenerateTest.cpp - Random nets and difflogic's wiring --------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Runtime/Generate.h"
#include "lgc/Runtime/Format.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

using namespace lgc;

namespace {

TEST(Generate, ShapeAndDeterminism) {
  GenerateOptions opts;
  opts.inputs = 100;
  opts.widths = {64, 50, 30};
  opts.classes = 3;
  opts.seed = 42;
  Net a, b;
  ASSERT_TRUE(generateNet(opts, a).ok());
  ASSERT_TRUE(generateNet(opts, b).ok());
  EXPECT_TRUE(a == b);
  EXPECT_EQ(verifyNet(a), "");
  EXPECT_EQ(a.gates.size(), 144u);
  EXPECT_EQ(a.layerStarts, (std::vector<uint32_t>{0, 64, 114}));
  ASSERT_EQ(a.outputs.size(), 30u);
  EXPECT_EQ(a.outputs.front(), 100u + 114u);
  // Each layer reads only the layer before it.
  for (size_t i = 64; i < 114; ++i) {
    EXPECT_GE(a.gates[i].a, 100u);
    EXPECT_LT(a.gates[i].a, 164u);
  }
  opts.seed = 43;
  ASSERT_TRUE(generateNet(opts, b).ok());
  EXPECT_FALSE(a == b);
}

TEST(Generate, RandomConnectionsUseEveryInputWhenWideEnough) {
  // c = randperm(2 out) mod in covers every input when 2 out >= in.
  Rng rng(5);
  std::vector<uint32_t> a, b;
  ASSERT_TRUE(makeConnections(Connections::Random, 100, 50, rng, a, b).ok());
  std::set<uint32_t> used(a.begin(), a.end());
  used.insert(b.begin(), b.end());
  EXPECT_EQ(used.size(), 100u);
}

TEST(Generate, UniqueConnectionsArePairwiseDistinct) {
  Rng rng(9);
  std::vector<uint32_t> a, b;
  ASSERT_TRUE(makeConnections(Connections::Unique, 10, 12, rng, a, b).ok());
  std::set<std::pair<uint32_t, uint32_t>> pairs;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_NE(a[i], b[i]);
    EXPECT_LT(a[i], b[i]);
    pairs.insert({a[i], b[i]});
  }
  EXPECT_EQ(pairs.size(), 12u);
  // The first five pairs of the scheme, (0,1),(2,3),..., all appear.
  for (uint32_t i = 0; i < 10; i += 2)
    EXPECT_TRUE(pairs.count({i, i + 1})) << i;
  Status s = makeConnections(Connections::Unique, 100, 10, rng, a, b);
  EXPECT_FALSE(s.ok());
}

TEST(Generate, PassThroughShare) {
  GenerateOptions opts;
  opts.inputs = 64;
  opts.widths = {10000};
  opts.classes = 10;
  opts.passThroughShare = 0.45;
  Net net;
  ASSERT_TRUE(generateNet(opts, net).ok());
  size_t pass = 0;
  for (const Gate &g : net.gates)
    pass += g.kind == 0 || g.kind == 3 || g.kind == 5 || g.kind == 10 ||
            g.kind == 12 || g.kind == 15;
  EXPECT_NEAR(double(pass) / 10000, 0.45, 0.03);
}

TEST(Generate, RejectsBadShapes) {
  GenerateOptions opts;
  Net net;
  opts.widths = {30};
  opts.classes = 4;
  EXPECT_FALSE(generateNet(opts, net).ok());
  opts.widths = {};
  EXPECT_FALSE(generateNet(opts, net).ok());
  opts.widths = {8};
  opts.inputs = 0;
  EXPECT_FALSE(generateNet(opts, net).ok());
}

TEST(Generate, RngIsUniformEnough) {
  Rng rng(1);
  std::vector<int> hist(16);
  for (int i = 0; i < 160000; ++i)
    ++hist[rng.below(16)];
  for (int h : hist)
    EXPECT_NEAR(h, 10000, 500);
  std::vector<uint32_t> p = rng.permutation(1000);
  std::sort(p.begin(), p.end());
  for (uint32_t i = 0; i < 1000; ++i)
    EXPECT_EQ(p[i], i);
}

} // namespace
