//===- Kernels.h - Per-thread bodies of the CUDA training kernels -*- C++
//-*-===//
//
// Part of lgc. Each CUDA kernel of the trainer is a one-line grid loop over
// one of these functions, which compile for the host too: the CPU tests run
// them over the whole grid and compare with the CPU trainer, so only the
// launches wait for a GPU. Layouts as in Workspace: activations and their
// gradients are [unit][stride] floats.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_TRAINER_KERNELS_H
#define LGC_TRAINER_KERNELS_H

#include "lgc/Trainer/Relaxation.h"

#include <cmath>
#include <cstdint>
#include <type_traits>

namespace lgc::train::kernels {

#if defined(__CUDA_ARCH__)
LGC_HD inline void addTo(float *p, float v) { atomicAdd(p, v); }
#else
LGC_HD inline void addTo(float *p, float v) { *p += v; }
#endif

/// A gate's relaxed value: c0 + c1 x + c2 y + c3 x y.
LGC_HD inline float gateValue(const float *c, float x, float y) {
  return c[0] + c[1] * x + c[2] * y + c[3] * x * y;
}

/// A conv block's tree levels run as one step (fused). Level 0's gate j of
/// output channel o at position pos is unit (j K + o) P + pos of the block's
/// first layer and reads `a`/`b` of it; level l's gate j of channel o is
/// gate offset[l] + j K + o. Unit u = o P + pos of the step's output is the
/// tree's root.
struct TreeDesc {
  const uint32_t *a = nullptr, *b = nullptr;
  uint32_t offset[16] = {};
  uint32_t depth = 0, K = 0, P = 0;

  /// The step's output units (roots), K x P.
  LGC_HD uint32_t units() const { return K * P; }
  /// Level 0's unit for gate j of channel o at position pos: the index into
  /// `a` and `b`.
  LGC_HD size_t leafUnit(uint32_t j, uint32_t o, uint32_t pos) const {
    return (size_t(j) * K + o) * P + pos;
  }
  /// The model's index of level lv's gate j of channel o.
  LGC_HD size_t gate(uint32_t lv, uint32_t j, uint32_t o) const {
    return size_t(offset[lv]) + j * K + o;
  }
};

/// A depth-`depth` tree's nodes numbered level by level (level 0's
/// 2^(depth-1) first): level lv's first node.
LGC_HD constexpr uint32_t treeLevelStart(uint32_t depth, uint32_t lv) {
  return (1u << depth) - ((1u << depth) >> lv);
}

/// The deepest tree the fused per-thread bodies take: their node values and
/// gradients are registers (arrays indexed by compile-time constants once
/// the loops unroll), 2^depth - 1 of each. Deeper trees run level by level.
constexpr uint32_t kMaxFusedDepth = 4;

/// Calls f(std::integral_constant<uint32_t, D>()) for the fused depth D =
/// `depth` (2 to kMaxFusedDepth), so that one call site instantiates every
/// body; false for any other depth.
template <typename F> bool withFusedDepth(uint32_t depth, F &&f) {
  switch (depth) {
  case 2:
    f(std::integral_constant<uint32_t, 2>());
    return true;
  case 3:
    f(std::integral_constant<uint32_t, 3>());
    return true;
  case 4:
    f(std::integral_constant<uint32_t, 4>());
    return true;
  }
  return false;
}

/// Root of tree u (channel u / P, position u % P) for sample s.
template <uint32_t D>
LGC_HD inline void treeForwardThread(const TreeDesc &t, const float *in,
                                     float *out, const float *coeffs,
                                     uint32_t stride, uint32_t u, uint32_t s) {
  const uint32_t o = u / t.P, pos = u % t.P;
  float v[1u << (D - 1)];
  for (uint32_t j = 0; j < (1u << (D - 1)); ++j) {
    size_t w = t.leafUnit(j, o, pos);
    v[j] =
        gateValue(coeffs + t.gate(0, j, o) * 4, in[size_t(t.a[w]) * stride + s],
                  in[size_t(t.b[w]) * stride + s]);
  }
  // In place: node j of a level reads nodes 2j and 2j + 1 of the one below,
  // which no earlier node of its level overwrote.
  for (uint32_t lv = 1; lv < D; ++lv)
    for (uint32_t j = 0; j < (1u << (D - 1 - lv)); ++j)
      v[j] = gateValue(coeffs + t.gate(lv, j, o) * 4, v[2 * j], v[2 * j + 1]);
  out[size_t(u) * stride + s] = v[0];
}

/// Backward through tree u for sample s: evaluates the tree again from its
/// leaves, sends the root's gradient down, adds the leaves' gradients into
/// `gin` (when given) and hands each gate's four terms of dL/dc to
/// `emit(gate, k, value)`, which sums them over samples and positions (on
/// the GPU: a warp's sum, then one atomic add). A lane that is not `live`
/// (past the batch) emits zeros and touches no gradient, so that every lane
/// of a warp makes the same calls.
template <uint32_t D, typename Emit>
LGC_HD inline void
treeBackwardThread(const TreeDesc &t, const float *in, const float *gout,
                   float *gin, const float *coeffs, uint32_t stride, uint32_t u,
                   uint32_t s, bool live, Emit &emit) {
  constexpr uint32_t L = 1u << D, N = L - 1;
  const uint32_t o = u / t.P, pos = u % t.P;
  float val[N], g[N], x0[L / 2], y0[L / 2];
  for (uint32_t j = 0; j < L / 2; ++j) {
    size_t w = t.leafUnit(j, o, pos);
    x0[j] = in[size_t(t.a[w]) * stride + s];
    y0[j] = in[size_t(t.b[w]) * stride + s];
    val[j] = gateValue(coeffs + t.gate(0, j, o) * 4, x0[j], y0[j]);
  }
  for (uint32_t lv = 1; lv < D; ++lv)
    for (uint32_t j = 0; j < (L >> (lv + 1)); ++j) {
      const uint32_t child = treeLevelStart(D, lv - 1) + 2 * j;
      val[treeLevelStart(D, lv) + j] =
          gateValue(coeffs + t.gate(lv, j, o) * 4, val[child], val[child + 1]);
    }
  g[N - 1] = live ? gout[size_t(u) * stride + s] : 0.0f;
  for (uint32_t lv = D; lv-- > 0;)
    for (uint32_t j = 0; j < (L >> (lv + 1)); ++j) {
      const size_t gate = t.gate(lv, j, o);
      const float *c = coeffs + gate * 4;
      const uint32_t child = lv > 0 ? treeLevelStart(D, lv - 1) + 2 * j : 0;
      const float x = lv > 0 ? val[child] : x0[j],
                  y = lv > 0 ? val[child + 1] : y0[j];
      const float gv = g[treeLevelStart(D, lv) + j];
      emit(gate, 0, gv);
      emit(gate, 1, gv * x);
      emit(gate, 2, gv * y);
      emit(gate, 3, gv * x * y);
      const float ga = gv * (c[1] + c[3] * y), gb = gv * (c[2] + c[3] * x);
      if (lv > 0) {
        g[child] = ga;
        g[child + 1] = gb;
      } else if (gin && live) {
        size_t w = t.leafUnit(j, o, pos);
        addTo(&gin[size_t(t.a[w]) * stride + s], ga);
        addTo(&gin[size_t(t.b[w]) * stride + s], gb);
      }
    }
}

/// Gate g: its weights folded into 4 coefficients: softmax of 16 weights,
/// or (inputWise) sigmoids of 4 table entries; under `noise`, the hard gate
/// it samples (Relaxation.h, GateNoise).
LGC_HD inline void coefficientsThread(const float *weights, float *probs,
                                      float *coeffs, uint32_t g,
                                      bool inputWise = false,
                                      GateNoise noise = {}) {
  if (noise.on() && inputWise)
    gumbelInputWiseCoefficients(weights + size_t(g) * 4, noise, g,
                                probs + size_t(g) * 4, coeffs + size_t(g) * 4);
  else if (noise.on())
    gumbelSoftmaxCoefficients(weights + size_t(g) * 16, noise, g,
                              probs + size_t(g) * 16, coeffs + size_t(g) * 4);
  else if (inputWise)
    inputWiseCoefficients(weights + size_t(g) * 4, probs + size_t(g) * 4,
                          coeffs + size_t(g) * 4);
  else
    softmaxCoefficients(weights + size_t(g) * 16, probs + size_t(g) * 16,
                        coeffs + size_t(g) * 4);
}

/// Output of unit i for sample s; unit i evaluates gate param[i] (a conv
/// tree's gate, shared by its positions) or, without `param`, gate i.
LGC_HD inline void forwardThread(const float *in, float *out, const uint32_t *a,
                                 const uint32_t *b, const uint32_t *param,
                                 const float *coeffs, uint32_t stride,
                                 uint32_t i, uint32_t s) {
  out[size_t(i) * stride + s] =
      gateValue(coeffs + size_t(param ? param[i] : i) * 4,
                in[size_t(a[i]) * stride + s], in[size_t(b[i]) * stride + s]);
}

/// OR pooling, unit i and sample s: the maximum over the window, or
/// (probabilistic) 1 - prod(1 - x).
LGC_HD inline void poolForwardThread(const float *in, float *out,
                                     const uint32_t *window,
                                     uint32_t windowSize, bool probabilistic,
                                     uint32_t stride, uint32_t i, uint32_t s) {
  const uint32_t *w = window + size_t(i) * windowSize;
  float r = probabilistic ? 1.0f : in[size_t(w[0]) * stride + s];
  for (uint32_t k = probabilistic ? 0 : 1; k < windowSize; ++k) {
    float x = in[size_t(w[k]) * stride + s];
    r = probabilistic ? r * (1.0f - x) : (x > r ? x : r);
  }
  out[size_t(i) * stride + s] = probabilistic ? 1.0f - r : r;
}

/// The pool's gradient for unit i and sample s, added to its inputs: to the
/// first entry that attains the maximum, or to each entry times the others'
/// (1 - x) (probabilistic).
LGC_HD inline void poolBackwardThread(const float *in, const float *out,
                                      const float *gout, float *gin,
                                      const uint32_t *window,
                                      uint32_t windowSize, bool probabilistic,
                                      uint32_t stride, uint32_t i, uint32_t s) {
  const uint32_t *w = window + size_t(i) * windowSize;
  float g = gout[size_t(i) * stride + s];
  if (!probabilistic) {
    float o = out[size_t(i) * stride + s];
    uint32_t k = 0;
    while (k + 1 < windowSize && in[size_t(w[k]) * stride + s] != o)
      ++k;
    addTo(&gin[size_t(w[k]) * stride + s], g);
    return;
  }
  for (uint32_t k = 0; k < windowSize; ++k) {
    float others = 1.0f;
    for (uint32_t j = 0; j < windowSize; ++j)
      if (j != k)
        others *= 1.0f - in[size_t(w[j]) * stride + s];
    addTo(&gin[size_t(w[k]) * stride + s], g * others);
  }
}

/// GroupSum, softmax cross-entropy and the gradient on the last layer for
/// sample s; returns the sample's loss and whether its argmax is right.
LGC_HD inline float lossThread(const float *last, float *gradLast,
                               const uint32_t *labels, uint32_t classes,
                               uint32_t group, float invTau, float scale,
                               uint32_t stride, uint32_t s, int *correct) {
  float scores[64];
  float m = -1e30f;
  uint32_t best = 0;
  for (uint32_t c = 0; c < classes; ++c) {
    float sum = 0;
    for (uint32_t k = 0; k < group; ++k)
      sum += last[size_t(c * group + k) * stride + s];
    scores[c] = sum * invTau;
    if (scores[c] > m) {
      m = scores[c];
      best = c;
    }
  }
  float z = 0;
  for (uint32_t c = 0; c < classes; ++c)
    z += expf(scores[c] - m);
  uint32_t label = labels[s];
  *correct = best == label;
  for (uint32_t c = 0; c < classes; ++c) {
    float d =
        (expf(scores[c] - m) / z - (c == label ? 1.0f : 0.0f)) * scale * invTau;
    for (uint32_t k = 0; k < group; ++k)
      gradLast[size_t(c * group + k) * stride + s] = d;
  }
  return -(scores[label] - m - logf(z));
}

/// Unit i: adds dL/dc summed over the n samples to its gate's
/// coeffGrad[4 p ..] (p = param[i], or i; positions of a conv tree share p,
/// so the caller zeroes coeffGrad first), and (with gin) adds the gradient
/// to its two inputs.
LGC_HD inline void backwardThread(const float *in, const float *gout,
                                  float *gin, const uint32_t *a,
                                  const uint32_t *b, const uint32_t *param,
                                  const float *coeffs, float *coeffGrad,
                                  uint32_t n, uint32_t stride, uint32_t i) {
  const size_t p = param ? param[i] : i;
  const float *c = coeffs + p * 4;
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (uint32_t s = 0; s < n; ++s) {
    float g = gout[size_t(i) * stride + s];
    float x = in[size_t(a[i]) * stride + s], y = in[size_t(b[i]) * stride + s];
    s0 += g;
    s1 += g * x;
    s2 += g * y;
    s3 += g * x * y;
    if (gin) {
      addTo(&gin[size_t(a[i]) * stride + s], g * (c[1] + c[3] * y));
      addTo(&gin[size_t(b[i]) * stride + s], g * (c[2] + c[3] * x));
    }
  }
  addTo(&coeffGrad[p * 4 + 0], s0);
  addTo(&coeffGrad[p * 4 + 1], s1);
  addTo(&coeffGrad[p * 4 + 2], s2);
  addTo(&coeffGrad[p * 4 + 3], s3);
}

/// dL/dw for weight k of gate g: the softmax Jacobian through the
/// coefficients of its probabilities, or (inputWise) the sigmoid table's;
/// invTemperature the noise's (1 without).
LGC_HD inline float weightGradient(const float *probs, const float *coeffGrad,
                                   uint32_t g, int k, bool inputWise = false,
                                   float invTemperature = 1) {
  if (inputWise)
    return inputWiseWeightGradient(
        probs + size_t(g) * 4, coeffGrad + size_t(g) * 4, k, invTemperature);
  float c[4];
  mixtureCoefficients(probs + size_t(g) * 16, c);
  return softmaxWeightGradient(probs + size_t(g) * 16, c,
                               coeffGrad + size_t(g) * 4, k, invTemperature);
}

/// Adam on weight `index` (gate index / W, weight index % W, W = 16, or 4
/// input-wise).
LGC_HD inline void adamThread(float *weights, float *m, float *v,
                              const float *probs, const float *coeffGrad,
                              float lr, float c1, float c2, size_t index,
                              bool inputWise = false,
                              float invTemperature = 1) {
  const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
  const size_t W = inputWise ? 4 : 16;
  float g = weightGradient(probs, coeffGrad, uint32_t(index / W),
                           int(index % W), inputWise, invTemperature);
  m[index] = b1 * m[index] + (1 - b1) * g;
  v[index] = b2 * v[index] + (1 - b2) * g * g;
  weights[index] -= lr * (m[index] / c1) / (sqrtf(v[index] / c2) + eps);
}

} // namespace lgc::train::kernels

#endif // LGC_TRAINER_KERNELS_H
