//===- CudaNet.h - Running PTX nets through the CUDA driver -----*- C++ -*-===//
//
// Part of lgc. No CUDA headers or libraries at build time: libcuda.so.1 is
// opened at run time, so programs start (and report "no CUDA driver" or "no
// CUDA device" cleanly) on machines without a GPU.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_RUNTIME_CUDANET_H
#define LGC_RUNTIME_CUDANET_H

#include "lgc/Runtime/GeneratedABI.h"
#include "lgc/Runtime/Status.h"

#include <cstdint>
#include <memory>
#include <string>

namespace lgc {

class CudaNet {
public:
  /// Loads `ptxPath` (from `lgc --emit=ptx`), JIT-compiles it for device 0.
  static Status open(const std::string &ptxPath, std::unique_ptr<CudaNet> &out);
  ~CudaNet();

  uint32_t inputs() const { return shape[abi::kInputs]; }
  uint32_t features() const { return shape[abi::kFeatures]; }
  uint32_t classes() const { return shape[abi::kClasses]; }
  uint32_t outputs() const { return shape[abi::kOutputs]; }
  uint32_t gates() const { return shape[abi::kGates]; }
  double tau() const { return tauValue; }
  const std::string &deviceName() const { return device; }

  /// Classifies n samples of 8-bit features: packing, gates, GroupSum and
  /// argmax on the device. `counts` (n x classes) and `classes` may be
  /// null (the argument order of lgc_net.h). `deviceSeconds`, if given,
  /// receives the time of the kernels alone (averaged over `repeat` launches
  /// on the same uploaded data).
  Status runU8(const uint8_t *x, size_t n, uint32_t *counts, uint32_t *classes,
               double *deviceSeconds = nullptr, unsigned repeat = 1);

  struct Driver;

private:
  CudaNet() = default;
  /// A failed driver call as "path: error: what failed: ...detail".
  Status check(int rc, const char *what, const std::string &detail = "") const;
  /// Copies the module's global `name` (exactly `size` bytes) to `out`.
  Status readGlobal(const char *name, void *out, size_t size) const;

  std::shared_ptr<Driver> driver;
  void *context = nullptr, *module = nullptr, *packKernel = nullptr,
       *netKernel = nullptr;
  int deviceId = 0;
  int32_t shape[abi::kNumShapeSlots] = {};
  double tauValue = 1;
  std::string path, device;
};

} // namespace lgc

#endif // LGC_RUNTIME_CUDANET_H
