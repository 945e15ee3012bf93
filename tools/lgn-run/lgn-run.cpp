//===- lgn-run.cpp - Run a net on a data set ------------------------------===//
//
// Part of lgc. Prints accuracy and throughput:
//   lgn-run net.lgn --data fashion-mnist --split test
// A .lgn runs on the reference interpreter, a .so (from `lgc -o net.so`)
// through the runtime, a .ptx, .cubin or .fatbin on the GPU: all
// through lgc::Runner.
//
//===----------------------------------------------------------------------===//

#include "../common/Flags.h"
#include "lgc/Runtime/Dataset.h"
#include "lgc/Runtime/FileUtil.h"
#include "lgc/Runtime/Runner.h"

#include <chrono>
#include <fmt/core.h>

using namespace lgc;

static const char *kUsage =
    R"(usage: lgn-run NET.lgn|NET.so|NET.ptx|NET.cubin|NET.fatbin [options]
  --data SPEC     fashion-mnist[:DIR] | mnist[:DIR] | csv:FILE (default fashion-mnist)
  --split S       train | test | all (default test)
  --limit N       use only the first N samples
  --repeat R      evaluate R times for a steadier images/s (default 1)
  --threads T     threads for a .so (default 1; 0: all cores)
  --device D      cpu (default) or cuda: a .ptx, .cubin or .fatbin (from lgc
                  --emit=ptx|cubin|fatbin) runs on the GPU through the CUDA
                  driver
  --input KIND    u8 (8-bit pixels; the default where the data has them) or
                  f32 (features scaled to [0, 1])
  --predictions F write one CSV row per sample: index, label, class and the
                  class counts
  --json F        write a summary (accuracy, images/s, the net's shape) as JSON;
                  with --report it also holds the per-class figures
  --report        print each class's accuracy and the confusion matrix
  --confusion F   write the confusion matrix as CSV (rows: labels, columns:
                  predicted classes)
)";

int main(int argc, char **argv) {
  tools::Flags flags("lgn-run",
                     {"data", "split", "limit", "repeat", "threads", "input",
                      "device", "predictions", "json", "confusion"},
                     {"help", "h", "report"});
  if (int rc = flags.start(argc, argv, kUsage, 1, 1); rc >= 0)
    return rc;
  bool ok = true;
  uint64_t limit = flags.u64("limit", UINT64_MAX, ok, 1);
  uint64_t repeat = flags.u64("repeat", 1, ok, 1, 1000000);
  if (!ok)
    return 1;

  uint64_t threads = flags.u64("threads", 1, ok, 0, 1024);
  if (!ok)
    return 1;
  const std::string &path = flags.positionals[0];
  bool isGpu = isGpuModulePath(path);
  std::string device =
      flags.oneOf("device", isGpu ? "cuda" : "cpu", {"cpu", "cuda"}, ok);
  if (!ok)
    return 1;
  if (device == "cuda" && !isGpu)
    return flags.fail("--device cuda runs a .ptx, .cubin or .fatbin from lgc "
                      "--emit=ptx|cubin|fatbin"),
           1;
  if (device == "cpu" && isGpu)
    return flags.fail("a .ptx, .cubin or .fatbin runs on the GPU only "
                      "(--device cuda)"),
           1;

  std::string predictions = flags.str("predictions");
  std::string json = flags.str("json");

  std::unique_ptr<Runner> runner;
  if (Status s = Runner::open(path, runner); !s) {
    fmt::print(stderr, "{}\n", s.message());
    return 1;
  }
  const RunnerInfo &info = runner->info();
  Dataset data;
  if (Status s = loadDataset(flags.str("data", "fashion-mnist"),
                             flags.str("split", "test"), data);
      !s) {
    fmt::print(stderr, "lgn-run: {}\n", s.message());
    return 1;
  }
  if (data.numFeatures != info.features) {
    fmt::print(stderr,
               "lgn-run: error: the net reads {} features, but {} has {}\n",
               info.features, data.name, data.numFeatures);
    return 1;
  }
  size_t n = std::min<uint64_t>(data.size(), limit);
  bool fromPixels = !data.pixels.empty();
  std::string input =
      flags.oneOf("input", fromPixels ? "u8" : "f32", {"u8", "f32"}, ok);
  if (!ok)
    return 1;
  if (input == "u8" && !fromPixels)
    return flags.fail(data.name + " has no 8-bit pixels; use --input f32"), 1;

  // Counts only when they are written: the runners skip GroupSum's decoding
  // otherwise.
  std::vector<uint32_t> classes(n), counts;
  if (!predictions.empty())
    counts.resize(n * info.classes);
  uint32_t *countsOut = counts.empty() ? nullptr : counts.data();
  double deviceSeconds = 0;
  auto start = std::chrono::steady_clock::now();
  for (uint64_t r = 0; r < repeat; ++r) {
    Status s = input == "u8"
                   ? runner->runU8(data.pixels.data(), n, countsOut,
                                   classes.data(), unsigned(threads))
                   : runner->runF32(data.features.data(), n, countsOut,
                                    classes.data(), unsigned(threads));
    if (!s) {
      fmt::print(stderr, "{}\n", s.message());
      return 1;
    }
    deviceSeconds += runner->deviceSeconds();
  }
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  size_t correct = 0;
  for (size_t i = 0; i < n; ++i)
    correct += classes[i] == data.labels[i];
  double accuracy = n ? double(correct) / double(n) : 0;

  // Confusion matrix: labels (rows) by predicted classes (columns), over as
  // many classes as the net or the labels have.
  uint32_t K = info.classes;
  for (size_t i = 0; i < n; ++i)
    K = std::max(K, data.labels[i] + 1);
  std::vector<uint64_t> confusion(size_t(K) * K, 0);
  for (size_t i = 0; i < n; ++i)
    ++confusion[size_t(data.labels[i]) * K + classes[i]];
  auto labelCount = [&](uint32_t c) {
    uint64_t total = 0;
    for (uint32_t p = 0; p < K; ++p)
      total += confusion[size_t(c) * K + p];
    return total;
  };
  bool report = flags.has("report");
  std::string confusionPath = flags.str("confusion");
  if (!confusionPath.empty()) {
    std::string csv = "label";
    for (uint32_t p = 0; p < K; ++p)
      csv += fmt::format(",predicted_{}", p);
    csv += "\n";
    for (uint32_t c = 0; c < K; ++c) {
      csv += std::to_string(c);
      for (uint32_t p = 0; p < K; ++p)
        csv += fmt::format(",{}", confusion[size_t(c) * K + p]);
      csv += "\n";
    }
    if (Status s = writeFileAtomic(confusionPath, csv); !s) {
      fmt::print(stderr, "lgn-run: {}\n", s.message());
      return 1;
    }
  }
  double images = double(n) * double(repeat);
  bool onDevice = runner->deviceSeconds() >= 0;

  if (!predictions.empty()) {
    std::string csv = "index,label,class";
    for (uint32_t c = 0; c < info.classes; ++c)
      csv += fmt::format(",count_{}", c);
    csv += "\n";
    for (size_t i = 0; i < n; ++i) {
      csv += fmt::format("{},{},{}", i, data.labels[i], classes[i]);
      for (uint32_t c = 0; c < info.classes; ++c)
        csv += fmt::format(",{}", counts[i * info.classes + c]);
      csv += "\n";
    }
    if (Status s = writeFileAtomic(predictions, csv); !s) {
      fmt::print(stderr, "lgn-run: {}\n", s.message());
      return 1;
    }
  }
  if (!json.empty()) {
    auto quote = [](const std::string &text) {
      std::string q = "\"";
      for (char c : text) {
        if (c == '"' || c == '\\')
          q += '\\';
        if (static_cast<unsigned char>(c) < 0x20)
          q += fmt::format("\\u{:04x}", int(c));
        else
          q += c;
      }
      return q + "\"";
    };
    std::string text = fmt::format(
        "{{\n  \"net\": {},\n  \"backend\": {},\n  \"data\": {},\n  "
        "\"input\": \"{}\",\n  \"samples\": {},\n  \"correct\": {},\n  "
        "\"accuracy\": {:.6f},\n  \"inputs\": {},\n  \"features\": {},\n  "
        "\"classes\": {},\n  \"gates\": {},\n  \"threads\": {},\n  "
        "\"repeat\": {},\n  \"seconds\": {:.6f},\n  \"images_per_second\": "
        "{:.1f}",
        quote(path), quote(info.backend), quote(data.name), input, n, correct,
        accuracy, info.inputs, info.features, info.classes, info.gates, threads,
        repeat, secs, images / secs);
    if (onDevice)
      text += fmt::format(",\n  \"device_images_per_second\": {:.1f}",
                          images / deviceSeconds);
    if (report) {
      text += ",\n  \"per_class\": [";
      for (uint32_t c = 0; c < K; ++c) {
        uint64_t total = labelCount(c), right = confusion[size_t(c) * K + c];
        text += fmt::format("{}\n    {{\"class\": {}, \"samples\": {}, "
                            "\"correct\": {}, \"accuracy\": {:.6f}}}",
                            c ? "," : "", c, total, right,
                            total ? double(right) / double(total) : 0.0);
      }
      text += "\n  ],\n  \"confusion\": [";
      for (uint32_t c = 0; c < K; ++c) {
        text += c ? ",\n    [" : "\n    [";
        for (uint32_t p = 0; p < K; ++p)
          text +=
              fmt::format("{}{}", p ? ", " : "", confusion[size_t(c) * K + p]);
        text += "]";
      }
      text += "\n  ]";
    }
    text += "\n}\n";
    if (Status s = writeFileAtomic(json, text); !s) {
      fmt::print(stderr, "lgn-run: {}\n", s.message());
      return 1;
    }
  }

  fmt::print("net: {} ({} inputs, {} gates, {} classes)\n", path, info.inputs,
             info.gates, info.classes);
  fmt::print("data: {} ({} samples)\n", data.name, n);
  fmt::print("backend: {}, {} input, {} thread{}\n", info.backend, input,
             threads, threads == 1 ? "" : "s");
  fmt::print("accuracy: {:.2f}% ({}/{})\n", 100.0 * accuracy, correct, n);
  if (report) {
    fmt::print("per class (label: accuracy, correct/samples):\n");
    for (uint32_t c = 0; c < K; ++c) {
      uint64_t total = labelCount(c), right = confusion[size_t(c) * K + c];
      fmt::print("  {:>3}: {:6.2f}% ({}/{})\n", c,
                 total ? 100.0 * double(right) / double(total) : 0.0, right,
                 total);
    }
    fmt::print("confusion matrix (rows: label, columns: predicted class):\n");
    size_t width = 3;
    for (uint64_t v : confusion)
      width = std::max(width, std::to_string(v).size());
    fmt::print("{:>5}", "");
    for (uint32_t p = 0; p < K; ++p)
      fmt::print(" {:>{}}", p, width);
    fmt::print("\n");
    for (uint32_t c = 0; c < K; ++c) {
      fmt::print("  {:>3}", c);
      for (uint32_t p = 0; p < K; ++p)
        fmt::print(" {:>{}}", confusion[size_t(c) * K + p], width);
      fmt::print("\n");
    }
  }
  if (onDevice)
    fmt::print("throughput: {:.3f} M images/s on the device, {:.3f} M "
               "images/s with transfers\n",
               images / deviceSeconds / 1e6, images / secs / 1e6);
  else
    fmt::print("throughput: {:.3f} M images/s (end to end)\n",
               images / secs / 1e6);
  return 0;
}
