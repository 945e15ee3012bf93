//===- lgc-gpu-check.cpp - Bit-exact checks and throughput on a GPU -------===//
//
// Part of lgc. Runs on the GPU machine from the bundle scripts/gpu-check.sh
// makes: for each `check` net, classes and counts from the PTX must equal the
// reference interpreter's (computed where the bundle was made); for each
// `bench` net it prints images/s on the device and with transfers.
//   lgc-gpu-check BUNDLE_DIR
//   lgc-gpu-check --expect NET.lgn IMAGES.u8 N OUT   (when making the bundle)
// Needs nothing but glibc and the CUDA driver.
//
//===----------------------------------------------------------------------===//

#include "lgc/Runtime/CudaNet.h"
#include "lgc/Runtime/FileUtil.h"
#include "lgc/Runtime/Format.h"
#include "lgc/Runtime/Interpreter.h"

#include <chrono>
#include <cstring>
#include <fmt/core.h>
#include <sstream>

using namespace lgc;

static bool readBinary(const std::string &path, std::string &out) {
  Status s = readFile(path, out);
  if (!s)
    fmt::print(stderr, "{}\n", s.message());
  return s.ok();
}

/// Writes the interpreter's classes then counts (u32 each) for the first n
/// images.
static int expect(const std::string &netPath, const std::string &imagesPath,
                  size_t n, const std::string &out) {
  Net net;
  std::string pixels;
  if (Status s = readNetFile(netPath, net); !s)
    return fmt::print(stderr, "{}\n", s.message()), 1;
  if (!readBinary(imagesPath, pixels))
    return 1;
  if (pixels.size() < n * net.numFeatures)
    return fmt::print(stderr, "{}: fewer than {} images\n", imagesPath, n), 1;
  std::vector<uint64_t> words =
      packFeaturesU8(net, reinterpret_cast<const uint8_t *>(pixels.data()), n);
  std::vector<uint32_t> classes(n), counts(n * net.numClasses);
  interpret(net, words.data(), n, counts.data(), classes.data());
  std::string bytes(reinterpret_cast<const char *>(classes.data()), n * 4);
  bytes.append(reinterpret_cast<const char *>(counts.data()),
               counts.size() * 4);
  if (Status s = writeFileAtomic(out, bytes); !s)
    return fmt::print(stderr, "{}\n", s.message()), 1;
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 6 && std::string(argv[1]) == "--expect")
    return expect(argv[2], argv[3], std::strtoull(argv[4], nullptr, 10),
                  argv[5]);
  if (argc != 2) {
    fmt::print(stderr, "usage: lgc-gpu-check BUNDLE_DIR\n");
    return 2;
  }
  std::string dir = argv[1];
  std::string manifest, pixels;
  if (!readBinary(dir + "/manifest.txt", manifest) ||
      !readBinary(dir + "/images.u8", pixels))
    return 1;
  int failures = 0;
  std::istringstream lines(manifest);
  std::string line;
  fmt::print("{:<34} {:>8} {:>10} {:>14} {:>14}  {}\n", "net (ptx)", "gates",
             "samples", "device M/s", "with copy M/s", "bit-exact");
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string kind, name;
    size_t n = 0;
    fields >> kind >> name >> n;
    if (kind.empty() || kind[0] == '#')
      continue;
    std::unique_ptr<CudaNet> net;
    if (Status s = CudaNet::open(dir + "/" + name + ".ptx", net); !s) {
      fmt::print("{}\n", s.message());
      ++failures;
      continue;
    }
    size_t F = net->features(), available = pixels.size() / F;
    // Inputs: the bundle's images, repeated up to n samples.
    std::vector<uint8_t> x(n * F);
    for (size_t s = 0; s < n; ++s)
      std::memcpy(&x[s * F], &pixels[(s % available) * F], F);
    std::vector<uint32_t> classes(n),
        counts(kind == "check" ? n * net->classes() : 0);
    double device = 0;
    auto start = std::chrono::steady_clock::now();
    unsigned repeat = kind == "bench" ? 20 : 1;
    Status s = net->runU8(x.data(), n, counts.empty() ? nullptr : counts.data(),
                          classes.data(), &device, repeat);
    double total =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    if (!s) {
      fmt::print("{}\n", s.message());
      ++failures;
      continue;
    }
    std::string exact = "-";
    if (kind == "check") {
      std::string expected;
      if (!readBinary(dir + "/" + name + ".expected", expected))
        return 1;
      size_t want = n * 4 + n * net->classes() * 4;
      bool same = expected.size() == want &&
                  std::memcmp(expected.data(), classes.data(), n * 4) == 0 &&
                  std::memcmp(expected.data() + n * 4, counts.data(),
                              counts.size() * 4) == 0;
      exact = same ? "yes" : "NO";
      failures += !same;
    }
    // With copies: one upload, `repeat` launches, one download.
    double withCopy = total - device * (repeat - 1);
    fmt::print("{:<34} {:>8} {:>10} {:>14.1f} {:>14.1f}  {}\n", name,
               net->gates(), n, double(n) / device / 1e6,
               double(n) / withCopy / 1e6, exact);
  }
  fmt::print("{}\n", failures ? "FAIL" : "PASS");
  return failures ? 1 : 0;
}
