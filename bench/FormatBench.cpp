//===- FormatBench.cpp - .lgn reader, writer and interpreter speed --------===//
//
// Part of lgc. Google Benchmark; not a test. Run: build/bin/lgc-format-bench
//
//===----------------------------------------------------------------------===//

#include "lgc/Runtime/Format.h"
#include "lgc/Runtime/Generate.h"
#include "lgc/Runtime/Interpreter.h"

#include <benchmark/benchmark.h>

using namespace lgc;

static const Net &millionGateNet() {
  static Net net = [] {
    GenerateOptions opts;
    opts.inputs = 784;
    opts.widths = std::vector<uint32_t>(10, 100000);
    opts.classes = 10;
    Net n;
    (void)generateNet(opts, n);
    return n;
  }();
  return net;
}

static void BM_Parse1MGates(benchmark::State &state) {
  std::string text = writeNet(millionGateNet());
  for (auto _ : state) {
    Net net;
    Status s = parseNet(text, "bench.lgn", net);
    if (!s.ok())
      state.SkipWithError(s.message().c_str());
    benchmark::DoNotOptimize(net.gates.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(text.size()));
  state.counters["gates/s"] = benchmark::Counter(
      double(state.iterations()) * 1e6, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Parse1MGates)->Unit(benchmark::kMillisecond);

static void BM_Write1MGates(benchmark::State &state) {
  for (auto _ : state) {
    std::string text = writeNet(millionGateNet());
    benchmark::DoNotOptimize(text.data());
  }
}
BENCHMARK(BM_Write1MGates)->Unit(benchmark::kMillisecond);

static void BM_Interpret6x8000(benchmark::State &state) {
  GenerateOptions opts;
  opts.widths = std::vector<uint32_t>(6, 8000);
  Net net;
  (void)generateNet(opts, net);
  const size_t n = 6400;
  std::vector<uint64_t> words(numBlocks(n) * net.numInputs,
                              0x0123456789abcdefull);
  std::vector<uint32_t> classes(n);
  for (auto _ : state)
    interpret(net, words.data(), n, nullptr, classes.data());
  state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(n));
}
BENCHMARK(BM_Interpret6x8000)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
