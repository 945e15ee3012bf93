//===- Model.h - Differentiable logic gate network ---------------*- C++
//-*-===//
//
// Part of lgc. difflogic's model: LogicLayers whose gates are softmax
// mixtures of the 16 relaxed boolean functions, then GroupSum. Every
// relaxation is c0 + c1 a + c2 b + c3 ab, so a gate's mixture is four
// coefficients; forward and backward work on those.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_TRAINER_MODEL_H
#define LGC_TRAINER_MODEL_H

#include "lgc/Runtime/Generate.h"
#include "lgc/Runtime/Net.h"
#include "lgc/Runtime/Status.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace lgc::train {

/// The relaxed value of kind k on real inputs, written out term by term: an
/// independent statement of Relaxation.h's table, used to check it.
double relaxedGate(unsigned kind, double a, double b);

struct ModelConfig {
  uint32_t features = 784;
  /// Thermometer thresholds: input bit j * features + f = x[f] > t_j.
  std::vector<float> thresholds = {0.5f};
  std::vector<uint32_t> widths = {4000, 4000, 4000, 4000};
  uint32_t classes = 10;
  double tau = 10.0;
  Connections connections = Connections::Unique;
  uint64_t seed = 1;

  uint32_t inputs() const { return features * uint32_t(thresholds.size()); }
  /// Checks the shape; the error names the offending setting.
  Status validate() const;
  /// A one-line description stored in checkpoints and .lgn metadata.
  std::string describe() const;
};

struct Layer {
  uint32_t inDim = 0, outDim = 0;
  std::vector<uint32_t> a, b; // connections into the previous layer
  uint32_t offset = 0;        // index of the layer's first gate in the model
};

class Model {
public:
  Status init(const ModelConfig &config);

  const ModelConfig &config() const { return cfg; }
  const std::vector<Layer> &layers() const { return layerList; }
  uint32_t numGates() const { return totalGates; }

  /// 16 weights per gate, gates in layer order.
  std::vector<float> weights;

  /// Softmax of each gate's weights folded into (c0, c1, c2, c3); gates in
  /// [begin, end).
  void computeCoefficients(std::vector<float> &coeffs,
                           std::vector<float> &probs, uint32_t begin,
                           uint32_t end) const;

  /// The discretised net: each gate becomes its most likely kind (first index
  /// on ties), with the thermometer encoding and the last layer as outputs.
  Net discretize() const;

private:
  ModelConfig cfg;
  std::vector<Layer> layerList;
  uint32_t totalGates = 0;
};

/// Forward and backward over a slice of a batch, with activations stored
/// feature-major ([unit][sample]) so the inner loops are contiguous. One
/// Workspace per thread.
class Workspace {
public:
  void allocate(const Model &model, uint32_t maxSamples);

  /// act[0]: inputs x n (0/1 floats). Runs every layer, then GroupSum.
  void forward(const Model &model, const float *coeffs, uint32_t n);
  /// Class scores after forward: n x classes.
  const std::vector<float> &scores() const { return scoreBuf; }
  /// Cross-entropy against `labels` (n); returns the summed loss, counts
  /// correct argmaxes into `correct`, and sets the gradient of the summed
  /// loss times `scale` on the last layer.
  double lossAndGrad(const Model &model, const uint32_t *labels, uint32_t n,
                     float scale, uint32_t &correct);
  /// Backpropagates; adds sum over samples of dL/dc (4 per gate) to
  /// `coeffGrad` (totalGates x 4).
  void backward(const Model &model, const float *coeffs, uint32_t n,
                double *coeffGrad);

  std::vector<float> &inputs() { return act[0]; }
  uint32_t stride() const { return cap; }

private:
  uint32_t cap = 0;
  std::vector<std::vector<float>> act, grad;
  std::vector<float> scoreBuf;
};

/// dL/dw from the summed dL/dc of each gate in [begin, end); coeffGrad holds
/// 4 values per gate starting at gate `begin`.
void weightGradients(const std::vector<float> &probs,
                     const std::vector<float> &coeffs, const double *coeffGrad,
                     uint32_t begin, uint32_t end, float *weightGrad);

} // namespace lgc::train

#endif // LGC_TRAINER_MODEL_H
