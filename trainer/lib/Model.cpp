//===- Model.cpp - Differentiable logic gate network ----------------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Trainer/Model.h"
#include "lgc/Trainer/Relaxation.h"

#include <algorithm>
#include <cmath>

using namespace lgc;
using namespace lgc::train;

// The hot loops are compiled for several ISA levels and picked at load time,
// so one binary is fast on AVX-512 and still runs on any x86-64.
#if defined(__x86_64__) && defined(__clang__) && defined(__linux__)
#define LGC_MULTIVERSION                                                       \
  __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define LGC_MULTIVERSION
#endif

double lgc::train::relaxedGate(unsigned kind, double a, double b) {
  switch (kind) {
  case 0:
    return 0;
  case 1:
    return a * b;
  case 2:
    return a - a * b;
  case 3:
    return a;
  case 4:
    return b - a * b;
  case 5:
    return b;
  case 6:
    return a + b - 2 * a * b;
  case 7:
    return a + b - a * b;
  case 8:
    return 1 - (a + b - a * b);
  case 9:
    return 1 - (a + b - 2 * a * b);
  case 10:
    return 1 - b;
  case 11:
    return 1 - b + a * b;
  case 12:
    return 1 - a;
  case 13:
    return 1 - a + a * b;
  case 14:
    return 1 - a * b;
  case 15:
    return 1;
  }
  return 0;
}

Status ModelConfig::validate() const {
  if (features == 0)
    return Status::error("the data has no features");
  if (thresholds.empty())
    return Status::error("at least one threshold is needed");
  if (widths.empty())
    return Status::error("at least one layer is needed");
  if (classes == 0 || widths.back() % classes)
    return Status::error(
        "the last layer's width " + std::to_string(widths.back()) +
        " is not divisible into " + std::to_string(classes) + " classes");
  if (!(tau > 0) || !std::isfinite(tau))
    return Status::error("tau must be positive");
  uint64_t total = 0;
  for (uint32_t w : widths)
    total += w;
  if (total > (1u << 26))
    return Status::error("too many gates (" + std::to_string(total) + ")");
  uint32_t prev = inputs();
  for (uint32_t w : widths) {
    if (w == 0)
      return Status::error("a layer needs a non-zero width");
    if (connections == Connections::Unique && uint64_t(w) * 2 < prev)
      return Status::error("'unique' connections need 2 x width >= the "
                           "previous width (" +
                           std::to_string(w) + " x 2 < " +
                           std::to_string(prev) +
                           "); use --connections random or wider layers");
    prev = w;
  }
  return Status::success();
}

std::string ModelConfig::describe() const {
  std::string s = "features=" + std::to_string(features) + " thresholds=";
  for (size_t i = 0; i < thresholds.size(); ++i)
    s += (i ? "," : "") + std::to_string(thresholds[i]);
  s += " layers=";
  for (size_t i = 0; i < widths.size(); ++i)
    s += (i ? "," : "") + std::to_string(widths[i]);
  s += " classes=" + std::to_string(classes) + " tau=" + std::to_string(tau) +
       " connections=" +
       (connections == Connections::Unique ? "unique" : "random") +
       " seed=" + std::to_string(seed);
  return s;
}

Status Model::init(const ModelConfig &config) {
  if (Status s = config.validate(); !s)
    return s;
  cfg = config;
  layerList.clear();
  Rng rng(cfg.seed);
  uint32_t prev = cfg.inputs();
  totalGates = 0;
  for (uint32_t w : cfg.widths) {
    Layer layer;
    layer.inDim = prev;
    layer.outDim = w;
    layer.offset = totalGates;
    if (Status s =
            makeConnections(cfg.connections, prev, w, rng, layer.a, layer.b);
        !s)
      return s;
    layerList.push_back(std::move(layer));
    totalGates += w;
    prev = w;
  }
  weights.resize(size_t(totalGates) * 16);
  for (float &w : weights)
    w = float(rng.normal());
  return Status::success();
}

void Model::computeCoefficients(std::vector<float> &coeffs,
                                std::vector<float> &probs, uint32_t begin,
                                uint32_t end) const {
  for (uint32_t g = begin; g < end; ++g)
    softmaxCoefficients(&weights[size_t(g) * 16], &probs[size_t(g) * 16],
                        &coeffs[size_t(g) * 4]);
}

Net Model::discretize() const {
  Net net;
  net.numInputs = cfg.inputs();
  net.numFeatures = cfg.features;
  net.levels = cfg.thresholds;
  net.numClasses = cfg.classes;
  net.tau = cfg.tau;
  uint32_t prevBase = 0;
  for (const Layer &layer : layerList) {
    net.layerStarts.push_back(uint32_t(net.gates.size()));
    uint32_t base = net.numNodes();
    for (uint32_t i = 0; i < layer.outDim; ++i) {
      const float *w = &weights[size_t(layer.offset + i) * 16];
      uint8_t best = 0;
      for (uint8_t k = 1; k < 16; ++k)
        if (w[k] > w[best])
          best = k;
      net.gates.push_back(
          Gate{best, prevBase + layer.a[i], prevBase + layer.b[i]});
    }
    prevBase = base;
  }
  for (uint32_t i = 0; i < layerList.back().outDim; ++i)
    net.outputs.push_back(prevBase + i);
  return net;
}

//===----------------------------------------------------------------------===//
// Workspace
//===----------------------------------------------------------------------===//

void Workspace::allocate(const Model &model, uint32_t maxSamples) {
  cap = maxSamples;
  act.assign(model.layers().size() + 1, {});
  grad.assign(model.layers().size() + 1, {});
  act[0].assign(size_t(model.config().inputs()) * cap, 0.0f);
  for (size_t l = 0; l < model.layers().size(); ++l) {
    act[l + 1].assign(size_t(model.layers()[l].outDim) * cap, 0.0f);
    grad[l + 1].assign(size_t(model.layers()[l].outDim) * cap, 0.0f);
  }
  scoreBuf.assign(size_t(model.config().classes) * cap, 0.0f);
}

LGC_MULTIVERSION
static void forwardLayer(const float *__restrict in, float *__restrict out,
                         const uint32_t *a, const uint32_t *b,
                         const float *coeffs, uint32_t gates, uint32_t n,
                         uint32_t stride) {
  for (uint32_t i = 0; i < gates; ++i) {
    const float *__restrict x = in + size_t(a[i]) * stride;
    const float *__restrict y = in + size_t(b[i]) * stride;
    float *__restrict o = out + size_t(i) * stride;
    const float c0 = coeffs[4 * i], c1 = coeffs[4 * i + 1],
                c2 = coeffs[4 * i + 2], c3 = coeffs[4 * i + 3];
    for (uint32_t s = 0; s < n; ++s)
      o[s] = c0 + c1 * x[s] + c2 * y[s] + c3 * x[s] * y[s];
  }
}

void Workspace::forward(const Model &model, const float *coeffs, uint32_t n) {
  for (size_t l = 0; l < model.layers().size(); ++l) {
    const Layer &layer = model.layers()[l];
    forwardLayer(act[l].data(), act[l + 1].data(), layer.a.data(),
                 layer.b.data(), coeffs + size_t(layer.offset) * 4,
                 layer.outDim, n, cap);
  }
  // GroupSum: class c's score is the sum of its group over tau.
  const std::vector<float> &last = act.back();
  uint32_t C = model.config().classes, group = model.layers().back().outDim / C;
  float invTau = float(1.0 / model.config().tau);
  for (uint32_t c = 0; c < C; ++c) {
    float *score = &scoreBuf[size_t(c) * cap];
    for (uint32_t s = 0; s < n; ++s)
      score[s] = 0;
    for (uint32_t k = 0; k < group; ++k) {
      const float *y = &last[size_t(c * group + k) * cap];
      for (uint32_t s = 0; s < n; ++s)
        score[s] += y[s];
    }
    for (uint32_t s = 0; s < n; ++s)
      score[s] *= invTau;
  }
}

double Workspace::lossAndGrad(const Model &model, const uint32_t *labels,
                              uint32_t n, float scale, uint32_t &correct) {
  uint32_t C = model.config().classes, group = model.layers().back().outDim / C;
  float invTau = float(1.0 / model.config().tau);
  double loss = 0;
  std::vector<float> p(C);
  std::vector<float> dscore(size_t(C) * n);
  for (uint32_t s = 0; s < n; ++s) {
    float m = scoreBuf[s];
    uint32_t best = 0;
    for (uint32_t c = 1; c < C; ++c) {
      float v = scoreBuf[size_t(c) * cap + s];
      if (v > m)
        m = v, best = c;
    }
    correct += best == labels[s];
    double sum = 0;
    for (uint32_t c = 0; c < C; ++c) {
      p[c] = std::exp(scoreBuf[size_t(c) * cap + s] - m);
      sum += p[c];
    }
    loss +=
        -(double(scoreBuf[size_t(labels[s]) * cap + s] - m) - std::log(sum));
    for (uint32_t c = 0; c < C; ++c)
      dscore[size_t(c) * n + s] =
          (float(p[c] / sum) - (c == labels[s] ? 1.0f : 0.0f)) * scale * invTau;
  }
  std::vector<float> &g = grad.back();
  for (uint32_t c = 0; c < C; ++c)
    for (uint32_t k = 0; k < group; ++k) {
      float *row = &g[size_t(c * group + k) * cap];
      for (uint32_t s = 0; s < n; ++s)
        row[s] = dscore[size_t(c) * n + s];
    }
  return loss;
}

LGC_MULTIVERSION
static void backwardLayer(const float *__restrict in, const float *__restrict g,
                          float *__restrict gin, const uint32_t *a,
                          const uint32_t *b, const float *coeffs,
                          double *coeffGrad, uint32_t gates, uint32_t n,
                          uint32_t stride) {
  for (uint32_t i = 0; i < gates; ++i) {
    const float *__restrict x = in + size_t(a[i]) * stride;
    const float *__restrict y = in + size_t(b[i]) * stride;
    const float *__restrict gi = g + size_t(i) * stride;
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (uint32_t s = 0; s < n; ++s) {
      float gx = gi[s] * x[s];
      s0 += gi[s];
      s1 += gx;
      s2 += gi[s] * y[s];
      s3 += gx * y[s];
    }
    double *cg = coeffGrad + size_t(i) * 4;
    cg[0] += s0;
    cg[1] += s1;
    cg[2] += s2;
    cg[3] += s3;
    if (!gin)
      continue;
    const float c1 = coeffs[4 * i + 1], c2 = coeffs[4 * i + 2],
                c3 = coeffs[4 * i + 3];
    // a and b may be the same unit: accumulate one after the other.
    float *__restrict ga = gin + size_t(a[i]) * stride;
    for (uint32_t s = 0; s < n; ++s)
      ga[s] += gi[s] * (c1 + c3 * y[s]);
    float *__restrict gb = gin + size_t(b[i]) * stride;
    for (uint32_t s = 0; s < n; ++s)
      gb[s] += gi[s] * (c2 + c3 * x[s]);
  }
}

void Workspace::backward(const Model &model, const float *coeffs, uint32_t n,
                         double *coeffGrad) {
  for (size_t l = model.layers().size(); l-- > 0;) {
    const Layer &layer = model.layers()[l];
    float *gin = nullptr;
    if (l > 0) {
      std::vector<float> &prev = grad[l];
      for (uint32_t u = 0; u < layer.inDim; ++u)
        std::fill_n(&prev[size_t(u) * cap], n, 0.0f);
      gin = prev.data();
    }
    backwardLayer(act[l].data(), grad[l + 1].data(), gin, layer.a.data(),
                  layer.b.data(), coeffs + size_t(layer.offset) * 4,
                  coeffGrad + size_t(layer.offset) * 4, layer.outDim, n, cap);
  }
}

void lgc::train::weightGradients(const std::vector<float> &probs,
                                 const std::vector<float> &coeffs,
                                 const double *coeffGrad, uint32_t begin,
                                 uint32_t end, float *weightGrad) {
  // c_j = sum_k p_k R_kj, dp_k/dw_m = p_k (delta_km - p_m), so
  // dL/dw_k = p_k * sum_j G_j (R_kj - c_j).
  for (uint32_t g = begin; g < end; ++g) {
    const float *p = &probs[size_t(g) * 16];
    const float *c = &coeffs[size_t(g) * 4];
    const double *G = coeffGrad + size_t(g - begin) * 4;
    for (int k = 0; k < 16; ++k) {
      double sum = 0;
      for (int j = 0; j < 4; ++j)
        sum += G[j] * (relaxation(k, j) - c[j]);
      weightGrad[size_t(g) * 16 + k] = float(p[k] * sum);
    }
  }
}
