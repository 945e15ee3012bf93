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

/// Loss of `model` on fixed real-valued inputs, and its weight gradient.
/// With `targets` (n x classes), against (1 - mix) one-hot + mix targets.
inline double lossAndGradient(const Model &model, const std::vector<float> &x,
                              const std::vector<uint32_t> &labels,
                              std::vector<float> *grad,
                              const float *targets = nullptr, float mix = 0) {
  uint32_t n = uint32_t(labels.size()), G = model.numGates();
  Workspace ws;
  ws.allocate(model, n);
  for (uint32_t i = 0; i < model.config().inputs(); ++i)
    for (uint32_t s = 0; s < n; ++s)
      ws.inputs()[i * ws.stride() + s] = x[s * model.config().inputs() + i];
  const uint32_t W = model.config().weightsPerGate();
  std::vector<float> coeffs(G * 4), probs(G * W);
  model.computeCoefficients(coeffs, probs, 0, G);
  ws.forward(model, coeffs.data(), n);
  uint32_t correct = 0;
  double loss = ws.lossAndGrad(model, labels.data(), n, 1.0f / float(n),
                               correct, targets, mix);
  if (grad) {
    std::vector<double> cg(G * 4, 0.0);
    ws.backward(model, coeffs.data(), n, cg.data());
    grad->assign(size_t(G) * W, 0);
    weightGradients(model.config().parametrization, probs, coeffs, cg.data(), 0,
                    G, grad->data());
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

} // namespace lgc::train::test

#endif // LGC_TEST_UNIT_TRAINER_GRADIENTCHECK_H
