//===- KernelsTest.cpp - The CUDA kernels' bodies, run on the CPU ---------===//
//
// Part of lgc. The per-thread functions the CUDA trainer launches, run here
// over the whole grid, must give the CPU trainer's gradients and Adam step.
//
//===----------------------------------------------------------------------===//

#include "lgc/Trainer/Kernels.h"
#include "lgc/Trainer/Model.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace lgc;
using namespace lgc::train;

namespace {

TEST(Kernels, GridEmulationMatchesCpuTrainer) {
  ModelConfig cfg;
  cfg.features = 64;
  cfg.widths = {200, 150, 100};
  cfg.classes = 5;
  cfg.tau = 3.0;
  Model model;
  ASSERT_TRUE(model.init(cfg).ok());
  const uint32_t n = 37, G = model.numGates(), inputs = cfg.inputs();
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
  std::vector<float> coeffs(G * 4), probs(G * 16);
  model.computeCoefficients(coeffs, probs, 0, G);
  ws.forward(model, coeffs.data(), n);
  uint32_t correct = 0;
  double loss = ws.lossAndGrad(model, labels.data(), n, 1.0f / n, correct);
  std::vector<double> cg(G * 4, 0.0);
  ws.backward(model, coeffs.data(), n, cg.data());
  std::vector<float> want(G * 16);
  weightGradients(Parametrization::Softmax, probs, coeffs, cg.data(), 0, G, want.data());

  // The kernels, thread by thread (stride = n, as the CUDA trainer at
  // capacity).
  const auto &layers = model.layers();
  std::vector<std::vector<float>> act(layers.size() + 1),
      grad(layers.size() + 1);
  act[0] = x;
  for (size_t l = 0; l < layers.size(); ++l) {
    act[l + 1].assign(size_t(layers[l].outDim) * n, 0);
    grad[l + 1].assign(size_t(layers[l].outDim) * n, 0);
  }
  std::vector<float> kp(G * 16), kc(G * 4), kcg(G * 4);
  for (uint32_t g = 0; g < G; ++g)
    kernels::coefficientsThread(model.weights.data(), kp.data(), kc.data(), g);
  for (size_t k = 0; k < kc.size(); ++k)
    ASSERT_NEAR(kc[k], coeffs[k], 1e-6);
  for (size_t l = 0; l < layers.size(); ++l)
    for (uint32_t i = 0; i < layers[l].outDim; ++i)
      for (uint32_t s = 0; s < n; ++s)
        kernels::forwardThread(act[l].data(), act[l + 1].data(),
                               layers[l].a.data(), layers[l].b.data(),
                               kc.data() + layers[l].offset * 4, n, i, s);
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
    float *gin = l > 0 ? grad[l].data() : nullptr;
    if (gin)
      std::fill(grad[l].begin(), grad[l].end(), 0.0f);
    for (uint32_t i = 0; i < layers[l].outDim; ++i)
      kernels::backwardThread(act[l].data(), grad[l + 1].data(), gin,
                              layers[l].a.data(), layers[l].b.data(),
                              kc.data() + layers[l].offset * 4,
                              kcg.data() + layers[l].offset * 4, n, n, i);
  }
  double diff = 0, norm = 0;
  for (uint32_t g = 0; g < G; ++g)
    for (int k = 0; k < 16; ++k) {
      float got =
          kernels::weightGradient(kp.data(), kc.data(), kcg.data(), g, k);
      diff += (got - want[g * 16 + k]) * double(got - want[g * 16 + k]);
      norm += double(want[g * 16 + k]) * want[g * 16 + k];
    }
  ASSERT_GT(norm, 0);
  EXPECT_LT(std::sqrt(diff / norm), 1e-4);

  // One Adam step moves each weight against its gradient by about lr.
  std::vector<float> w = model.weights, m(G * 16, 0), v(G * 16, 0);
  for (size_t k = 0; k < w.size(); ++k)
    kernels::adamThread(w.data(), m.data(), v.data(), kp.data(), kc.data(),
                        kcg.data(), 0.01f, 0.1f, 0.001f, k);
  for (size_t k = 0; k < w.size(); k += 97) {
    float g = want[k];
    if (std::fabs(g) > 1e-6f)
      EXPECT_NEAR(w[k] - model.weights[k], g > 0 ? -0.01f : 0.01f, 1e-3) << k;
  }
}

} // namespace
