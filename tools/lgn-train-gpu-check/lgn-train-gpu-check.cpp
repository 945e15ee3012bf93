//===- lgn-train-gpu-check.cpp - The CUDA trainer on a GPU machine --------===//
//
// Part of lgc. For 784 -> 6x8000 and 6x64000 nets and a convolutional net
// (logic-tree convolutions, OR pooling, input-wise gates): CPU and CUDA
// weight gradients on the same batch must agree within 1e-4 (relative, as
// norms); then CUDA iterations/s at batch 100 and 1,000. The conv net runs
// twice: its trees fused into one kernel per block (the default), then level
// by level. Part of the GPU bundle.
//
//===----------------------------------------------------------------------===//

#include "lgc/Trainer/CudaTrainer.h"
#include "lgc/Trainer/Model.h"

#include <chrono>
#include <cmath>
#include <fmt/core.h>

using namespace lgc;
using namespace lgc::train;

int main() {
  int failures = 0;
  fmt::print("{:<12} {:>8} {:>14} {:>14} {:>12} {:>12}\n", "net", "gates",
             "grad rel err", "gumbel rel err", "it/s b=100", "it/s b=1000");
  // 0: the conv net (3 thresholds, residual init, input-wise gates), fused
  // and (the last run) level by level.
  const uint32_t widths[] = {8000u, 64000u, 0u, 0u};
  for (uint32_t run = 0; run < 4; ++run) {
    const uint32_t width = widths[run];
    const bool fuse = run != 3;
    ModelConfig cfg;
    cfg.features = 784;
    cfg.widths.assign(6, width);
    cfg.classes = 10;
    cfg.tau = width == 8000 ? 10 : 30;
    if (width == 0) {
      cfg.thresholds = {0.25f, 0.5f, 0.75f};
      cfg.tau = 10;
      cfg.init = InitScheme::Residual;
      cfg.parametrization = Parametrization::InputWise;
      if (Status s = parseArch("conv(16,k=3,p=1,d=3) pool(2) "
                               "conv(32,k=3,p=1,d=3) pool(2) dense(8000) "
                               "dense(8000)",
                               cfg.arch);
          !s)
        return fmt::print("{}\n", s.message()), 1;
    }
    Model model;
    if (Status s = model.init(cfg); !s)
      return fmt::print("{}\n", s.message()), 1;
    std::unique_ptr<CudaTrainer> gpu;
    if (Status s = CudaTrainer::create(model, 1000, gpu, fuse); !s) {
      fmt::print("{}\n", s.message());
      return 1;
    }
    const uint32_t inputs = cfg.inputs(), G = model.numGates();
    Rng rng(width);
    auto batch = [&](uint32_t n, std::vector<float> &x,
                     std::vector<uint32_t> &labels) {
      x.resize(size_t(inputs) * n);
      labels.resize(n);
      for (float &v : x)
        v = float(rng.below(2));
      for (uint32_t &l : labels)
        l = uint32_t(rng.below(10));
    };
    // Gradients on one batch of 100, CPU (one thread) against CUDA.
    std::vector<float> x;
    std::vector<uint32_t> labels;
    const uint32_t n = 100;
    batch(n, x, labels);
    // Plain, and under Gumbel noise (the same hard gates on both).
    auto relativeError = [&](GateNoise noise) {
      Workspace ws;
      ws.allocate(model, n);
      for (uint32_t i = 0; i < inputs; ++i)
        for (uint32_t s = 0; s < n; ++s)
          ws.inputs()[size_t(i) * ws.stride() + s] = x[size_t(i) * n + s];
      const size_t W = cfg.weightsPerGate();
      std::vector<float> coeffs(size_t(G) * 4), probs(size_t(G) * W),
          want(size_t(G) * W), got;
      model.computeCoefficients(coeffs, probs, 0, G, noise);
      ws.forward(model, coeffs.data(), n);
      uint32_t correct = 0;
      ws.lossAndGrad(model, labels.data(), n, 1.0f / n, correct);
      std::vector<double> cg(size_t(G) * 4, 0.0);
      ws.backward(model, coeffs.data(), n, cg.data());
      weightGradients(cfg.parametrization, probs, cg.data(), 0, G, want.data(),
                      noise.invTemperature());
      if (Status s = gpu->gradients(x.data(), labels.data(), n, got, noise);
          !s) {
        fmt::print("{}\n", s.message());
        return 1.0;
      }
      double diff = 0, norm = 0;
      for (size_t k = 0; k < want.size(); ++k) {
        diff += (double(got[k]) - want[k]) * (double(got[k]) - want[k]);
        norm += double(want[k]) * want[k];
      }
      return std::sqrt(diff / std::max(norm, 1e-300));
    };
    double rel = relativeError({}), relNoise = relativeError({1.0f, 3, 7});
    failures += !(rel < 1e-4) + !(relNoise < 1e-4);
    double rates[2];
    int r = 0;
    for (uint32_t b : {100u, 1000u}) {
      batch(b, x, labels);
      double loss;
      uint32_t right;
      const int iters = width == 64000 ? 50 : 200;
      (void)gpu->step(x.data(), labels.data(), b, 0.01f, 1, loss, right);
      auto start = std::chrono::steady_clock::now();
      for (int i = 0; i < iters; ++i)
        (void)gpu->step(x.data(), labels.data(), b, 0.01f, uint64_t(i + 2),
                        loss, right);
      (void)gpu->synchronize();
      rates[r++] = iters / std::chrono::duration<double>(
                               std::chrono::steady_clock::now() - start)
                               .count();
    }
    std::string name = width  ? fmt::format("784-6x{}", width)
                       : fuse ? "784x3-conv"
                              : "conv-levels";
    fmt::print("{:<12} {:>8} {:>14.2e} {:>14.2e} {:>12.1f} {:>12.1f}  ({})\n",
               name, G, rel, relNoise, rates[0], rates[1], gpu->deviceName());
  }
  fmt::print("{}\n", failures ? "FAIL" : "PASS");
  return failures ? 1 : 0;
}
