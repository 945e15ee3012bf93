//===- lgn-train.cpp - Train a logic gate network -------------------------===//
//
// Part of lgc. difflogic-compatible training on the CPU, writing the
// discretised net as .lgn:
//   lgn-train --data fashion-mnist --layers 4x4000 --minutes 10 -o net.lgn
//
//===----------------------------------------------------------------------===//

#include "../common/Flags.h"
#include "lgc/Runtime/FileUtil.h"
#include "lgc/Trainer/Trainer.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
#include <fmt/core.h>
#include <thread>

using namespace lgc;
using namespace lgc::train;

static const char *kUsage = R"(usage: lgn-train [options] -o NET.lgn
  --data SPEC          fashion-mnist[:DIR] | mnist[:DIR] | csv:FILE (default fashion-mnist)
  --layers SPEC        widths, e.g. 4x4000 or 2000,1000 (default 4x4000)
  --arch SPEC          blocks instead of --layers, e.g. 'conv(16,k=3,p=1,d=3)
                       pool(2) conv(32,k=3,p=1,d=3) pool(2) dense(8000)'
                       (grammar: docs/architectures.md)
  --image HxW[xC]      geometry of the features for conv and pool (default:
                       a square one-channel image where the count is square)
  --init I             gaussian | residual (default gaussian; residual: each
                       gate starts as a pass-through, see --residual-logit)
  --residual-logit Z   the pass-through's logit under --init residual (default 5)
  --pool-relaxation R  max (default, the paper's) | probabilistic (1 - prod(1 - x),
                       the relaxed gates' semantics) for OR pooling in training
  --parametrization P  softmax (16 weights per gate, default) | input-wise
                       (4 sigmoid truth-table entries per gate)
  --tau T              GroupSum temperature (default 10)
  --thresholds LIST    input thresholds, e.g. 0.5 or 0.25,0.5,0.75 (default 0.5)
  --connections C      unique | random (difflogic's schemes; default unique)
  --lr LR              Adam learning rate (default 0.01)
  --lr-schedule S      constant (default) | cosine (from LR down to 0 over the
                       budget: --iterations, or the time of --minutes)
  --batch B            batch size (default 100)
  --iterations N       stop after N iterations
  --minutes M          stop after M minutes of training
  --eval-every K       evaluate on the test split every K iterations (default:
                       every 1000 or 5 % of the budget, whichever is sooner)
  --shift N            augment: move each training sample by up to N pixels
                       along each axis, zeros entering (default 0; needs an image)
  --flip               augment: mirror half of the training samples left to right
  --rotate DEG         augment: turn each training sample by up to DEG degrees
                       (nearest pixel; default 0; needs an image)
  --scale F            augment: zoom each training sample by a factor in
                       [1 - F, 1 + F] (default 0; needs an image)
  --elastic P          augment: bend each training sample by smooth random
                       displacements of P pixels (standard deviation on a 4x4
                       grid; default 0; needs an image)
  --teacher NET        distil: learn from NET's class distribution on each
                       (augmented) training sample as well as from its label;
                       NET is a .lgn (interpreted) or a compiled net library
                       .so (lgc NET.lgn -o NET.so) reading the same input bits
                       (CPU steps only)
  --distill A          weight of the teacher's distribution in the target
                       (default 0.5; 0: the label alone, 1: the teacher alone)
  --distill-temperature T
                       soften the teacher's scores (count / tau) by T (default 1)
  --gumbel T           Gumbel noise with a straight-through estimator: each
                       step trains the hard gates sampled from the noisy
                       weights, the gradient through the noisy softmax at
                       temperature T (default 0: the plain relaxation)
  --seed S             seed for wiring, weights, batches and noise (default 1)
  --threads T          CPU threads (default 0: all cores)
  --device D           auto | cpu | cuda (default auto: cuda where there is a GPU)
  --limit-train N      use only the first N training samples
  --validation N       hold out the last N training samples for the evaluations
                       during training (the test split is scored at the end)
  --log FILE.csv       loss and accuracy per evaluation
  --plot FILE          loss and accuracy curves (.png, .svg or .pdf) drawn by
                       python3 -m lgc.plot (matplotlib) where it runs; else
                       a built-in SVG (.svg only)
  --checkpoint FILE    write checkpoints (atomically) to FILE
  --checkpoint-every K also every K iterations (default: only at the end)
  --resume FILE        continue from a checkpoint (same flags as the first run)
  --bench              time the iterations only: print it/s, write nothing
  --quiet              no progress bar
  -o FILE              the discretised net (.lgn)
)";

namespace {

/// Runs `python args...` with the lgc package on PYTHONPATH (from
/// LGC_PYTHON_DIR or the source tree this tool was built from); returns its
/// exit status, -1 when it could not run. `quiet` sends its stderr to
/// /dev/null.
int runPython(const std::string &python, std::vector<std::string> args,
              bool quiet) {
  const char *dir = std::getenv("LGC_PYTHON_DIR");
  std::string path = dir && *dir ? dir : LGC_PYTHON_PACKAGE_DIR;
  if (const char *old = std::getenv("PYTHONPATH"); old && *old)
    path += std::string(":") + old;
  std::vector<std::string> env;
  for (char **e = environ; *e; ++e)
    if (std::strncmp(*e, "PYTHONPATH=", 11) != 0)
      env.push_back(*e);
  env.push_back("PYTHONPATH=" + path);
  args.insert(args.begin(), python);
  auto pointers = [](std::vector<std::string> &v) {
    std::vector<char *> p;
    for (std::string &s : v)
      p.push_back(s.data());
    p.push_back(nullptr);
    return p;
  };
  std::vector<char *> argv = pointers(args), envp = pointers(env);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (quiet)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  int started = posix_spawnp(&pid, python.c_str(), &actions, nullptr,
                             argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (started != 0)
    return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
    return -1;
  return WEXITSTATUS(status);
}

/// The first Python (LGC_PYTHON, else python3 on the PATH, else the
/// system's /usr/bin/python3) that can import matplotlib and lgc.plot, or
/// "" when none can.
std::string findPlotPython() {
  std::vector<std::string> candidates;
  if (const char *p = std::getenv("LGC_PYTHON"); p && *p)
    candidates.push_back(p);
  else
    candidates = {"python3", "/usr/bin/python3"};
  for (const std::string &python : candidates)
    if (runPython(python, {"-c", "import matplotlib, lgc.plot"}, true) == 0)
      return python;
  return "";
}

/// The curves: matplotlib where a Python with it is present (`python`);
/// otherwise the built-in SVG, which can only be an .svg. matplotlib reads
/// the run's --log when there is one, else a temporary copy of it.
Status drawPlot(const std::string &python, const std::string &plot,
                const std::string &title, const std::string &log,
                const std::vector<HistoryRow> &history,
                const std::string &evalName, const std::string &subtitle) {
  if (!python.empty()) {
    char temporary[] = "/tmp/lgn-train-log-XXXXXX";
    std::string csv = log;
    Status written = Status::success();
    if (csv.empty()) {
      int fd = mkstemp(temporary);
      if (fd < 0)
        return Status::error("cannot create a temporary file for the plot");
      close(fd);
      csv = temporary;
      written = writeFileAtomic(csv, historyCSV(history, evalName));
    }
    int rc = written ? runPython(python,
                                 {"-m", "lgc.plot", csv, "-o", plot, "--title",
                                  title, "--subtitle", subtitle},
                                 false)
                     : -1;
    if (log.empty())
      std::remove(temporary);
    if (rc == 0)
      return Status::success();
    if (!pathEndsWith(plot, ".svg"))
      return Status::errorAt(plot, "python3 -m lgc.plot failed");
  }
  fmt::print(stderr, "lgn-train: note: matplotlib is not available, writing "
                     "the built-in SVG plot\n");
  return writeFileAtomic(
      plot, plotHistory(history, title + ": " + subtitle, evalName));
}

/// "; Gumbel noise, ..." for a run with --gumbel, else nothing.
std::string describeNoise(const TrainOptions &opts) {
  return opts.gumbel > 0
             ? fmt::format("; Gumbel noise, straight-through, temperature {:g}",
                           opts.gumbel)
             : "";
}

/// The run in words, for the plot's subtitle.
std::string describeRun(const TrainOptions &opts, const RunSummary &done,
                        const std::string &device) {
  const ModelConfig &m = opts.model;
  std::string levels;
  for (float t : m.thresholds)
    levels += (levels.empty() ? "" : ", ") + fmt::format("{}", t);
  std::string widths;
  for (size_t i = 0; i < m.widths.size();) {
    size_t j = i;
    while (j < m.widths.size() && m.widths[j] == m.widths[i])
      ++j;
    widths += (widths.empty() ? "" : ", ") +
              (j - i > 1 ? fmt::format("{} x {}", j - i, m.widths[i])
                         : std::to_string(m.widths[i]));
    i = j;
  }
  if (!m.arch.empty())
    widths = formatArch(m.arch);
  std::string augment;
  if (opts.augments()) {
    std::vector<std::string> parts;
    if (opts.shift)
      parts.push_back(fmt::format("shift {}", opts.shift));
    if (opts.flip)
      parts.push_back("flip");
    if (opts.rotate > 0)
      parts.push_back(fmt::format("rotate {:g} deg", opts.rotate));
    if (opts.scale > 0)
      parts.push_back(fmt::format("scale {:g}", opts.scale));
    if (opts.elastic > 0)
      parts.push_back(fmt::format("elastic {:g} px", opts.elastic));
    std::string list;
    for (const std::string &part : parts)
      list += (list.empty() ? "" : ", ") + part;
    augment = "; augmented (" + list + ")";
  }
  if (!opts.teacher.empty())
    augment +=
        fmt::format("; distilled from {} (weight {:g}, temperature {:g})",
                    opts.teacher, opts.distill, opts.distillTemperature);
  augment += describeNoise(opts);
  return fmt::format(
      "{} features x {} threshold{} ({}) -> {} gates -> {} classes, tau {}, "
      "{} connections, seed {}; Adam lr {}{}, batch {}{}; {} iterations in "
      "{:.0f} s on {}",
      m.features, m.thresholds.size(), m.thresholds.size() == 1 ? "" : "s",
      levels, widths, m.classes, m.tau,
      m.connections == Connections::Unique ? "unique" : "random", m.seed,
      opts.lr, opts.lrSchedule == LRSchedule::Cosine ? " (cosine to 0)" : "",
      opts.batch, augment, done.iterations, done.seconds, device);
}

std::string formatClock(double secs) {
  unsigned s = unsigned(secs + 0.5);
  return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
}

/// A one-line progress bar on stderr: redrawn in place 4 times a second on
/// a terminal, a new line every 10 s (and at each evaluation) otherwise.
class ProgressBar {
public:
  void operator()(const Progress &p) {
    bool tty = ::isatty(2);
    if (!(p.seconds - lastPrint > (tty ? 0.25 : 10.0) || p.evaluated))
      return;
    lastPrint = p.seconds;
    double rate =
        double(p.iteration - p.startIteration) / std::max(p.seconds, 1e-9);
    double eta = p.targetIterations ? double(p.targetIterations - p.iteration) /
                                          std::max(rate, 1e-9)
                                    : p.secondsLimit - p.seconds;
    const int width = 24;
    int filled =
        p.targetIterations
            ? int(double(p.iteration) / double(p.targetIterations) * width)
            : int(std::min(1.0, p.seconds / std::max(p.secondsLimit, 1e-9)) *
                  width);
    std::string bar(size_t(std::clamp(filled, 0, width)), '#');
    bar.resize(size_t(width), '-');
    std::string line =
        fmt::format("[{}] {} it  {:.1f} it/s  ETA {}", bar, p.iteration, rate,
                    formatClock(std::max(0.0, eta)));
    if (p.latest)
      line += fmt::format("  loss {:.4f}  train {:.1f}%  {} {:.2f}% (relaxed "
                          "{:.2f}%)",
                          p.latest->trainLoss, 100 * p.latest->trainAccuracy,
                          std::string(p.evalName) == "test" ? "test" : "val",
                          100 * p.latest->testDiscrete,
                          100 * p.latest->testRelaxed);
    fmt::print(stderr, "{}{}{}", tty ? "\r" : "", line, tty ? "\x1b[K" : "\n");
    std::fflush(stderr);
  }

private:
  double lastPrint = -1;
};

} // namespace

int main(int argc, char **argv) {
  tools::Flags flags("lgn-train",
                     {"data",
                      "layers",
                      "tau",
                      "thresholds",
                      "connections",
                      "lr",
                      "batch",
                      "iterations",
                      "minutes",
                      "eval-every",
                      "seed",
                      "threads",
                      "device",
                      "limit-train",
                      "validation",
                      "log",
                      "plot",
                      "checkpoint",
                      "checkpoint-every",
                      "resume",
                      "arch",
                      "image",
                      "init",
                      "residual-logit",
                      "parametrization",
                      "pool-relaxation",
                      "shift",
                      "rotate",
                      "scale",
                      "elastic",
                      "lr-schedule",
                      "teacher",
                      "distill",
                      "distill-temperature",
                      "gumbel",
                      "o"},
                     {"bench", "quiet", "flip", "help", "h"});
  if (int rc = flags.start(argc, argv, kUsage, 0, 0); rc >= 0)
    return rc;
  bool ok = true;
  TrainOptions opts;
  opts.model.tau = flags.real("tau", 10.0, ok);
  opts.lr = float(flags.real("lr", 0.01, ok));
  opts.batch = uint32_t(flags.u64("batch", 100, ok, 1, 1000000));
  opts.iterations = flags.u64("iterations", 0, ok);
  opts.minutes = flags.real("minutes", 0, ok);
  if (flags.has("eval-every"))
    opts.evalEvery = flags.u64("eval-every", 1000, ok);
  opts.model.seed = flags.u64("seed", 1, ok);
  opts.threads = unsigned(flags.u64("threads", 0, ok, 0, 1024));
  opts.checkpointEvery = flags.u64("checkpoint-every", 0, ok);
  uint64_t limitTrain = flags.u64("limit-train", 0, ok);
  opts.validation = uint32_t(flags.u64("validation", 0, ok, 0, 1u << 30));
  opts.shift = uint32_t(flags.u64("shift", 0, ok, 0, 1u << 16));
  opts.flip = flags.has("flip");
  opts.rotate = flags.real("rotate", 0, ok);
  opts.scale = flags.real("scale", 0, ok);
  opts.elastic = flags.real("elastic", 0, ok);
  opts.teacher = flags.str("teacher", "");
  opts.distill = float(flags.real("distill", 0.5, ok));
  opts.distillTemperature = float(flags.real("distill-temperature", 1.0, ok));
  if (opts.teacher.empty() &&
      (flags.has("distill") || flags.has("distill-temperature")))
    return flags.fail("--distill and --distill-temperature need --teacher"), 1;
  opts.gumbel = float(flags.real("gumbel", 0, ok));
  // 0 is the trainer's "no noise", not a temperature to ask for; the
  // trainer refuses the rest (negative, infinite).
  if (ok && flags.has("gumbel") && !(opts.gumbel > 0))
    return flags.fail("--gumbel takes a temperature > 0"), 1;
  opts.lrSchedule = flags.oneOf("lr-schedule", "constant",
                                {"constant", "cosine"}, ok) == "cosine"
                        ? LRSchedule::Cosine
                        : LRSchedule::Constant;
  if (!ok)
    return 1;
  if (!(opts.model.tau > 0))
    return flags.fail("--tau must be positive"), 1;
  if (!(opts.lr > 0))
    return flags.fail("--lr must be positive"), 1;
  if (opts.minutes < 0)
    return flags.fail("--minutes must not be negative"), 1;
  if (!tools::parseLayerSpec(flags.str("layers", "4x4000"), opts.model.widths,
                             1u << 24))
    return flags.fail("invalid --layers '" + flags.str("layers") +
                      "' (expected e.g. 4x4000 or 2000,1000)"),
           1;
  if (!tools::parseThresholdList(flags.str("thresholds", "0.5"),
                                 opts.model.thresholds))
    return flags.fail("invalid --thresholds '" + flags.str("thresholds") +
                      "' (numbers in [0, 1], comma-separated)"),
           1;
  if (flags.has("arch")) {
    if (flags.has("layers"))
      return flags.fail("give --arch or --layers, not both"), 1;
    if (Status s = parseArch(flags.str("arch"), opts.model.arch); !s)
      return flags.fail(s.message()), 1;
  }
  if (flags.has("image") &&
      !tools::parseImageSpec(flags.str("image"), opts.model.imageHeight,
                             opts.model.imageWidth, &opts.model.imageChannels))
    return flags.fail("invalid --image '" + flags.str("image") +
                      "' (expected HxW or HxWxC, e.g. 28x28)"),
           1;
  std::string init =
      flags.oneOf("init", "gaussian", {"gaussian", "residual"}, ok);
  std::string pool =
      flags.oneOf("pool-relaxation", "max", {"max", "probabilistic"}, ok);
  std::string param =
      flags.oneOf("parametrization", "softmax", {"softmax", "input-wise"}, ok);
  std::string device =
      flags.oneOf("device", "auto", {"auto", "cpu", "cuda"}, ok);
  if (!ok)
    return 1;
  opts.model.init =
      init == "residual" ? InitScheme::Residual : InitScheme::Gaussian;
  opts.model.residualLogit = float(flags.real("residual-logit", 5.0, ok));
  if (!ok || !(opts.model.residualLogit > 0))
    return flags.fail("--residual-logit must be a positive number"), 1;
  opts.model.poolRelaxation =
      pool == "max" ? PoolRelaxation::Max : PoolRelaxation::Probabilistic;
  opts.model.parametrization = param == "input-wise"
                                   ? Parametrization::InputWise
                                   : Parametrization::Softmax;
  std::string conn = flags.str("connections", "unique");
  if (conn != "unique" && conn != "random")
    return flags.fail("--connections must be 'unique' or 'random', not '" +
                      conn + "'"),
           1;
  opts.model.connections =
      conn == "unique" ? Connections::Unique : Connections::Random;
  opts.device = device;
  bool bench = flags.has("bench");
  if (!bench && !flags.has("o"))
    return flags.fail("no output file (-o NET.lgn)"), 1;
  if (!bench && !opts.iterations && !(opts.minutes > 0))
    return flags.fail("give --iterations N or --minutes M"), 1;
  opts.output = bench ? "" : flags.str("o");
  opts.log = flags.str("log");
  // The tool draws the plot itself after the run (matplotlib or the
  // built-in SVG), so the trainer writes none.
  std::string plot = flags.str("plot");
  if (!plot.empty() && !pathEndsWith(plot, ".svg") &&
      !pathEndsWith(plot, ".png") && !pathEndsWith(plot, ".pdf"))
    return flags.fail("--plot must end in .svg, .png or .pdf"), 1;
  // Checked before training: a .png or .pdf needs matplotlib.
  std::string plotPython = plot.empty() ? "" : findPlotPython();
  if (!plot.empty() && plotPython.empty() && !pathEndsWith(plot, ".svg"))
    return flags.fail("--plot " + plot +
                      " needs python3 with matplotlib (Debian: "
                      "python3-matplotlib); use an .svg for the built-in plot"),
           1;
  opts.checkpoint = flags.str("checkpoint");
  opts.resume = flags.str("resume");
  bool quiet = flags.has("quiet") || bench;
  if (!quiet)
    opts.onProgress = ProgressBar();

  std::string spec = flags.str("data", "fashion-mnist");
  opts.dataName = spec;
  Dataset train, test;
  if (Status s = loadDataset(spec, "train", train); !s)
    return fmt::print(stderr, "lgn-train: {}\n", s.message()), 1;
  if (Status s = loadDataset(spec, "test", test); !s)
    return fmt::print(stderr, "lgn-train: {}\n", s.message()), 1;
  if (limitTrain && limitTrain < train.size()) {
    train.labels.resize(limitTrain);
    train.features.resize(limitTrain * train.numFeatures);
    train.pixels.clear();
  }
  opts.model.features = train.numFeatures;
  opts.model.classes = std::max(train.numClasses, test.numClasses);

  Trainer trainer;
  if (bench) {
    opts.evalEvery = 0;
    if (Status s = trainer.setup(opts, train, test); !s)
      return fmt::print(stderr, "lgn-train: {}\n", s.message()), 1;
    uint64_t n = opts.iterations ? opts.iterations : 200;
    for (int i = 0; i < 5; ++i)
      trainer.step(); // warm up
    auto start = std::chrono::steady_clock::now();
    for (uint64_t i = 0; i < n; ++i)
      trainer.step();
    double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    fmt::print("{}: {} gates, batch {}, {}: {:.1f} it/s\n",
               opts.model.describe(), trainer.model.numGates(), opts.batch,
               trainer.deviceName(), double(n) / secs);
    return 0;
  }
  if (Status s = trainer.setup(opts, train, test); !s)
    return fmt::print(stderr, "lgn-train: {}\n", s.message()), 1;
  fmt::print(stderr,
             "lgn-train: {} on {} ({} train / {} validation / {} test), {} "
             "gates, {}{}\n",
             opts.model.describe(), spec, train.size() - opts.validation,
             opts.validation, test.size(), trainer.model.numGates(),
             trainer.deviceName(), describeNoise(opts));
  // The trainer keeps the thresholded bits it needs; the features (floats
  // and pixels: 280 MB for Fashion-MNIST) are not used again.
  train = Dataset();
  test = Dataset();
  RunSummary done;
  if (Status s = trainer.run(&done); !s)
    return fmt::print(stderr, "lgn-train: {}\n", s.message()), 1;
  if (!quiet && ::isatty(2))
    fmt::print(stderr, "\n");
  // The summary is printed with --quiet too: it is the run's result.
  std::string eval =
      fmt::format("{:.2f}% discretised, {:.2f}% relaxed",
                  100 * done.evalDiscrete, 100 * done.evalRelaxed);
  fmt::print(stderr, "done: {} iterations in {:.1f} s ({:.1f} it/s); ",
             done.iterations, done.seconds, done.iterationsPerSecond);
  if (std::string(done.evalName) == "test")
    fmt::print(stderr, "test accuracy {}\n", eval);
  else
    fmt::print(stderr, "{} accuracy {}; test accuracy {:.2f}%\n", done.evalName,
               eval, 100 * done.testAccuracy);
  if (!plot.empty())
    if (Status s = drawPlot(plotPython, plot, "lgn-train on " + spec, opts.log,
                            trainer.history, done.evalName,
                            describeRun(opts, done, trainer.deviceName()));
        !s)
      return fmt::print(stderr, "lgn-train: {}\n", s.message()), 1;
  return 0;
}
