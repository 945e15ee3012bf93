//===- Trainer.cpp - Training loop and evaluation -------------------------===//
//
// Part of lgc. The steps (CPU thread pool or CUDA), evaluation and the run
// loop; checkpoints are in Checkpoint.cpp, logs, plots and the trained net
// in Report.cpp, the progress display in the tool (TrainOptions::onProgress).
//
//===----------------------------------------------------------------------===//

#include "lgc/Trainer/Trainer.h"
#include "lgc/Trainer/CudaTrainer.h"
#include "lgc/Trainer/Teacher.h"

#include "lgc/Runtime/FileUtil.h"
#include "lgc/Runtime/Format.h"
#include "lgc/Runtime/Interpreter.h"

#include "lgc/Trainer/ThreadPool.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

using namespace lgc;
using namespace lgc::train;

//===----------------------------------------------------------------------===//
// Data
//===----------------------------------------------------------------------===//

Net lgc::train::encodingNet(const ModelConfig &cfg) {
  Net encoded;
  encoded.numInputs = cfg.inputs();
  encoded.numFeatures = cfg.features;
  encoded.levels = cfg.thresholds;
  encoded.numClasses = cfg.classes;
  return encoded;
}

BitData lgc::train::binarize(const Dataset &data, const ModelConfig &cfg,
                             size_t begin, size_t end, bool packed) {
  Net encoded = encodingNet(cfg);
  BitData out;
  out.inputs = encoded.numInputs;
  out.labels.assign(data.labels.begin() + begin, data.labels.begin() + end);
  out.words.assign((end - begin) * out.rowWords(), 0);
  for (size_t s = begin; s < end; ++s) {
    const float *x = &data.features[s * data.numFeatures];
    uint64_t *row = &out.words[(s - begin) * out.rowWords()];
    for (uint32_t i = 0; i < out.inputs; ++i) {
      InputBit bit = encoded.inputBit(i);
      row[i / 64] |= uint64_t(x[bit.feature] > bit.threshold) << (i % 64);
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
  stepLR = opts.lr;
  if (opts.batch == 0)
    return Status::error("--batch must be positive");
  if (!(opts.lr > 0))
    return Status::error("--lr must be positive");
  if (train.size() == 0)
    return Status::error("the training set is empty");
  if (train.numFeatures != opts.model.features)
    return Status::error("the data has " + std::to_string(train.numFeatures) +
                         " features, the model " +
                         std::to_string(opts.model.features));
  for (uint32_t l : train.labels)
    if (l >= opts.model.classes)
      return Status::error("label " + std::to_string(l) + " but only " +
                           std::to_string(opts.model.classes) + " classes");
  if (Status s = model.init(opts.model); !s)
    return s;
  if (opts.validation) {
    if (opts.validation >= train.size())
      return Status::error("--validation " + std::to_string(opts.validation) +
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
  uint32_t G = model.numGates(), W = opts.model.weightsPerGate();
  coeffGrads.assign(numThreads, std::vector<double>(size_t(G) * 4));
  coeffs.assign(size_t(G) * 4, 0);
  probs.assign(size_t(G) * W, 0);
  weightGrad.assign(size_t(G) * W, 0);
  adamM.assign(size_t(G) * W, 0);
  adamV.assign(size_t(G) * W, 0);
  rng = Rng(opts.model.seed ^ 0x5eed5eed5eed5eedull);
  if (!(opts.rotate >= 0 && opts.rotate <= 180))
    return Status::error("--rotate takes degrees in [0, 180]");
  if (!(opts.scale >= 0 && opts.scale < 1))
    return Status::error("--scale takes a fraction in [0, 1)");
  if (!(opts.elastic >= 0 && opts.elastic <= 1000))
    return Status::error("--elastic takes pixels in [0, 1000]");
  if (opts.augments()) {
    Shape shape = opts.model.inputShape();
    if (!shape.spatial())
      return Status::error(
          "--shift, --flip, --rotate, --scale and --elastic need "
          "the inputs as an image (--image HxW)");
    if (opts.shift >= std::min(shape.height, shape.width))
      return Status::error("--shift " + std::to_string(opts.shift) +
                           " moves the whole " + std::to_string(shape.height) +
                           "x" + std::to_string(shape.width) +
                           " image out of view");
  }
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
  if (opts.device != "cpu" && opts.device != "cuda" && opts.device != "auto")
    return Status::error("unknown device '" + opts.device + "'");
  if (!(opts.gumbel >= 0) || std::isinf(opts.gumbel))
    return Status::error("--gumbel takes a temperature > 0");
  teacher.reset();
  if (!opts.teacher.empty()) {
    if (opts.device == "cuda")
      return Status::error("--teacher needs the CPU trainer (--device cpu): "
                           "the CUDA steps take hard labels only");
    if (!(opts.distill >= 0 && opts.distill <= 1))
      return Status::error("--distill takes a weight in [0, 1]");
    if (!(opts.distillTemperature > 0))
      return Status::error("--distill-temperature must be positive");
    size_t probe = std::min<size_t>(256, train.size());
    BitData probeBits = binarize(train, opts.model, 0, probe, true);
    if (Status s = Teacher::open(opts.teacher, encodingNet(opts.model), train,
                                 probeBits.packed.data(), probe, teacher);
        !s)
      return s;
  }
  // With a teacher, auto means the CPU.
  if (opts.device == "cuda" || (opts.device == "auto" && !teacher)) {
    Status s = CudaTrainer::create(model, opts.batch, gpu);
    if (!s && opts.device == "cuda")
      return s;
    if (s && !opts.resume.empty())
      if (Status up = gpu->upload(model.weights, adamM, adamV); !up)
        return up;
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

float lgc::train::scheduledLR(const TrainOptions &opts, double progress) {
  progress = std::clamp(progress, 0.0, 1.0);
  switch (opts.lrSchedule) {
  case LRSchedule::Constant:
    return opts.lr;
  case LRSchedule::Cosine:
    return float(opts.lr * 0.5 * (1.0 + std::cos(M_PI * progress)));
  }
  return opts.lr;
}

Warp Warp::turnAndZoom(double degrees, double zoom, int dx, int dy, bool flip) {
  // Output pixels look up where they came from: turn back by the angle and
  // shrink by the zoom. On the screen y points down, so a counter-clockwise
  // turn by a is the matrix [cos a, sin a; -sin a, cos a].
  double a = degrees * M_PI / 180, c = std::cos(a) / zoom,
         s = std::sin(a) / zoom;
  Warp w;
  w.m00 = float(c);
  w.m01 = float(-s);
  w.m10 = float(s);
  w.m11 = float(c);
  w.dx = dx;
  w.dy = dy;
  w.flip = flip;
  return w;
}

void lgc::train::warpBits(const uint8_t *in, const Shape &shape,
                          const Warp &warp, uint8_t *out) {
  const int H = int(shape.height), W = int(shape.width);
  const float cx = float(W - 1) / 2, cy = float(H - 1) / 2;
  const size_t planeSize = size_t(H) * W;
  // Each output pixel's source once, copied in every plane (this runs for
  // every sample of every step: no table, no allocation).
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      float u = float(x - warp.dx) - cx, v = float(y - warp.dy) - cy;
      float sx = cx + warp.m00 * u + warp.m01 * v;
      float sy = cy + warp.m10 * u + warp.m11 * v;
      if (warp.bend) {
        constexpr int G = Warp::kElasticGrid;
        float gx = W > 1 ? float(x) * (G - 1) / float(W - 1) : 0;
        float gy = H > 1 ? float(y) * (G - 1) / float(H - 1) : 0;
        int x0 = std::min(int(gx), G - 2), y0 = std::min(int(gy), G - 2);
        float fx = gx - float(x0), fy = gy - float(y0);
        for (int c = 0; c < 2; ++c) {
          float top = warp.grid[y0 * G + x0][c] * (1 - fx) +
                      warp.grid[y0 * G + x0 + 1][c] * fx;
          float bottom = warp.grid[(y0 + 1) * G + x0][c] * (1 - fx) +
                         warp.grid[(y0 + 1) * G + x0 + 1][c] * fx;
          (c == 0 ? sx : sy) += top * (1 - fy) + bottom * fy;
        }
      }
      if (warp.flip)
        sx = float(W - 1) - sx;
      int ix = int(std::floor(sx + 0.5f)), iy = int(std::floor(sy + 0.5f));
      bool inside = ix >= 0 && ix < W && iy >= 0 && iy < H;
      size_t to = size_t(y) * W + x, from = size_t(iy) * W + ix;
      for (uint32_t p = 0; p < shape.channels; ++p)
        out[p * planeSize + to] = inside ? in[p * planeSize + from] : 0;
    }
}

void lgc::train::augmentBits(const uint8_t *in, const Shape &shape, int dx,
                             int dy, bool flip, uint8_t *out) {
  const int H = int(shape.height), W = int(shape.width);
  for (uint32_t p = 0; p < shape.channels; ++p) {
    const uint8_t *plane = in + size_t(p) * H * W;
    uint8_t *to = out + size_t(p) * H * W;
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x) {
        int sy = y - dy, sx = flip ? W - 1 - (x - dx) : x - dx;
        to[y * W + x] = sy >= 0 && sy < H && sx >= 0 && sx < W
                            ? plane[sy * W + sx]
                            : uint8_t(0);
      }
  }
}

double Trainer::step(uint32_t *correctOut) {
  std::vector<uint32_t> batch = nextBatch();
  uint32_t G = model.numGates(), B = opts.batch, inputs = trainData.inputs;
  // The batch's augmentation, drawn here in sample order (not in the
  // threads) from a stream of its own that depends only on the seed and
  // the iteration: batches are the same with and without it, and a resumed
  // run draws what the uninterrupted one would.
  Rng augmentRng(opts.model.seed ^ 0xa5a5a5a5a5a5a5a5ull ^
                 (iteration + 1) * 0x9e3779b97f4a7c15ull);
  const bool augment = opts.augments();
  const bool turn = opts.rotate > 0 || opts.scale > 0 || opts.elastic > 0;
  const Shape shape = opts.model.inputShape();
  std::vector<Warp> moves(augment ? B : 0);
  for (Warp &m : moves) {
    int span = 2 * int(opts.shift) + 1;
    m.dx = int(augmentRng.below(uint64_t(span))) - int(opts.shift);
    m.dy = int(augmentRng.below(uint64_t(span))) - int(opts.shift);
    m.flip = opts.flip && augmentRng.below(2);
    // Drawn only when asked for, so that runs without them keep the
    // streams (and results) they had.
    if (opts.rotate > 0 || opts.scale > 0) {
      double degrees = (2 * augmentRng.uniform() - 1) * opts.rotate;
      double zoom = 1 + (2 * augmentRng.uniform() - 1) * opts.scale;
      m = Warp::turnAndZoom(degrees, zoom, m.dx, m.dy, m.flip);
    }
    if (opts.elastic > 0) {
      m.bend = true;
      for (auto &d : m.grid)
        for (float &c : d)
          c = float(augmentRng.normal() * opts.elastic);
    }
  }
  // Sample s of the batch as the steps see it, one byte per bit: unpacked
  // into `scratch`, then moved into its second half if augmented.
  auto sampleBits = [&](uint32_t s, std::vector<uint8_t> &scratch) {
    scratch.resize(2 * size_t(inputs));
    uint8_t *row = scratch.data(), *moved = row + inputs;
    trainData.unpack(batch[s], row);
    if (!augment)
      return static_cast<const uint8_t *>(row);
    if (turn)
      warpBits(row, shape, moves[s], moved);
    else
      augmentBits(row, shape, moves[s].dx, moves[s].dy, moves[s].flip, moved);
    return static_cast<const uint8_t *>(moved);
  };
  if (gpu) {
    // Unit-major inputs, as the kernels read them.
    gpuInputs.resize(size_t(inputs) * B);
    std::vector<uint32_t> labels(B);
    std::vector<uint8_t> scratch;
    for (uint32_t s = 0; s < B; ++s) {
      const uint8_t *row = sampleBits(s, scratch);
      for (uint32_t i = 0; i < inputs; ++i)
        gpuInputs[size_t(i) * B + s] = row[i];
      labels[s] = trainData.labels[batch[s]];
    }
    double loss = 0;
    uint32_t correct = 0;
    Status s = gpu->step(gpuInputs.data(), labels.data(), B, stepLR, ++adamStep,
                         loss, correct, stepNoise());
    if (!s) {
      std::fprintf(stderr, "lgn-train: %s\n", s.message().c_str());
      std::abort();
    }
    ++iteration;
    if (correctOut)
      *correctOut = correct;
    return loss / B;
  }
  // The teacher's distribution on each sample as the steps see it.
  std::vector<float> soft;
  if (teacher) {
    std::vector<uint64_t> words(numBlocks(B) * inputs, 0);
    std::vector<uint8_t> scratch;
    for (uint32_t s = 0; s < B; ++s) {
      const uint8_t *row = sampleBits(s, scratch);
      uint64_t *block = &words[size_t(s / 64) * inputs], bit = 1ull << (s % 64);
      for (uint32_t i = 0; i < inputs; ++i)
        if (row[i])
          block[i] |= bit;
    }
    soft.resize(size_t(B) * model.config().classes);
    if (Status s = teacher->targets(words.data(), B, opts.distillTemperature,
                                    numThreads, soft.data());
        !s) {
      std::fprintf(stderr, "lgn-train: %s\n", s.message().c_str());
      std::abort();
    }
  }
  std::vector<double> losses(numThreads, 0);
  std::vector<uint32_t> corrects(numThreads, 0);
  const GateNoise noise = stepNoise();
  pool->run([&](unsigned t) {
    auto [g0, g1] = part(G, t, numThreads);
    model.computeCoefficients(coeffs, probs, g0, g1, noise);
  });
  pool->run([&](unsigned t) {
    auto [s0, s1] = part(B, t, numThreads);
    uint32_t n = s1 - s0;
    Workspace &ws = workspaces[t];
    std::vector<double> &cg = coeffGrads[t];
    std::fill(cg.begin(), cg.end(), 0.0);
    if (n == 0)
      return;
    ws.setBatch(n);
    float *in = ws.inputs().data();
    uint32_t stride = ws.stride();
    std::vector<uint32_t> labels(n);
    std::vector<uint8_t> scratch;
    for (uint32_t s = 0; s < n; ++s) {
      const uint8_t *row = sampleBits(s0 + s, scratch);
      for (uint32_t i = 0; i < inputs; ++i)
        in[size_t(i) * stride + s] = row[i];
      labels[s] = trainData.labels[batch[s0 + s]];
    }
    ws.forward(model, coeffs.data(), n);
    const float *targets =
        teacher ? &soft[size_t(s0) * model.config().classes] : nullptr;
    losses[t] = ws.lossAndGrad(model, labels.data(), n, 1.0f / float(B),
                               corrects[t], targets, opts.distill);
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
    weightGradients(opts.model.parametrization, probs, sum.data(), g0, g1,
                    weightGrad.data(), noise.invTemperature());
    const size_t W = opts.model.weightsPerGate();
    for (size_t k = size_t(g0) * W; k < size_t(g1) * W; ++k) {
      float g = weightGrad[k];
      adamM[k] = b1 * adamM[k] + (1 - b1) * g;
      adamV[k] = b2 * adamV[k] + (1 - b2) * g * g;
      model.weights[k] -=
          stepLR * (adamM[k] / c1) / (std::sqrt(adamV[k] / c2) + eps);
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
    ws.setBatch(UINT32_MAX); // the whole capacity
    uint32_t chunk = ws.stride();
    for (size_t first = size_t(t) * chunk; first < data.size();
         first += size_t(numThreads) * chunk) {
      uint32_t n = uint32_t(std::min<size_t>(chunk, data.size() - first));
      float *in = ws.inputs().data();
      for (uint32_t s = 0; s < n; ++s)
        for (uint32_t i = 0; i < inputs; ++i)
          in[size_t(i) * chunk + s] = float(data.bit(first + s, i));
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
// The run
//===----------------------------------------------------------------------===//

Status Trainer::run(RunSummary *summary) {
  auto start = std::chrono::steady_clock::now();
  auto now = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start)
        .count();
  };
  uint64_t target = opts.iterations ? opts.iterations : UINT64_MAX;
  double limit = opts.minutes > 0 ? opts.minutes * 60 : 1e300;
  if (target == UINT64_MAX && limit >= 1e300)
    return Status::error("give --iterations or --minutes");
  double lossSum = 0;
  uint64_t lossCount = 0, correctSum = 0;
  uint64_t startIteration = iteration;
  EvalResult last;
  bool evaluated = false;
  Progress progress;
  progress.startIteration = startIteration;
  progress.targetIterations = opts.iterations;
  progress.secondsLimit = opts.minutes > 0 ? opts.minutes * 60 : 0;
  progress.evalName = evalName();
  // The evaluation schedule: a fixed interval, or (auto) every 1,000
  // iterations or 5 % of the budget, whichever comes sooner.
  uint64_t every = opts.evalEvery;
  bool autoEval = every == TrainOptions::kAutoEval;
  double evalSeconds = 0, lastEvalTime = 0;
  uint64_t lastEvalIteration = iteration;
  if (autoEval) {
    every = opts.iterations
                ? std::clamp<uint64_t>(opts.iterations / 20, 1, 1000)
                : 1000;
    if (opts.minutes > 0)
      evalSeconds = opts.minutes * 60 / 20;
  }
  while (iteration < target && now() < limit) {
    double done =
        std::max(opts.iterations ? double(iteration) / double(target) : 0.0,
                 opts.minutes > 0 ? now() / limit : 0.0);
    stepLR = scheduledLR(opts, done);
    uint32_t correct = 0;
    lossSum += step(&correct);
    correctSum += correct;
    ++lossCount;
    // A fixed interval counts from iteration 0; the auto schedule counts
    // from the last evaluation, so its two triggers never fire in pairs.
    bool evalNow =
        autoEval ? iteration - lastEvalIteration >= every ||
                       (evalSeconds > 0 && now() - lastEvalTime >= evalSeconds)
                 : every && iteration % every == 0;
    if (evalNow) {
      lastEvalIteration = iteration;
      lastEvalTime = now();
    }
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
    if (opts.onProgress) {
      progress.iteration = iteration;
      progress.seconds = now();
      progress.evaluated = evalNow;
      progress.latest = history.empty() ? nullptr : &history.back();
      opts.onProgress(progress);
    }
  }
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
  if (summary) {
    summary->iterations = iteration;
    summary->seconds = seconds;
    summary->iterationsPerSecond =
        double(iteration - startIteration) / std::max(now(), 1e-9);
    summary->evalName = evalName();
    summary->evalDiscrete = last.discreteAccuracy;
    summary->evalRelaxed = last.relaxedAccuracy;
    summary->testAccuracy = finalTestAccuracy;
  }
  return writeOutputs(last, seconds);
}
