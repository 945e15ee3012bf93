//===- Runner.h - One interface over every way to run a net -----*- C++ -*-===//
//
// Part of lgc. The reference interpreter (a .lgn), a compiled library
// (net.so, lgc_net.h) and a GPU module (net.ptx, CudaNet) behind one
// interface, so tools run a net without caring which backend made it. The
// argument order is lgc_net.h's everywhere: inputs, n, counts, classes.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_RUNTIME_RUNNER_H
#define LGC_RUNTIME_RUNNER_H

#include "lgc/Runtime/Net.h"
#include "lgc/Runtime/Status.h"

#include <cstdint>
#include <memory>
#include <string>

namespace lgc {

class Cascade;

struct RunnerInfo {
  uint32_t inputs = 0, features = 0, classes = 0, outputs = 0;
  uint64_t gates = 0;
  /// Samples one evaluation step handles (the vector width of a net.so).
  uint32_t vectorBits = 64;
  /// GroupSum temperature: score = count / tau.
  double tau = 1;
  /// What runs the net, for reports ("reference interpreter", ...).
  std::string backend;
};

class Runner {
public:
  virtual ~Runner() = default;

  /// Opens a net by its extension: .so (compiled library), .ptx, .cubin or
  /// .fatbin (GPU module through the CUDA driver), .cascade (nets run as a
  /// cascade, lgc/Runtime/Cascade.h), anything else as .lgn (interpreter).
  /// `cudaDevice`: the CUDA device a GPU module runs on, or a cascade's GPU
  /// modules; another device than 0 for any other kind of net (or a
  /// cascade without GPU modules) is an error.
  static Status open(const std::string &path, std::unique_ptr<Runner> &out,
                     int cudaDevice = 0);
  /// The reference interpreter on a net already in memory.
  static std::unique_ptr<Runner> interpreter(Net net);

  virtual const RunnerInfo &info() const = 0;

  /// Classifies n samples of 8-bit or float features (`info().features`
  /// per sample, row-major). `counts` (n x classes) and `classes` may be
  /// null. `threads` splits the batch on the host (0: all cores) where the
  /// backend can; the interpreter and the GPU ignore it.
  virtual Status runU8(const uint8_t *x, size_t n, uint32_t *counts,
                       uint32_t *classes, unsigned threads = 1) = 0;
  virtual Status runF32(const float *x, size_t n, uint32_t *counts,
                        uint32_t *classes, unsigned threads = 1) = 0;

  /// The forms of input already in device memory (runDevice): 8-bit
  /// features, `features` bytes a sample, or bits packed as lgc_net.h
  /// lays them out (64 samples a 64-bit word, a word per input bit).
  enum class DeviceInput { U8, Packed };
  /// Classifies n samples at device address `x` (a CUdeviceptr of the
  /// primary context of the net's device, which the CUDA runtime, PyTorch
  /// and CuPy use) after the work queued on `stream` (a CUstream as an
  /// integer; 0: none) has finished; `counts` and `classes` are host
  /// memory, as for runU8. Only a GPU net runs it; the others, and a bad
  /// pointer, give an error before anything runs.
  virtual Status runDevice(DeviceInput form, uint64_t x, size_t n,
                           uint32_t *counts, uint32_t *classes,
                           uint64_t stream);

  /// Seconds the last run spent on an accelerator alone (no transfers), or
  /// a negative number where there is none apart from the copies: host
  /// backends, and GPU runs whose copies overlap their kernels (runU8 past
  /// half a wave of the gate kernel).
  virtual double deviceSeconds() const { return -1; }

  /// The cascade this runner is, or null (the C runtime reports a cascade's
  /// samples per net through it).
  virtual const Cascade *asCascade() const { return nullptr; }
};

/// Whether `path` names a GPU module (.ptx, .cubin, .fatbin).
bool isGpuModulePath(const std::string &path);

/// Whether `path` names a compiled net library (.so).
bool isNetLibraryPath(const std::string &path);

} // namespace lgc

#endif // LGC_RUNTIME_RUNNER_H
