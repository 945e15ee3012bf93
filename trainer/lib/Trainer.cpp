//===- Trainer.cpp - Training loop, evaluation, checkpoints ---------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Trainer/Trainer.h"
#include "lgc/Trainer/CudaTrainer.h"

#include "lgc/Runtime/FileUtil.h"
#include "lgc/Runtime/Format.h"
#include "lgc/Runtime/Interpreter.h"

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>
#include <unistd.h>

using namespace lgc;
using namespace lgc::train;

//===----------------------------------------------------------------------===//
// ThreadPool
//===----------------------------------------------------------------------===//

/// Runs fn(0) .. fn(n-1) on n threads (the caller is thread 0) and waits.
class lgc::train::ThreadPool {
public:
  explicit ThreadPool(unsigned n) : size(n) {
    for (unsigned t = 1; t < n; ++t)
      workers.emplace_back([this, t] { loop(t); });
  }
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stop = true;
      ++generation;
    }
    wake.notify_all();
    for (std::thread &w : workers)
      w.join();
  }
  void run(const std::function<void(unsigned)> &fn) {
    if (size == 1) {
      fn(0);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex);
      task = &fn;
      pending = size - 1;
      ++generation;
    }
    wake.notify_all();
    fn(0);
    std::unique_lock<std::mutex> lock(mutex);
    done.wait(lock, [&] { return pending == 0; });
  }

private:
  void loop(unsigned t) {
    uint64_t seen = 0;
    for (;;) {
      const std::function<void(unsigned)> *fn;
      {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, [&] { return generation != seen; });
        seen = generation;
        if (stop)
          return;
        fn = task;
      }
      (*fn)(t);
      std::lock_guard<std::mutex> lock(mutex);
      if (--pending == 0)
        done.notify_one();
    }
  }
  unsigned size;
  std::vector<std::thread> workers;
  std::mutex mutex;
  std::condition_variable wake, done;
  const std::function<void(unsigned)> *task = nullptr;
  unsigned pending = 0;
  uint64_t generation = 0;
  bool stop = false;
};

//===----------------------------------------------------------------------===//
// Data
//===----------------------------------------------------------------------===//

BitData lgc::train::binarize(const Dataset &data, const ModelConfig &cfg,
                             size_t begin, size_t end, bool packed) {
  Net encoded;
  encoded.numInputs = cfg.inputs();
  encoded.numFeatures = cfg.features;
  encoded.levels = cfg.thresholds;
  BitData out;
  out.inputs = encoded.numInputs;
  out.labels.assign(data.labels.begin() + begin, data.labels.begin() + end);
  out.bits.resize((end - begin) * out.inputs);
  for (size_t s = begin; s < end; ++s) {
    const float *x = &data.features[s * data.numFeatures];
    uint8_t *row = &out.bits[(s - begin) * out.inputs];
    for (uint32_t i = 0; i < out.inputs; ++i) {
      InputBit bit = encoded.inputBit(i);
      row[i] = x[bit.feature] > bit.threshold;
    }
  }
  if (packed)
    out.packed = packFeatures(encoded, &data.features[begin * data.numFeatures],
                              end - begin);
  return out;
}

//===----------------------------------------------------------------------===//
// Trainer
//===----------------------------------------------------------------------===//

Trainer::Trainer() = default;
Trainer::~Trainer() = default;

Status Trainer::setup(const TrainOptions &o, const Dataset &train,
                      const Dataset &test) {
  opts = o;
  if (opts.batch == 0)
    return Status::error("error: --batch must be positive");
  if (!(opts.lr > 0))
    return Status::error("error: --lr must be positive");
  if (train.size() == 0)
    return Status::error("error: the training set is empty");
  if (train.numFeatures != opts.model.features)
    return Status::error(
        "error: the data has " + std::to_string(train.numFeatures) +
        " features, the model " + std::to_string(opts.model.features));
  for (uint32_t l : train.labels)
    if (l >= opts.model.classes)
      return Status::error("error: label " + std::to_string(l) + " but only " +
                           std::to_string(opts.model.classes) + " classes");
  if (Status s = model.init(opts.model); !s)
    return s;
  if (opts.validation) {
    if (opts.validation >= train.size())
      return Status::error("error: --validation " +
                           std::to_string(opts.validation) +
                           " leaves no training samples (the set has " +
                           std::to_string(train.size()) + ")");
    valData = binarize(train, opts.model, train.size() - opts.validation,
                       train.size(), true);
  }
  // The training set is only ever run relaxed: no packing for it.
  trainData =
      binarize(train, opts.model, 0, train.size() - opts.validation, false);
  testData = binarize(test, opts.model, 0, test.size(), true);
  numThreads = opts.threads ? opts.threads
                            : std::max(1u, std::thread::hardware_concurrency());
  numThreads = std::min<unsigned>(numThreads, opts.batch);
  pool = std::make_unique<ThreadPool>(numThreads);
  uint32_t slice = (opts.batch + numThreads - 1) / numThreads;
  workspaces.assign(numThreads, Workspace());
  for (Workspace &ws : workspaces)
    ws.allocate(model, std::max<uint32_t>(slice, 256));
  uint32_t G = model.numGates();
  coeffGrads.assign(numThreads, std::vector<double>(size_t(G) * 4));
  coeffs.assign(size_t(G) * 4, 0);
  probs.assign(size_t(G) * 16, 0);
  weightGrad.assign(size_t(G) * 16, 0);
  adamM.assign(size_t(G) * 16, 0);
  adamV.assign(size_t(G) * 16, 0);
  rng = Rng(opts.model.seed ^ 0x5eed5eed5eed5eedull);
  epochOrder.clear();
  epochPos = 0;
  iteration = 0;
  adamStep = 0;
  history.clear();
  elapsedBefore = 0;
  if (!opts.resume.empty())
    if (Status s = loadCheckpoint(opts.resume); !s)
      return s;
  gpu.reset();
  if (opts.device == "cuda" || opts.device == "auto") {
    Status s = CudaTrainer::create(model, opts.batch, gpu);
    if (!s && opts.device == "cuda")
      return s;
    if (s && !opts.resume.empty())
      if (Status up = gpu->upload(model.weights, adamM, adamV); !up)
        return up;
  } else if (opts.device != "cpu") {
    return Status::error("error: unknown device '" + opts.device + "'");
  }
  return Status::success();
}

std::string Trainer::deviceName() const {
  return gpu ? "cuda (" + gpu->deviceName() + ")"
             : "cpu (" + std::to_string(numThreads) + " threads)";
}

Status Trainer::syncFromDevice() {
  return gpu ? gpu->download(model.weights, adamM, adamV) : Status::success();
}

std::vector<uint32_t> Trainer::nextBatch() {
  std::vector<uint32_t> batch;
  batch.reserve(opts.batch);
  while (batch.size() < opts.batch) {
    if (epochPos >= epochOrder.size()) {
      epochOrder = rng.permutation(uint32_t(trainData.size()));
      epochPos = 0;
    }
    batch.push_back(epochOrder[epochPos++]);
  }
  return batch;
}

/// [begin, end) of part t of n.
static std::pair<uint32_t, uint32_t> part(uint32_t total, unsigned t,
                                          unsigned n) {
  uint64_t begin = uint64_t(total) * t / n, end = uint64_t(total) * (t + 1) / n;
  return {uint32_t(begin), uint32_t(end)};
}

double Trainer::step(uint32_t *correctOut) {
  std::vector<uint32_t> batch = nextBatch();
  uint32_t G = model.numGates(), B = opts.batch, inputs = trainData.inputs;
  if (gpu) {
    // Unit-major inputs, as the kernels read them.
    gpuInputs.resize(size_t(inputs) * B);
    std::vector<uint32_t> labels(B);
    for (uint32_t s = 0; s < B; ++s) {
      const uint8_t *row = &trainData.bits[size_t(batch[s]) * inputs];
      for (uint32_t i = 0; i < inputs; ++i)
        gpuInputs[size_t(i) * B + s] = row[i];
      labels[s] = trainData.labels[batch[s]];
    }
    double loss = 0;
    uint32_t correct = 0;
    Status s = gpu->step(gpuInputs.data(), labels.data(), B, opts.lr,
                         ++adamStep, loss, correct);
    if (!s) {
      std::fprintf(stderr, "lgn-train: %s\n", s.message().c_str());
      std::abort();
    }
    ++iteration;
    if (correctOut)
      *correctOut = correct;
    return loss / B;
  }
  std::vector<double> losses(numThreads, 0);
  std::vector<uint32_t> corrects(numThreads, 0);
  pool->run([&](unsigned t) {
    auto [g0, g1] = part(G, t, numThreads);
    model.computeCoefficients(coeffs, probs, g0, g1);
  });
  pool->run([&](unsigned t) {
    auto [s0, s1] = part(B, t, numThreads);
    uint32_t n = s1 - s0;
    Workspace &ws = workspaces[t];
    std::vector<double> &cg = coeffGrads[t];
    std::fill(cg.begin(), cg.end(), 0.0);
    if (n == 0)
      return;
    float *in = ws.inputs().data();
    uint32_t stride = ws.stride();
    std::vector<uint32_t> labels(n);
    for (uint32_t s = 0; s < n; ++s) {
      const uint8_t *row = &trainData.bits[size_t(batch[s0 + s]) * inputs];
      for (uint32_t i = 0; i < inputs; ++i)
        in[size_t(i) * stride + s] = row[i];
      labels[s] = trainData.labels[batch[s0 + s]];
    }
    ws.forward(model, coeffs.data(), n);
    losses[t] =
        ws.lossAndGrad(model, labels.data(), n, 1.0f / float(B), corrects[t]);
    ws.backward(model, coeffs.data(), n, cg.data());
  });
  ++adamStep;
  const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
  const float c1 = 1.0f - std::pow(b1, float(adamStep));
  const float c2 = 1.0f - std::pow(b2, float(adamStep));
  pool->run([&](unsigned t) {
    auto [g0, g1] = part(G, t, numThreads);
    // Sum the per-thread partials in thread order: deterministic.
    std::vector<double> sum(size_t(g1 - g0) * 4, 0.0);
    for (unsigned u = 0; u < numThreads; ++u)
      for (size_t k = 0; k < sum.size(); ++k)
        sum[k] += coeffGrads[u][size_t(g0) * 4 + k];
    weightGradients(probs, coeffs, sum.data(), g0, g1, weightGrad.data());
    for (size_t k = size_t(g0) * 16; k < size_t(g1) * 16; ++k) {
      float g = weightGrad[k];
      adamM[k] = b1 * adamM[k] + (1 - b1) * g;
      adamV[k] = b2 * adamV[k] + (1 - b2) * g * g;
      model.weights[k] -=
          opts.lr * (adamM[k] / c1) / (std::sqrt(adamV[k] / c2) + eps);
    }
  });
  ++iteration;
  double loss = 0;
  uint32_t correct = 0;
  for (unsigned t = 0; t < numThreads; ++t)
    loss += losses[t], correct += corrects[t];
  if (correctOut)
    *correctOut = correct;
  return loss / B;
}

EvalResult Trainer::evaluate(const BitData &data) {
  EvalResult r;
  if (data.size() == 0)
    return r;
  if (Status s = syncFromDevice(); !s) {
    std::fprintf(stderr, "lgn-train: %s\n", s.message().c_str());
    std::abort();
  }
  uint32_t G = model.numGates(), inputs = data.inputs;
  pool->run([&](unsigned t) {
    auto [g0, g1] = part(G, t, numThreads);
    model.computeCoefficients(coeffs, probs, g0, g1);
  });
  std::vector<uint32_t> corrects(numThreads, 0);
  std::vector<double> losses(numThreads, 0);
  pool->run([&](unsigned t) {
    Workspace &ws = workspaces[t];
    uint32_t chunk = ws.stride();
    for (size_t first = size_t(t) * chunk; first < data.size();
         first += size_t(numThreads) * chunk) {
      uint32_t n = uint32_t(std::min<size_t>(chunk, data.size() - first));
      float *in = ws.inputs().data();
      for (uint32_t s = 0; s < n; ++s)
        for (uint32_t i = 0; i < inputs; ++i)
          in[size_t(i) * chunk + s] = data.bits[(first + s) * inputs + i];
      ws.forward(model, coeffs.data(), n);
      losses[t] +=
          ws.lossAndGrad(model, &data.labels[first], n, 0.0f, corrects[t]);
    }
  });
  uint32_t correct = 0;
  for (unsigned t = 0; t < numThreads; ++t)
    correct += corrects[t], r.loss += losses[t];
  r.relaxedAccuracy = double(correct) / double(data.size());
  r.loss /= double(data.size());
  // The discretised net on the reference interpreter: exactly what a
  // compiled net.so will output.
  Net net = model.discretize();
  std::vector<uint32_t> classes(data.size());
  interpret(net, data.packed.data(), data.size(), nullptr, classes.data());
  size_t right = 0;
  for (size_t s = 0; s < data.size(); ++s)
    right += classes[s] == data.labels[s];
  r.discreteAccuracy = double(right) / double(data.size());
  return r;
}

//===----------------------------------------------------------------------===//
// Checkpoints
//===----------------------------------------------------------------------===//

namespace {
constexpr char kMagic[8] = {'L', 'G', 'N', 'C', 'K', 'P', 'T', '1'};

struct Writer {
  std::string buf;
  template <typename T> void put(const T &v) {
    buf.append(reinterpret_cast<const char *>(&v), sizeof(T));
  }
  template <typename T> void putVec(const std::vector<T> &v) {
    put(uint64_t(v.size()));
    buf.append(reinterpret_cast<const char *>(v.data()), v.size() * sizeof(T));
  }
};

struct Reader {
  const std::string &buf;
  size_t pos = 0;
  bool ok = true;
  template <typename T> T get() {
    T v{};
    if (pos + sizeof(T) > buf.size()) {
      ok = false;
      return v;
    }
    std::memcpy(&v, buf.data() + pos, sizeof(T));
    pos += sizeof(T);
    return v;
  }
  template <typename T> std::vector<T> getVec(size_t expected) {
    uint64_t n = get<uint64_t>();
    if (!ok || n != expected || pos + n * sizeof(T) > buf.size()) {
      ok = false;
      return {};
    }
    std::vector<T> v(n);
    std::memcpy(v.data(), buf.data() + pos, n * sizeof(T));
    pos += n * sizeof(T);
    return v;
  }
};

uint64_t fnv1a(const char *data, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; ++i)
    h = (h ^ uint8_t(data[i])) * 0x100000001b3ull;
  return h;
}
} // namespace

Status Trainer::saveCheckpoint(const std::string &path, double elapsed) const {
  Writer w;
  w.buf.append(kMagic, 8);
  std::string desc = opts.model.describe();
  w.putVec(std::vector<char>(desc.begin(), desc.end()));
  w.put(iteration);
  w.put(adamStep);
  w.put(opts.batch);
  uint64_t state[4];
  rng.getState(state);
  for (uint64_t s : state)
    w.put(s);
  w.put(epochPos);
  w.putVec(epochOrder);
  w.putVec(model.weights);
  w.putVec(adamM);
  w.putVec(adamV);
  w.putVec(history);
  w.put(elapsed);
  w.put(fnv1a(w.buf.data(), w.buf.size()));
  return writeFileAtomic(path, w.buf);
}

Status Trainer::loadCheckpoint(const std::string &path) {
  std::string buf;
  if (Status s = readFile(path, buf); !s)
    return s;
  auto bad = [&](const std::string &why) {
    return Status::error(path + ": error: " + why);
  };
  if (buf.size() < 16 || std::memcmp(buf.data(), kMagic, 8) != 0)
    return bad("not an lgn-train checkpoint");
  uint64_t stored;
  std::memcpy(&stored, buf.data() + buf.size() - 8, 8);
  if (stored != fnv1a(buf.data(), buf.size() - 8))
    return bad("checkpoint is corrupt (checksum mismatch)");
  Reader r{buf};
  r.pos = 8;
  uint64_t descLen = r.get<uint64_t>();
  if (!r.ok || descLen > buf.size())
    return bad("checkpoint is truncated");
  std::string desc(buf.data() + r.pos, descLen);
  r.pos += descLen;
  if (desc != opts.model.describe())
    return bad("checkpoint was written for a different model (" + desc +
               "), not " + opts.model.describe());
  uint64_t it = r.get<uint64_t>(), steps = r.get<uint64_t>();
  uint32_t batch = r.get<uint32_t>();
  if (r.ok && batch != opts.batch)
    return bad("checkpoint was written with --batch " + std::to_string(batch));
  uint64_t state[4];
  for (uint64_t &s : state)
    s = r.get<uint64_t>();
  uint64_t pos = r.get<uint64_t>();
  uint64_t orderLen = r.get<uint64_t>();
  r.pos -= 8;
  std::vector<uint32_t> order = r.getVec<uint32_t>(orderLen);
  size_t W = model.weights.size();
  std::vector<float> weights = r.getVec<float>(W);
  std::vector<float> m = r.getVec<float>(W), v = r.getVec<float>(W);
  uint64_t rows = r.get<uint64_t>();
  r.pos -= 8;
  std::vector<HistoryRow> hist = r.getVec<HistoryRow>(rows);
  double elapsed = r.get<double>();
  if (!r.ok || r.pos + 8 != buf.size())
    return bad("checkpoint is truncated or does not match this model");
  if (orderLen && orderLen != trainData.size())
    return bad("checkpoint was written for a training set of " +
               std::to_string(orderLen) + " samples");
  iteration = it;
  adamStep = steps;
  rng.setState(state);
  epochPos = pos;
  epochOrder = std::move(order);
  model.weights = std::move(weights);
  adamM = std::move(m);
  adamV = std::move(v);
  history = std::move(hist);
  elapsedBefore = elapsed;
  return Status::success();
}

//===----------------------------------------------------------------------===//
// The run
//===----------------------------------------------------------------------===//

static std::string formatClock(double secs) {
  char b[32];
  unsigned s = unsigned(secs + 0.5);
  std::snprintf(b, sizeof b, "%u:%02u:%02u", s / 3600, s / 60 % 60, s % 60);
  return b;
}

Status Trainer::writeOutputs(const EvalResult &last, double seconds) {
  if (!opts.log.empty()) {
    std::string csv =
        std::string("iteration,seconds,train_loss,train_accuracy,") +
        evalName() + "_relaxed_accuracy," + evalName() + "_discrete_accuracy\n";
    char line[256];
    for (const HistoryRow &h : history) {
      std::snprintf(line, sizeof line, "%llu,%.3f,%.6f,%.6f,%.6f,%.6f\n",
                    (unsigned long long)h.iteration, h.seconds, h.trainLoss,
                    h.trainAccuracy, h.testRelaxed, h.testDiscrete);
      csv += line;
    }
    if (Status s = writeFileAtomic(opts.log, csv); !s)
      return s;
  }
  if (!opts.plot.empty())
    if (Status s = writeFileAtomic(opts.plot,
                                   plotHistory(history, opts.model.describe()));
        !s)
      return s;
  if (!opts.output.empty()) {
    Net net = model.discretize();
    char acc[64];
    net.metadata.emplace_back("generator", "lgn-train");
    if (!opts.dataName.empty())
      net.metadata.emplace_back("dataset", opts.dataName);
    net.metadata.emplace_back("config", opts.model.describe());
    net.metadata.emplace_back("optimizer",
                              "adam lr=" + std::to_string(opts.lr) +
                                  " batch=" + std::to_string(opts.batch));
    net.metadata.emplace_back("iterations", std::to_string(iteration));
    std::snprintf(acc, sizeof acc, "%.4f", finalTestAccuracy);
    net.metadata.emplace_back("test_accuracy", acc);
    std::snprintf(acc, sizeof acc, "%.4f", last.discreteAccuracy);
    net.metadata.emplace_back(std::string(evalName()) + "_discrete_accuracy",
                              acc);
    std::snprintf(acc, sizeof acc, "%.4f", last.relaxedAccuracy);
    net.metadata.emplace_back(std::string(evalName()) + "_relaxed_accuracy",
                              acc);
    std::snprintf(acc, sizeof acc, "%.1f", seconds);
    net.metadata.emplace_back("training_seconds", acc);
    if (Status s = writeNetFile(opts.output, net); !s)
      return s;
  }
  return Status::success();
}

Status Trainer::run() {
  auto start = std::chrono::steady_clock::now();
  auto now = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start)
        .count();
  };
  uint64_t target = opts.iterations ? opts.iterations : UINT64_MAX;
  double limit = opts.minutes > 0 ? opts.minutes * 60 : 1e300;
  if (target == UINT64_MAX && limit >= 1e300)
    return Status::error("error: give --iterations or --minutes");
  bool tty = ::isatty(2);
  double lossSum = 0;
  uint64_t lossCount = 0, correctSum = 0;
  double lastPrint = -1;
  uint64_t startIteration = iteration;
  EvalResult last;
  bool evaluated = false;
  while (iteration < target && now() < limit) {
    uint32_t correct = 0;
    lossSum += step(&correct);
    correctSum += correct;
    ++lossCount;
    bool evalNow = opts.evalEvery && iteration % opts.evalEvery == 0;
    if (evalNow) {
      last = evaluate(evalData());
      evaluated = true;
      history.push_back({iteration, elapsedBefore + now(),
                         lossSum / double(lossCount),
                         double(correctSum) / double(lossCount * opts.batch),
                         last.relaxedAccuracy, last.discreteAccuracy});
      lossSum = 0;
      lossCount = correctSum = 0;
    }
    if (opts.checkpointEvery && !opts.checkpoint.empty() &&
        iteration % opts.checkpointEvery == 0) {
      if (Status s = syncFromDevice(); !s)
        return s;
      if (Status s = saveCheckpoint(opts.checkpoint, elapsedBefore + now()); !s)
        return s;
    }
    double t = now();
    if (opts.progress && (t - lastPrint > (tty ? 0.25 : 10.0) || evalNow)) {
      lastPrint = t;
      double rate = double(iteration - startIteration) / std::max(t, 1e-9);
      double eta = target != UINT64_MAX
                       ? double(target - iteration) / std::max(rate, 1e-9)
                       : limit - t;
      uint64_t total = target != UINT64_MAX ? target : 0;
      int width = 24,
          filled = total ? int(double(iteration) / double(total) * width)
                         : int(std::min(1.0, t / limit) * width);
      std::string bar(size_t(filled), '#');
      bar.resize(size_t(width), '-');
      std::fprintf(stderr, "%s[%s] %llu it  %.1f it/s  ETA %s", tty ? "\r" : "",
                   bar.c_str(), (unsigned long long)iteration, rate,
                   formatClock(std::max(0.0, eta)).c_str());
      if (!history.empty())
        std::fprintf(
            stderr, "  loss %.4f  train %.1f%%  %s %.2f%% (relaxed %.2f%%)",
            history.back().trainLoss, 100 * history.back().trainAccuracy,
            opts.validation ? "val" : "test", 100 * history.back().testDiscrete,
            100 * history.back().testRelaxed);
      std::fprintf(stderr, "%s", tty ? "\x1b[K" : "\n");
      std::fflush(stderr);
    }
  }
  if (opts.progress && tty)
    std::fprintf(stderr, "\n");
  if (!evaluated || history.empty() || history.back().iteration != iteration) {
    last = evaluate(evalData());
    history.push_back(
        {iteration, elapsedBefore + now(),
         lossCount ? lossSum / double(lossCount) : 0.0,
         lossCount ? double(correctSum) / double(lossCount * opts.batch) : 0.0,
         last.relaxedAccuracy, last.discreteAccuracy});
  } else {
    last.relaxedAccuracy = history.back().testRelaxed;
    last.discreteAccuracy = history.back().testDiscrete;
  }
  double seconds = elapsedBefore + now();
  if (Status s = syncFromDevice(); !s)
    return s;
  finalTestAccuracy = opts.validation ? evaluate(testData).discreteAccuracy
                                      : last.discreteAccuracy;
  if (!opts.checkpoint.empty())
    if (Status s = saveCheckpoint(opts.checkpoint, seconds); !s)
      return s;
  if (opts.progress)
    std::fprintf(stderr,
                 "done: %llu iterations in %.1f s (%.1f it/s); %s accuracy "
                 "%.2f%% discretised, %.2f%% relaxed; test accuracy %.2f%%\n",
                 (unsigned long long)iteration, seconds,
                 double(iteration - startIteration) / std::max(now(), 1e-9),
                 evalName(), 100 * last.discreteAccuracy,
                 100 * last.relaxedAccuracy, 100 * finalTestAccuracy);
  return writeOutputs(last, seconds);
}

//===----------------------------------------------------------------------===//
// Plot
//===----------------------------------------------------------------------===//

std::string lgc::train::plotHistory(const std::vector<HistoryRow> &history,
                                    const std::string &title) {
  const int W = 720, H = 300, L = 60, R = 20, T = 30, Bm = 40;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    std::to_string(W) + "\" height=\"" + std::to_string(2 * H) +
                    "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  std::string safeTitle;
  for (char c : title)
    safeTitle += c == '<'   ? std::string("&lt;")
                 : c == '&' ? std::string("&amp;")
                            : std::string(1, c);
  uint64_t maxIt =
      history.empty() ? 1 : std::max<uint64_t>(1, history.back().iteration);
  auto panel =
      [&](int y0, const char *name, double lo, double hi,
          std::vector<std::pair<const char *, double HistoryRow::*>> series) {
        char buf[256];
        std::snprintf(
            buf, sizeof buf,
            "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
            "stroke=\"#888\"/>\n<text x=\"%d\" y=\"%d\">%s</text>\n",
            L, y0 + T, W - L - R, H - T - Bm, L, y0 + T - 8, name);
        svg += buf;
        std::snprintf(
            buf, sizeof buf,
            "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.3g</text>\n"
            "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.3g</text>\n"
            "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%llu it</text>\n",
            L - 4, y0 + T + 10, hi, L - 4, y0 + H - Bm, lo, W - R,
            y0 + H - Bm + 16, (unsigned long long)maxIt);
        svg += buf;
        const char *colors[] = {"#d62728", "#1f77b4", "#2ca02c"};
        int ci = 0;
        for (auto &[label, field] : series) {
          std::string pts;
          for (const HistoryRow &h : history) {
            double x = L + double(h.iteration) / double(maxIt) * (W - L - R);
            double v = std::min(hi, std::max(lo, h.*field));
            double y = y0 + H - Bm - (v - lo) / (hi - lo) * (H - T - Bm);
            std::snprintf(buf, sizeof buf, "%.1f,%.1f ", x, y);
            pts += buf;
          }
          svg += "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"" +
                 std::string(colors[ci % 3]) + "\" points=\"" + pts + "\"/>\n";
          std::snprintf(buf, sizeof buf,
                        "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text>\n",
                        L + 10 + 170 * ci, y0 + H - 8, colors[ci % 3], label);
          svg += buf;
          ++ci;
        }
      };
  double maxLoss = 0.1;
  for (const HistoryRow &h : history)
    maxLoss = std::max(maxLoss, h.trainLoss);
  svg += "<text x=\"" + std::to_string(L) + "\" y=\"14\">" + safeTitle +
         "</text>\n";
  panel(0, "training loss", 0, maxLoss,
        {{"train loss", &HistoryRow::trainLoss}});
  panel(H, "accuracy", 0, 1,
        {{"train (relaxed)", &HistoryRow::trainAccuracy},
         {"test (relaxed)", &HistoryRow::testRelaxed},
         {"test (discretised)", &HistoryRow::testDiscrete}});
  svg += "</svg>\n";
  return svg;
}
