//===- Runner.cpp - One interface over every way to run a net -------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Runtime/Runner.h"
#include "lgc/Runtime/Cascade.h"
#include "lgc/Runtime/CudaNet.h"
#include "lgc/Runtime/FileUtil.h"
#include "lgc/Runtime/Format.h"
#include "lgc/Runtime/Interpreter.h"
#include "lgc/Runtime/NetLibrary.h"

using namespace lgc;

namespace {

class InterpreterRunner : public Runner {
public:
  explicit InterpreterRunner(Net net) : net(std::move(net)) {
    runnerInfo.inputs = this->net.numInputs;
    runnerInfo.features = this->net.numFeatures;
    runnerInfo.classes = this->net.numClasses;
    runnerInfo.outputs = uint32_t(this->net.outputs.size());
    runnerInfo.gates = this->net.gates.size();
    runnerInfo.tau = this->net.tau;
    runnerInfo.backend = "reference interpreter";
  }
  const RunnerInfo &info() const override { return runnerInfo; }
  Status runU8(const uint8_t *x, size_t n, uint32_t *counts, uint32_t *classes,
               unsigned) override {
    std::vector<uint64_t> words = packFeaturesU8(net, x, n);
    interpret(net, words.data(), n, counts, classes);
    return Status::success();
  }
  Status runF32(const float *x, size_t n, uint32_t *counts, uint32_t *classes,
                unsigned) override {
    std::vector<uint64_t> words = packFeatures(net, x, n);
    interpret(net, words.data(), n, counts, classes);
    return Status::success();
  }

private:
  Net net;
  RunnerInfo runnerInfo;
};

class LibraryRunner : public Runner {
public:
  explicit LibraryRunner(std::unique_ptr<NetLibrary> lib)
      : lib(std::move(lib)) {
    const lgc_net_info &i = this->lib->info();
    runnerInfo.inputs = i.inputs;
    runnerInfo.features = i.features;
    runnerInfo.classes = i.classes;
    runnerInfo.outputs = i.outputs;
    runnerInfo.gates = i.gates;
    runnerInfo.vectorBits = i.vector_bits;
    runnerInfo.tau = i.tau;
    runnerInfo.backend =
        "compiled library (" + std::to_string(i.vector_bits) + "-bit vectors)";
  }
  const RunnerInfo &info() const override { return runnerInfo; }
  Status runU8(const uint8_t *x, size_t n, uint32_t *counts, uint32_t *classes,
               unsigned threads) override {
    return lib->runU8(x, n, counts, classes, threads);
  }
  Status runF32(const float *x, size_t n, uint32_t *counts, uint32_t *classes,
                unsigned threads) override {
    return lib->runF32(x, n, counts, classes, threads);
  }

private:
  std::unique_ptr<NetLibrary> lib;
  RunnerInfo runnerInfo;
};

class CudaRunner : public Runner {
public:
  explicit CudaRunner(std::unique_ptr<CudaNet> net) : net(std::move(net)) {
    runnerInfo.inputs = this->net->inputs();
    runnerInfo.features = this->net->features();
    runnerInfo.classes = this->net->classes();
    runnerInfo.outputs = this->net->outputs();
    runnerInfo.gates = this->net->gates();
    runnerInfo.tau = this->net->tau();
    runnerInfo.backend = "cuda (" + this->net->deviceName() + ")";
  }
  const RunnerInfo &info() const override { return runnerInfo; }
  Status runU8(const uint8_t *x, size_t n, uint32_t *counts, uint32_t *classes,
               unsigned) override {
    // Past half a wave, chunks on two streams, each chunk's copy beside the
    // other's kernels (CudaNet::stream; on an H200, 4M u8 images of
    // 784-6x8000 from pinned memory at 63 M/s in two chunks, 54 in one
    // launch): no time of the kernels alone then.
    if (n > net->samplesPerWave() / 2 && (counts || classes)) {
      lastDeviceSeconds = -1;
      return net->stream(CudaNet::Input::U8, x, n, classes, 0, nullptr, counts);
    }
    return net->runU8(x, n, counts, classes, &lastDeviceSeconds);
  }
  Status runF32(const float *, size_t, uint32_t *, uint32_t *,
                unsigned) override {
    return Status::error("the GPU backend reads 8-bit features only: "
                         "uint8 samples, 0..255 (lgn-run --input u8)");
  }
  Status runDevice(DeviceInput form, uint64_t x, size_t n, uint32_t *counts,
                   uint32_t *classes, uint64_t stream) override {
    if (Status s = net->waitForStream(stream); !s)
      return s;
    return net->runOnDevice(form == DeviceInput::U8 ? CudaNet::Input::U8
                                                    : CudaNet::Input::Packed,
                            x, n, counts, classes, &lastDeviceSeconds);
  }
  double deviceSeconds() const override { return lastDeviceSeconds; }

private:
  std::unique_ptr<CudaNet> net;
  RunnerInfo runnerInfo;
  double lastDeviceSeconds = 0;
};

} // namespace

Status Runner::runDevice(DeviceInput, uint64_t, size_t, uint32_t *, uint32_t *,
                         uint64_t) {
  return Status::error("input in device memory needs a GPU net (a .ptx, "
                       ".cubin or .fatbin from lgc), not a " +
                       info().backend);
}

bool lgc::isGpuModulePath(const std::string &path) {
  return pathEndsWith(path, ".ptx") || pathEndsWith(path, ".cubin") ||
         pathEndsWith(path, ".fatbin");
}

bool lgc::isNetLibraryPath(const std::string &path) {
  return pathEndsWith(path, ".so");
}

Status Runner::open(const std::string &path, std::unique_ptr<Runner> &out,
                    int cudaDevice) {
  if (cudaDevice != 0 && !isGpuModulePath(path) && !isCascadePath(path))
    return Status::errorAt(path, "a CUDA device is chosen for GPU modules "
                                 "(.ptx, .cubin, .fatbin) and cascades of "
                                 "them only");
  if (isCascadePath(path)) {
    std::unique_ptr<Cascade> cascade;
    if (Status s = readCascadeFile(path, cascade, cudaDevice); !s)
      return s;
    out = std::move(cascade);
    return Status::success();
  }
  if (isNetLibraryPath(path)) {
    std::unique_ptr<NetLibrary> lib;
    if (Status s = NetLibrary::open(path, lib); !s)
      return s;
    out = std::make_unique<LibraryRunner>(std::move(lib));
    return Status::success();
  }
  if (isGpuModulePath(path)) {
    std::unique_ptr<CudaNet> net;
    if (Status s = CudaNet::open(path, net, cudaDevice); !s)
      return s;
    out = std::make_unique<CudaRunner>(std::move(net));
    return Status::success();
  }
  Net net;
  if (Status s = readNetFile(path, net); !s)
    return s;
  out = interpreter(std::move(net));
  return Status::success();
}

std::unique_ptr<Runner> Runner::interpreter(Net net) {
  return std::make_unique<InterpreterRunner>(std::move(net));
}
