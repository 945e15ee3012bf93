//===- lgn-run.cpp - Run a net on a data set ------------------------------===//
//
// Part of lgc. Prints accuracy and throughput:
//   lgn-run net.lgn --data fashion-mnist --split test
// A .lgn runs on the reference interpreter.
//
//===----------------------------------------------------------------------===//

#include "../common/Flags.h"
#include "lgc/Runtime/Dataset.h"
#include "lgc/Runtime/Format.h"
#include "lgc/Runtime/Interpreter.h"

#include <chrono>
#include <fmt/core.h>

using namespace lgc;

static const char *kUsage = R"(usage: lgn-run NET.lgn [options]
  --data SPEC     fashion-mnist[:DIR] | mnist[:DIR] | csv:FILE (default fashion-mnist)
  --split S       train | test | all (default test)
  --limit N       use only the first N samples
  --repeat R      evaluate R times for a steadier images/s (default 1)
)";

int main(int argc, char **argv) {
  tools::Flags flags("lgn-run", {"data", "split", "limit", "repeat"}, {"help", "h"});
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

  Net net;
  if (Status s = readNetFile(flags.positionals[0], net); !s) {
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
  if (data.numFeatures != net.numFeatures) {
    fmt::print(stderr,
               "lgn-run: error: the net reads {} features, but {} has {}\n",
               net.numFeatures, data.name, data.numFeatures);
    return 1;
  }
  size_t n = std::min<uint64_t>(data.size(), limit);
  std::vector<uint32_t> classes(n);
  bool fromPixels = !data.pixels.empty();
  auto start = std::chrono::steady_clock::now();
  for (uint64_t r = 0; r < repeat; ++r) {
    std::vector<uint64_t> words =
        fromPixels ? packFeaturesU8(net, data.pixels.data(), n)
                   : packFeatures(net, data.features.data(), n);
    interpret(net, words.data(), n, nullptr, classes.data());
  }
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  size_t correct = 0;
  for (size_t i = 0; i < n; ++i)
    correct += classes[i] == data.labels[i];
  fmt::print("net: {} ({} inputs, {} gates, {} classes)\n", flags.positionals[0],
             net.numInputs, net.gates.size(), net.numClasses);
  fmt::print("data: {} ({} samples)\n", data.name, n);
  fmt::print("backend: reference interpreter\n");
  fmt::print("accuracy: {:.2f}% ({}/{})\n", 100.0 * double(correct) / double(n),
             correct, n);
  fmt::print("throughput: {:.3f} M images/s (end to end, 1 thread)\n",
             double(n) * double(repeat) / secs / 1e6);
  return 0;
}
