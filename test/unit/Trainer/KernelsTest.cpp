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

void checkGrid(const ModelConfig &cfg) {
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
  model.computeCoefficients(coeffs, probs, 0, G);
  ws.forward(model, coeffs.data(), n);
  uint32_t correct = 0;
  double loss = ws.lossAndGrad(model, labels.data(), n, 1.0f / n, correct);
  std::vector<double> cg(G * 4, 0.0);
  ws.backward(model, coeffs.data(), n, cg.data());
  std::vector<float> want(size_t(G) * W);
  weightGradients(cfg.parametrization, probs, coeffs, cg.data(), 0, G,
                  want.data());

  // The kernels, thread by thread (stride = n, as the CUDA trainer at
  // capacity); each activation has the padding's zero row after its units.
  const auto &layers = model.layers();
  std::vector<std::vector<float>> act(layers.size() + 1),
      grad(layers.size() + 1);
  act[0] = x;
  act[0].resize(size_t(inputs + 1) * n, 0.0f);
  for (size_t l = 0; l < layers.size(); ++l) {
    act[l + 1].assign(size_t(layers[l].outDim + 1) * n, 0);
    grad[l + 1].assign(size_t(layers[l].outDim + 1) * n, 0);
  }
  std::vector<float> kp(size_t(G) * W), kc(G * 4), kcg(G * 4, 0.0f);
  for (uint32_t g = 0; g < G; ++g)
    kernels::coefficientsThread(model.weights.data(), kp.data(), kc.data(), g,
                                inputWise);
  for (size_t k = 0; k < kc.size(); ++k)
    ASSERT_NEAR(kc[k], coeffs[k], 1e-6);
  for (size_t l = 0; l < layers.size(); ++l) {
    const Layer &layer = layers[l];
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
  for (size_t l = layers.size(); l-- > 0;) {
    const Layer &layer = layers[l];
    float *gin = l > 0 ? grad[l].data() : nullptr;
    if (gin)
      std::fill(grad[l].begin(), grad[l].end(), 0.0f);
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
      float got = kernels::weightGradient(kp.data(), kc.data(), kcg.data(), g,
                                          int(k), inputWise);
      diff += (got - want[g * W + k]) * double(got - want[g * W + k]);
      norm += double(want[g * W + k]) * want[g * W + k];
    }
  ASSERT_GT(norm, 0);
  EXPECT_LT(std::sqrt(diff / norm), 1e-4);

  // One Adam step moves each weight against its gradient by about lr.
  std::vector<float> w = model.weights, m(w.size(), 0), v(w.size(), 0);
  for (size_t k = 0; k < w.size(); ++k)
    kernels::adamThread(w.data(), m.data(), v.data(), kp.data(), kc.data(),
                        kcg.data(), 0.01f, 0.1f, 0.001f, k, inputWise);
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
}

TEST(Kernels, ConvPoolAndInputWiseOnTheGrid) {
  ModelConfig cfg;
  cfg.features = 64; // 8x8
  cfg.thresholds = {0.5f, 0.8f};
  cfg.classes = 5;
  cfg.tau = 3.0;
  cfg.connections = Connections::Random;
  Status s = parseArch("conv(4,k=3,p=1,d=3) pool(2) conv(6,k=3,s=2,p=1,d=2) "
                       "pool(3,s=1,p=1) dense(50)",
                       cfg.arch);
  ASSERT_TRUE(s.ok()) << s.message();
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
      }
}

} // namespace
