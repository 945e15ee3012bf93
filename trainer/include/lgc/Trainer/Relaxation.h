//===- Relaxation.h - The relaxed gates, shared by CPU and CUDA -*- C++ -*-===//
//
// Part of lgc. Every relaxed gate is c0 + c1 a + c2 b + c3 ab, so a softmax
// mixture of the 16 kinds is too: training works on 4 coefficients per gate.
// This header is the one source of that table and of the softmax folding;
// the CPU trainer (Model.cpp) and the CUDA kernels (Kernels.h, also compiled
// for the host) both use it, so the two paths cannot drift apart.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_TRAINER_RELAXATION_H
#define LGC_TRAINER_RELAXATION_H

#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define LGC_HD __host__ __device__
#else
#define LGC_HD
#endif

namespace lgc::train {

/// Coefficient j (c0, c1, c2, c3) of kind k's relaxation, in difflogic's
/// order (kind = truth table, f(0,0) as the most significant bit):
///   zero 0, and ab, not_implies a-ab, a, not_implied_by b-ab, b,
///   xor a+b-2ab, or a+b-ab, not_or 1-(a+b-ab), not_xor 1-(a+b-2ab),
///   not_b 1-b, implied_by 1-b+ab, not_a 1-a, implies 1-a+ab,
///   not_and 1-ab, one 1.
LGC_HD inline float relaxation(int kind, int j) {
  const signed char table[16][4] = {
      {0, 0, 0, 0},   {0, 0, 0, 1},   {0, 1, 0, -1}, {0, 1, 0, 0},
      {0, 0, 1, -1},  {0, 0, 1, 0},   {0, 1, 1, -2}, {0, 1, 1, -1},
      {1, -1, -1, 1}, {1, -1, -1, 2}, {1, 0, -1, 0}, {1, 0, -1, 1},
      {1, -1, 0, 0},  {1, -1, 0, 1},  {1, 0, 0, -1}, {1, 0, 0, 0}};
  return float(table[kind][j]);
}

/// The coefficients of a softmax gate's probabilities p: c_j = sum_k p_k
/// R_kj (in softmaxCoefficients' order, so the same floats).
LGC_HD inline void mixtureCoefficients(const float *p, float *c) {
  for (int j = 0; j < 4; ++j)
    c[j] = 0;
  for (int k = 0; k < 16; ++k)
    for (int j = 0; j < 4; ++j)
      c[j] += p[k] * relaxation(k, j);
}

/// p = softmax(x * invTemperature) over 16 values (in place if p is x).
LGC_HD inline void softmax16(const float *x, float invTemperature, float *p) {
  float m = x[0];
  for (int k = 1; k < 16; ++k)
    m = x[k] > m ? x[k] : m;
  float sum = 0;
  for (int k = 0; k < 16; ++k) {
    p[k] = expf((x[k] - m) * invTemperature);
    sum += p[k];
  }
  float inv = 1.0f / sum;
  for (int k = 0; k < 16; ++k)
    p[k] *= inv;
}

/// One gate: p = softmax(w) over its 16 weights, c = sum_k p_k R_k (the
/// mixture's 4 coefficients).
LGC_HD inline void softmaxCoefficients(const float *w, float *p, float *c) {
  softmax16(w, 1.0f, p);
  mixtureCoefficients(p, c);
}

/// The coefficients of an input-wise gate's truth table t (entry m = 2a +
/// b): f(a, b) = t0 (1-a)(1-b) + t1 (1-a) b + t2 a (1-b) + t3 a b, so c =
/// (t0, t2 - t0, t1 - t0, t3 - t2 - t1 + t0).
LGC_HD inline void tableCoefficients(const float *t, float *c) {
  c[0] = t[0];
  c[1] = t[2] - t[0];
  c[2] = t[1] - t[0];
  c[3] = t[3] - t[2] - t[1] + t[0];
}

/// One input-wise gate (Light DLGN's parametrisation): table entry m =
/// 2a + b is t_m = sigmoid(w_m), and c its table's coefficients.
LGC_HD inline void inputWiseCoefficients(const float *w, float *t, float *c) {
  for (int m = 0; m < 4; ++m)
    t[m] = 1.0f / (1.0f + expf(-w[m]));
  tableCoefficients(t, c);
}

/// dL/dw_m of an input-wise gate from dL/dc (G) and its table t: the chain
/// rule through c(t) above and dt/dw = t (1 - t) invTemperature (t =
/// sigmoid(w invTemperature), noise aside).
template <typename T>
LGC_HD inline float inputWiseWeightGradient(const float *t, const T *G, int m,
                                            float invTemperature = 1) {
  T dt = m == 0   ? G[0] - G[1] - G[2] + G[3]
         : m == 1 ? G[2] - G[3]
         : m == 2 ? G[1] - G[3]
                  : G[3];
  return float(t[m] * (1 - t[m]) * dt) * invTemperature;
}

/// Gumbel noise with a straight-through estimator (Yousefi, Plesner, Aczel,
/// Wattenhofer 2025, "Mind the Gap"): each step samples one gate per
/// trained gate and the forward pass runs those hard gates, so what is
/// trained is what the discretised net computes; the backward pass takes
/// the weights' gradient through the noisy softmax at the temperature.
/// The noise of weight k of gate g at step `step` is a function of (seed,
/// step, g, k) alone: every thread, the CPU and the GPU draw the same.
/// temperature 0: no noise, the plain relaxation.
struct GateNoise {
  float temperature = 0;
  uint64_t seed = 0, step = 0;
  LGC_HD bool on() const { return temperature > 0; }
  /// The weight gradient's factor: 1 / temperature, 1 without noise.
  LGC_HD float invTemperature() const {
    return on() ? 1.0f / temperature : 1.0f;
  }
};

/// splitmix64's finaliser: a bijection of 64 bits that mixes them well.
LGC_HD inline uint64_t mixBits(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// Uniform in (0, 1), never 0 or 1: 24 random bits of the hash of (seed,
/// step, index), centred in their interval.
LGC_HD inline float noiseUniform(const GateNoise &noise, uint64_t index) {
  uint64_t h = mixBits(noise.seed ^ mixBits(noise.step ^ mixBits(index)));
  return (float(h >> 40) + 0.5f) * (1.0f / 16777216.0f);
}

/// A gate under noise: the hard gate k* = argmax_k (w_k + g_k), g_k
/// standard Gumbel, gives the coefficients c = R_k* (the forward pass runs
/// that gate); p = softmax((w + g) / temperature), what the weight gradient
/// differentiates (weightGradient recomputes its coefficients from p).
LGC_HD inline void gumbelSoftmaxCoefficients(const float *w,
                                             const GateNoise &noise,
                                             uint64_t gate, float *p,
                                             float *c) {
  int best = 0;
  for (int k = 0; k < 16; ++k) {
    float u = noiseUniform(noise, gate * 16 + uint64_t(k));
    p[k] = w[k] - logf(-logf(u));
    if (p[k] > p[best])
      best = k;
  }
  softmax16(p, noise.invTemperature(), p);
  for (int j = 0; j < 4; ++j)
    c[j] = relaxation(best, j);
}

/// An input-wise gate under noise: each table entry is its own two-way
/// choice, so its Gumbel-max draw is one logistic variable: entry m of the
/// hard table is w_m + l_m > 0 (1 with probability sigmoid(w_m)), the
/// coefficients those of the hard table; t_m = sigmoid((w_m + l_m) /
/// temperature) for the weight gradient.
LGC_HD inline void gumbelInputWiseCoefficients(const float *w,
                                               const GateNoise &noise,
                                               uint64_t gate, float *t,
                                               float *c) {
  float hard[4], invT = noise.invTemperature();
  for (int m = 0; m < 4; ++m) {
    float u = noiseUniform(noise, gate * 4 + uint64_t(m));
    float x = w[m] + logf(u / (1.0f - u));
    hard[m] = x > 0 ? 1.0f : 0.0f;
    t[m] = 1.0f / (1.0f + expf(-x * invT));
  }
  tableCoefficients(hard, c);
}

/// dL/dw_k of a softmax gate from dL/dc (G), its probabilities p and their
/// coefficients c (mixtureCoefficients; under noise not the hard gate's,
/// which the forward pass used): dp_k/dw_m = p_k (delta_km - p_m)
/// invTemperature, so dL/dw_k = p_k invTemperature sum_j G_j (R_kj - c_j).
template <typename T>
LGC_HD inline float softmaxWeightGradient(const float *p, const float *c,
                                          const T *G, int k,
                                          float invTemperature = 1) {
  T sum = 0;
  for (int j = 0; j < 4; ++j)
    sum += G[j] * (relaxation(k, j) - c[j]);
  return float(p[k] * sum) * invTemperature;
}

} // namespace lgc::train

#endif // LGC_TRAINER_RELAXATION_H
