//===- KernelsTest.cpp - The CUDA kernels' bodies, run on the CPU ---------===//
//
// Part of lgc. The per-thread functions the CUDA trainer launches, run here
// over the whole grid in the order CudaTrainer.cu launches them, must give
// the CPU trainer's gradients and Adam step: dense layers, conv trees
// sharing gates across positions, OR pools (max and probabilistic), both
// parametrisations.
//
//===----------------------------------------------------------------------===//

#include "lgc/Trainer/Kernels.h"
#include "lgc/Trainer/Model.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace lgc;
using namespace lgc::train;

namespace {

/// The host's stand-in for the GPU's warp sums: each lane's term straight
/// into the gate's sums.
struct HostSum {
  float *coeffGrad;
  void operator()(size_t gate, int k, float v) { coeffGrad[gate * 4 + k] += v; }
};

/// A fused tree step's bodies over the grid, as the CUDA trainer launches
/// them (each instantiated through kernels::withFusedDepth, as there).
void runTreeStep(bool forward, const kernels::TreeDesc &t, const float *in,
                 float *out, const float *gout, float *gin, const float *coeffs,
                 float *coeffGrad, uint32_t n) {
  HostSum emit{coeffGrad};
  // Backward: lanes past the batch (up to a warp) run too, as on the GPU.
  const uint32_t nPad = (n + 31) / 32 * 32;
  bool known = kernels::withFusedDepth(t.depth, [&](auto depth) {
    constexpr uint32_t D = decltype(depth)::value;
    for (uint32_t u = 0; u < t.units(); ++u)
      for (uint32_t s = 0; s < (forward ? n : nPad); ++s)
        if (forward)
          kernels::treeForwardThread<D>(t, in, out, coeffs, n, u, s);
        else
          kernels::treeBackwardThread<D>(t, in, gout, gin, coeffs, n, u,
                                         s < n ? s : n - 1, s < n, emit);
  });
  ASSERT_TRUE(known) << "no fused body for depth " << t.depth;
}

/// `fused`: conv trees as the CUDA trainer launches them, one step per
/// block up to kernels::kMaxFusedDepth (the inner levels get no arrays, so
/// nothing can read them); else every layer on its own. Under `noise`, the
/// hard gates it samples (GateNoise).
void checkGrid(const ModelConfig &cfg, bool fused = false,
               GateNoise noise = {}) {
  Model model;
  Status st = model.init(cfg);
  ASSERT_TRUE(st.ok()) << st.message();
  const uint32_t n = 37, G = model.numGates(), inputs = cfg.inputs(),
                 W = cfg.weightsPerGate();
  const bool inputWise = cfg.parametrization == Parametrization::InputWise;
  const bool probabilistic =
      cfg.poolRelaxation == PoolRelaxation::Probabilistic;
  Rng rng(2);
  std::vector<float> x(size_t(inputs) * n);
  for (float &v : x)
    v = float(rng.below(2));
  std::vector<uint32_t> labels(n);
  for (uint32_t &l : labels)
    l = uint32_t(rng.below(cfg.classes));

  // The CPU trainer's path.
  Workspace ws;
  ws.allocate(model, n);
  for (uint32_t i = 0; i < inputs; ++i)
    for (uint32_t s = 0; s < n; ++s)
      ws.inputs()[size_t(i) * ws.stride() + s] = x[size_t(i) * n + s];
  std::vector<float> coeffs(G * 4), probs(size_t(G) * W);
  model.computeCoefficients(coeffs, probs, 0, G, noise);
  ws.forward(model, coeffs.data(), n);
  uint32_t correct = 0;
  double loss = ws.lossAndGrad(model, labels.data(), n, 1.0f / n, correct);
  std::vector<double> cg(G * 4, 0.0);
  ws.backward(model, coeffs.data(), n, cg.data());
  std::vector<float> want(size_t(G) * W);
  const float invT = noise.invTemperature();
  weightGradients(cfg.parametrization, probs, cg.data(), 0, G, want.data(),
                  invT);

  // The kernels, thread by thread (stride = n, as the CUDA trainer at
  // capacity); each activation has the padding's zero row after its units.
  const auto &layers = model.layers();
  std::vector<std::vector<float>> act(layers.size() + 1),
      grad(layers.size() + 1);
  act[0] = x;
  act[0].resize(size_t(inputs + 1) * n, 0.0f);
  const std::vector<LayerStep> steps =
      layerSteps(model, fused ? kernels::kMaxFusedDepth : 0);
  for (const LayerStep &step : steps) {
    size_t l = step.layer + step.levels - 1;
    act[l + 1].assign(size_t(layers[l].outDim + 1) * n, 0);
    grad[l + 1].assign(size_t(layers[l].outDim + 1) * n, 0);
  }
  std::vector<float> kp(size_t(G) * W), kc(G * 4), kcg(G * 4, 0.0f);
  for (uint32_t g = 0; g < G; ++g)
    kernels::coefficientsThread(model.weights.data(), kp.data(), kc.data(), g,
                                inputWise, noise);
  for (size_t k = 0; k < kc.size(); ++k)
    ASSERT_NEAR(kc[k], coeffs[k], 1e-6);
  for (const LayerStep &step : steps) {
    const size_t l = step.layer;
    const Layer &layer = layers[l];
    if (step.levels > 1) {
      const size_t top = l + step.levels;
      runTreeStep(true, treeDesc(model, step), act[l].data(), act[top].data(),
                  nullptr, nullptr, kc.data(), nullptr, n);
      continue;
    }
    const uint32_t *param = layer.param.empty() ? nullptr : layer.param.data();
    for (uint32_t i = 0; i < layer.outDim; ++i)
      for (uint32_t s = 0; s < n; ++s)
        if (layer.kind == Layer::OrPool)
          kernels::poolForwardThread(act[l].data(), act[l + 1].data(),
                                     layer.window.data(), layer.windowSize,
                                     probabilistic, n, i, s);
        else
          kernels::forwardThread(act[l].data(), act[l + 1].data(),
                                 layer.a.data(), layer.b.data(), param,
                                 kc.data() + layer.offset * 4, n, i, s);
  }
  double kloss = 0;
  int kcorrect = 0;
  uint32_t group = layers.back().outDim / cfg.classes;
  for (uint32_t s = 0; s < n; ++s) {
    int right = 0;
    kloss += kernels::lossThread(act.back().data(), grad.back().data(),
                                 labels.data(), cfg.classes, group,
                                 float(1 / cfg.tau), 1.0f / n, n, s, &right);
    kcorrect += right;
  }
  EXPECT_NEAR(kloss, loss, 1e-4 * std::fabs(loss));
  EXPECT_EQ(uint32_t(kcorrect), correct);
  for (size_t i = steps.size(); i-- > 0;) {
    const LayerStep &step = steps[i];
    const size_t l = step.layer;
    const Layer &layer = layers[l];
    float *gin = l > 0 ? grad[l].data() : nullptr;
    if (gin)
      std::fill(grad[l].begin(), grad[l].end(), 0.0f);
    if (step.levels > 1) {
      const size_t top = l + step.levels;
      runTreeStep(false, treeDesc(model, step), act[l].data(), nullptr,
                  grad[top].data(), gin, kc.data(), kcg.data(), n);
      continue;
    }
    if (layer.kind == Layer::OrPool) {
      for (uint32_t i = 0; gin && i < layer.outDim; ++i)
        for (uint32_t s = 0; s < n; ++s)
          kernels::poolBackwardThread(
              act[l].data(), act[l + 1].data(), grad[l + 1].data(), gin,
              layer.window.data(), layer.windowSize, probabilistic, n, i, s);
      continue;
    }
    const uint32_t *param = layer.param.empty() ? nullptr : layer.param.data();
    for (uint32_t i = 0; i < layer.outDim; ++i)
      kernels::backwardThread(act[l].data(), grad[l + 1].data(), gin,
                              layer.a.data(), layer.b.data(), param,
                              kc.data() + layer.offset * 4,
                              kcg.data() + layer.offset * 4, n, n, i);
  }
  double diff = 0, norm = 0;
  for (uint32_t g = 0; g < G; ++g)
    for (uint32_t k = 0; k < W; ++k) {
      float got = kernels::weightGradient(kp.data(), kcg.data(), g, int(k),
                                          inputWise, invT);
      diff += (got - want[g * W + k]) * double(got - want[g * W + k]);
      norm += double(want[g * W + k]) * want[g * W + k];
    }
  ASSERT_GT(norm, 0);
  EXPECT_LT(std::sqrt(diff / norm), 1e-4);

  // One Adam step moves each weight against its gradient by about lr.
  std::vector<float> w = model.weights, m(w.size(), 0), v(w.size(), 0);
  for (size_t k = 0; k < w.size(); ++k)
    kernels::adamThread(w.data(), m.data(), v.data(), kp.data(), kcg.data(),
                        0.01f, 0.1f, 0.001f, k, inputWise, invT);
  for (size_t k = 0; k < w.size(); k += 7) {
    float g = want[k];
    if (std::fabs(g) > 1e-6f)
      EXPECT_NEAR(w[k] - model.weights[k], g > 0 ? -0.01f : 0.01f, 1e-3) << k;
  }
}

TEST(Kernels, GridEmulationMatchesCpuTrainer) {
  ModelConfig cfg;
  cfg.features = 64;
  cfg.widths = {200, 150, 100};
  cfg.classes = 5;
  cfg.tau = 3.0;
  checkGrid(cfg);
  // Under Gumbel noise: the same hard gates and noisy softmax on both.
  checkGrid(cfg, false, GateNoise{1.0f, 5, 0});
  checkGrid(cfg, false, GateNoise{0.5f, 5, 1});
}

/// An 8x8 image at two thermometer levels, 5 classes, under `arch`.
ModelConfig imageConfig(const char *arch) {
  ModelConfig cfg;
  cfg.features = 64; // 8x8
  cfg.thresholds = {0.5f, 0.8f};
  cfg.classes = 5;
  cfg.tau = 3.0;
  cfg.connections = Connections::Random;
  Status s = parseArch(arch, cfg.arch);
  EXPECT_TRUE(s.ok()) << s.message();
  return cfg;
}

TEST(Kernels, ConvPoolAndInputWiseOnTheGrid) {
  ModelConfig cfg = imageConfig("conv(4,k=3,p=1,d=3) pool(2) "
                                "conv(6,k=3,s=2,p=1,d=2) pool(3,s=1,p=1) "
                                "dense(50)");
  for (Parametrization p :
       {Parametrization::Softmax, Parametrization::InputWise})
    for (PoolRelaxation r :
         {PoolRelaxation::Max, PoolRelaxation::Probabilistic})
      for (InitScheme init : {InitScheme::Gaussian, InitScheme::Residual}) {
        SCOPED_TRACE(int(p) * 4 + int(r) * 2 + int(init));
        cfg.parametrization = p;
        cfg.poolRelaxation = r;
        cfg.init = init;
        checkGrid(cfg);
        checkGrid(cfg, /*fused=*/true);
        checkGrid(cfg, /*fused=*/true, GateNoise{0.7f, 11, 3});
      }
}

TEST(Kernels, FusedTreesOfEveryDepthOnTheGrid) {
  // Depths 2 to kMaxFusedDepth fused, one deeper run level by level, with
  // stride and padding; a batch of 37 leaves lanes past it in the last
  // warp of each tree.
  ModelConfig cfg = imageConfig("conv(3,k=3,p=1,d=4) conv(4,k=2,s=2,d=2,g=0) "
                                "conv(5,k=3,p=1,d=5) pool(2) dense(40)");
  cfg.parametrization = Parametrization::InputWise;
  Model model;
  ASSERT_TRUE(model.init(cfg).ok());
  std::vector<LayerStep> steps = layerSteps(model, kernels::kMaxFusedDepth);
  // d=4 and d=2 one step each, d=5 five levels, the pool, the dense layer.
  ASSERT_EQ(steps.size(), 9u);
  EXPECT_EQ(steps[0].levels, 4u);
  EXPECT_EQ(steps[1].levels, 2u);
  EXPECT_EQ(steps[2].levels, 1u);
  checkGrid(cfg);
  checkGrid(cfg, /*fused=*/true);
}

} // namespace
