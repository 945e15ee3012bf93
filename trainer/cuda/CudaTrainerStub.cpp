//===- CudaTrainerStub.cpp - CudaTrainer in builds without nvcc -----------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Trainer/CudaTrainer.h"

using namespace lgc;
using namespace lgc::train;

struct CudaTrainer::Impl {
  std::string name;
};

CudaTrainer::CudaTrainer() = default;
CudaTrainer::~CudaTrainer() = default;

Status CudaTrainer::create(const Model &, uint32_t,
                           std::unique_ptr<CudaTrainer> &, bool) {
  return Status::error("this build of lgc has no CUDA trainer (configure with "
                       "nvcc available, -DLGC_ENABLE_CUDA=ON)");
}
Status CudaTrainer::step(const float *, const uint32_t *, uint32_t, float,
                         uint64_t, double &, uint32_t &, const GateNoise &) {
  return Status::error("no CUDA trainer");
}
Status CudaTrainer::gradients(const float *, const uint32_t *, uint32_t,
                              std::vector<float> &, const GateNoise &) {
  return Status::error("no CUDA trainer");
}
Status CudaTrainer::download(std::vector<float> &, std::vector<float> &,
                             std::vector<float> &) {
  return Status::error("no CUDA trainer");
}
Status CudaTrainer::upload(const std::vector<float> &,
                           const std::vector<float> &,
                           const std::vector<float> &) {
  return Status::error("no CUDA trainer");
}
Status CudaTrainer::synchronize() { return Status::error("no CUDA trainer"); }
const std::string &CudaTrainer::deviceName() const { return impl->name; }
