//===- NetBench.cpp - Throughput of a compiled net.so ---------------------===//
//
// Part of lgc. Not a test. Feeds Fashion-MNIST test images (repeated to
// --samples) to a net.so and prints images/s for 8-bit pixels end to end
// (thresholding and packing included) on one thread and on all cores, and
// for bits packed beforehand (the gates and GroupSum alone).
//   lgc-net-bench net.so [--samples N] [--seconds S]
//
//===----------------------------------------------------------------------===//

#include "../tools/common/Flags.h"
#include "lgc/Runtime/Dataset.h"
#include "lgc/Runtime/NetLibrary.h"

#include <chrono>
#include <fmt/core.h>
#include <thread>

using namespace lgc;

template <typename Fn> static double rate(size_t n, double minSeconds, Fn fn) {
  fn(); // warm up: page in buffers and code
  size_t runs = 0;
  auto start = std::chrono::steady_clock::now();
  double secs = 0;
  do {
    fn();
    ++runs;
    secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
  } while (secs < minSeconds);
  return double(n) * double(runs) / secs;
}

int main(int argc, char **argv) {
  tools::Flags flags("lgc-net-bench", {"samples", "seconds"});
  if (!flags.parse(argc, argv) || flags.positionals.size() != 1)
    return flags.fail(
               "usage: lgc-net-bench net.so [--samples N] [--seconds S]"),
           1;
  bool ok = true;
  size_t n = flags.u64("samples", 100000, ok, 1, 100000000);
  double seconds = flags.real("seconds", 2.0, ok);
  if (!ok)
    return 1;
  std::unique_ptr<NetLibrary> lib;
  if (Status s = NetLibrary::open(flags.positionals[0], lib); !s)
    return fmt::print(stderr, "{}\n", s.message()), 1;
  const lgc_net_info &info = lib->info();
  Dataset data;
  std::vector<uint8_t> pixels(n * info.features);
  if (info.features == 784 && loadDataset("fashion-mnist", "test", data).ok()) {
    for (size_t i = 0; i < n; ++i)
      std::copy_n(data.pixels.begin() + (i % data.size()) * 784, 784,
                  pixels.begin() + i * 784);
  } else {
    for (size_t i = 0; i < pixels.size(); ++i)
      pixels[i] = uint8_t(i * 2654435761u >> 13);
  }
  std::vector<uint64_t> packed((n + 63) / 64 * info.inputs);
  for (size_t i = 0; i < packed.size(); ++i)
    packed[i] = i * 0x9e3779b97f4a7c15ull;
  std::vector<uint32_t> classes(n);
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  double u8one = rate(n, seconds, [&] {
    (void)lib->runU8(pixels.data(), n, nullptr, classes.data(), 1);
  });
  double packedOne = rate(n, seconds, [&] {
    (void)lib->runPacked(packed.data(), n, nullptr, classes.data(), 1);
  });
  double u8all = rate(n, seconds, [&] {
    (void)lib->runU8(pixels.data(), n, nullptr, classes.data(), cores);
  });
  fmt::print(
      "{} gates, {}-bit vectors: u8 1 thread {:.4f} M/s, packed 1 thread "
      "{:.4f} M/s, u8 {} threads {:.4f} M/s\n",
      info.gates, info.vector_bits, u8one / 1e6, packedOne / 1e6, cores,
      u8all / 1e6);
  return 0;
}
