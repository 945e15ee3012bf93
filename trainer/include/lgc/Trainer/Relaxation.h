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

/// One gate: p = softmax(w) over its 16 weights, c = sum_k p_k R_k (the
/// mixture's 4 coefficients).
LGC_HD inline void softmaxCoefficients(const float *w, float *p, float *c) {
  float m = w[0];
  for (int k = 1; k < 16; ++k)
    m = w[k] > m ? w[k] : m;
  float sum = 0;
  for (int k = 0; k < 16; ++k) {
    p[k] = expf(w[k] - m);
    sum += p[k];
  }
  float inv = 1.0f / sum;
  for (int j = 0; j < 4; ++j)
    c[j] = 0;
  for (int k = 0; k < 16; ++k) {
    p[k] *= inv;
    for (int j = 0; j < 4; ++j)
      c[j] += p[k] * relaxation(k, j);
  }
}

/// One input-wise gate (Light DLGN's parametrisation): table entry m =
/// 2a + b is t_m = sigmoid(w_m), and f(a, b) = t0 (1-a)(1-b) + t1 (1-a) b +
/// t2 a (1-b) + t3 a b, so c = (t0, t2 - t0, t1 - t0, t3 - t2 - t1 + t0).
LGC_HD inline void inputWiseCoefficients(const float *w, float *t, float *c) {
  for (int m = 0; m < 4; ++m)
    t[m] = 1.0f / (1.0f + expf(-w[m]));
  c[0] = t[0];
  c[1] = t[2] - t[0];
  c[2] = t[1] - t[0];
  c[3] = t[3] - t[2] - t[1] + t[0];
}

/// dL/dw_m of an input-wise gate from dL/dc (G) and its table t: the chain
/// rule through c(t) above and dt/dw = t (1 - t).
template <typename T>
LGC_HD inline float inputWiseWeightGradient(const float *t, const T *G, int m) {
  T dt = m == 0   ? G[0] - G[1] - G[2] + G[3]
         : m == 1 ? G[2] - G[3]
         : m == 2 ? G[1] - G[3]
                  : G[3];
  return float(t[m] * (1 - t[m]) * dt);
}

} // namespace lgc::train

#endif // LGC_TRAINER_RELAXATION_H
