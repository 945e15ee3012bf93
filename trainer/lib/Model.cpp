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
using kernels::TreeDesc;
using kernels::treeLevelStart;

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

std::vector<BlockSpec> ModelConfig::blocks() const {
  if (!arch.empty())
    return arch;
  std::vector<BlockSpec> out;
  for (uint32_t w : widths) {
    BlockSpec b;
    b.kind = BlockSpec::Dense;
    b.width = w;
    out.push_back(b);
  }
  return out;
}

Shape ModelConfig::inputShape() const {
  uint32_t levels = uint32_t(thresholds.size());
  if (imageHeight && imageWidth)
    return Shape{levels * imageChannels, imageHeight, imageWidth};
  uint32_t side = uint32_t(std::lround(std::sqrt(double(features))));
  if (side * side == features)
    return Shape{levels, side, side};
  return Shape{inputs(), 0, 0};
}

Status ModelConfig::validate() const {
  if (features == 0)
    return Status::error("the data has no features");
  if (thresholds.empty())
    return Status::error("at least one threshold is needed");
  std::vector<BlockSpec> list = blocks();
  if (list.empty())
    return Status::error("at least one layer is needed");
  if (!(tau > 0) || !std::isfinite(tau))
    return Status::error("tau must be positive");
  if (!(residualLogit > 0) || !std::isfinite(residualLogit))
    return Status::error("the residual logit must be positive");
  if ((imageHeight || imageWidth) &&
      uint64_t(imageHeight) * imageWidth * imageChannels != features)
    return Status::error(
        "the image " + std::to_string(imageHeight) + "x" +
        std::to_string(imageWidth) + "x" + std::to_string(imageChannels) +
        " does not have the data's " + std::to_string(features) + " features");
  Shape shape = inputShape();
  uint64_t gates = 0, units = 0;
  Status unique = Status::success();
  for (const BlockSpec &b : list) {
    if (b.kind == BlockSpec::Dense && b.width == 0)
      return Status::error("a layer needs a non-zero width");
    Shape out;
    // Before any block, a flat input means the features have no geometry;
    // after one, blockOutputShape says a dense layer came first.
    if (b.kind != BlockSpec::Dense && !shape.spatial() && &b == &list[0])
      return Status::errorAt(
          "--arch:1:" + std::to_string(b.column),
          std::string(b.kind == BlockSpec::Conv ? "conv" : "pool") +
              " needs an image: the data's " + std::to_string(features) +
              " features are not a square; give its geometry (--image "
              "HxW[xC])");
    if (Status s = blockOutputShape(b, shape, out); !s)
      return s;
    uint64_t prev = shape.units();
    if (b.kind == BlockSpec::Dense) {
      // Reported after the class count, which is the more basic mistake.
      if (connections == Connections::Unique && uint64_t(b.width) * 2 < prev &&
          unique.ok())
        unique = Status::error("'unique' connections need 2 x width >= the "
                               "previous width (" +
                               std::to_string(b.width) + " x 2 < " +
                               std::to_string(prev) +
                               "); use --connections random or wider layers");
      gates += b.width;
      units += b.width;
    } else if (b.kind == BlockSpec::Conv) {
      gates += uint64_t(b.width) * ((1ull << b.depth) - 1);
      units += out.units() * ((1ull << b.depth) - 1);
    } else {
      units += out.units();
    }
    shape = out;
  }
  if (classes == 0 || shape.units() % classes)
    return Status::error(
        "the last layer's width " + std::to_string(shape.units()) +
        " is not divisible into " + std::to_string(classes) + " classes");
  if (!unique)
    return unique;
  if (gates > (1u << 26))
    return Status::error("too many gates (" + std::to_string(gates) + ")");
  if (units > (1u << 28))
    return Status::error("too many units per sample (" + std::to_string(units) +
                         ")");
  return Status::success();
}

std::string ModelConfig::describe() const {
  std::string s = "features=" + std::to_string(features) + " thresholds=";
  for (size_t i = 0; i < thresholds.size(); ++i)
    s += (i ? "," : "") + std::to_string(thresholds[i]);
  if (arch.empty()) {
    s += " layers=";
    for (size_t i = 0; i < widths.size(); ++i)
      s += (i ? "," : "") + std::to_string(widths[i]);
  } else {
    s += " arch=" + formatArch(arch);
  }
  s += " classes=" + std::to_string(classes) + " tau=" + std::to_string(tau) +
       " connections=" +
       (connections == Connections::Unique ? "unique" : "random") +
       " seed=" + std::to_string(seed);
  // Settings added later are written only when they differ from the
  // defaults, so older checkpoints still describe the same model.
  if (imageHeight)
    s += " image=" + std::to_string(imageHeight) + "x" +
         std::to_string(imageWidth) + "x" + std::to_string(imageChannels);
  if (parametrization == Parametrization::InputWise)
    s += " parametrization=input-wise";
  if (init == InitScheme::Residual)
    s += " init=residual:" + std::to_string(residualLogit);
  if (poolRelaxation == PoolRelaxation::Probabilistic)
    s += " pool=probabilistic";
  return s;
}

namespace {

/// Builds the layers of one block from `in`; appends to `layers`, counting
/// gates from `gates`.
class LayerBuilder {
public:
  LayerBuilder(const ModelConfig &cfg, Rng &rng, std::vector<Layer> &layers,
               uint32_t &gates, std::vector<TreeLeaf> &leaves)
      : cfg(cfg), rng(rng), layers(layers), gates(gates), leaf(leaves) {}

  Status build(const BlockSpec &b, uint32_t blockIndex, const Shape &in,
               const Shape &out) {
    switch (b.kind) {
    case BlockSpec::Dense:
      return dense(b, blockIndex, in);
    case BlockSpec::Conv:
      conv(b, blockIndex, in, out);
      return Status::success();
    case BlockSpec::Pool:
      pool(b, blockIndex, in, out);
      return Status::success();
    }
    return Status::success();
  }

private:
  Layer &newLayer(Layer::Kind kind, uint32_t blockIndex, uint64_t inDim,
                  uint64_t outDim) {
    Layer &l = layers.emplace_back();
    l.kind = kind;
    l.block = blockIndex;
    l.inDim = uint32_t(inDim);
    l.outDim = uint32_t(outDim);
    l.offset = gates;
    return l;
  }

  Status dense(const BlockSpec &b, uint32_t blockIndex, const Shape &in) {
    Layer &l = newLayer(Layer::Logic, blockIndex, in.units(), b.width);
    l.numParams = b.width;
    gates += b.width;
    return makeConnections(cfg.connections, l.inDim, l.outDim, rng, l.a, l.b);
  }

  /// The unit of `in` at channel c, row y, column x (padding: inDim).
  static uint32_t at(const Shape &in, uint32_t c, int64_t y, int64_t x) {
    if (y < 0 || x < 0 || y >= int64_t(in.height) || x >= int64_t(in.width))
      return uint32_t(in.units());
    return uint32_t((uint64_t(c) * in.height + uint64_t(y)) * in.width +
                    uint64_t(x));
  }

  /// A logic tree per output channel, shared by every position: level 0
  /// reads 2^depth leaves (channel, dy, dx) drawn once per tree; level l has
  /// 2^(depth-1-l) gates per tree. Unit (j * K + o) * P + pos of a level is
  /// gate j of channel o's tree at position pos, so the last level is the
  /// channel-major K x H' x W' output.
  void conv(const BlockSpec &b, uint32_t blockIndex, const Shape &in,
            const Shape &out) {
    const uint32_t K = b.width, P = out.height * out.width,
                   leaves = 1u << b.depth, k = b.kernel;
    const uint32_t group = b.channelGroup ? b.channelGroup : in.channels;
    leaf.assign(size_t(K) * leaves, TreeLeaf());
    std::vector<uint32_t> channels(in.channels);
    for (uint32_t o = 0; o < K; ++o) {
      // The tree's channels: `group` distinct ones (partial shuffle).
      for (uint32_t c = 0; c < in.channels; ++c)
        channels[c] = c;
      for (uint32_t i = 0; i < group; ++i)
        std::swap(channels[i],
                  channels[i + uint32_t(rng.below(in.channels - i))]);
      for (uint32_t L = 0; L < leaves; ++L) {
        TreeLeaf &f = leaf[size_t(o) * leaves + L];
        // Alternate the group's channels, so each first-level gate combines
        // two channels where the group has two.
        f.c = channels[L % group];
        do {
          f.dy = uint32_t(rng.below(k));
          f.dx = uint32_t(rng.below(k));
          // A gate's two leaves differ (the block validated that two
          // distinct inputs exist).
        } while (L % 2 == 1 && f.c == leaf[size_t(o) * leaves + L - 1].c &&
                 f.dy == leaf[size_t(o) * leaves + L - 1].dy &&
                 f.dx == leaf[size_t(o) * leaves + L - 1].dx);
      }
    }
    uint64_t inDim = in.units();
    for (uint32_t level = 0; level < b.depth; ++level) {
      uint32_t nodes = 1u << (b.depth - 1 - level);
      Layer &l =
          newLayer(Layer::Logic, blockIndex, inDim, uint64_t(nodes) * K * P);
      l.numParams = nodes * K;
      gates += l.numParams;
      l.a.resize(l.outDim);
      l.b.resize(l.outDim);
      l.param.resize(l.outDim);
      for (uint32_t j = 0; j < nodes; ++j)
        for (uint32_t o = 0; o < K; ++o)
          for (uint32_t y = 0; y < out.height; ++y)
            for (uint32_t x = 0; x < out.width; ++x) {
              uint32_t pos = y * out.width + x;
              size_t u = (size_t(j) * K + o) * P + pos;
              l.param[u] = j * K + o;
              if (level == 0) {
                const TreeLeaf &fa = leaf[size_t(o) * leaves + 2 * j];
                const TreeLeaf &fb = leaf[size_t(o) * leaves + 2 * j + 1];
                int64_t y0 = int64_t(y) * b.stride - b.padding,
                        x0 = int64_t(x) * b.stride - b.padding;
                l.a[u] = at(in, fa.c, y0 + fa.dy, x0 + fa.dx);
                l.b[u] = at(in, fb.c, y0 + fb.dy, x0 + fb.dx);
              } else {
                l.a[u] = uint32_t((size_t(2 * j) * K + o) * P + pos);
                l.b[u] = uint32_t((size_t(2 * j + 1) * K + o) * P + pos);
              }
            }
      inDim = l.outDim;
    }
  }

  void pool(const BlockSpec &b, uint32_t blockIndex, const Shape &in,
            const Shape &out) {
    Layer &l = newLayer(Layer::OrPool, blockIndex, in.units(), out.units());
    l.windowSize = b.kernel * b.kernel;
    l.window.reserve(size_t(l.outDim) * l.windowSize);
    for (uint32_t c = 0; c < out.channels; ++c)
      for (uint32_t y = 0; y < out.height; ++y)
        for (uint32_t x = 0; x < out.width; ++x)
          for (uint32_t dy = 0; dy < b.kernel; ++dy)
            for (uint32_t dx = 0; dx < b.kernel; ++dx)
              l.window.push_back(at(in, c,
                                    int64_t(y) * b.stride - b.padding + dy,
                                    int64_t(x) * b.stride - b.padding + dx));
  }

  const ModelConfig &cfg;
  Rng &rng;
  std::vector<Layer> &layers;
  uint32_t &gates;
  std::vector<TreeLeaf> &leaf;
};

} // namespace

Status Model::init(const ModelConfig &config) {
  if (Status s = config.validate(); !s)
    return s;
  cfg = config;
  layerList.clear();
  Rng rng(cfg.seed);
  totalGates = 0;
  std::vector<BlockSpec> list = cfg.blocks();
  blockLeaves.assign(list.size(), {});
  Shape shape = cfg.inputShape();
  for (uint32_t i = 0; i < list.size(); ++i) {
    Shape out;
    if (Status s = blockOutputShape(list[i], shape, out); !s)
      return s;
    LayerBuilder builder(cfg, rng, layerList, totalGates, blockLeaves[i]);
    if (Status s = builder.build(list[i], i, shape, out); !s)
      return s;
    shape = out;
  }
  const uint32_t W = cfg.weightsPerGate();
  weights.resize(size_t(totalGates) * W);
  if (cfg.init == InitScheme::Gaussian) {
    for (float &w : weights)
      w = float(rng.normal());
  } else {
    const float z = cfg.residualLogit;
    for (uint32_t g = 0; g < totalGates; ++g) {
      float *w = &weights[size_t(g) * W];
      if (W == 16) {
        std::fill_n(w, 16, 0.0f);
        w[unsigned(GateKind::A)] = z;
      } else {
        // The table of `a`: f(0,0) = f(0,1) = 0, f(1,0) = f(1,1) = 1, each
        // entry right with probability sigmoid(z / 2) (0.92 at z = 5, near
        // the softmax's 0.91 for `a`; at +-z the sigmoids would saturate).
        w[0] = -z / 2, w[1] = -z / 2, w[2] = z / 2, w[3] = z / 2;
      }
    }
  }
  return Status::success();
}

void Model::computeCoefficients(std::vector<float> &coeffs,
                                std::vector<float> &probs, uint32_t begin,
                                uint32_t end, GateNoise noise) const {
  // The CUDA kernel's per-gate body, so the two paths fold alike.
  for (uint32_t g = begin; g < end; ++g)
    kernels::coefficientsThread(
        weights.data(), probs.data(), coeffs.data(), g,
        cfg.parametrization == Parametrization::InputWise, noise);
}

unsigned Model::gateKind(uint32_t g) const {
  if (cfg.parametrization == Parametrization::InputWise) {
    // Bit 3 - m of the kind is table entry m (m = 2a + b).
    const float *w = &weights[size_t(g) * 4];
    unsigned kind = 0;
    for (int m = 0; m < 4; ++m)
      kind |= unsigned(w[m] > 0) << (3 - m);
    return kind;
  }
  const float *w = &weights[size_t(g) * 16];
  unsigned best = 0;
  for (unsigned k = 1; k < 16; ++k)
    if (w[k] > w[best])
      best = k;
  return best;
}

Net Model::discretize() const {
  Net net;
  net.numInputs = cfg.inputs();
  net.numFeatures = cfg.features;
  net.levels = cfg.thresholds;
  net.numClasses = cfg.classes;
  net.tau = cfg.tau;
  std::vector<uint8_t> kinds(totalGates);
  for (uint32_t g = 0; g < totalGates; ++g)
    kinds[g] = uint8_t(gateKind(g));
  // The node of each unit of the previous layer.
  std::vector<uint32_t> prev(net.numInputs), cur;
  for (uint32_t i = 0; i < net.numInputs; ++i)
    prev[i] = i;
  std::vector<BlockSpec> list = cfg.blocks();
  Shape shape = cfg.inputShape();
  size_t l = 0;
  // Conv and pool blocks come before any dense layer (validate() sees to
  // it): they become shared blocks reading the previous block's outputs,
  // which are consecutive nodes.
  while (l < layerList.size() &&
         list[layerList[l].block].kind != BlockSpec::Dense) {
    const uint32_t bi = layerList[l].block;
    const BlockSpec &spec = list[bi];
    Shape out;
    (void)blockOutputShape(spec, shape, out);
    SharedBlock b;
    b.input = prev[0];
    b.channels = shape.channels;
    b.height = shape.height;
    b.width = shape.width;
    b.kernel = spec.kernel;
    b.stride = spec.stride;
    b.padding = spec.padding;
    if (spec.kind == BlockSpec::Conv) {
      b.kind = SharedBlock::Conv;
      const uint32_t K = spec.width, L = 1u << spec.depth;
      b.outChannels = K;
      b.leaves = L;
      b.leaf = blockLeaves[bi];
      b.tree.resize(size_t(K) * (L - 1));
      for (uint32_t o = 0; o < K; ++o) {
        // Level `level`'s gate j is tree node `base + j`; it reads nodes
        // 2j and 2j + 1 of the level below.
        uint32_t below = 0, base = L, g = 0;
        for (uint32_t level = 0; level < spec.depth; ++level) {
          const Layer &layer = layerList[l + level];
          uint32_t nodes = 1u << (spec.depth - 1 - level);
          for (uint32_t j = 0; j < nodes; ++j)
            b.tree[size_t(o) * (L - 1) + g++] =
                Gate{kinds[layer.offset + j * K + o], below + 2 * j,
                     below + 2 * j + 1};
          below = base;
          base += nodes;
        }
      }
      l += spec.depth;
    } else {
      b.kind = SharedBlock::OrPool;
      l += 1;
    }
    uint32_t first = net.firstGateNode();
    net.blocks.push_back(std::move(b));
    prev.resize(out.units());
    for (uint32_t u = 0; u < prev.size(); ++u)
      prev[u] = first + u;
    shape = out;
  }
  // Dense layers: gates. Their operands never read padding.
  for (; l < layerList.size(); ++l) {
    const Layer &layer = layerList[l];
    net.layerStarts.push_back(uint32_t(net.gates.size()));
    cur.resize(layer.outDim);
    for (uint32_t i = 0; i < layer.outDim; ++i) {
      cur[i] = net.numNodes();
      net.gates.push_back(
          Gate{kinds[layer.gateOf(i)], prev[layer.a[i]], prev[layer.b[i]]});
    }
    prev.swap(cur);
  }
  net.outputs = prev;
  return net;
}

//===----------------------------------------------------------------------===//
// Workspace
//===----------------------------------------------------------------------===//

void Workspace::allocate(const Model &model, uint32_t maxSamples,
                         bool fuseTrees) {
  cap = maxSamples;
  rowStride = cap;
  const std::vector<Layer> &layers = model.layers();
  plan = layerSteps(model, fuseTrees ? UINT32_MAX : 0, fuseTrees);
  uint32_t treeRows = 0, windowRows = 0;
  for (const LayerStep &step : plan) {
    if (step.levels > 1)
      treeRows = std::max(treeRows, (1u << step.levels) - 1);
    if (step.pooled)
      windowRows =
          std::max(windowRows, layers[step.layer + step.levels].windowSize);
  }
  act.assign(layers.size() + 1, {});
  grad.assign(layers.size() + 1, {});
  poolArg.assign(layers.size() + 1, {});
  // One row past each activation: the constant 0 that padding reads.
  act[0].assign(size_t(model.config().inputs() + 1) * cap, 0.0f);
  for (const LayerStep &step : plan) {
    uint32_t l = step.layer + step.layers() - 1;
    act[l + 1].assign(size_t(layers[l].outDim + 1) * cap, 0.0f);
    grad[l + 1].assign(size_t(layers[l].outDim + 1) * cap, 0.0f);
    if (step.pooled)
      poolArg[l + 1].assign(size_t(layers[l].outDim) * cap, 0);
  }
  poolLeft.assign(cap, 0);
  treeVal.assign(size_t(treeRows) * cap, 0.0f);
  treeGrad.assign(size_t(treeRows) * cap, 0.0f);
  windowVal.assign(size_t(windowRows) * cap, 0.0f);
  windowGrad.assign(windowRows ? cap : 0, 0.0f);
  scoreBuf.assign(size_t(model.config().classes) * cap, 0.0f);
}

void Workspace::setBatch(uint32_t n) {
  // Rows of a multiple of 16 floats (64 bytes), no longer than the batch
  // needs: a short row keeps the layer's working set in cache.
  rowStride = uint32_t(std::min<uint64_t>(cap, (uint64_t(n) + 15) / 16 * 16));
}

/// Gates read (and, backwards, add into) rows scattered over the previous
/// layer, so each row starts with cache misses: the layer loops ask for
/// the rows of the gate kPrefetchAhead ahead (8 measured as 4).
constexpr uint32_t kPrefetchAhead = 4;
template <int Write>
static inline void prefetchRow(const float *row, uint32_t n) {
  for (uint32_t s = 0; s < n; s += 16) // a 64-byte line per 16 floats
    __builtin_prefetch(row + s, Write);
}

/// One gate over a row of samples: c0 + c1 x + c2 y + c3 x y. Every path
/// (layer by layer, fused trees) computes a gate through this one
/// expression, so they round alike.
__attribute__((always_inline)) static inline void
gateRow(const float *__restrict x, const float *__restrict y,
        float *__restrict o, const float *c, uint32_t n) {
  const float c0 = c[0], c1 = c[1], c2 = c[2], c3 = c[3];
  for (uint32_t s = 0; s < n; ++s)
    o[s] = c0 + c1 * x[s] + c2 * y[s] + c3 * x[s] * y[s];
}

/// A gate's backward pass over a row of samples: adds the four sums of
/// dL/dc over the row to `cg` and, where ga/gb are given, the operands'
/// gradients into them (ga and gb may be the same row).
__attribute__((always_inline)) static inline void
gateRowBackward(const float *__restrict x, const float *__restrict y,
                const float *__restrict gi, float *ga, float *gb,
                const float *c, double *cg, uint32_t n) {
  // The four sums in kLanes independent partial sums: a float sum in one
  // accumulator is a chain of dependent adds that the compiler may not
  // reorder (it would change the rounding), so it ran scalar at the adds'
  // latency, 66 % of a training step; lanes let it use vectors. The order is
  // fixed, so results stay deterministic.
  constexpr uint32_t kLanes = 16;
  float a0[kLanes] = {}, a1[kLanes] = {}, a2[kLanes] = {}, a3[kLanes] = {};
  uint32_t s = 0;
  for (; s + kLanes <= n; s += kLanes)
    for (uint32_t l = 0; l < kLanes; ++l) {
      float gv = gi[s + l], gx = gv * x[s + l];
      a0[l] += gv;
      a1[l] += gx;
      a2[l] += gv * y[s + l];
      a3[l] += gx * y[s + l];
    }
  // The tail in scalars of its own: scalar stores into the lanes would stall
  // the vector loads of the fold below.
  float t0 = 0, t1 = 0, t2 = 0, t3 = 0;
  for (; s < n; ++s) {
    float gv = gi[s], gx = gv * x[s];
    t0 += gv;
    t1 += gx;
    t2 += gv * y[s];
    t3 += gx * y[s];
  }
  // The lanes fold pairwise (lane l + w into lane l), a fixed order that
  // runs as vector adds; summed one after the other they were four chains of
  // 16 dependent adds, which cost more than the loop above on a row of 100.
  for (uint32_t w = kLanes / 2; w > 0; w /= 2)
    for (uint32_t l = 0; l < w; ++l) {
      a0[l] += a0[l + w];
      a1[l] += a1[l + w];
      a2[l] += a2[l + w];
      a3[l] += a3[l + w];
    }
  cg[0] += a0[0] + t0;
  cg[1] += a1[0] + t1;
  cg[2] += a2[0] + t2;
  cg[3] += a3[0] + t3;
  if (!ga)
    return;
  const float c1 = c[1], c2 = c[2], c3 = c[3];
  // a and b may be the same unit: accumulate one after the other.
  {
    float *__restrict g = ga;
    for (uint32_t s = 0; s < n; ++s)
      g[s] += gi[s] * (c1 + c3 * y[s]);
  }
  float *__restrict g = gb;
  for (uint32_t s = 0; s < n; ++s)
    g[s] += gi[s] * (c2 + c3 * x[s]);
}

LGC_MULTIVERSION
static void forwardLayer(const float *__restrict in, float *__restrict out,
                         const uint32_t *a, const uint32_t *b,
                         const uint32_t *param, const float *coeffs,
                         uint32_t gates, uint32_t n, uint32_t stride) {
  for (uint32_t i = 0; i < gates; ++i) {
    if (uint32_t j = i + kPrefetchAhead; j < gates) {
      prefetchRow<0>(in + size_t(a[j]) * stride, n);
      prefetchRow<0>(in + size_t(b[j]) * stride, n);
    }
    gateRow(in + size_t(a[i]) * stride, in + size_t(b[i]) * stride,
            out + size_t(i) * stride, coeffs + size_t(param ? param[i] : i) * 4,
            n);
  }
}

/// Evaluates channel o's tree at position pos: levels [0, depth - 1) into
/// `val` (rows numbered as treeLevelStart), the root into `root` unless it
/// is null.
__attribute__((always_inline)) static inline void
evalTree(const TreeDesc &t, const float *in, const float *coeffs, float *val,
         uint32_t o, uint32_t pos, uint32_t n, uint32_t stride, float *root) {
  for (uint32_t lv = 0; lv < t.depth; ++lv) {
    const bool top = lv + 1 == t.depth;
    if (top && !root)
      return;
    for (uint32_t j = 0; j < (1u << (t.depth - 1 - lv)); ++j) {
      const float *x, *y;
      if (lv == 0) {
        size_t u = t.leafUnit(j, o, pos);
        x = in + size_t(t.a[u]) * stride;
        y = in + size_t(t.b[u]) * stride;
      } else {
        x = val + size_t(treeLevelStart(t.depth, lv - 1) + 2 * j) * stride;
        y = x + stride;
      }
      gateRow(x, y,
              top ? root
                  : val + size_t(treeLevelStart(t.depth, lv) + j) * stride,
              coeffs + t.gate(lv, j, o) * 4, n);
    }
  }
}

LGC_MULTIVERSION
static void treeForward(const TreeDesc &t, const float *in, float *out,
                        const float *coeffs, float *val, uint32_t n,
                        uint32_t stride) {
  for (uint32_t o = 0; o < t.K; ++o)
    for (uint32_t pos = 0; pos < t.P; ++pos)
      evalTree(t, in, coeffs, val, o, pos, n, stride,
               out + (size_t(o) * t.P + pos) * stride);
}

/// Backward through channel o's tree at position pos, whose root has the
/// gradient row `gi`: its inner levels are evaluated again (a few rows, in
/// cache), then the gradient goes down level by level; the leaves'
/// gradients add into `gin` when it is given.
__attribute__((always_inline)) static inline void
treeBackwardAt(const TreeDesc &t, const float *in, const float *gi, float *gin,
               const float *coeffs, double *coeffGrad, float *val, float *vgrad,
               uint32_t o, uint32_t pos, uint32_t n, uint32_t stride) {
  evalTree(t, in, coeffs, val, o, pos, n, stride, nullptr);
  for (uint32_t lv = t.depth; lv-- > 0;) {
    for (uint32_t j = 0; j < (1u << (t.depth - 1 - lv)); ++j) {
      const size_t gate = t.gate(lv, j, o);
      const float *g =
          lv + 1 == t.depth
              ? gi
              : vgrad + size_t(treeLevelStart(t.depth, lv) + j) * stride;
      const float *x, *y;
      float *ga = nullptr, *gb = nullptr;
      if (lv == 0) {
        size_t u = t.leafUnit(j, o, pos);
        x = in + size_t(t.a[u]) * stride;
        y = in + size_t(t.b[u]) * stride;
        if (gin) {
          ga = gin + size_t(t.a[u]) * stride;
          gb = gin + size_t(t.b[u]) * stride;
        }
      } else {
        size_t child = treeLevelStart(t.depth, lv - 1) + 2 * j;
        x = val + child * stride;
        y = x + stride;
        ga = vgrad + child * stride;
        gb = ga + stride;
        // Each inner node has one parent: its gradient starts here.
        std::fill_n(ga, 2 * size_t(stride), 0.0f);
      }
      gateRowBackward(x, y, g, ga, gb, coeffs + gate * 4, coeffGrad + gate * 4,
                      n);
    }
  }
}

/// Backward through every tree. Per gate, the positions add into its
/// coefficient sums in the order the layer-by-layer path uses, so those
/// sums come out the same.
LGC_MULTIVERSION
static void treeBackward(const TreeDesc &t, const float *in, const float *g,
                         float *gin, const float *coeffs, double *coeffGrad,
                         float *val, float *vgrad, uint32_t n,
                         uint32_t stride) {
  for (uint32_t o = 0; o < t.K; ++o)
    for (uint32_t pos = 0; pos < t.P; ++pos)
      treeBackwardAt(t, in, g + (size_t(o) * t.P + pos) * stride, gin, coeffs,
                     coeffGrad, val, vgrad, o, pos, n, stride);
}

// Row loops of the pooled tree step. As functions of their own, with
// restrict parameters, they run as vectors: inlined as plain loops over
// rows addressed by unit times stride, the vectoriser's overlap check failed
// at run time and they ran scalar, slower than the trees themselves.

/// o = max(o, x), as poolForward takes it.
__attribute__((always_inline)) static inline void
maxInto(float *__restrict o, const float *__restrict x, uint32_t n) {
  for (uint32_t s = 0; s < n; ++s)
    o[s] = x[s] > o[s] ? x[s] : o[s];
}

/// a = k where x equals the maximum o.
__attribute__((always_inline)) static inline void
markEqual(uint32_t *__restrict a, const float *__restrict x,
          const float *__restrict o, uint32_t k, uint32_t n) {
  for (uint32_t s = 0; s < n; ++s)
    a[s] = x[s] == o[s] ? k : a[s];
}

/// wg = g where entry k took the sample, else 0; returns whether any did.
__attribute__((always_inline)) static inline bool
takenGradient(float *__restrict wg, const float *__restrict g,
              const uint32_t *__restrict a, uint32_t k, uint32_t n) {
  uint32_t taken = 0;
  for (uint32_t s = 0; s < n; ++s) {
    // 0 + g as the layer-by-layer path adds into a zeroed row.
    wg[s] = a[s] == k ? 0.0f + g[s] : 0.0f;
    taken |= uint32_t(a[s] == k);
  }
  return taken;
}

/// A tree step with its max pool (LayerStep::pooled): per pooled unit, the
/// trees at the window's positions into `wval` (a row per entry), their
/// maximum into `out` as poolForward takes it, and per sample the entry
/// whose gradient poolBackward would take (the first equal to the maximum,
/// else the last) into `arg`. The conv outputs themselves are never stored.
LGC_MULTIVERSION
static void treePoolForward(const TreeDesc &t, const float *in, float *out,
                            uint32_t *arg, const uint32_t *window,
                            uint32_t windowSize, uint32_t units,
                            const float *coeffs, float *val, float *wval,
                            uint32_t n, uint32_t stride) {
  for (uint32_t i = 0; i < units; ++i) {
    const uint32_t *w = window + size_t(i) * windowSize;
    float *o = out + size_t(i) * stride;
    std::fill_n(o, n, 0.0f);
    for (uint32_t k = 0; k < windowSize; ++k) {
      float *x = wval + size_t(k) * stride;
      evalTree(t, in, coeffs, val, w[k] / t.P, w[k] % t.P, n, stride, x);
      maxInto(o, x, n);
    }
    uint32_t *a = arg + size_t(i) * stride;
    std::fill_n(a, n, windowSize - 1);
    for (uint32_t k = windowSize - 1; k-- > 0;)
      markEqual(a, wval + size_t(k) * stride, o, k, n);
  }
}

/// Backward through a pooled tree step: each pooled unit's gradient goes to
/// the tree of the entry `arg` names, sample by sample (the row `wgrad`,
/// zero elsewhere, as the conv output's gradient row is in the
/// layer-by-layer path), and down that tree.
LGC_MULTIVERSION
static void treePoolBackward(const TreeDesc &t, const float *in, const float *g,
                             const uint32_t *arg, float *gin,
                             const uint32_t *window, uint32_t windowSize,
                             uint32_t units, const float *coeffs,
                             double *coeffGrad, float *val, float *vgrad,
                             float *wgrad, uint32_t n, uint32_t stride) {
  for (uint32_t i = 0; i < units; ++i) {
    const uint32_t *w = window + size_t(i) * windowSize;
    const float *gi = g + size_t(i) * stride;
    const uint32_t *a = arg + size_t(i) * stride;
    for (uint32_t k = 0; k < windowSize; ++k) {
      // A tree no sample took adds only zeros.
      if (takenGradient(wgrad, gi, a, k, n))
        treeBackwardAt(t, in, wgrad, gin, coeffs, coeffGrad, val, vgrad,
                       w[k] / t.P, w[k] % t.P, n, stride);
    }
  }
}

/// OR pooling relaxed as the maximum over the window (the t-conorm the
/// convolutional paper uses) or, probabilistic, as 1 - prod(1 - x); both are
/// OR on 0/1.
LGC_MULTIVERSION
static void poolForward(const float *__restrict in, float *__restrict out,
                        const uint32_t *window, uint32_t windowSize,
                        bool probabilistic, uint32_t units, uint32_t n,
                        uint32_t stride) {
  for (uint32_t i = 0; i < units; ++i) {
    float *__restrict o = out + size_t(i) * stride;
    const uint32_t *w = window + size_t(i) * windowSize;
    for (uint32_t s = 0; s < n; ++s)
      o[s] = probabilistic ? 1.0f : 0.0f;
    for (uint32_t k = 0; k < windowSize; ++k) {
      const float *__restrict x = in + size_t(w[k]) * stride;
      if (probabilistic)
        for (uint32_t s = 0; s < n; ++s)
          o[s] *= 1.0f - x[s];
      else
        for (uint32_t s = 0; s < n; ++s)
          o[s] = x[s] > o[s] ? x[s] : o[s];
    }
    if (probabilistic)
      for (uint32_t s = 0; s < n; ++s)
        o[s] = 1.0f - o[s];
  }
}

/// The gradient of the maximum goes to the first window entry that attains
/// it (the entry the forward pass kept). Window entry by window entry over
/// all samples, with a mask of the samples not yet taken: the loops then run
/// along rows, as vectors (sample by sample, with the window inside, they
/// were scalar and strided, 18 % of a conv net's step). Each sample still
/// adds into exactly one entry, so the sums are the same.
LGC_MULTIVERSION
static void poolBackward(const float *in, const float *out, const float *g,
                         float *gin, const uint32_t *window,
                         uint32_t windowSize, uint32_t units, uint32_t n,
                         uint32_t stride, uint32_t *__restrict left) {
  for (uint32_t i = 0; i < units; ++i) {
    const uint32_t *w = window + size_t(i) * windowSize;
    const float *__restrict o = out + size_t(i) * stride;
    const float *__restrict gi = g + size_t(i) * stride;
    std::fill_n(left, n, 1u);
    for (uint32_t k = 0; k < windowSize; ++k) {
      const float *__restrict x = in + size_t(w[k]) * stride;
      float *__restrict gk = gin + size_t(w[k]) * stride;
      // The last entry takes every sample left (as the forward pass's
      // maximum is one of the entries, only rounding-free ties reach it).
      const bool last = k + 1 == windowSize;
      for (uint32_t s = 0; s < n; ++s) {
        uint32_t take = left[s] & uint32_t(last || x[s] == o[s]);
        gk[s] = take ? gk[s] + gi[s] : gk[s];
        left[s] &= ~take;
      }
    }
  }
}

/// d/dx_k of 1 - prod(1 - x) is the product of the others' (1 - x_j):
/// prefix and suffix products, so no division by a (1 - x_k) near 0.
static void probPoolBackward(const float *in, const float *g, float *gin,
                             const uint32_t *window, uint32_t windowSize,
                             uint32_t units, uint32_t n, uint32_t stride) {
  std::vector<float> suffix(windowSize + 1);
  for (uint32_t i = 0; i < units; ++i) {
    const uint32_t *w = window + size_t(i) * windowSize;
    const float *gi = g + size_t(i) * stride;
    for (uint32_t s = 0; s < n; ++s) {
      suffix[windowSize] = 1.0f;
      for (uint32_t k = windowSize; k-- > 0;)
        suffix[k] = suffix[k + 1] * (1.0f - in[size_t(w[k]) * stride + s]);
      float prefix = 1.0f;
      for (uint32_t k = 0; k < windowSize; ++k) {
        gin[size_t(w[k]) * stride + s] += gi[s] * prefix * suffix[k + 1];
        prefix *= 1.0f - in[size_t(w[k]) * stride + s];
      }
    }
  }
}

/// True when the max pool `pool` can join the tree step before it: its
/// windows read no padding and no unit twice (so a unit's gradient comes
/// from one pooled unit alone).
static bool poolJoinsTrees(const Layer &pool) {
  if (pool.kind != Layer::OrPool)
    return false;
  std::vector<uint8_t> seen(pool.inDim, 0);
  for (uint32_t u : pool.window) {
    if (u >= pool.inDim || seen[u])
      return false;
    seen[u] = 1;
  }
  return true;
}

std::vector<LayerStep> lgc::train::layerSteps(const Model &model,
                                              uint32_t maxFusedDepth,
                                              bool fusePools) {
  const std::vector<Layer> &layers = model.layers();
  const std::vector<BlockSpec> blocks = model.config().blocks();
  const bool maxPools = model.config().poolRelaxation == PoolRelaxation::Max;
  std::vector<LayerStep> steps;
  for (uint32_t l = 0; l < layers.size();) {
    LayerStep step;
    step.layer = l;
    const BlockSpec &b = blocks[layers[l].block];
    // A conv block's layers are its tree levels, level 0 first.
    if (b.kind == BlockSpec::Conv && b.depth > 1 && b.depth <= maxFusedDepth) {
      step.levels = b.depth;
      const uint32_t next = l + step.levels;
      step.pooled = fusePools && maxPools && next < layers.size() &&
                    poolJoinsTrees(layers[next]);
    }
    steps.push_back(step);
    l += step.layers();
  }
  return steps;
}

TreeDesc lgc::train::treeDesc(const Model &model, const LayerStep &step) {
  const std::vector<Layer> &layers = model.layers();
  TreeDesc t;
  t.a = layers[step.layer].a.data();
  t.b = layers[step.layer].b.data();
  t.depth = step.levels;
  for (uint32_t lv = 0; lv < step.levels; ++lv)
    t.offset[lv] = layers[step.layer + lv].offset;
  const Layer &root = layers[step.layer + step.levels - 1];
  t.K = root.numParams;
  t.P = root.outDim / root.numParams;
  return t;
}

void Workspace::forward(const Model &model, const float *coeffs, uint32_t n) {
  const std::vector<Layer> &layers = model.layers();
  // The padding rows move with the row stride: zero them for this one.
  std::fill_n(&act[0][size_t(model.config().inputs()) * rowStride], n, 0.0f);
  for (const LayerStep &step : plan) {
    uint32_t l = step.layer + step.layers() - 1;
    std::fill_n(&act[l + 1][size_t(layers[l].outDim) * rowStride], n, 0.0f);
  }
  const bool probabilistic =
      model.config().poolRelaxation == PoolRelaxation::Probabilistic;
  for (const LayerStep &step : plan) {
    const uint32_t l = step.layer;
    const Layer &layer = layers[l];
    if (step.pooled) {
      const Layer &pool = layers[l + step.levels];
      const uint32_t out = l + step.layers();
      treePoolForward(treeDesc(model, step), act[l].data(), act[out].data(),
                      poolArg[out].data(), pool.window.data(), pool.windowSize,
                      pool.outDim, coeffs, treeVal.data(), windowVal.data(), n,
                      rowStride);
      continue;
    }
    if (step.levels > 1) {
      treeForward(treeDesc(model, step), act[l].data(),
                  act[l + step.levels].data(), coeffs, treeVal.data(), n,
                  rowStride);
      continue;
    }
    if (layer.kind == Layer::OrPool) {
      poolForward(act[l].data(), act[l + 1].data(), layer.window.data(),
                  layer.windowSize, probabilistic, layer.outDim, n, rowStride);
      continue;
    }
    forwardLayer(act[l].data(), act[l + 1].data(), layer.a.data(),
                 layer.b.data(),
                 layer.param.empty() ? nullptr : layer.param.data(),
                 coeffs + size_t(layer.offset) * 4, layer.outDim, n, rowStride);
  }
  // GroupSum: class c's score is the sum of its group over tau.
  const std::vector<float> &last = act.back();
  uint32_t C = model.config().classes, group = model.layers().back().outDim / C;
  float invTau = float(1.0 / model.config().tau);
  for (uint32_t c = 0; c < C; ++c) {
    float *score = &scoreBuf[size_t(c) * rowStride];
    for (uint32_t s = 0; s < n; ++s)
      score[s] = 0;
    for (uint32_t k = 0; k < group; ++k) {
      const float *y = &last[size_t(c * group + k) * rowStride];
      for (uint32_t s = 0; s < n; ++s)
        score[s] += y[s];
    }
    for (uint32_t s = 0; s < n; ++s)
      score[s] *= invTau;
  }
}

double Workspace::lossAndGrad(const Model &model, const uint32_t *labels,
                              uint32_t n, float scale, uint32_t &correct,
                              const float *targets, float mix) {
  uint32_t C = model.config().classes, group = model.layers().back().outDim / C;
  float invTau = float(1.0 / model.config().tau);
  double loss = 0;
  std::vector<float> p(C);
  std::vector<float> dscore(size_t(C) * n);
  for (uint32_t s = 0; s < n; ++s) {
    float m = scoreBuf[s];
    uint32_t best = 0;
    for (uint32_t c = 1; c < C; ++c) {
      float v = scoreBuf[size_t(c) * rowStride + s];
      if (v > m)
        m = v, best = c;
    }
    correct += best == labels[s];
    double sum = 0;
    for (uint32_t c = 0; c < C; ++c) {
      p[c] = std::exp(scoreBuf[size_t(c) * rowStride + s] - m);
      sum += p[c];
    }
    // -sum_c t_c log p_c with log p_c = score_c - m - log(sum), for the
    // target t (a distribution); its gradient is p - t.
    auto target = [&](uint32_t c) {
      float hard = c == labels[s] ? 1.0f : 0.0f;
      return targets ? (1 - mix) * hard + mix * targets[size_t(s) * C + c]
                     : hard;
    };
    for (uint32_t c = 0; c < C; ++c)
      if (float t = target(c))
        loss += -double(t) * (double(scoreBuf[size_t(c) * rowStride + s] - m) -
                              std::log(sum));
    for (uint32_t c = 0; c < C; ++c)
      dscore[size_t(c) * n + s] =
          (float(p[c] / sum) - target(c)) * scale * invTau;
  }
  std::vector<float> &g = grad.back();
  for (uint32_t c = 0; c < C; ++c)
    for (uint32_t k = 0; k < group; ++k) {
      float *row = &g[size_t(c * group + k) * rowStride];
      for (uint32_t s = 0; s < n; ++s)
        row[s] = dscore[size_t(c) * n + s];
    }
  return loss;
}

LGC_MULTIVERSION
static void backwardLayer(const float *__restrict in, const float *__restrict g,
                          float *__restrict gin, const uint32_t *a,
                          const uint32_t *b, const uint32_t *param,
                          const float *coeffs, double *coeffGrad,
                          uint32_t gates, uint32_t n, uint32_t stride) {
  for (uint32_t i = 0; i < gates; ++i) {
    if (uint32_t j = i + kPrefetchAhead; j < gates) {
      prefetchRow<0>(in + size_t(a[j]) * stride, n);
      prefetchRow<0>(in + size_t(b[j]) * stride, n);
      if (gin) {
        prefetchRow<1>(gin + size_t(a[j]) * stride, n);
        prefetchRow<1>(gin + size_t(b[j]) * stride, n);
      }
    }
    // Positions of a conv tree share the gate: their sums add up.
    const size_t p = param ? param[i] : i;
    gateRowBackward(in + size_t(a[i]) * stride, in + size_t(b[i]) * stride,
                    g + size_t(i) * stride,
                    gin ? gin + size_t(a[i]) * stride : nullptr,
                    gin ? gin + size_t(b[i]) * stride : nullptr, coeffs + 4 * p,
                    coeffGrad + p * 4, n);
  }
}

void Workspace::backward(const Model &model, const float *coeffs, uint32_t n,
                         double *coeffGrad) {
  for (size_t i = plan.size(); i-- > 0;) {
    const LayerStep &step = plan[i];
    const uint32_t l = step.layer;
    const Layer &layer = model.layers()[l];
    float *gin = nullptr;
    if (l > 0) {
      std::vector<float> &prev = grad[l];
      // The padding row too: it collects gradients nobody reads. One fill
      // over whole rows (the stride's tail included) instead of one per
      // row: a row is a few hundred bytes, and a call per row cost 10 % of
      // a conv net's step.
      std::fill_n(prev.data(), size_t(layer.inDim + 1) * rowStride, 0.0f);
      gin = prev.data();
    }
    if (step.pooled) {
      const Layer &pool = model.layers()[l + step.levels];
      const uint32_t out = l + step.layers();
      treePoolBackward(treeDesc(model, step), act[l].data(), grad[out].data(),
                       poolArg[out].data(), gin, pool.window.data(),
                       pool.windowSize, pool.outDim, coeffs, coeffGrad,
                       treeVal.data(), treeGrad.data(), windowGrad.data(), n,
                       rowStride);
      continue;
    }
    if (step.levels > 1) {
      treeBackward(treeDesc(model, step), act[l].data(),
                   grad[l + step.levels].data(), gin, coeffs, coeffGrad,
                   treeVal.data(), treeGrad.data(), n, rowStride);
      continue;
    }
    if (layer.kind == Layer::OrPool) {
      if (gin && model.config().poolRelaxation == PoolRelaxation::Max)
        poolBackward(act[l].data(), act[l + 1].data(), grad[l + 1].data(), gin,
                     layer.window.data(), layer.windowSize, layer.outDim, n,
                     rowStride, poolLeft.data());
      else if (gin)
        probPoolBackward(act[l].data(), grad[l + 1].data(), gin,
                         layer.window.data(), layer.windowSize, layer.outDim, n,
                         rowStride);
      continue;
    }
    backwardLayer(
        act[l].data(), grad[l + 1].data(), gin, layer.a.data(), layer.b.data(),
        layer.param.empty() ? nullptr : layer.param.data(),
        coeffs + size_t(layer.offset) * 4, coeffGrad + size_t(layer.offset) * 4,
        layer.outDim, n, rowStride);
  }
}

void lgc::train::weightGradients(Parametrization parametrization,
                                 const std::vector<float> &probs,
                                 const double *coeffGrad, uint32_t begin,
                                 uint32_t end, float *weightGrad,
                                 float invTemperature) {
  if (parametrization == Parametrization::InputWise) {
    for (uint32_t g = begin; g < end; ++g)
      for (int m = 0; m < 4; ++m)
        weightGrad[size_t(g) * 4 + m] = inputWiseWeightGradient(
            &probs[size_t(g) * 4], coeffGrad + size_t(g - begin) * 4, m,
            invTemperature);
    return;
  }
  for (uint32_t g = begin; g < end; ++g) {
    const float *p = &probs[size_t(g) * 16];
    float c[4];
    mixtureCoefficients(p, c);
    for (int k = 0; k < 16; ++k)
      weightGrad[size_t(g) * 16 + k] = softmaxWeightGradient(
          p, c, coeffGrad + size_t(g - begin) * 4, k, invTemperature);
  }
}
