//===- lgn-run.cpp - Run a net on a data set ------------------------------===//
//
// Part of lgc. Prints accuracy and throughput:
//   lgn-run net.lgn --data fashion-mnist --split test
// A .lgn runs on the reference interpreter, a .so (from `lgc -o net.so`)
// through the runtime, a .ptx, .cubin or .fatbin on the GPU: all
// through lgc::Runner. Several nets with --margin run as a cascade
// (lgc/Runtime/Cascade.h):
//   lgn-run member.so rest.so --margin 2
//
//===----------------------------------------------------------------------===//

#include "../common/Flags.h"
#include "lgc/Runtime/Cascade.h"
#include "lgc/Runtime/Dataset.h"
#include "lgc/Runtime/FileUtil.h"
#include "lgc/Runtime/Interpreter.h"
#include "lgc/Runtime/Runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fmt/core.h>
#include <optional>

using namespace lgc;

static const char *kUsage =
    R"(usage: lgn-run NET.lgn|NET.so|NET.ptx|NET.cubin|NET.fatbin|NET.cascade [options]
       lgn-run NET NET... --margin M[,M...] [options]
       lgn-run NET NET... --sweep M[,M...] [options]
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
Several nets form a cascade: the first classifies every sample, each next
one runs only on the samples whose scores so far (summed counts / summed
tau) leave the top two classes less than a margin apart, and adds its
counts to theirs; with an infinite margin every net runs on every sample
(their ensemble). A .cascade file names the nets and margins itself:
"lgc-cascade 1", then "net PATH" lines with a "margin M" line between two.
  --margin M[,M]  the margin before each net after the first (one value:
                  the same before each); inf: always run the net
  --write-cascade F
                  with --margin: also write the nets and margins as a
                  cascade file F (relative paths stay relative where F is
                  in the current directory)
  --sweep M[,M]   no timing: run every net on every sample once and print,
                  for each margin given (the same before each net), the
                  share of samples each net would run on and the accuracy;
                  choose the margin on the training split
  --choose P      with --sweep: pick the smallest margin of the sweep whose
                  accuracy is within P points of all the nets' (their
                  ensemble's); for three or more nets, the margins of the
                  sweep before each net that cost the fewest gate
                  evaluations; with --write-cascade, write that cascade.
                  Exits 1 when no margin of the sweep is close enough
)";

/// A margin as the sweep and --choose print it.
static std::string marginText(double m) {
  return std::isinf(m) ? "inf" : fmt::format("{:g}", m);
}

/// Parses "M[,M...]": margins >= 0, "inf" for an infinite one.
static bool parseMargins(const std::string &text, std::vector<double> &out) {
  out.clear();
  for (const std::string &part : tools::splitList(text)) {
    double v = 0;
    if (!parseCascadeMargin(part, v))
      return false;
    out.push_back(v);
  }
  return true;
}

int main(int argc, char **argv) {
  tools::Flags flags("lgn-run",
                     {"data", "split", "limit", "repeat", "threads", "input",
                      "device", "predictions", "json", "confusion", "margin",
                      "sweep", "choose", "write-cascade"},
                     {"help", "h", "report"});
  if (int rc = flags.start(argc, argv, kUsage, 1, 255); rc >= 0)
    return rc;
  const std::vector<std::string> &paths = flags.positionals;
  // A .cascade file names its nets and margins; several nets take them
  // from --margin.
  bool cascadeFile = paths.size() == 1 && isCascadePath(paths[0]);
  bool cascade = paths.size() > 1 || cascadeFile;
  if (cascadeFile && flags.has("margin"))
    return flags.fail("--margin: " + paths[0] + " gives the margins"), 1;
  if (paths.size() > 1)
    for (const std::string &p : paths)
      if (isCascadePath(p))
        return flags.fail("a cascade's nets cannot be cascades (" + p + ")"), 1;
  std::vector<double> margins, sweep;
  if (flags.has("margin") && flags.has("sweep"))
    return flags.fail("--margin and --sweep exclude each other"), 1;
  if (!cascade && (flags.has("margin") || flags.has("sweep")))
    return flags.fail(std::string("--") +
                      (flags.has("margin") ? "margin" : "sweep") +
                      " needs two or more nets (a cascade)"),
           1;
  if (flags.has("choose") && !flags.has("sweep"))
    return flags.fail("--choose picks a margin of --sweep's"), 1;
  if (flags.has("write-cascade") &&
      !(paths.size() > 1 && (flags.has("margin") || flags.has("choose"))))
    return flags.fail("--write-cascade needs two or more nets and --margin "
                      "(or --sweep with --choose)"),
           1;
  if (flags.has("sweep"))
    for (const char *name :
         {"predictions", "json", "confusion", "report", "repeat"})
      if (flags.has(name))
        return flags.fail(std::string("--sweep prints a table only (drop --") +
                          name + ")"),
               1;
  if (paths.size() > 1 && !flags.has("margin") && !flags.has("sweep"))
    return flags.fail("several nets run as a cascade: give --margin (or "
                      "--sweep to choose one)"),
           1;
  for (const char *name : {"margin", "sweep"}) {
    if (!flags.has(name))
      continue;
    std::vector<double> &list = name[0] == 'm' ? margins : sweep;
    if (!parseMargins(flags.str(name), list))
      return flags.fail("invalid value '" + flags.str(name) + "' for --" +
                        name +
                        " (expected margins >= 0, comma-separated, "
                        "or inf)"),
             1;
  }
  bool ok = true;
  double choose = flags.real("choose", 0, ok);
  if (!ok)
    return 1;
  if (choose < 0)
    return flags.fail("--choose takes accuracy points >= 0"), 1;
  // --choose's candidates: the sweep's distinct margins, in increasing
  // order.
  std::vector<double> sweepChoices = sweep;
  std::sort(sweepChoices.begin(), sweepChoices.end());
  sweepChoices.erase(std::unique(sweepChoices.begin(), sweepChoices.end()),
                     sweepChoices.end());
  if (margins.size() == 1)
    margins.assign(paths.size() - 1, margins[0]);
  if (flags.has("margin") && margins.size() != paths.size() - 1)
    return flags.fail(fmt::format("--margin gives {} margins for {} nets "
                                  "(one, or one per net after the first)",
                                  margins.size(), paths.size())),
           1;
  uint64_t limit = flags.u64("limit", UINT64_MAX, ok, 1);
  uint64_t repeat = flags.u64("repeat", 1, ok, 1, 1000000);
  if (!ok)
    return 1;

  uint64_t threads = flags.u64("threads", 1, ok, 0, 1024);
  if (!ok)
    return 1;
  const std::string &path = paths[0];
  std::string device = flags.oneOf(
      "device", isGpuModulePath(path) ? "cuda" : "cpu", {"cpu", "cuda"}, ok);
  if (!ok)
    return 1;
  for (const std::string &p : paths) {
    if (device == "cuda" && !isGpuModulePath(p))
      return flags.fail("--device cuda runs a .ptx, .cubin or .fatbin from "
                        "lgc --emit=ptx|cubin|fatbin"),
             1;
    if (device == "cpu" && isGpuModulePath(p))
      return flags.fail("a .ptx, .cubin or .fatbin runs on the GPU only "
                        "(--device cuda)"),
             1;
  }

  std::string predictions = flags.str("predictions");
  std::string json = flags.str("json");

  // --write-cascade: the nets and `chosen` margins as a cascade file, read
  // like every cascade file, relative paths from its own directory.
  auto writeCascadeFile = [&](const std::vector<double> &chosen) {
    if (!flags.has("write-cascade"))
      return true;
    std::string out = flags.str("write-cascade");
    bool here = out.find('/') == std::string::npos;
    CascadeSpec spec;
    for (const std::string &p : paths)
      spec.nets.push_back(
          here || p[0] == '/' ? p : std::filesystem::absolute(p).string());
    spec.margins = chosen;
    std::string text;
    Status s = writeCascade(spec, text);
    if (s)
      s = writeFileAtomic(out, text);
    if (!s)
      fmt::print(stderr, "lgn-run: {}\n", s.message());
    return bool(s);
  };

  std::unique_ptr<Runner> runner;
  Cascade *stages = nullptr;
  if (!cascade) {
    if (Status s = Runner::open(path, runner); !s) {
      fmt::print(stderr, "{}\n", s.message());
      return 1;
    }
  } else {
    // A sweep runs each net on every sample: the cascade only checks that
    // the nets fit together.
    if (margins.empty())
      margins.assign(paths.size() - 1, INFINITY);
    std::unique_ptr<Cascade> joined;
    if (Status s = cascadeFile ? readCascadeFile(path, joined)
                               : openCascade(paths, margins, joined);
        !s) {
      fmt::print(stderr, "lgn-run: {}\n", s.message());
      return 1;
    }
    stages = joined.get();
    runner = std::move(joined);
    // --choose tries every combination of the sweep's margins: refused
    // before any net runs where they are too many.
    double combinations =
        std::pow(double(sweepChoices.size()), double(stages->numStages() - 1));
    if (flags.has("choose") && combinations > 100000)
      return flags.fail(fmt::format(
                 "--choose: {} margins before {} nets are {:g} combinations; "
                 "give at most 100000",
                 sweepChoices.size(), stages->numStages() - 1, combinations)),
             1;
    if (flags.has("margin") && !writeCascadeFile(margins))
      return 1;
  }
  const RunnerInfo &info = runner->info();
  std::string netName = path;
  for (size_t i = 1; i < paths.size(); ++i)
    netName += ", then " + paths[i];
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

  // Every run of a net here is over the first n samples in the chosen form.
  auto runOnData = [&](Runner &net, uint32_t *counts, uint32_t *classes) {
    return input == "u8" ? net.runU8(data.pixels.data(), n, counts, classes,
                                     unsigned(threads))
                         : net.runF32(data.features.data(), n, counts, classes,
                                      unsigned(threads));
  };
  auto percent = [&](size_t part) {
    return n ? 100.0 * double(part) / double(n) : 0.0;
  };

  if (!sweep.empty()) {
    // Every net once on every sample; each margin's cascade is then
    // arithmetic on those counts (simulateCascade), the same rule as a run.
    const uint32_t K = info.classes;
    std::vector<std::vector<uint32_t>> netCounts(stages->numStages());
    std::vector<const uint32_t *> countPtrs;
    std::vector<double> taus;
    for (size_t i = 0; i < stages->numStages(); ++i) {
      Runner &net = stages->stage(i);
      netCounts[i].resize(n * K);
      if (Status s = runOnData(net, netCounts[i].data(), nullptr); !s) {
        fmt::print(stderr, "{}\n", s.message());
        return 1;
      }
      countPtrs.push_back(netCounts[i].data());
      taus.push_back(net.info().tau);
    }
    fmt::print("data: {} ({} samples)\n", data.name, n);
    fmt::print("{:>8}", "margin");
    for (size_t i = 0; i < stages->numStages(); ++i)
      fmt::print(" {:>8}", fmt::format("net {}", i + 1));
    fmt::print(" {:>9}\n", "accuracy");
    std::vector<uint32_t> sums(n * K);
    std::vector<uint8_t> ran(n);
    // The samples right with `margins` before the nets, and how many
    // reached each net.
    auto simulate = [&](const std::vector<double> &margins,
                        std::vector<size_t> &reached) {
      simulateCascade(countPtrs, taus, margins, n, K, sums.data(), ran.data());
      reached.assign(stages->numStages(), 0);
      size_t correct = 0;
      for (size_t i = 0; i < n; ++i) {
        for (size_t k = 0; k < ran[i]; ++k)
          ++reached[k];
        correct += argmaxClass(&sums[i * K], K) == data.labels[i];
      }
      return correct;
    };
    const size_t gaps = stages->numStages() - 1;
    auto uniform = [&](double m) { return std::vector<double>(gaps, m); };
    std::vector<size_t> reached;
    size_t all = simulate(uniform(INFINITY), reached);
    // In samples, so that "within P points" has no rounding of its own.
    auto close = [&](size_t correct) {
      return 100.0 * (double(all) - double(correct)) <=
             choose * double(n) + 1e-9;
    };
    for (double m : sweep) {
      size_t correct = simulate(uniform(m), reached);
      fmt::print("{:>8}", marginText(m));
      for (size_t r : reached)
        fmt::print(" {:>7.2f}%", percent(r));
      fmt::print(" {:>8.2f}%\n", percent(correct));
    }
    if (!flags.has("choose"))
      return 0;
    // Every combination of the sweep's margins, one before each net after
    // the first; the cheapest whose accuracy is close enough, a net's cost
    // being its gates times the samples it runs on (ties: the smaller
    // margins first). With two nets that is the smallest close margin.
    const std::vector<double> &values = sweepChoices;
    std::vector<size_t> pick(gaps, 0);
    std::optional<std::vector<double>> chosen;
    double best = 0;
    while (true) {
      std::vector<double> margins(gaps);
      for (size_t i = 0; i < gaps; ++i)
        margins[i] = values[pick[i]];
      size_t correct = simulate(margins, reached);
      double cost = 0;
      for (size_t i = 0; i < reached.size(); ++i)
        cost += double(reached[i]) * double(stages->stage(i).info().gates);
      if (close(correct) && (!chosen || cost < best)) {
        chosen = margins;
        best = cost;
      }
      // The next combination, the last margin fastest; in increasing
      // order, so that the first of equal costs has the smaller margins.
      size_t i = gaps;
      while (i > 0 && pick[i - 1] + 1 == values.size())
        pick[--i] = 0;
      if (i == 0)
        break;
      ++pick[i - 1];
    }
    std::string tolerance =
        fmt::format("{:g} point{}", choose, choose == 1 ? "" : "s");
    if (!chosen) {
      fmt::print(stderr,
                 "lgn-run: error: no margin of the sweep is within {} of the "
                 "accuracy of all the nets ({:.2f}%)\n",
                 tolerance, percent(all));
      return 1;
    }
    size_t correct = simulate(*chosen, reached);
    std::string list, shares, nets;
    for (size_t i = 0; i < gaps; ++i) {
      const char *sep = i ? ", " : "";
      double m = (*chosen)[i];
      list += sep + marginText(m);
      shares += sep + fmt::format("{:.2f}%", percent(reached[i + 1]));
      nets += sep + std::to_string(i + 2);
    }
    fmt::print("chosen margin{}: {} ({:.2f}%, all the nets {:.2f}%, within "
               "{}; {} of the samples reach net{} {})\n",
               gaps > 1 ? "s" : "", list, percent(correct), percent(all),
               tolerance, shares, gaps > 1 ? "s" : "", nets);
    return writeCascadeFile(*chosen) ? 0 : 1;
  }

  // Counts only when they are written: the runners skip GroupSum's decoding
  // otherwise.
  std::vector<uint32_t> classes(n), counts;
  if (!predictions.empty())
    counts.resize(n * info.classes);
  uint32_t *countsOut = counts.empty() ? nullptr : counts.data();
  double deviceSeconds = 0;
  auto start = std::chrono::steady_clock::now();
  for (uint64_t r = 0; r < repeat; ++r) {
    if (Status s = runOnData(*runner, countsOut, classes.data()); !s) {
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
    csv += stages ? ",nets\n" : "\n";
    std::vector<uint8_t> nets;
    if (stages)
      nets = stages->stagesPerSample();
    for (size_t i = 0; i < n; ++i) {
      csv += fmt::format("{},{},{}", i, data.labels[i], classes[i]);
      for (uint32_t c = 0; c < info.classes; ++c)
        csv += fmt::format(",{}", counts[i * info.classes + c]);
      if (stages)
        csv += fmt::format(",{}", nets[i]);
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
        quote(netName), quote(info.backend), quote(data.name), input, n,
        correct, accuracy, info.inputs, info.features, info.classes, info.gates,
        threads, repeat, secs, images / secs);
    if (onDevice)
      text += fmt::format(",\n  \"device_images_per_second\": {:.1f}",
                          images / deviceSeconds);
    if (stages) {
      text += ",\n  \"cascade_samples\": [";
      std::vector<size_t> ran = stages->stageSamples();
      for (size_t i = 0; i < ran.size(); ++i)
        text += fmt::format("{}{}", i ? ", " : "", ran[i]);
      text += "]";
    }
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

  fmt::print("net: {} ({} inputs, {} gates, {} classes)\n", netName,
             info.inputs, info.gates, info.classes);
  fmt::print("data: {} ({} samples)\n", data.name, n);
  fmt::print("backend: {}, {} input, {} thread{}\n", info.backend, input,
             threads, threads == 1 ? "" : "s");
  fmt::print("accuracy: {:.2f}% ({}/{})\n", 100.0 * accuracy, correct, n);
  if (stages) {
    fmt::print("cascade:");
    std::vector<size_t> samples = stages->stageSamples();
    for (size_t i = 0; i < samples.size(); ++i) {
      size_t ran = samples[i];
      fmt::print("{} net {} on {} samples ({:.2f}%)", i ? "," : "", i + 1, ran,
                 percent(ran));
    }
    fmt::print("\n");
  }
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
