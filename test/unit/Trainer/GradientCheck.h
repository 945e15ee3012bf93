//===- GradientCheck.h - Finite-difference checks of the trainer -*- C++
//-*-===//
//
// Part of lgc. The model's analytic weight gradient against central
// differences of its loss, for every weight.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_TEST_UNIT_TRAINER_GRADIENTCHECK_H
#define LGC_TEST_UNIT_TRAINER_GRADIENTCHECK_H

#include "lgc/Trainer/Model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace lgc::train::test {

/// `ws` allocated for `model` and n samples, holding the sample-major
/// inputs `x`.
inline void loadInputs(Workspace &ws, const Model &model,
                       const std::vector<float> &x, uint32_t n) {
  ws.allocate(model, n);
  for (uint32_t i = 0; i < model.config().inputs(); ++i)
    for (uint32_t s = 0; s < n; ++s)
      ws.inputs()[i * ws.stride() + s] = x[s * model.config().inputs() + i];
}

/// Loss of `model` on fixed real-valued inputs, and its weight gradient.
/// With `targets` (n x classes), against (1 - mix) one-hot + mix targets;
/// under `noise`, of the hard gates it samples, with the straight-through
/// gradient.
inline double lossAndGradient(const Model &model, const std::vector<float> &x,
                              const std::vector<uint32_t> &labels,
                              std::vector<float> *grad,
                              const float *targets = nullptr, float mix = 0,
                              GateNoise noise = {}) {
  uint32_t n = uint32_t(labels.size()), G = model.numGates();
  Workspace ws;
  loadInputs(ws, model, x, n);
  const uint32_t W = model.config().weightsPerGate();
  std::vector<float> coeffs(G * 4), probs(G * W);
  model.computeCoefficients(coeffs, probs, 0, G, noise);
  ws.forward(model, coeffs.data(), n);
  uint32_t correct = 0;
  double loss = ws.lossAndGrad(model, labels.data(), n, 1.0f / float(n),
                               correct, targets, mix);
  if (grad) {
    std::vector<double> cg(G * 4, 0.0);
    ws.backward(model, coeffs.data(), n, cg.data());
    grad->assign(size_t(G) * W, 0);
    weightGradients(model.config().parametrization, probs, cg.data(), 0, G,
                    grad->data(), noise.invTemperature());
  }
  return loss / n;
}

inline void checkGradients(Model &model, const std::vector<float> &x,
                           const std::vector<uint32_t> &labels,
                           const std::string &what,
                           const float *targets = nullptr, float mix = 0) {
  std::vector<float> grad;
  lossAndGradient(model, x, labels, &grad, targets, mix);
  const float eps = 1e-2f;
  for (size_t k = 0; k < model.weights.size(); ++k) {
    float saved = model.weights[k];
    model.weights[k] = saved + eps;
    double up = lossAndGradient(model, x, labels, nullptr, targets, mix);
    model.weights[k] = saved - eps;
    double down = lossAndGradient(model, x, labels, nullptr, targets, mix);
    model.weights[k] = saved;
    double fd = (up - down) / (2 * eps);
    EXPECT_NEAR(grad[k], fd, 2e-4 + 1e-2 * std::fabs(fd))
        << what << ": weight " << k << " (gate "
        << k / model.config().weightsPerGate() << ", entry "
        << k % model.config().weightsPerGate() << ")";
  }
}

/// Loss of `model` on fixed inputs with the given coefficients (4 per gate)
/// in place of its weights'.
inline double lossWithCoefficients(const Model &model,
                                   const std::vector<float> &x,
                                   const std::vector<uint32_t> &labels,
                                   const std::vector<float> &coeffs) {
  uint32_t n = uint32_t(labels.size());
  Workspace ws;
  loadInputs(ws, model, x, n);
  ws.forward(model, coeffs.data(), n);
  uint32_t correct = 0;
  return ws.lossAndGrad(model, labels.data(), n, 1.0f / float(n), correct) / n;
}

/// Gate g's coefficients under `noise` at weights w: the hard gate's
/// (`hard`) and those of the noisy softmax or sigmoid table (`soft`), which
/// the straight-through gradient differentiates.
inline void noisyCoefficients(const Model &model, GateNoise noise, uint32_t g,
                              float *hard, float *soft) {
  const float *w = &model.weights[size_t(g) * model.config().weightsPerGate()];
  float p[16];
  if (model.config().parametrization == Parametrization::InputWise) {
    gumbelInputWiseCoefficients(w, noise, g, p, hard);
    tableCoefficients(p, soft);
  } else {
    gumbelSoftmaxCoefficients(w, noise, g, p, hard);
    mixtureCoefficients(p, soft);
  }
}

/// The straight-through estimator under `noise` against central
/// differences of its surrogate: the loss at coefficients hard(w0) +
/// soft(w) - soft(w0), whose value at w0 is the hard gates' loss and whose
/// gradient there is what the estimator claims (the hard gates held at
/// w0's, the noise fixed).
inline void checkStraightThroughGradients(Model &model,
                                          const std::vector<float> &x,
                                          const std::vector<uint32_t> &labels,
                                          GateNoise noise,
                                          const std::string &what) {
  uint32_t G = model.numGates();
  const uint32_t W = model.config().weightsPerGate();
  // The analytic gradient, as a training step computes it.
  std::vector<float> grad;
  lossAndGradient(model, x, labels, &grad, nullptr, 0, noise);
  std::vector<float> coeffs(G * 4), probs(size_t(G) * W);
  model.computeCoefficients(coeffs, probs, 0, G, noise);
  // The forward pass ran the hard gates.
  std::vector<float> hard(G * 4), soft0(G * 4);
  for (uint32_t g = 0; g < G; ++g)
    noisyCoefficients(model, noise, g, &hard[g * 4], &soft0[g * 4]);
  ASSERT_EQ(hard, coeffs) << what;
  auto surrogate = [&](uint32_t g) {
    std::vector<float> c = hard;
    float h[4], soft[4];
    noisyCoefficients(model, noise, g, h, soft);
    for (int j = 0; j < 4; ++j)
      c[g * 4 + j] += soft[j] - soft0[g * 4 + j];
    return lossWithCoefficients(model, x, labels, c);
  };
  const float eps = 1e-2f;
  double norm = 0;
  for (size_t k = 0; k < model.weights.size(); ++k) {
    uint32_t g = uint32_t(k / W);
    float saved = model.weights[k];
    model.weights[k] = saved + eps;
    double up = surrogate(g);
    model.weights[k] = saved - eps;
    double down = surrogate(g);
    model.weights[k] = saved;
    double fd = (up - down) / (2 * eps);
    norm += fd * fd;
    EXPECT_NEAR(grad[k], fd, 2e-4 + 1e-2 * std::fabs(fd))
        << what << ": weight " << k << " (gate " << g << ", entry " << k % W
        << ")";
  }
  EXPECT_GT(norm, 1e-8) << what << ": the gradient vanished";
}

} // namespace lgc::train::test

#endif // LGC_TEST_UNIT_TRAINER_GRADIENTCHECK_H
