//===- CudaTrainer.h - The CUDA training path -------------------*- C++ -*-===//
//
// Part of lgc. The model's weights, Adam state and activations live on the
// device; kernels are grid loops over the per-thread bodies in Kernels.h.
// Built when nvcc is there; the program still starts without a GPU and
// create() reports why there is none.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_TRAINER_CUDATRAINER_H
#define LGC_TRAINER_CUDATRAINER_H

#include "lgc/Trainer/Model.h"

#include <memory>
#include <string>
#include <vector>

namespace lgc::train {

class CudaTrainer {
public:
  /// Uploads the model; fails with a clear message without CUDA support in
  /// this build, without a driver or without a device. With `fuseTrees`,
  /// conv trees up to kernels::kMaxFusedDepth deep run as one kernel each
  /// (forward and backward), their inner levels in registers; without it,
  /// level by level (kept to measure one against the other).
  static Status create(const Model &model, uint32_t maxBatch,
                       std::unique_ptr<CudaTrainer> &out,
                       bool fuseTrees = true);
  ~CudaTrainer();

  /// One Adam step on a batch: inputs are [inputs][n] floats (unit-major),
  /// labels n. `loss` receives the summed loss, `correct` the right argmaxes.
  /// Under `noise`, the step trains the hard gates it samples
  /// (Relaxation.h, GateNoise), as the CPU step does.
  Status step(const float *inputs, const uint32_t *labels, uint32_t n, float lr,
              uint64_t adamStep, double &loss, uint32_t &correct,
              const GateNoise &noise = {});
  /// dL/dw of the batch's mean loss, without an update.
  Status gradients(const float *inputs, const uint32_t *labels, uint32_t n,
                   std::vector<float> &grad, const GateNoise &noise = {});
  /// Weights and Adam moments back to the host.
  Status download(std::vector<float> &weights, std::vector<float> &m,
                  std::vector<float> &v);
  Status upload(const std::vector<float> &weights, const std::vector<float> &m,
                const std::vector<float> &v);
  /// Waits for the device (for timing).
  Status synchronize();
  const std::string &deviceName() const;

  struct Impl;

private:
  CudaTrainer();
  std::unique_ptr<Impl> impl;
};

} // namespace lgc::train

#endif // LGC_TRAINER_CUDATRAINER_H
