//===- lgn-run.cpp - Run a net on a data set ------------------------------===//
//
// Part of lgc. Prints accuracy and throughput:
//   lgn-run net.lgn --data fashion-mnist --split test
// A .lgn runs on the reference interpreter, a .so (from `lgc -o net.so`)
// through the runtime.
//
//===----------------------------------------------------------------------===//

#include "../common/Flags.h"
#include "lgc/Runtime/CudaNet.h"
#include "lgc/Runtime/Dataset.h"
#include "lgc/Runtime/Format.h"
#include "lgc/Runtime/Interpreter.h"
#include "lgc/Runtime/NetLibrary.h"

#include <chrono>
#include <fmt/core.h>

using namespace lgc;

static const char *kUsage = R"(usage: lgn-run NET.lgn|NET.so [options]
  --data SPEC     fashion-mnist[:DIR] | mnist[:DIR] | csv:FILE (default fashion-mnist)
  --split S       train | test | all (default test)
  --limit N       use only the first N samples
  --repeat R      evaluate R times for a steadier images/s (default 1)
  --threads T     threads for a .so (default 1; 0: all cores)
  --device D      cpu (default) or cuda: a .ptx (from lgc --emit=ptx) runs on
                  the GPU through the CUDA driver
  --input KIND    u8 (8-bit pixels; the default where the data has them) or
                  f32 (features scaled to [0, 1])
)";

/// A .ptx through the CUDA driver: packing, gates, GroupSum and argmax on
/// the device.
static int runOnGPU(const tools::Flags &flags, const std::string &path,
                    uint64_t limit, uint64_t repeat) {
  std::unique_ptr<CudaNet> net;
  if (Status s = CudaNet::open(path, net); !s) {
    fmt::print(stderr, "{}\n", s.message());
    return 1;
  }
  Dataset data;
  if (Status s = loadDataset(flags.str("data", "fashion-mnist"),
                             flags.str("split", "test"), data);
      !s) {
    fmt::print(stderr, "lgn-run: {}\n", s.message());
    return 1;
  }
  if (data.numFeatures != net->features() || data.pixels.empty()) {
    fmt::print(
        stderr,
        "lgn-run: error: the GPU path needs 8-bit data with {} features\n",
        net->features());
    return 1;
  }
  size_t n = std::min<uint64_t>(data.size(), limit);
  std::vector<uint32_t> classes(n);
  auto start = std::chrono::steady_clock::now();
  double deviceSeconds = 0;
  if (Status s = net->runU8(data.pixels.data(), n, classes.data(), nullptr,
                            &deviceSeconds, unsigned(repeat));
      !s) {
    fmt::print(stderr, "{}\n", s.message());
    return 1;
  }
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  size_t correct = 0;
  for (size_t i = 0; i < n; ++i)
    correct += classes[i] == data.labels[i];
  fmt::print("net: {} ({} inputs, {} gates, {} classes)\n", path, net->inputs(),
             net->gates(), net->classes());
  fmt::print("data: {} ({} samples)\n", data.name, n);
  fmt::print("backend: cuda ({})\n", net->deviceName());
  fmt::print("accuracy: {:.2f}% ({}/{})\n", 100.0 * double(correct) / double(n),
             correct, n);
  fmt::print("throughput: {:.3f} M images/s on the device, {:.3f} M images/s "
             "with transfers\n",
             double(n) / deviceSeconds / 1e6, double(n) / secs / 1e6);
  return 0;
}

int main(int argc, char **argv) {
  tools::Flags flags(
      "lgn-run",
      {"data", "split", "limit", "repeat", "threads", "input", "device"},
      {"help", "h"});
  if (!flags.parse(argc, argv))
    return 1;
  if (flags.has("help") || flags.has("h")) {
    fmt::print("{}", kUsage);
    return 0;
  }
  if (flags.positionals.size() != 1)
    return flags.fail("expected exactly one net file (try --help)"), 1;
  bool ok = true;
  uint64_t limit = flags.u64("limit", UINT64_MAX, ok, 1);
  uint64_t repeat = flags.u64("repeat", 1, ok, 1, 1000000);
  if (!ok)
    return 1;

  uint64_t threads = flags.u64("threads", 1, ok, 0, 1024);
  if (!ok)
    return 1;
  const std::string &path = flags.positionals[0];
  bool isLibrary =
      path.size() > 3 && path.compare(path.size() - 3, 3, ".so") == 0;
  bool isPTX = path.size() > 4 && path.compare(path.size() - 4, 4, ".ptx") == 0;
  std::string device = flags.str("device", isPTX ? "cuda" : "cpu");
  if (device != "cpu" && device != "cuda")
    return flags.fail("--device must be cpu or cuda, not '" + device + "'"), 1;
  if (device == "cuda" && !isPTX)
    return flags.fail("--device cuda runs a .ptx from lgc --emit=ptx"), 1;
  if (device == "cpu" && isPTX)
    return flags.fail("a .ptx runs on the GPU only (--device cuda)"), 1;
  if (isPTX)
    return runOnGPU(flags, path, limit, repeat);

  Net net;
  std::unique_ptr<NetLibrary> lib;
  uint32_t numFeatures, numClasses, numInputs;
  uint64_t numGates;
  if (isLibrary) {
    if (Status s = NetLibrary::open(path, lib); !s) {
      fmt::print(stderr, "{}\n", s.message());
      return 1;
    }
    numFeatures = lib->info().features;
    numClasses = lib->info().classes;
    numInputs = lib->info().inputs;
    numGates = lib->info().gates;
  } else {
    if (Status s = readNetFile(path, net); !s) {
      fmt::print(stderr, "{}\n", s.message());
      return 1;
    }
    numFeatures = net.numFeatures;
    numClasses = net.numClasses;
    numInputs = net.numInputs;
    numGates = net.gates.size();
  }
  Dataset data;
  if (Status s = loadDataset(flags.str("data", "fashion-mnist"),
                             flags.str("split", "test"), data);
      !s) {
    fmt::print(stderr, "lgn-run: {}\n", s.message());
    return 1;
  }
  if (data.numFeatures != numFeatures) {
    fmt::print(stderr,
               "lgn-run: error: the net reads {} features, but {} has {}\n",
               numFeatures, data.name, data.numFeatures);
    return 1;
  }
  size_t n = std::min<uint64_t>(data.size(), limit);
  bool fromPixels = !data.pixels.empty();
  std::string input = flags.str("input", fromPixels ? "u8" : "f32");
  if (input != "u8" && input != "f32")
    return flags.fail("--input must be u8 or f32, not '" + input + "'"), 1;
  if (input == "u8" && !fromPixels)
    return flags.fail(data.name + " has no 8-bit pixels; use --input f32"), 1;

  std::vector<uint32_t> classes(n);
  auto start = std::chrono::steady_clock::now();
  for (uint64_t r = 0; r < repeat; ++r) {
    if (isLibrary) {
      Status s = input == "u8" ? lib->runU8(data.pixels.data(), n, nullptr,
                                            classes.data(), unsigned(threads))
                               : lib->runF32(data.features.data(), n, nullptr,
                                             classes.data(), unsigned(threads));
      if (!s) {
        fmt::print(stderr, "{}\n", s.message());
        return 1;
      }
    } else {
      std::vector<uint64_t> words =
          input == "u8" ? packFeaturesU8(net, data.pixels.data(), n)
                        : packFeatures(net, data.features.data(), n);
      interpret(net, words.data(), n, nullptr, classes.data());
    }
  }
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  size_t correct = 0;
  for (size_t i = 0; i < n; ++i)
    correct += classes[i] == data.labels[i];
  fmt::print("net: {} ({} inputs, {} gates, {} classes)\n", path, numInputs,
             numGates, numClasses);
  fmt::print("data: {} ({} samples)\n", data.name, n);
  if (isLibrary)
    fmt::print(
        "backend: compiled library ({}-bit vectors), {} input, {} thread{}\n",
        lib->info().vector_bits, input, threads, threads == 1 ? "" : "s");
  else
    fmt::print("backend: reference interpreter\n");
  fmt::print("accuracy: {:.2f}% ({}/{})\n", 100.0 * double(correct) / double(n),
             correct, n);
  fmt::print("throughput: {:.3f} M images/s (end to end)\n",
             double(n) * double(repeat) / secs / 1e6);
  return 0;
}
