//===- TrainerTest.cpp - Model math, training, checkpoints ----------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Trainer/Trainer.h"
#include "lgc/Runtime/FileUtil.h"
#include "lgc/Runtime/Format.h"
#include "lgc/Runtime/Interpreter.h"
#include "lgc/Trainer/Relaxation.h"
#include "lgc/Trainer/Teacher.h"

#include "../TestUtil.h"
#include "GradientCheck.h"

#include <gtest/gtest.h>

#include <cmath>
#include <sys/stat.h>
#include <unistd.h>

using namespace lgc;
using namespace lgc::train;
using namespace lgc::train::test;

namespace {

TEST(Model, FourCoefficientsEqualSixteenTerms) {
  Rng rng(3);
  for (unsigned k = 0; k < 16; ++k)
    for (int i = 0; i < 50; ++i) {
      double a = rng.uniform(), b = rng.uniform();
      float c[4];
      for (int j = 0; j < 4; ++j)
        c[j] = relaxation(int(k), j);
      EXPECT_NEAR(c[0] + c[1] * a + c[2] * b + c[3] * a * b,
                  relaxedGate(k, a, b), 1e-6)
          << gateKindName(k);
    }
  // On {0,1} the relaxations are the boolean functions.
  for (unsigned k = 0; k < 16; ++k)
    for (int a = 0; a < 2; ++a)
      for (int b = 0; b < 2; ++b)
        EXPECT_EQ(relaxedGate(k, a, b), evalGate(k, a, b) ? 1.0 : 0.0);
  // A softmax mixture of the 16 terms equals the folded coefficients.
  ModelConfig cfg;
  cfg.features = 4;
  cfg.widths = {3};
  cfg.classes = 1;
  Model model;
  ASSERT_TRUE(model.init(cfg).ok());
  std::vector<float> coeffs(12), probs(48);
  model.computeCoefficients(coeffs, probs, 0, 3);
  for (unsigned g = 0; g < 3; ++g) {
    double a = rng.uniform(), b = rng.uniform(), mix = 0, psum = 0;
    const float *w = &model.weights[g * 16];
    double z = 0;
    for (int k = 0; k < 16; ++k)
      z += std::exp(double(w[k]));
    for (int k = 0; k < 16; ++k) {
      mix += std::exp(double(w[k])) / z * relaxedGate(k, a, b);
      psum += probs[g * 16 + k];
    }
    const float *c = &coeffs[g * 4];
    EXPECT_NEAR(c[0] + c[1] * a + c[2] * b + c[3] * a * b, mix, 1e-5);
    EXPECT_NEAR(psum, 1.0, 1e-5);
  }
}

TEST(Model, GradientsMatchFiniteDifferences) {
  ModelConfig cfg;
  cfg.features = 6;
  cfg.widths = {8, 6, 4};
  cfg.classes = 2;
  cfg.tau = 2.0;
  cfg.connections = Connections::Random;
  Model model;
  ASSERT_TRUE(model.init(cfg).ok());
  Rng rng(5);
  std::vector<float> x(5 * 6);
  for (float &v : x)
    v = float(rng.uniform());
  checkGradients(model, x, {0, 1, 1, 0, 1}, "random weights");
  // Under Gumbel noise, the straight-through estimator (GradientCheck.h).
  for (uint64_t step : {0, 1, 2})
    checkStraightThroughGradients(model, x, {0, 1, 1, 0, 1},
                                  GateNoise{0.7f, 3, step},
                                  "softmax, step " + std::to_string(step));
  checkStraightThroughGradients(model, x, {0, 1, 1, 0, 1},
                                GateNoise{2.0f, 3, 0}, "temperature 2");

  // Distillation: soft targets (a teacher's distributions) mixed into the
  // one-hot label half and half, and the targets alone.
  std::vector<float> targets(5 * 2);
  for (size_t s = 0; s < 5; ++s) {
    targets[s * 2] = float(rng.uniform());
    targets[s * 2 + 1] = 1 - targets[s * 2];
  }
  std::vector<uint32_t> labels = {0, 1, 1, 0, 1};
  checkGradients(model, x, labels, "mix 0.5", targets.data(), 0.5f);
  checkGradients(model, x, labels, "mix 1", targets.data(), 1.0f);
  // A target that is the one-hot label is the plain cross-entropy.
  std::vector<float> oneHot(5 * 2, 0.0f), plainGrad, viaTargetsGrad;
  for (size_t s = 0; s < 5; ++s)
    oneHot[s * 2 + labels[s]] = 1;
  double plain = lossAndGradient(model, x, labels, &plainGrad);
  double viaTargets =
      lossAndGradient(model, x, labels, &viaTargetsGrad, oneHot.data(), 1.0f);
  EXPECT_NEAR(plain, viaTargets, 1e-9);
  EXPECT_EQ(plainGrad, viaTargetsGrad);
}

/// The kind whose relaxation has coefficients c, or -1.
int kindOf(const float *c) {
  for (int k = 0; k < 16; ++k) {
    bool same = true;
    for (int j = 0; j < 4; ++j)
      same &= c[j] == relaxation(k, j);
    if (same)
      return k;
  }
  return -1;
}

TEST(Model, GumbelNoiseSamplesTheGates) {
  // Gumbel-max: over many steps a softmax gate is kind k with probability
  // softmax(w)_k, whatever the temperature; an input-wise gate's table
  // entry m is 1 with probability sigmoid(w_m).
  for (Parametrization param :
       {Parametrization::Softmax, Parametrization::InputWise}) {
    ModelConfig cfg;
    cfg.features = 4;
    cfg.widths = {2};
    cfg.classes = 1;
    cfg.parametrization = param;
    Model model;
    ASSERT_TRUE(model.init(cfg).ok());
    const uint32_t W = cfg.weightsPerGate(), N = 20000;
    Rng rng(8);
    for (float &w : model.weights)
      w = float(1.5 * rng.normal());
    std::vector<float> coeffs(8), probs(2 * W), coeffs2(8), probs2(2 * W);
    std::vector<double> seen(2 * W, 0);
    for (uint64_t step = 0; step < N; ++step) {
      model.computeCoefficients(coeffs, probs, 0, 2, GateNoise{1, 4, step});
      model.computeCoefficients(coeffs2, probs2, 0, 2,
                                GateNoise{0.3f, 4, step});
      ASSERT_EQ(coeffs, coeffs2) << "the temperature changed the hard gate";
      for (uint32_t g = 0; g < 2; ++g) {
        const float *c = &coeffs[g * 4], *p = &probs[g * W];
        if (param == Parametrization::InputWise) {
          // c = (t0, t2 - t0, t1 - t0, t3 - t2 - t1 + t0) of a 0/1 table.
          float t[4] = {c[0], c[0] + c[2], c[0] + c[1],
                        c[0] + c[1] + c[2] + c[3]};
          for (uint32_t m = 0; m < 4; ++m) {
            ASSERT_TRUE(t[m] == 0 || t[m] == 1);
            // The noisy sigmoid is above 1/2 exactly where the entry is 1.
            ASSERT_EQ(p[m] > 0.5f, t[m] == 1);
            seen[g * 4 + m] += t[m];
          }
          continue;
        }
        int k = kindOf(c);
        ASSERT_GE(k, 0) << "not a hard gate";
        double sum = 0;
        int best = 0;
        for (int j = 0; j < 16; ++j) {
          sum += p[j];
          if (p[j] > p[best])
            best = j;
        }
        EXPECT_NEAR(sum, 1.0, 1e-5);
        ASSERT_EQ(best, k) << "the noisy softmax peaks at the sampled gate";
        seen[g * 16 + k] += 1;
      }
    }
    for (uint32_t g = 0; g < 2; ++g) {
      const float *w = &model.weights[g * W];
      double z = 0;
      for (uint32_t k = 0; k < W; ++k)
        z += std::exp(double(w[k]));
      for (uint32_t k = 0; k < W; ++k) {
        double want = param == Parametrization::InputWise
                          ? 1 / (1 + std::exp(-double(w[k])))
                          : std::exp(double(w[k])) / z;
        double se = std::sqrt(want * (1 - want) / N);
        EXPECT_NEAR(seen[g * W + k] / N, want, 5 * se + 1e-3)
            << (param == Parametrization::InputWise ? "input-wise" : "softmax")
            << " gate " << g << " entry " << k;
      }
    }
    // The noise is a function of (seed, step, gate, entry): drawn again it
    // is the same, another seed or step draws other gates.
    model.computeCoefficients(coeffs, probs, 0, 2, GateNoise{1, 4, 7});
    model.computeCoefficients(coeffs2, probs2, 0, 2, GateNoise{1, 4, 7});
    EXPECT_EQ(probs, probs2);
    model.computeCoefficients(coeffs2, probs2, 0, 2, GateNoise{1, 5, 7});
    EXPECT_NE(probs, probs2);
    model.computeCoefficients(coeffs2, probs2, 0, 2, GateNoise{1, 4, 8});
    EXPECT_NE(probs, probs2);
  }
}

TEST(Model, GradientsThroughEveryKind) {
  // The second layer's gates are made to prefer kind k, so the first
  // layer's gradients flow through k's relaxation.
  for (unsigned k = 0; k < 16; ++k) {
    ModelConfig cfg;
    cfg.features = 4;
    cfg.widths = {4, 2};
    cfg.classes = 2;
    cfg.tau = 1.0;
    cfg.connections = Connections::Random;
    cfg.seed = 10 + k;
    Model model;
    ASSERT_TRUE(model.init(cfg).ok());
    for (uint32_t g = 4; g < 6; ++g)
      for (unsigned j = 0; j < 16; ++j)
        model.weights[g * 16 + j] = j == k ? 3.0f : 0.0f;
    Rng rng(k);
    std::vector<float> x(4 * 4);
    for (float &v : x)
      v = float(rng.uniform());
    checkGradients(model, x, {0, 1, 0, 1}, std::string(gateKindName(k)));
  }
}

TEST(Model, GroupSumGradient) {
  // One layer whose gates are the outputs: the GroupSum/cross-entropy part
  // is most of the gradient. Larger groups and a non-unit tau.
  ModelConfig cfg;
  cfg.features = 8;
  cfg.widths = {12};
  cfg.classes = 3;
  cfg.tau = 0.7;
  cfg.connections = Connections::Random;
  Model model;
  ASSERT_TRUE(model.init(cfg).ok());
  Rng rng(9);
  std::vector<float> x(6 * 8);
  for (float &v : x)
    v = float(rng.uniform());
  checkGradients(model, x, {0, 1, 2, 2, 1, 0}, "groupsum");
}

Dataset smallFashion(size_t n, const char *split) {
  Dataset d;
  Status s = loadDataset("fashion-mnist", split, d);
  if (!s.ok())
    return Dataset();
  d.labels.resize(n);
  d.features.resize(n * d.numFeatures);
  d.pixels.resize(n * d.numFeatures);
  return d;
}

TrainOptions smallOptions() {
  TrainOptions o;
  o.model.features = 784;
  o.model.widths = {1000, 1000};
  o.model.classes = 10;
  o.model.tau = 10;
  o.batch = 100;
  o.evalEvery = 0;
  o.threads = 2;
  return o;
}

using lgc::test::TempDir;

TEST(Trainer, LearnsFashionMnistAndMatchesTheInterpreter) {
  Dataset train = smallFashion(10000, "train"),
          test = smallFashion(2000, "test");
  if (train.size() == 0)
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  TempDir dir;
  TrainOptions o = smallOptions();
  o.iterations = 600;
  o.output = dir.path + "/net.lgn";
  o.log = dir.path + "/log.csv";
  o.plot = dir.path + "/plot.svg";
  Trainer t;
  ASSERT_TRUE(t.setup(o, train, test).ok());
  ASSERT_TRUE(t.run().ok());
  ASSERT_FALSE(t.history.empty());
  double acc = t.history.back().testDiscrete;
  // Chance is 10 %; 600 steps of a 2 x 1000 net reach well above 60 %.
  EXPECT_GT(acc, 0.6);
  EXPECT_GT(t.history.back().testRelaxed, 0.6);
  // The written net, read back and run on the interpreter from the raw
  // features through its own encoding, scores exactly the same.
  Net net;
  ASSERT_TRUE(readNetFile(o.output, net).ok());
  std::vector<uint64_t> words =
      packFeaturesU8(net, test.pixels.data(), test.size());
  std::vector<uint32_t> classes(test.size());
  interpret(net, words.data(), test.size(), nullptr, classes.data());
  size_t right = 0;
  for (size_t s = 0; s < test.size(); ++s)
    right += classes[s] == test.labels[s];
  EXPECT_EQ(double(right) / double(test.size()), acc);
  bool hasAccuracy = false;
  for (auto &[k, v] : net.metadata)
    hasAccuracy |= k == "test_accuracy";
  EXPECT_TRUE(hasAccuracy);
  struct stat st;
  EXPECT_EQ(::stat(o.log.c_str(), &st), 0);
  EXPECT_EQ(::stat(o.plot.c_str(), &st), 0);
}

/// Trains `o` straight through, and again as two runs joined by a
/// checkpoint (`ck`) after `split` iterations; both must end with the same
/// weights, which `weights` receives.
void expectResumeMatches(const TrainOptions &o, const Dataset &train,
                         const Dataset &test, uint64_t split,
                         const std::string &ck, std::vector<float> &weights) {
  Trainer straight;
  ASSERT_TRUE(straight.setup(o, train, test).ok());
  ASSERT_TRUE(straight.run().ok());
  weights = straight.model.weights;
  TrainOptions first = o;
  first.iterations = split;
  first.checkpoint = ck;
  Trainer a;
  ASSERT_TRUE(a.setup(first, train, test).ok());
  ASSERT_TRUE(a.run().ok());
  TrainOptions second = o;
  second.resume = ck;
  Trainer b;
  Status s = b.setup(second, train, test);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(b.iteration, split);
  ASSERT_TRUE(b.run().ok());
  EXPECT_EQ(b.iteration, o.iterations);
  EXPECT_EQ(b.model.weights, weights);
}

TEST(Trainer, LearningRateSchedule) {
  TrainOptions o;
  o.lr = 0.02f;
  EXPECT_EQ(scheduledLR(o, 0.0), 0.02f);
  EXPECT_EQ(scheduledLR(o, 0.7), 0.02f);
  o.lrSchedule = LRSchedule::Cosine;
  EXPECT_FLOAT_EQ(scheduledLR(o, 0.0), 0.02f);
  EXPECT_FLOAT_EQ(scheduledLR(o, 0.5), 0.01f);
  EXPECT_NEAR(scheduledLR(o, 0.25), 0.01f * (1 + std::sqrt(0.5f)), 1e-7);
  EXPECT_NEAR(scheduledLR(o, 1.0), 0.0f, 1e-9);
  // Past the end (a time budget's last step) it stays at 0, not back up.
  EXPECT_NEAR(scheduledLR(o, 1.3), 0.0f, 1e-9);
  EXPECT_EQ(scheduledLR(o, -1.0), 0.02f);
}

TEST(Trainer, DeterministicAndResumable) {
  Dataset train = smallFashion(3000, "train"), test = smallFashion(500, "test");
  if (train.size() == 0)
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  TempDir dir;
  TrainOptions o = smallOptions();
  o.model.widths = {400, 400};
  o.iterations = 70; // crosses an epoch boundary (30 batches per epoch)
  std::vector<float> weights;
  expectResumeMatches(o, train, test, 45, dir.path + "/ck", weights);
  Trainer again;
  ASSERT_TRUE(again.setup(o, train, test).ok());
  ASSERT_TRUE(again.run().ok());
  EXPECT_EQ(again.model.weights, weights);

  // A checkpoint for another model, or a damaged one, is refused.
  TrainOptions other = o;
  other.model.widths = {400, 500};
  other.resume = dir.path + "/ck";
  Trainer c;
  Status wrong = c.setup(other, train, test);
  EXPECT_FALSE(wrong.ok());
  EXPECT_NE(wrong.message().find("different model"), std::string::npos)
      << wrong.message();
  std::string bytes;
  ASSERT_TRUE(readFile(dir.path + "/ck", bytes).ok());
  bytes[bytes.size() / 2] ^= 1;
  ASSERT_TRUE(writeFileAtomic(dir.path + "/bad", bytes).ok());
  TrainOptions damaged = o;
  damaged.resume = dir.path + "/bad";
  Trainer d;
  Status corrupt = d.setup(damaged, train, test);
  EXPECT_FALSE(corrupt.ok());
  EXPECT_NE(corrupt.message().find("corrupt"), std::string::npos)
      << corrupt.message();

  // Augmented runs too (each iteration's moves are drawn from the seed and
  // the iteration), and the augmentation reaches the steps.
  TrainOptions augmented = o;
  augmented.shift = 2;
  augmented.flip = true;
  std::vector<float> moved;
  expectResumeMatches(augmented, train, test, 13, dir.path + "/ck2", moved);
  EXPECT_NE(moved, weights);
  // Turns, zooms and bends are drawn the same way, and change the steps.
  TrainOptions bent = augmented;
  bent.rotate = 15;
  bent.scale = 0.1;
  bent.elastic = 1;
  std::vector<float> turned;
  expectResumeMatches(bent, train, test, 13, dir.path + "/ck3", turned);
  EXPECT_NE(turned, moved);
  // A cosine schedule follows the whole budget, so the interrupted run is
  // the full one, its checkpoint at iteration 45 kept (a killed run's last
  // checkpoint); resumed with the same flags it ends where the straight run
  // does, and the schedule changed the steps.
  TrainOptions cosine = o;
  cosine.lrSchedule = LRSchedule::Cosine;
  Trainer annealed;
  ASSERT_TRUE(annealed.setup(cosine, train, test).ok());
  ASSERT_TRUE(annealed.run().ok());
  EXPECT_NE(annealed.model.weights, weights);
  TrainOptions killed = cosine;
  killed.checkpoint = dir.path + "/ck3";
  killed.checkpointEvery = 45;
  std::string kept;
  killed.onProgress = [&](const Progress &p) {
    if (p.iteration == 45)
      ASSERT_TRUE(readFile(killed.checkpoint, kept).ok());
  };
  Trainer k;
  ASSERT_TRUE(k.setup(killed, train, test).ok());
  ASSERT_TRUE(k.run().ok());
  ASSERT_FALSE(kept.empty());
  ASSERT_TRUE(writeFileAtomic(dir.path + "/ck45", kept).ok());
  TrainOptions resumed = cosine;
  resumed.resume = dir.path + "/ck45";
  Trainer r;
  ASSERT_TRUE(r.setup(resumed, train, test).ok());
  EXPECT_EQ(r.iteration, 45u);
  ASSERT_TRUE(r.run().ok());
  EXPECT_EQ(r.model.weights, annealed.model.weights);
  // Augmentation needs a shift that leaves some of the image.
  TrainOptions far = augmented;
  far.shift = 28;
  Trainer e;
  Status s = e.setup(far, train, test);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("out of view"), std::string::npos) << s.message();
}

TEST(Trainer, AugmentBits) {
  // Two planes of 3 x 4, values 1..24 (0 marks "outside").
  Shape shape{2, 3, 4};
  std::vector<uint8_t> in(24), out(24);
  for (size_t i = 0; i < in.size(); ++i)
    in[i] = uint8_t(i + 1);
  auto at = [&](uint32_t p, int y, int x) { return out[(p * 3 + y) * 4 + x]; };
  augmentBits(in.data(), shape, 0, 0, false, out.data());
  EXPECT_EQ(out, in);
  // One right and one down: (y, x) comes from (y - 1, x - 1); zeros enter.
  augmentBits(in.data(), shape, 1, 1, false, out.data());
  EXPECT_EQ(at(0, 0, 0), 0);
  EXPECT_EQ(at(0, 0, 3), 0);
  EXPECT_EQ(at(0, 2, 0), 0);
  EXPECT_EQ(at(0, 1, 1), in[0]);
  EXPECT_EQ(at(1, 2, 3), in[12 + 1 * 4 + 2]);
  // Left and up by two.
  augmentBits(in.data(), shape, -2, -2, false, out.data());
  EXPECT_EQ(at(0, 0, 0), in[2 * 4 + 2]);
  EXPECT_EQ(at(0, 0, 2), 0);
  EXPECT_EQ(at(0, 1, 0), 0);
  // Mirrored: column x from column 3 - x, in every plane.
  augmentBits(in.data(), shape, 0, 0, true, out.data());
  for (uint32_t p = 0; p < 2; ++p)
    for (int y = 0; y < 3; ++y)
      for (int x = 0; x < 4; ++x)
        EXPECT_EQ(at(p, y, x), in[(p * 3 + y) * 4 + 3 - x]);
  // Mirrored, then moved right by one.
  augmentBits(in.data(), shape, 1, 0, true, out.data());
  EXPECT_EQ(at(0, 0, 0), 0);
  EXPECT_EQ(at(0, 0, 1), in[3]);
  EXPECT_EQ(at(0, 0, 3), in[1]);
}

TEST(Trainer, WarpBits) {
  // With no turn or zoom the warp is the integer move, for every move and
  // mirror and both parities of the sides (the centre is a pixel or a
  // corner).
  for (Shape shape : {Shape{2, 3, 4}, Shape{1, 5, 5}, Shape{3, 4, 6}}) {
    size_t n = size_t(shape.channels) * shape.height * shape.width;
    std::vector<uint8_t> in(n), a(n), b(n);
    for (size_t i = 0; i < n; ++i)
      in[i] = uint8_t(i + 1);
    for (int dy = -3; dy <= 3; ++dy)
      for (int dx = -3; dx <= 3; ++dx)
        for (bool flip : {false, true}) {
          augmentBits(in.data(), shape, dx, dy, flip, a.data());
          warpBits(in.data(), shape, Warp::turnAndZoom(0, 1, dx, dy, flip),
                   b.data());
          EXPECT_EQ(a, b) << dx << " " << dy << " " << flip;
        }
  }
  // A quarter turn of a 5 x 5 image counter-clockwise: the top row becomes
  // the left column, read bottom to top.
  Shape sq{1, 5, 5};
  std::vector<uint8_t> in(25), out(25);
  for (size_t i = 0; i < 25; ++i)
    in[i] = uint8_t(i + 1);
  warpBits(in.data(), sq, Warp::turnAndZoom(90, 1, 0, 0, false), out.data());
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 5; ++x)
      EXPECT_EQ(out[y * 5 + x], in[x * 5 + (4 - y)]) << y << " " << x;
  // A half turn is the point mirror; moved right by one after it.
  warpBits(in.data(), sq, Warp::turnAndZoom(180, 1, 1, 0, false), out.data());
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 5; ++x)
      EXPECT_EQ(out[y * 5 + x], x == 0 ? 0 : in[(4 - y) * 5 + (4 - (x - 1))]);
  // Zoomed in by 2 the centre pixel covers its neighbours; zoomed out by 2
  // the corners read from outside the picture (zeros) and (0, 0) reads the
  // pixel two steps out from the centre at (-4, -4): outside.
  warpBits(in.data(), sq, Warp::turnAndZoom(0, 2, 0, 0, false), out.data());
  EXPECT_EQ(out[2 * 5 + 2], in[12]);
  EXPECT_EQ(out[0], in[1 * 5 + 1]); // (0,0) -> centre + (-2,-2)/2 = (1,1)
  EXPECT_EQ(out[4 * 5 + 4], in[3 * 5 + 3]);
  warpBits(in.data(), sq, Warp::turnAndZoom(0, 0.5, 0, 0, false), out.data());
  EXPECT_EQ(out[2 * 5 + 2], in[12]);
  EXPECT_EQ(out[2 * 5 + 3], in[2 * 5 + 4]);
  EXPECT_EQ(out[0], 0);
  // A bend that displaces every grid point alike is a move: sources one
  // pixel to the right and two up are the image moved left by one and down
  // by two.
  Warp even = Warp::turnAndZoom(0, 1, 0, 0, false);
  even.bend = true;
  for (auto &d : even.grid) {
    d[0] = 1;
    d[1] = -2;
  }
  std::vector<uint8_t> moved(25);
  augmentBits(in.data(), sq, -1, 2, false, moved.data());
  warpBits(in.data(), sq, even, out.data());
  EXPECT_EQ(out, moved);
  // A bend at one grid point fades bilinearly: the top-left corner reads
  // two pixels to its right, (0, 1) (three quarters of the way to the
  // next grid point) half a pixel, and pixels outside the first grid cell
  // (x >= 4/3) are untouched.
  Warp corner = Warp::turnAndZoom(0, 1, 0, 0, false);
  corner.bend = true;
  corner.grid[0][0] = 2;
  warpBits(in.data(), sq, corner, out.data());
  EXPECT_EQ(out[0], in[2]);
  EXPECT_EQ(out[1], in[2]); // 1 + 0.5 rounds up
  for (int y = 0; y < 5; ++y)
    for (int x = 2; x < 5; ++x)
      EXPECT_EQ(out[y * 5 + x], in[y * 5 + x]) << y << " " << x;
}

TEST(Trainer, SoftTargets) {
  // Two samples of three classes, tau 2: softmax(count / (tau * T)).
  const uint32_t counts[] = {4, 0, 2, 7, 7, 1};
  float q[6];
  for (double temperature : {1.0, 3.0}) {
    softTargets(counts, 2, 3, 2.0, temperature, q);
    for (int s = 0; s < 2; ++s) {
      double z = 0;
      for (int c = 0; c < 3; ++c)
        z += std::exp(counts[s * 3 + c] / (2.0 * temperature));
      for (int c = 0; c < 3; ++c)
        EXPECT_NEAR(q[s * 3 + c],
                    std::exp(counts[s * 3 + c] / (2.0 * temperature)) / z,
                    1e-6);
    }
    EXPECT_EQ(q[3], q[4]); // equal counts, equal shares
  }
  // A hotter teacher is flatter.
  float cold[6];
  softTargets(counts, 2, 3, 2.0, 1.0, cold);
  EXPECT_GT(cold[0], q[0]);
  EXPECT_LT(cold[1], q[1]);
}

/// A small two-class task over 16 features whose label is a function of
/// the first two.
Dataset twoFeatureTask(size_t n, uint64_t seed) {
  Dataset d;
  d.numFeatures = 16;
  d.numClasses = 2;
  Rng rng(seed);
  for (size_t s = 0; s < n; ++s) {
    for (uint32_t f = 0; f < d.numFeatures; ++f)
      d.features.push_back(float(rng.uniform()));
    float a = d.features[s * 16], b = d.features[s * 16 + 1];
    d.labels.push_back((a > 0.5f) != (b > 0.5f));
  }
  return d;
}

/// A small net for twoFeatureTask: 40 CPU steps on one thread.
TrainOptions twoFeatureOptions() {
  TrainOptions o;
  o.model.features = 16;
  o.model.widths = {64, 32};
  o.model.classes = 2;
  o.model.tau = 3;
  o.model.connections = Connections::Random;
  o.iterations = 40;
  o.batch = 20;
  o.threads = 1;
  o.evalEvery = 0;
  o.device = "cpu";
  return o;
}

TEST(Trainer, Distillation) {
  Dataset train = twoFeatureTask(400, 1), test = twoFeatureTask(100, 2);
  TempDir dir;
  TrainOptions o = twoFeatureOptions();
  auto trainTo = [&](const TrainOptions &opts) {
    Trainer trainer;
    ASSERT_TRUE(trainer.setup(opts, train, test).ok());
    ASSERT_TRUE(trainer.run().ok());
  };
  // The teacher: a net trained on the task, written as .lgn.
  TrainOptions t = o;
  t.model.seed = 7;
  t.output = dir.path + "/teacher.lgn";
  trainTo(t);
  Trainer plain;
  ASSERT_TRUE(plain.setup(o, train, test).ok());
  ASSERT_TRUE(plain.run().ok());
  // The teacher's distribution reaches the steps; with weight 0 the steps
  // are the plain run's, to the bit.
  TrainOptions d = o;
  d.teacher = t.output;
  Trainer distilled;
  ASSERT_TRUE(distilled.setup(d, train, test).ok());
  ASSERT_TRUE(distilled.run().ok());
  EXPECT_NE(distilled.model.weights, plain.model.weights);
  TrainOptions zero = d;
  zero.distill = 0;
  Trainer unweighted;
  ASSERT_TRUE(unweighted.setup(zero, train, test).ok());
  ASSERT_TRUE(unweighted.run().ok());
  EXPECT_EQ(unweighted.model.weights, plain.model.weights);
  // The run records its teacher.
  d.output = dir.path + "/student.lgn";
  Trainer written;
  ASSERT_TRUE(written.setup(d, train, test).ok());
  ASSERT_TRUE(written.run().ok());
  std::string text;
  ASSERT_TRUE(readFile(d.output, text).ok());
  EXPECT_NE(text.find("meta distill teacher=" + t.output +
                      " weight=0.5 temperature=1"),
            std::string::npos);

  auto refused = [&](TrainOptions bad, const std::string &what) {
    Trainer trainer;
    Status s = trainer.setup(bad, train, test);
    EXPECT_FALSE(s.ok()) << what;
    EXPECT_NE(s.message().find(what), std::string::npos) << s.message();
  };
  TrainOptions bad = d;
  bad.distill = 1.5f;
  refused(bad, "--distill takes a weight in [0, 1]");
  bad = d;
  bad.distillTemperature = 0;
  refused(bad, "--distill-temperature must be positive");
  bad = d;
  bad.device = "cuda";
  refused(bad, "--teacher needs the CPU trainer");
  bad = d;
  bad.teacher = dir.path + "/missing.lgn";
  refused(bad, "missing.lgn");
  // A teacher that reads other bits, or votes for other classes.
  auto refusedTeacher = [&](const std::string &name,
                            std::vector<float> thresholds, uint32_t classes,
                            const std::string &what) {
    TrainOptions other = t;
    other.model.thresholds = std::move(thresholds);
    other.model.classes = classes;
    other.output = dir.path + "/" + name;
    trainTo(other);
    TrainOptions student = d;
    student.teacher = other.output;
    refused(student, what);
  };
  refusedTeacher("other-encoding.lgn", {0.25f}, 2,
                 "encodes input bit 0 differently from the student");
  refusedTeacher("more-bits.lgn", {0.25f, 0.5f}, 2,
                 "reads 32 input bits of 16 features, the student 16 of 16");
  refusedTeacher("four-classes.lgn", {0.5f}, 4, "has 4 classes, the student 2");
}

TEST(Trainer, GumbelNoise) {
  Dataset train = twoFeatureTask(400, 1), test = twoFeatureTask(100, 2);
  TempDir dir;
  TrainOptions o = twoFeatureOptions();
  Trainer plain;
  ASSERT_TRUE(plain.setup(o, train, test).ok());
  ASSERT_TRUE(plain.run().ok());
  // The noise reaches the steps, its temperature too; the run is
  // deterministic and resumes where it stopped (the noise is drawn from the
  // seed and the iteration).
  TrainOptions g = o;
  g.gumbel = 1;
  std::vector<float> noisy;
  expectResumeMatches(g, train, test, 17, dir.path + "/ck", noisy);
  EXPECT_NE(noisy, plain.model.weights);
  TrainOptions hot = g;
  hot.gumbel = 2;
  Trainer h;
  ASSERT_TRUE(h.setup(hot, train, test).ok());
  ASSERT_TRUE(h.run().ok());
  EXPECT_NE(h.model.weights, noisy);
  // Two threads draw the same noise: their steps differ from one thread's
  // only by the order of float sums.
  TrainOptions two = g;
  two.threads = 2;
  Trainer t2;
  ASSERT_TRUE(t2.setup(two, train, test).ok());
  ASSERT_TRUE(t2.run().ok());
  double diff = 0, norm = 0;
  for (size_t k = 0; k < noisy.size(); ++k) {
    diff += std::pow(double(t2.model.weights[k]) - noisy[k], 2);
    norm += double(noisy[k]) * noisy[k];
  }
  EXPECT_LT(std::sqrt(diff / norm), 1e-3);
  // The run records the noise.
  g.output = dir.path + "/gumbel.lgn";
  Trainer written;
  ASSERT_TRUE(written.setup(g, train, test).ok());
  ASSERT_TRUE(written.run().ok());
  std::string text;
  ASSERT_TRUE(readFile(g.output, text).ok());
  EXPECT_NE(text.find(" gumbel=1.0"), std::string::npos);
  for (float bad : {-1.0f, std::nanf(""), INFINITY}) {
    TrainOptions b = g;
    b.gumbel = bad;
    Trainer t;
    Status st = t.setup(b, train, test);
    EXPECT_FALSE(st.ok()) << bad;
    EXPECT_NE(st.message().find("--gumbel takes a temperature > 0"),
              std::string::npos)
        << st.message();
  }
}

TEST(Trainer, RejectsBadSetups) {
  Dataset d;
  d.numFeatures = 4;
  d.numClasses = 2;
  d.features = {0, 1, 0, 1, 1, 0, 1, 0};
  d.labels = {0, 1};
  TrainOptions o;
  o.model.features = 4;
  o.model.widths = {8, 4};
  o.model.classes = 2;
  {
    Trainer t;
    TrainOptions bad = o;
    bad.model.features = 5;
    EXPECT_FALSE(t.setup(bad, d, d).ok());
  }
  {
    Trainer t;
    TrainOptions bad = o;
    bad.model.widths = {8, 5};
    Status s = t.setup(bad, d, d);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("not divisible"), std::string::npos);
  }
  {
    Trainer t;
    Dataset wrong = d;
    wrong.labels = {0, 7};
    EXPECT_FALSE(t.setup(o, wrong, d).ok());
  }
  {
    Trainer t;
    TrainOptions bad = o;
    bad.resume = "/nonexistent/ck";
    EXPECT_FALSE(t.setup(bad, d, d).ok());
  }
  {
    // Five features are no square image: nothing to shift.
    Trainer t;
    Dataset five = d;
    five.numFeatures = 5;
    five.features = {0, 1, 0, 1, 1};
    five.labels = {0};
    TrainOptions bad = o;
    bad.model.features = 5;
    bad.shift = 1;
    Status s = t.setup(bad, five, five);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("need the inputs as an image"),
              std::string::npos)
        << s.message();
  }
}

} // namespace
