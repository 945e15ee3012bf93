//===- CudaTrainer.cu - The CUDA training path ----------------------------===//
//
// Part of lgc. Every kernel is a grid loop over a per-thread body from
// Kernels.h (shared with the CPU tests that check them).
//
//===----------------------------------------------------------------------===//

#include "lgc/Trainer/CudaTrainer.h"
#include "lgc/Trainer/Kernels.h"

#include <cuda_runtime.h>

using namespace lgc;
using namespace lgc::train;

namespace {

__global__ void coefficientsKernel(const float *w, float *p, float *c,
                                   uint32_t gates, bool inputWise,
                                   GateNoise noise) {
  uint32_t g = blockIdx.x * blockDim.x + threadIdx.x;
  if (g < gates)
    kernels::coefficientsThread(w, p, c, g, inputWise, noise);
}

__global__ void forwardKernel(const float *in, float *out, const uint32_t *a,
                              const uint32_t *b, const uint32_t *param,
                              const float *coeffs, uint32_t units, uint32_t n,
                              uint32_t stride) {
  uint64_t idx = uint64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx < uint64_t(units) * n)
    kernels::forwardThread(in, out, a, b, param, coeffs, stride,
                           uint32_t(idx / n), uint32_t(idx % n));
}

__global__ void poolForwardKernel(const float *in, float *out,
                                  const uint32_t *window, uint32_t windowSize,
                                  bool probabilistic, uint32_t units,
                                  uint32_t n, uint32_t stride) {
  uint64_t idx = uint64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx < uint64_t(units) * n)
    kernels::poolForwardThread(in, out, window, windowSize, probabilistic,
                               stride, uint32_t(idx / n), uint32_t(idx % n));
}

__global__ void poolBackwardKernel(const float *in, const float *out,
                                   const float *gout, float *gin,
                                   const uint32_t *window, uint32_t windowSize,
                                   bool probabilistic, uint32_t units,
                                   uint32_t n, uint32_t stride) {
  uint64_t idx = uint64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx < uint64_t(units) * n)
    kernels::poolBackwardThread(in, out, gout, gin, window, windowSize,
                                probabilistic, stride, uint32_t(idx / n),
                                uint32_t(idx % n));
}

__global__ void lossKernel(const float *last, float *gradLast,
                           const uint32_t *labels, uint32_t classes,
                           uint32_t group, float invTau, float scale,
                           uint32_t stride, uint32_t n, float *losses,
                           int *correct) {
  uint32_t s = blockIdx.x * blockDim.x + threadIdx.x;
  if (s < n)
    losses[s] = kernels::lossThread(last, gradLast, labels, classes, group,
                                    invTau, scale, stride, s, &correct[s]);
}

__global__ void backwardKernel(const float *in, const float *gout, float *gin,
                               const uint32_t *a, const uint32_t *b,
                               const uint32_t *param, const float *coeffs,
                               float *coeffGrad, uint32_t units, uint32_t n,
                               uint32_t stride) {
  uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < units)
    kernels::backwardThread(in, gout, gin, a, b, param, coeffs, coeffGrad, n,
                            stride, i);
}

template <uint32_t D>
__global__ void treeForwardKernel(kernels::TreeDesc t, const float *in,
                                  float *out, const float *coeffs,
                                  uint32_t units, uint32_t n, uint32_t stride) {
  uint64_t idx = uint64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx < uint64_t(units) * n)
    kernels::treeForwardThread<D>(t, in, out, coeffs, stride, uint32_t(idx / n),
                                  uint32_t(idx % n));
}

/// A warp's sum of each term, added to the gate's sums by its first lane.
struct WarpSum {
  float *coeffGrad;
  __device__ void operator()(size_t gate, int k, float v) {
    for (int d = 16; d > 0; d /= 2)
      v += __shfl_down_sync(0xffffffffu, v, d);
    if ((threadIdx.x & 31) == 0)
      atomicAdd(&coeffGrad[gate * 4 + k], v);
  }
};

/// Thread (u, s) for s < nPad (the batch rounded up to a warp): every warp
/// is one tree at one position, so its lanes share every gate and sum the
/// gates' terms with shuffles before one atomic add per term.
template <uint32_t D>
__global__ void
treeBackwardKernel(kernels::TreeDesc t, const float *in, const float *gout,
                   float *gin, const float *coeffs, float *coeffGrad,
                   uint32_t units, uint32_t n, uint32_t nPad, uint32_t stride) {
  uint64_t idx = uint64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  uint32_t u = uint32_t(idx / nPad), s = uint32_t(idx % nPad);
  if (u >= units) // the whole warp: u is the same on its lanes
    return;
  WarpSum emit{coeffGrad};
  // Lanes past the batch read sample n - 1 and add nothing.
  kernels::treeBackwardThread<D>(t, in, gout, gin, coeffs, stride, u,
                                 s < n ? s : n - 1, s < n, emit);
}

__global__ void adamKernel(float *w, float *m, float *v, const float *p,
                           const float *cg, float lr, float c1, float c2,
                           size_t count, bool inputWise, float invT) {
  size_t idx = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx < count)
    kernels::adamThread(w, m, v, p, cg, lr, c1, c2, idx, inputWise, invT);
}

__global__ void gradientKernel(const float *p, const float *cg, float *out,
                               size_t count, bool inputWise, float invT) {
  size_t idx = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  size_t W = inputWise ? 4 : 16;
  if (idx < count)
    out[idx] = kernels::weightGradient(p, cg, uint32_t(idx / W), int(idx % W),
                                       inputWise, invT);
}

unsigned blocks(uint64_t threads, unsigned size) {
  return unsigned((threads + size - 1) / size);
}

} // namespace

struct CudaTrainer::Impl {
  std::string name;
  const Model *model = nullptr;
  uint32_t cap = 0, gates = 0;
  /// Weights per gate (16, or 4 input-wise).
  size_t perGate = 16;
  bool inputWise = false, probabilisticPool = false;
  std::vector<float *> act, grad;
  /// The layers as launched: conv trees up to kernels::kMaxFusedDepth deep
  /// as one step each.
  std::vector<LayerStep> plan;
  /// Per layer: operands (or the pool's windows in `a`) and gate indices.
  std::vector<uint32_t *> a, b, param;
  float *w = nullptr, *m = nullptr, *v = nullptr, *p = nullptr, *c = nullptr,
        *cg = nullptr;
  float *losses = nullptr, *scratch = nullptr;
  int *correct = nullptr;
  uint32_t *labels = nullptr;
  std::vector<void *> owned;

  template <typename T> cudaError_t alloc(T *&ptr, size_t count) {
    void *raw = nullptr;
    cudaError_t rc = cudaMalloc(&raw, (count ? count : 1) * sizeof(T));
    ptr = static_cast<T *>(raw);
    if (rc == cudaSuccess)
      owned.push_back(raw);
    return rc;
  }
  ~Impl() {
    for (void *ptr : owned)
      cudaFree(ptr);
  }

  /// The tree step's levels with device pointers to level 0's operands.
  kernels::TreeDesc deviceTree(const LayerStep &step) const {
    kernels::TreeDesc t = treeDesc(*model, step);
    t.a = a[step.layer];
    t.b = b[step.layer];
    return t;
  }
  /// One tree step's kernel each way (layerSteps fused only depths that
  /// withFusedDepth takes).
  void launchTreeForward(const LayerStep &step, const float *in, float *out,
                         uint32_t n) {
    kernels::TreeDesc t = deviceTree(step);
    unsigned grid = blocks(uint64_t(t.units()) * n, 256);
    kernels::withFusedDepth(step.levels, [&](auto depth) {
      treeForwardKernel<decltype(depth)::value>
          <<<grid, 256>>>(t, in, out, c, t.units(), n, cap);
    });
  }
  void launchTreeBackward(const LayerStep &step, const float *in,
                          const float *gout, float *gin, uint32_t n) {
    kernels::TreeDesc t = deviceTree(step);
    const uint32_t nPad = (n + 31) / 32 * 32;
    unsigned grid = blocks(uint64_t(t.units()) * nPad, 128);
    kernels::withFusedDepth(step.levels, [&](auto depth) {
      treeBackwardKernel<decltype(depth)::value>
          <<<grid, 128>>>(t, in, gout, gin, c, cg, t.units(), n, nPad, cap);
    });
  }

  /// Forward, loss and backward of the batch's mean loss, with errors.
  Status run(const float *inputs, const uint32_t *hostLabels, uint32_t n,
             const GateNoise &noise);

  /// Forward, loss and backward; leaves dL/dc (of the loss times `scale`)
  /// in cg.
  cudaError_t forwardBackward(const float *inputs, const uint32_t *hostLabels,
                              uint32_t n, float scale, const GateNoise &noise) {
    const Model &mdl = *model;
    uint32_t inputsCount = mdl.config().inputs();
    cudaMemcpy2D(act[0], size_t(cap) * 4, inputs, size_t(n) * 4, size_t(n) * 4,
                 inputsCount, cudaMemcpyHostToDevice);
    cudaMemcpy(labels, hostLabels, size_t(n) * 4, cudaMemcpyHostToDevice);
    coefficientsKernel<<<blocks(gates, 256), 256>>>(w, p, c, gates, inputWise,
                                                    noise);
    const auto &layers = mdl.layers();
    for (const LayerStep &step : plan) {
      const size_t l = step.layer;
      const Layer &layer = layers[l];
      if (step.levels > 1) {
        launchTreeForward(step, act[l], act[l + step.levels], n);
        continue;
      }
      unsigned grid = blocks(uint64_t(layer.outDim) * n, 256);
      if (layer.kind == Layer::OrPool)
        poolForwardKernel<<<grid, 256>>>(act[l], act[l + 1], a[l],
                                         layer.windowSize, probabilisticPool,
                                         layer.outDim, n, cap);
      else
        forwardKernel<<<grid, 256>>>(act[l], act[l + 1], a[l], b[l], param[l],
                                     c + size_t(layer.offset) * 4, layer.outDim,
                                     n, cap);
    }
    uint32_t C = mdl.config().classes, group = layers.back().outDim / C;
    lossKernel<<<blocks(n, 128), 128>>>(act.back(), grad.back(), labels, C,
                                        group, float(1.0 / mdl.config().tau),
                                        scale, cap, n, losses, correct);
    // Units of a conv tree add into their shared gate's sums.
    cudaMemset(cg, 0, size_t(gates) * 4 * 4);
    for (size_t i = plan.size(); i-- > 0;) {
      const LayerStep &step = plan[i];
      const size_t l = step.layer;
      const Layer &layer = layers[l];
      float *gin = nullptr;
      if (l > 0) {
        gin = grad[l];
        // The padding row too: it collects gradients nobody reads.
        cudaMemset(gin, 0, size_t(layer.inDim + 1) * cap * 4);
      }
      if (step.levels > 1) {
        launchTreeBackward(step, act[l], grad[l + step.levels], gin, n);
        continue;
      }
      if (layer.kind == Layer::OrPool) {
        if (gin)
          poolBackwardKernel<<<blocks(uint64_t(layer.outDim) * n, 256), 256>>>(
              act[l], act[l + 1], grad[l + 1], gin, a[l], layer.windowSize,
              probabilisticPool, layer.outDim, n, cap);
        continue;
      }
      backwardKernel<<<blocks(layer.outDim, 128), 128>>>(
          act[l], grad[l + 1], gin, a[l], b[l], param[l],
          c + size_t(layer.offset) * 4, cg + size_t(layer.offset) * 4,
          layer.outDim, n, cap);
    }
    return cudaGetLastError();
  }
};

CudaTrainer::CudaTrainer() : impl(std::make_unique<Impl>()) {}

Status CudaTrainer::Impl::run(const float *inputs, const uint32_t *hostLabels,
                              uint32_t n, const GateNoise &noise) {
  if (n > cap)
    return Status::error("batch larger than the CUDA trainer's capacity");
  cudaError_t rc =
      forwardBackward(inputs, hostLabels, n, 1.0f / float(n), noise);
  if (rc == cudaSuccess)
    return Status::success();
  return Status::error(std::string("forward/backward: ") +
                       cudaGetErrorString(rc));
}
CudaTrainer::~CudaTrainer() = default;

static Status cudaStatus(cudaError_t rc, const char *what) {
  if (rc == cudaSuccess)
    return Status::success();
  return Status::error(std::string(what) + ": " + cudaGetErrorString(rc));
}

Status CudaTrainer::create(const Model &model, uint32_t maxBatch,
                           std::unique_ptr<CudaTrainer> &out, bool fuseTrees) {
  int count = 0;
  cudaError_t rc = cudaGetDeviceCount(&count);
  if (rc == cudaErrorInsufficientDriver || rc == cudaErrorNoDevice ||
      count == 0)
    return Status::error(
        "no CUDA device (" +
        std::string(rc == cudaSuccess ? "none found" : cudaGetErrorString(rc)) +
        ")");
  if (Status s = cudaStatus(rc, "cudaGetDeviceCount"); !s)
    return s;
  if (model.config().classes > 64)
    return Status::error("the CUDA trainer handles at most 64 classes");
  std::unique_ptr<CudaTrainer> t(new CudaTrainer());
  Impl &I = *t->impl;
  cudaDeviceProp prop;
  cudaGetDeviceProperties(&prop, 0);
  I.name = prop.name;
  I.model = &model;
  I.cap = maxBatch;
  I.gates = model.numGates();
  I.perGate = model.config().weightsPerGate();
  I.inputWise = model.config().parametrization == Parametrization::InputWise;
  I.probabilisticPool =
      model.config().poolRelaxation == PoolRelaxation::Probabilistic;
  const auto &layers = model.layers();
  I.act.resize(layers.size() + 1);
  I.grad.resize(layers.size() + 1, nullptr);
  // One row past each activation: the constant 0 that padding reads.
  size_t inputRows = size_t(model.config().inputs()) + 1;
  cudaError_t err = I.alloc(I.act[0], inputRows * maxBatch);
  if (err == cudaSuccess)
    err = cudaMemset(I.act[0], 0, inputRows * maxBatch * 4);
  auto upload = [&](const std::vector<uint32_t> &host, uint32_t *&dev) {
    dev = nullptr;
    if (host.empty() || err != cudaSuccess)
      return;
    err = I.alloc(dev, host.size());
    if (err == cudaSuccess)
      err =
          cudaMemcpy(dev, host.data(), host.size() * 4, cudaMemcpyHostToDevice);
  };
  I.plan = layerSteps(model, fuseTrees ? kernels::kMaxFusedDepth : 0);
  // Layers whose units a fused tree keeps in registers need no arrays.
  std::vector<bool> stored(layers.size(), true);
  for (const LayerStep &step : I.plan)
    for (uint32_t lv = 0; lv + 1 < step.levels; ++lv)
      stored[step.layer + lv] = false;
  for (size_t l = 0; l < layers.size() && err == cudaSuccess; ++l) {
    size_t rows = size_t(layers[l].outDim) + 1;
    if (stored[l]) {
      err = I.alloc(I.act[l + 1], rows * maxBatch);
      if (err == cudaSuccess)
        err = cudaMemset(I.act[l + 1], 0, rows * maxBatch * 4);
      if (err == cudaSuccess)
        err = I.alloc(I.grad[l + 1], rows * maxBatch);
    }
    uint32_t *pa = nullptr, *pb = nullptr, *pp = nullptr;
    upload(layers[l].kind == Layer::OrPool ? layers[l].window : layers[l].a,
           pa);
    upload(layers[l].b, pb);
    upload(layers[l].param, pp);
    I.a.push_back(pa);
    I.b.push_back(pb);
    I.param.push_back(pp);
  }
  size_t W = size_t(I.gates) * I.perGate;
  for (float **buf : {&I.w, &I.m, &I.v, &I.p, &I.scratch})
    if (err == cudaSuccess)
      err = I.alloc(*buf, W);
  if (err == cudaSuccess)
    err = I.alloc(I.c, size_t(I.gates) * 4);
  if (err == cudaSuccess)
    err = I.alloc(I.cg, size_t(I.gates) * 4);
  if (err == cudaSuccess)
    err = I.alloc(I.losses, maxBatch);
  if (err == cudaSuccess)
    err = I.alloc(I.correct, maxBatch);
  if (err == cudaSuccess)
    err = I.alloc(I.labels, maxBatch);
  if (Status s = cudaStatus(err, "allocating device memory"); !s)
    return s;
  cudaMemcpy(I.w, model.weights.data(), W * 4, cudaMemcpyHostToDevice);
  cudaMemset(I.m, 0, W * 4);
  cudaMemset(I.v, 0, W * 4);
  if (Status s = cudaStatus(cudaGetLastError(), "uploading the model"); !s)
    return s;
  out = std::move(t);
  return Status::success();
}

Status CudaTrainer::step(const float *inputs, const uint32_t *labels,
                         uint32_t n, float lr, uint64_t adamStep, double &loss,
                         uint32_t &correct, const GateNoise &noise) {
  Impl &I = *impl;
  if (Status s = I.run(inputs, labels, n, noise); !s)
    return s;
  float c1 = 1.0f - powf(0.9f, float(adamStep)),
        c2 = 1.0f - powf(0.999f, float(adamStep));
  size_t W = size_t(I.gates) * I.perGate;
  adamKernel<<<blocks(W, 256), 256>>>(I.w, I.m, I.v, I.p, I.cg, lr, c1, c2, W,
                                      I.inputWise, noise.invTemperature());
  std::vector<float> losses(n);
  std::vector<int> right(n);
  cudaMemcpy(losses.data(), I.losses, size_t(n) * 4, cudaMemcpyDeviceToHost);
  cudaMemcpy(right.data(), I.correct, size_t(n) * 4, cudaMemcpyDeviceToHost);
  loss = 0;
  correct = 0;
  for (uint32_t s = 0; s < n; ++s)
    loss += losses[s], correct += uint32_t(right[s]);
  return cudaStatus(cudaGetLastError(), "training step");
}

Status CudaTrainer::gradients(const float *inputs, const uint32_t *labels,
                              uint32_t n, std::vector<float> &grad,
                              const GateNoise &noise) {
  Impl &I = *impl;
  if (Status s = I.run(inputs, labels, n, noise); !s)
    return s;
  size_t W = size_t(I.gates) * I.perGate;
  gradientKernel<<<blocks(W, 256), 256>>>(I.p, I.cg, I.scratch, W, I.inputWise,
                                          noise.invTemperature());
  grad.resize(W);
  return cudaStatus(
      cudaMemcpy(grad.data(), I.scratch, W * 4, cudaMemcpyDeviceToHost),
      "copying gradients");
}

Status CudaTrainer::download(std::vector<float> &weights, std::vector<float> &m,
                             std::vector<float> &v) {
  Impl &I = *impl;
  size_t W = size_t(I.gates) * I.perGate;
  weights.resize(W);
  m.resize(W);
  v.resize(W);
  cudaMemcpy(weights.data(), I.w, W * 4, cudaMemcpyDeviceToHost);
  cudaMemcpy(m.data(), I.m, W * 4, cudaMemcpyDeviceToHost);
  return cudaStatus(cudaMemcpy(v.data(), I.v, W * 4, cudaMemcpyDeviceToHost),
                    "download");
}

Status CudaTrainer::upload(const std::vector<float> &weights,
                           const std::vector<float> &m,
                           const std::vector<float> &v) {
  Impl &I = *impl;
  size_t W = size_t(I.gates) * I.perGate;
  if (weights.size() != W || m.size() != W || v.size() != W)
    return Status::error("upload of a different model");
  cudaMemcpy(I.w, weights.data(), W * 4, cudaMemcpyHostToDevice);
  cudaMemcpy(I.m, m.data(), W * 4, cudaMemcpyHostToDevice);
  return cudaStatus(cudaMemcpy(I.v, v.data(), W * 4, cudaMemcpyHostToDevice),
                    "upload");
}

Status CudaTrainer::synchronize() {
  return cudaStatus(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
}

const std::string &CudaTrainer::deviceName() const { return impl->name; }
