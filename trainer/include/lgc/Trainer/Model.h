//===- Model.h - Differentiable logic gate network --------------*- C++ -*-===//
//
// Part of lgc. difflogic's model: layers of gates that are softmax mixtures
// of the 16 relaxed boolean functions (or, input-wise, four sigmoid truth
// table entries), then GroupSum. Every relaxation is c0 + c1 a + c2 b +
// c3 ab, so a gate's mixture is four coefficients; forward and backward work
// on those. Convolutional blocks are logic trees whose gates are shared by
// every position: a layer's units name the gate (parameter set) they
// evaluate, so sharing costs nothing in the loops.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_TRAINER_MODEL_H
#define LGC_TRAINER_MODEL_H

#include "lgc/Runtime/Generate.h"
#include "lgc/Runtime/Net.h"
#include "lgc/Runtime/Status.h"
#include "lgc/Trainer/Arch.h"
#include "lgc/Trainer/Kernels.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace lgc::train {

/// The relaxed value of kind k on real inputs, written out term by term: an
/// independent statement of Relaxation.h's table, used to check it.
double relaxedGate(unsigned kind, double a, double b);

/// How a gate's weights define its mixture.
enum class Parametrization {
  /// 16 logits, softmax over the 16 kinds (difflogic).
  Softmax,
  /// 4 logits, one per input combination; entry (a, b) of the relaxed truth
  /// table is sigmoid(w_ab) (Light DLGN's input-wise parametrisation).
  InputWise,
};

/// How gate weights start.
enum class InitScheme {
  /// Independent standard normals (difflogic).
  Gaussian,
  /// Every gate starts as a pass-through of its first operand with
  /// probability ~0.9 (the convolutional paper's residual initialisation):
  /// logit `residualLogit` on kind `a`, 0 elsewhere; input-wise, +-logit/2
  /// on the table of `a`.
  Residual,
};

/// How OR pooling is relaxed during training (both are OR on 0/1).
enum class PoolRelaxation {
  /// max over the window: the t-conorm the convolutional paper uses.
  Max,
  /// 1 - prod(1 - x): the probability that some input is 1 when they are
  /// independent, the same semantics as the relaxed gates (or(a, b) =
  /// a + b - ab).
  Probabilistic,
};

struct ModelConfig {
  uint32_t features = 784;
  /// Thermometer thresholds: input bit j * features + f = x[f] > t_j.
  std::vector<float> thresholds = {0.5f};
  std::vector<uint32_t> widths = {4000, 4000, 4000, 4000};
  uint32_t classes = 10;
  double tau = 10.0;
  Connections connections = Connections::Unique;
  uint64_t seed = 1;
  /// The blocks; empty means dense layers of `widths`.
  std::vector<BlockSpec> arch;
  /// Geometry of the raw features for conv and pool blocks: channel-major
  /// planes of height x width. 0: a square one-channel image when
  /// `features` is a square number.
  uint32_t imageHeight = 0, imageWidth = 0, imageChannels = 1;
  Parametrization parametrization = Parametrization::Softmax;
  InitScheme init = InitScheme::Gaussian;
  float residualLogit = 5.0f;
  PoolRelaxation poolRelaxation = PoolRelaxation::Max;

  uint32_t inputs() const { return features * uint32_t(thresholds.size()); }
  uint32_t weightsPerGate() const {
    return parametrization == Parametrization::Softmax ? 16 : 4;
  }
  /// `arch`, or one dense block per width.
  std::vector<BlockSpec> blocks() const;
  /// The input bits as an activation: thermometer level j of image channel
  /// c is channel j * imageChannels + c (threshold-major bits, so unit ids
  /// are input bit ids); flat when there is no image geometry.
  Shape inputShape() const;
  /// Checks the shape; the error names the offending setting.
  Status validate() const;
  /// A one-line description stored in checkpoints and .lgn metadata.
  std::string describe() const;
};

/// One layer of units computed from the previous layer's units. Unit index
/// `inDim` of the previous layer is the constant 0 that padding reads.
struct Layer {
  enum Kind { Logic, OrPool };
  Kind kind = Logic;
  uint32_t inDim = 0, outDim = 0;
  std::vector<uint32_t> a, b; // Logic: operands in the previous layer
  /// Logic: unit i evaluates gate offset + param[i]; empty: offset + i.
  std::vector<uint32_t> param;
  uint32_t offset = 0;    // index of the layer's first gate in the model
  uint32_t numParams = 0; // gates (parameter sets) this layer owns
  /// OrPool: unit i is the OR (relaxed: max) of window[i * windowSize ..].
  std::vector<uint32_t> window;
  uint32_t windowSize = 0;
  /// The block this layer belongs to (index into ModelConfig::blocks()).
  uint32_t block = 0;

  uint32_t gateOf(uint32_t i) const {
    return offset + (param.empty() ? i : param[i]);
  }
};

class Model {
public:
  Status init(const ModelConfig &config);

  const ModelConfig &config() const { return cfg; }
  const std::vector<Layer> &layers() const { return layerList; }
  /// Trained gates (parameter sets); a conv tree's gates count once.
  uint32_t numGates() const { return totalGates; }

  /// weightsPerGate() weights per gate, gates in layer order.
  std::vector<float> weights;

  /// Each gate's weights folded into (c0, c1, c2, c3), for gates in
  /// [begin, end); `probs` receives the softmax (16 per gate) or the
  /// sigmoid table entries (4 per gate), which the weight gradient needs.
  /// Under `noise`, the coefficients are the hard gate each gate samples
  /// and `probs` the noisy softmax or sigmoids (Relaxation.h, GateNoise).
  void computeCoefficients(std::vector<float> &coeffs,
                           std::vector<float> &probs, uint32_t begin,
                           uint32_t end, GateNoise noise = {}) const;

  /// The most likely kind of gate g (first index on ties).
  unsigned gateKind(uint32_t g) const;

  /// The discretised net: each gate becomes its most likely kind; conv and
  /// pool blocks stay shared blocks (one tree per output channel, .lgn
  /// version 2), dense layers are gates; with the thermometer encoding and
  /// the last layer as outputs. unrollBlocks() gives the flat net.
  Net discretize() const;

private:
  ModelConfig cfg;
  std::vector<Layer> layerList;
  /// Per block: a conv block's tree leaves (output channel-major), else
  /// empty.
  std::vector<std::vector<TreeLeaf>> blockLeaves;
  uint32_t totalGates = 0;
};

/// Layers [layer, layer + levels) that run as one step: a conv block's tree
/// levels, tree by tree, when levels > 1; else one layer. A `pooled` tree
/// step also runs the max pool after it (layer + levels): per pooled unit,
/// the trees at its window's positions, of which only the maximum is
/// stored.
struct LayerStep {
  uint32_t layer = 0, levels = 1;
  bool pooled = false;
  /// The layers the step covers.
  uint32_t layers() const { return levels + (pooled ? 1 : 0); }
};

/// The model's layers as steps, each conv block with trees 2 to
/// `maxFusedDepth` deep fused into one (0: none); with `fusePools`, a fused
/// block's OR pool joins its step where the pool is relaxed as the maximum
/// and its windows neither pad nor overlap (each tree output feeds at most
/// one pooled unit, so its gradient comes from that one alone).
std::vector<LayerStep> layerSteps(const Model &model, uint32_t maxFusedDepth,
                                  bool fusePools = false);

/// A fused step's tree levels as the kernels read them.
kernels::TreeDesc treeDesc(const Model &model, const LayerStep &step);

/// Forward and backward over a slice of a batch, with activations stored
/// feature-major ([unit][sample]) so the inner loops are contiguous. One
/// Workspace per thread.
class Workspace {
public:
  /// Room for maxSamples samples. With `fuseTrees`, each conv block's tree
  /// levels run as one step, tree by tree, keeping the inner levels in a few
  /// cache-resident rows (recomputed in the backward pass) instead of
  /// storing every level of every position: a step then moves a fraction of
  /// the memory. Without it, every layer runs on its own (the reference the
  /// fused path is tested against).
  void allocate(const Model &model, uint32_t maxSamples, bool fuseTrees = true);

  /// act[0]: inputs x n (0/1 floats). Runs every layer, then GroupSum.
  void forward(const Model &model, const float *coeffs, uint32_t n);
  /// Class scores after forward: n x classes.
  const std::vector<float> &scores() const { return scoreBuf; }
  /// Cross-entropy against `labels` (n); returns the summed loss, counts
  /// correct argmaxes into `correct`, and sets the gradient of the summed
  /// loss times `scale` on the last layer. With `targets` (n x classes,
  /// sample-major, each row a distribution: a teacher's), the cross-entropy
  /// is against (1 - mix) one-hot(label) + mix targets instead.
  double lossAndGrad(const Model &model, const uint32_t *labels, uint32_t n,
                     float scale, uint32_t &correct,
                     const float *targets = nullptr, float mix = 0);
  /// Backpropagates; adds sum over samples of dL/dc (4 per gate) to
  /// `coeffGrad` (totalGates x 4).
  void backward(const Model &model, const float *coeffs, uint32_t n,
                double *coeffGrad);

  std::vector<float> &inputs() { return act[0]; }
  /// The distance between a unit's rows of samples: the capacity after
  /// allocate(), the batch rounded up to 16 after setBatch().
  uint32_t stride() const { return rowStride; }
  /// Lays out the next forward/backward for n <= capacity samples; fill
  /// inputs() with stride() after it.
  void setBatch(uint32_t n);

private:
  uint32_t cap = 0, rowStride = 0;
  std::vector<LayerStep> plan;
  /// act[l] / grad[l]: the units of layer l - 1 (act[0]: the inputs); empty
  /// for the inner levels of a fused tree step.
  std::vector<std::vector<float>> act, grad;
  /// A fused tree's node values and gradients, (2^depth - 1) rows.
  std::vector<float> treeVal, treeGrad;
  /// The max pool's backward pass: samples whose gradient no window entry
  /// took yet.
  std::vector<uint32_t> poolLeft;
  /// A pooled tree step's window: one tree output row per entry, and the
  /// gradient row of the entry being sent down.
  std::vector<float> windowVal, windowGrad;
  /// poolArg[l]: for a pooled step's output layer l - 1, per unit and
  /// sample, the window entry its gradient goes to; else empty.
  std::vector<std::vector<uint32_t>> poolArg;
  std::vector<float> scoreBuf;
};

/// dL/dw from the summed dL/dc of each gate in [begin, end) and the
/// probabilities computeCoefficients gave; coeffGrad holds 4 values per gate
/// starting at gate `begin`. invTemperature: the noise's (1 without).
void weightGradients(Parametrization parametrization,
                     const std::vector<float> &probs, const double *coeffGrad,
                     uint32_t begin, uint32_t end, float *weightGrad,
                     float invTemperature = 1);

} // namespace lgc::train

#endif // LGC_TRAINER_MODEL_H
