//===- ArchTest.cpp - Conv and pool blocks, parametrisations --------------===//
//
// Part of lgc. The architecture spec, the logic-tree convolution and OR
// pooling layers, the input-wise parametrisation and residual
// initialisation: finite-difference gradients, and the discretised net
// against the relaxed model where the relaxation is exact.
//
//===----------------------------------------------------------------------===//

#include "lgc/Runtime/Interpreter.h"
#include "lgc/Trainer/Trainer.h"

#include "GradientCheck.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace lgc;
using namespace lgc::train;
using namespace lgc::train::test;

namespace {

std::vector<BlockSpec> arch(const char *text) {
  std::vector<BlockSpec> blocks;
  Status s = parseArch(text, blocks);
  EXPECT_TRUE(s.ok()) << text << ": " << s.message();
  return blocks;
}

std::string archError(const char *text) {
  std::vector<BlockSpec> blocks;
  Status s = parseArch(text, blocks);
  EXPECT_FALSE(s.ok()) << text;
  return s.message();
}

TEST(Arch, ParsesBlocksAndPrintsThemBack) {
  std::vector<BlockSpec> b =
      arch("conv(16, k=5, s=2, p=1, d=2, g=3) pool(2) ;dense(100),fc(10)");
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(b[0].kind, BlockSpec::Conv);
  EXPECT_EQ(b[0].width, 16u);
  EXPECT_EQ(b[0].kernel, 5u);
  EXPECT_EQ(b[0].stride, 2u);
  EXPECT_EQ(b[0].padding, 1u);
  EXPECT_EQ(b[0].depth, 2u);
  EXPECT_EQ(b[0].channelGroup, 3u);
  EXPECT_EQ(b[1].kind, BlockSpec::Pool);
  EXPECT_EQ(b[1].kernel, 2u);
  EXPECT_EQ(b[1].stride, 2u); // the pool size unless given
  EXPECT_EQ(b[2].kind, BlockSpec::Dense);
  EXPECT_EQ(b[2].width, 100u);
  EXPECT_EQ(b[3].width, 10u);
  EXPECT_EQ(b[1].column, 35u);
  // Defaults, and the canonical form parses back to the same blocks.
  std::vector<BlockSpec> d = arch("conv(8)");
  EXPECT_EQ(d[0].kernel, 3u);
  EXPECT_EQ(d[0].stride, 1u);
  EXPECT_EQ(d[0].padding, 0u);
  EXPECT_EQ(d[0].depth, 3u);
  EXPECT_EQ(d[0].channelGroup, 2u);
  std::string text = formatArch(b);
  EXPECT_EQ(arch(text.c_str()), b) << text;
}

TEST(Arch, ErrorsNameTheColumn) {
  EXPECT_EQ(archError(""), "--arch:1:1: error: the architecture is empty");
  EXPECT_EQ(archError("conv(8) relu(3)"),
            "--arch:1:9: error: unknown block 'relu' (expected dense, conv or "
            "pool)");
  EXPECT_EQ(archError("conv(8, q=1)"),
            "--arch:1:9: error: 'q' is not an argument of conv (k, s, p, d, "
            "g)");
  EXPECT_EQ(archError("dense(0)"),
            "--arch:1:7: error: the width must be in 1 .. 16777216");
  EXPECT_EQ(archError("conv(8, d=13)"),
            "--arch:1:11: error: the tree depth must be in 1 .. 12");
  EXPECT_EQ(archError("conv(8"), "--arch:1:7: error: expected ',' or ')'");
  EXPECT_EQ(archError("dense(8)dense(8)"),
            "--arch:1:9: error: expected a space, ',' or ';' between blocks");
  EXPECT_EQ(archError("pool"), "--arch:1:5: error: expected '(' after 'pool'");
  EXPECT_EQ(archError("dense(8, k=3)"),
            "--arch:1:10: error: 'k' is not an argument of dense (it takes "
            "only its width)");
}

TEST(Arch, ShapesAndValidation) {
  ModelConfig cfg;
  cfg.features = 36; // a 6x6 image
  cfg.thresholds = {0.3f, 0.6f};
  cfg.classes = 2;
  cfg.connections = Connections::Random;
  cfg.arch = arch("conv(4, k=3, p=1) pool(2) dense(8)");
  EXPECT_TRUE(cfg.validate().ok()) << cfg.validate().message();
  Shape in = cfg.inputShape();
  EXPECT_EQ(in.channels, 2u);
  EXPECT_EQ(in.height, 6u);
  Model model;
  ASSERT_TRUE(model.init(cfg).ok());
  // conv: 3 tree levels (4 + 2 + 1 gates per tree, 4 trees), pool, dense.
  ASSERT_EQ(model.layers().size(), 5u);
  EXPECT_EQ(model.layers()[0].outDim, 4u * 4 * 36);
  EXPECT_EQ(model.layers()[2].outDim, 4u * 36);
  EXPECT_EQ(model.layers()[3].kind, Layer::OrPool);
  EXPECT_EQ(model.layers()[3].outDim, 4u * 9);
  EXPECT_EQ(model.numGates(), 4u * 7 + 8);

  auto fails = [&](const char *spec, const char *message) {
    ModelConfig c = cfg;
    c.arch = arch(spec);
    Status s = c.validate();
    EXPECT_FALSE(s.ok()) << spec;
    EXPECT_NE(s.message().find(message), std::string::npos)
        << spec << ": " << s.message();
  };
  fails("dense(8) conv(4)", "conv needs a spatial input");
  fails("conv(4, k=7) dense(8)", "the window 7x7 does not fit the 6x6 input");
  fails("conv(4, k=3, p=3) dense(8)", "the padding 3 must be smaller");
  fails("conv(4, g=3) dense(8)", "the channel group 3 exceeds the input's 2");
  fails("conv(3, k=2)", "width 75 is not divisible into 2 classes");
  ModelConfig flat = cfg;
  flat.features = 10;
  flat.arch = arch("conv(4) dense(8)");
  EXPECT_NE(flat.validate().message().find("--image HxW"), std::string::npos)
      << flat.validate().message();
  ModelConfig wrong = cfg;
  wrong.imageHeight = 5, wrong.imageWidth = 5;
  EXPECT_NE(wrong.validate().message().find("does not have the data's 36"),
            std::string::npos);
}

/// A model on an `h` x `w` image with two thermometer levels.
Model makeModel(const char *spec, uint32_t h, uint32_t w, uint32_t classes,
                Parametrization param = Parametrization::Softmax,
                InitScheme init = InitScheme::Gaussian, uint64_t seed = 1) {
  ModelConfig cfg;
  cfg.features = h * w;
  cfg.imageHeight = h;
  cfg.imageWidth = w;
  cfg.thresholds = {0.3f, 0.6f};
  cfg.classes = classes;
  cfg.tau = 1.5;
  cfg.connections = Connections::Random;
  cfg.arch = arch(spec);
  cfg.parametrization = param;
  cfg.init = init;
  cfg.seed = seed;
  Model model;
  Status s = model.init(cfg);
  EXPECT_TRUE(s.ok()) << s.message();
  return model;
}

/// `model` again with the smooth pool relaxation, 1 - prod(1 - x).
void smoothPools(Model &model) {
  ModelConfig cfg = model.config();
  cfg.poolRelaxation = PoolRelaxation::Probabilistic;
  ASSERT_TRUE(model.init(cfg).ok());
}

std::vector<float> randomInputs(const Model &model, uint32_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> x(size_t(n) * model.config().inputs());
  for (float &v : x)
    v = float(rng.uniform());
  return x;
}

TEST(Arch, ConvGradientsMatchFiniteDifferences) {
  // Padding, stride, a depth-2 tree over a group of 2 channels, OR pooling
  // with padding, a dense layer.
  Model model =
      makeModel("conv(3, k=3, s=1, p=1, d=2) pool(2, p=1) dense(6)", 4, 5, 2);
  checkGradients(model, randomInputs(model, 4, 7), {0, 1, 1, 0}, "conv");
}

TEST(Arch, ProbabilisticPoolGradients) {
  // 1 - prod(1 - x) over 3x3 windows with padding; then the discretised
  // net is exact against it too (on 0/1 it is OR).
  Model model =
      makeModel("conv(3, k=2, p=1, d=2) pool(3, s=2, p=1) dense(6)", 5, 5, 2);
  smoothPools(model);
  checkGradients(model, randomInputs(model, 4, 12), {1, 0, 0, 1},
                 "probabilistic pool");
}

TEST(Arch, StridedDeepTreeGradients) {
  // A depth-3 tree drawing from every channel, stride 2, no padding; the
  // conv output is the GroupSum directly.
  Model model = makeModel("conv(2, k=2, s=2, d=3, g=0)", 4, 4, 2);
  checkGradients(model, randomInputs(model, 3, 8), {1, 0, 1}, "strided conv");
}

TEST(Arch, InputWiseGradientsMatchFiniteDifferences) {
  Model model = makeModel("conv(2, k=3, p=1, d=2) pool(2) dense(4)", 4, 4, 2,
                          Parametrization::InputWise);
  EXPECT_EQ(model.weights.size(), size_t(model.numGates()) * 4);
  checkGradients(model, randomInputs(model, 4, 9), {0, 1, 0, 1}, "input-wise");
  ModelConfig dense;
  dense.features = 6;
  dense.widths = {8, 4};
  dense.classes = 2;
  dense.connections = Connections::Random;
  dense.parametrization = Parametrization::InputWise;
  Model flat;
  ASSERT_TRUE(flat.init(dense).ok());
  checkGradients(flat, randomInputs(flat, 5, 10), {0, 1, 1, 0, 1},
                 "input-wise dense");
  // Under Gumbel noise, the straight-through estimator (GradientCheck.h).
  // The hard gates make equal values in a pool's window common (a constant
  // gate), where max is not differentiable: the smooth pool here.
  smoothPools(model);
  checkStraightThroughGradients(model, randomInputs(model, 4, 9), {0, 1, 0, 1},
                                GateNoise{0.7f, 2, 5}, "input-wise conv");
  checkStraightThroughGradients(flat, randomInputs(flat, 5, 10),
                                {0, 1, 1, 0, 1}, GateNoise{1.0f, 2, 6},
                                "input-wise dense");
}

TEST(Arch, StraightThroughConvGradients) {
  // Shared tree gates under Gumbel noise, strided and padded, into the
  // smooth pool (see InputWiseGradientsMatchFiniteDifferences) and alone.
  Model model =
      makeModel("conv(3, k=3, s=1, p=1, d=2) pool(2, p=1) dense(6)", 4, 5, 2);
  smoothPools(model);
  for (uint64_t step : {5, 6})
    checkStraightThroughGradients(model, randomInputs(model, 4, 7),
                                  {0, 1, 1, 0}, GateNoise{0.7f, 2, step},
                                  "softmax conv");
  Model strided = makeModel("conv(2, k=2, s=2, d=3, g=0)", 4, 4, 2);
  checkStraightThroughGradients(strided, randomInputs(strided, 3, 8), {1, 0, 1},
                                GateNoise{0.7f, 2, 5}, "strided conv");
}

TEST(Arch, ResidualInitIsAPassThrough) {
  for (Parametrization p :
       {Parametrization::Softmax, Parametrization::InputWise}) {
    Model model = makeModel("conv(2, k=3, p=1, d=2) dense(4)", 3, 3, 2, p,
                            InitScheme::Residual);
    std::vector<float> coeffs(model.numGates() * 4),
        probs(model.numGates() * model.config().weightsPerGate());
    model.computeCoefficients(coeffs, probs, 0, model.numGates());
    for (uint32_t g = 0; g < model.numGates(); ++g) {
      EXPECT_EQ(model.gateKind(g), unsigned(GateKind::A));
      // Mostly a: c1 dominates, the rest is small.
      EXPECT_GT(coeffs[g * 4 + 1], 0.8f);
      EXPECT_LT(std::fabs(coeffs[g * 4 + 2]), 0.1f);
    }
    checkGradients(model, randomInputs(model, 3, 11), {0, 1, 1},
                   "residual init");
  }
}

/// Forward scores and coefficient gradients of `model` on random inputs, with
/// conv trees fused or layer by layer.
void runWorkspace(const Model &model, uint32_t n, bool fuse,
                  std::vector<float> &scores, std::vector<double> &cg) {
  const uint32_t G = model.numGates(), I = model.config().inputs(),
                 C = model.config().classes;
  std::vector<float> x = randomInputs(model, n, 21);
  Workspace ws;
  ws.allocate(model, n, fuse);
  ws.setBatch(n);
  for (uint32_t i = 0; i < I; ++i)
    for (uint32_t s = 0; s < n; ++s)
      ws.inputs()[size_t(i) * ws.stride() + s] = x[size_t(s) * I + i];
  std::vector<float> coeffs(G * 4), probs(G * model.config().weightsPerGate());
  model.computeCoefficients(coeffs, probs, 0, G);
  ws.forward(model, coeffs.data(), n);
  scores.clear();
  for (uint32_t c = 0; c < C; ++c)
    for (uint32_t s = 0; s < n; ++s)
      scores.push_back(ws.scores()[size_t(c) * ws.stride() + s]);
  std::vector<uint32_t> labels(n);
  for (uint32_t s = 0; s < n; ++s)
    labels[s] = s % C;
  uint32_t correct = 0;
  ws.lossAndGrad(model, labels.data(), n, 1.0f / float(n), correct);
  cg.assign(size_t(G) * 4, 0.0);
  ws.backward(model, coeffs.data(), n, cg.data());
}

TEST(Arch, FusedTreesMatchLayerByLayer) {
  // The fused path evaluates each gate through the same expression, so the
  // scores are the same bits; per gate, positions add into the coefficient
  // sums in the same order unless a max pool joins the step (then window by
  // window). The order in which a tree's leaves add into the previous
  // block's gradient differs, so gates upstream of a second conv block
  // agree to rounding. Batch sizes around a vector of 16 samples (a tail,
  // none, one short vector).
  struct Spec {
    const char *arch;
    bool pooled; // a max pool joins a tree step
  };
  const Spec specs[] = {
      {"conv(4, k=3, p=1, d=3) pool(2) conv(6, k=3, p=1, d=2) pool(2) "
       "dense(40)",
       true},
      {"conv(2, k=2, s=2, d=4, g=0) dense(20)", false},
      // Padded windows: the pool runs on its own.
      {"conv(5, k=3, p=2, d=2, g=1) pool(2, p=1)", false},
      {"conv(3, k=3, p=1, d=2) pool(2) dense(30)", true},
      // 7 x 7 conv outputs under 2 x 2 windows: the last row and column
      // feed no pooled unit and take no gradient.
      {"conv(4, k=2, d=3) pool(2) conv(3, k=2, p=1, d=2) pool(2) dense(20)",
       true},
      // Overlapping windows: the pool runs on its own.
      {"conv(3, k=3, d=2) pool(3, s=2) dense(20)", false},
  };
  for (const Spec &spec : specs)
    for (uint32_t n : {37u, 16u, 5u}) {
      Model model = makeModel(spec.arch, 8, 8, 2, Parametrization::Softmax,
                              InitScheme::Gaussian, 3);
      bool pooled = false;
      for (const LayerStep &step : layerSteps(model, UINT32_MAX, true))
        pooled |= step.pooled;
      EXPECT_EQ(pooled, spec.pooled) << spec.arch;
      std::vector<float> scores, fusedScores;
      std::vector<double> cg, fusedCg;
      runWorkspace(model, n, false, scores, cg);
      runWorkspace(model, n, true, fusedScores, fusedCg);
      EXPECT_EQ(scores, fusedScores) << spec.arch << ", n = " << n;
      ASSERT_EQ(cg.size(), fusedCg.size());
      size_t differ = 0;
      for (size_t k = 0; k < cg.size(); ++k) {
        EXPECT_NEAR(cg[k], fusedCg[k], 1e-6 + 1e-5 * std::fabs(cg[k]))
            << spec.arch << ", n = " << n << ", gate " << k / 4;
        differ += cg[k] != fusedCg[k];
      }
      // With one conv block, reading the inputs (which take no gradient),
      // and no pool in its step, every sum adds in the same order: equal
      // bits.
      if (std::string(spec.arch).find("conv", 1) == std::string::npos &&
          !spec.pooled)
        EXPECT_EQ(differ, 0u) << spec.arch << ", n = " << n;
    }
}

TEST(Arch, PooledTreeGradientsMatchFiniteDifferences) {
  // Max pools joined to their tree steps (the default Workspace), one with
  // conv outputs that feed no pooled unit, then a padded conv reading the
  // pooled values.
  Model model = makeModel(
      "conv(3, k=2, d=2) pool(2) conv(2, k=2, p=1, d=2) pool(2) dense(6)", 5, 5,
      2);
  size_t pooled = 0;
  for (const LayerStep &step : layerSteps(model, UINT32_MAX, true))
    pooled += step.pooled;
  EXPECT_EQ(pooled, 2u);
  checkGradients(model, randomInputs(model, 4, 9), {0, 1, 1, 0},
                 "pooled trees");
}

/// Sets every gate to one kind with a margin that makes the relaxation
/// exact on 0/1 inputs, and returns the kinds.
std::vector<unsigned> hardenGates(Model &model, uint64_t seed) {
  Rng rng(seed);
  const uint32_t W = model.config().weightsPerGate();
  std::vector<unsigned> kinds(model.numGates());
  for (uint32_t g = 0; g < model.numGates(); ++g) {
    unsigned k = unsigned(rng.below(16));
    kinds[g] = k;
    float *w = &model.weights[size_t(g) * W];
    for (uint32_t j = 0; j < W; ++j)
      w[j] = W == 16 ? (j == k ? 60.0f : 0.0f)
                     : ((k >> (3 - j)) & 1 ? 60.0f : -60.0f);
  }
  return kinds;
}

/// The discretised net on the reference interpreter equals the relaxed
/// model on 0/1 inputs once each gate is one kind: conv wiring, padding,
/// shared trees and OR pooling agree with the trainer's layers, both as
/// shared blocks (the interpreter evaluates them from their definition) and
/// unrolled to flat gates.
void checkDiscretization(Model &model, uint64_t seed) {
  std::vector<unsigned> kinds = hardenGates(model, seed);
  for (uint32_t g = 0; g < model.numGates(); ++g)
    ASSERT_EQ(model.gateKind(g), kinds[g]);
  Net net = model.discretize();
  ASSERT_EQ(verifyNet(net), "");
  Net flat = net;
  unrollBlocks(flat);
  ASSERT_EQ(verifyNet(flat), "");
  EXPECT_TRUE(flat.blocks.empty());
  const uint32_t n = 150, I = model.config().inputs(),
                 C = model.config().classes;
  Rng rng(seed + 1);
  std::vector<float> features(size_t(n) * model.config().features);
  for (float &v : features)
    v = float(rng.uniform());
  std::vector<uint64_t> packed = packFeatures(net, features.data(), n);
  std::vector<uint32_t> counts(size_t(n) * C), flatCounts(size_t(n) * C);
  interpret(net, packed.data(), n, counts.data(), nullptr);
  interpret(flat, packed.data(), n, flatCounts.data(), nullptr);
  EXPECT_EQ(counts, flatCounts);

  Workspace ws;
  ws.allocate(model, n);
  for (uint32_t s = 0; s < n; ++s)
    for (uint32_t i = 0; i < I; ++i) {
      InputBit bit = net.inputBit(i);
      ws.inputs()[size_t(i) * ws.stride() + s] =
          features[size_t(s) * model.config().features + bit.feature] >
                  bit.threshold
              ? 1.0f
              : 0.0f;
    }
  std::vector<float> coeffs(model.numGates() * 4),
      probs(model.numGates() * model.config().weightsPerGate());
  model.computeCoefficients(coeffs, probs, 0, model.numGates());
  ws.forward(model, coeffs.data(), n);
  size_t mismatches = 0;
  for (uint32_t s = 0; s < n; ++s)
    for (uint32_t c = 0; c < C; ++c) {
      double relaxed =
          ws.scores()[size_t(c) * ws.stride() + s] * model.config().tau;
      mismatches += std::lround(relaxed) != long(counts[size_t(s) * C + c]);
    }
  EXPECT_EQ(mismatches, 0u);
}

TEST(Arch, DiscretizedConvNetMatchesTheExactRelaxation) {
  const char *specs[] = {
      ("conv(4, k=3, p=1, d=3) pool(2) conv(6, k=3, p=1, d=2) pool(2) "
       "dense(40)"),
      "conv(3, k=2, s=2, d=1, g=0) pool(3, s=1, p=1) dense(20) dense(10)",
      "conv(5, k=3, p=2, d=2, g=1) pool(2, p=1)",
  };
  for (const char *spec : specs)
    for (Parametrization p :
         {Parametrization::Softmax, Parametrization::InputWise}) {
      SCOPED_TRACE(spec);
      Model model = makeModel(spec, 7, 6, 5, p);
      checkDiscretization(model, 3);
      ModelConfig cfg = model.config();
      cfg.poolRelaxation = PoolRelaxation::Probabilistic;
      ASSERT_TRUE(model.init(cfg).ok());
      checkDiscretization(model, 4);
    }
}

TEST(Arch, DiscretizedConvNetStructure) {
  Model model = makeModel("conv(2, k=3, p=1, d=2) pool(2) dense(4)", 4, 4, 2);
  Net net = model.discretize();
  // The conv block is its two trees once, the pool a block, the dense
  // layer gates reading the pool's outputs.
  ASSERT_EQ(net.blocks.size(), 2u);
  const SharedBlock &conv = net.blocks[0], &pool = net.blocks[1];
  EXPECT_EQ(conv.kind, SharedBlock::Conv);
  EXPECT_EQ(conv.input, 0u);
  EXPECT_EQ(conv.channels, 2u);
  EXPECT_EQ(conv.leaves, 4u);
  EXPECT_EQ(conv.tree.size(), 2u * 3);
  EXPECT_EQ(conv.numOutputs(), 2u * 16);
  // Each tree: gates 0, 1 read leaf pairs, gate 2 (the root) reads them.
  EXPECT_EQ(conv.tree[2].a, 4u);
  EXPECT_EQ(conv.tree[2].b, 5u);
  EXPECT_EQ(pool.kind, SharedBlock::OrPool);
  EXPECT_EQ(pool.input, 32u);
  EXPECT_EQ(pool.numOutputs(), 2u * 4);
  EXPECT_EQ(net.firstGateNode(), 32u + 32 + 8);
  EXPECT_EQ(net.gates.size(), 4u);
  for (const Gate &g : net.gates) {
    EXPECT_GE(g.a, 64u);
    EXPECT_LT(g.a, 72u);
  }
  // Unrolled: 3 tree gates at each of 2 x 16 positions, 3 `or` gates for
  // each of the 2 x 4 pooled units, padding's `zero`, the dense layer.
  unrollBlocks(net);
  EXPECT_EQ(net.gates.size(), 2u * 16 * 3 + 2 * 4 * 3 + 1 + 4);
  EXPECT_EQ(net.layerStarts.size(), 3u);
}

} // namespace
