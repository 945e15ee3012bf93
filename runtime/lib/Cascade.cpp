//===- Cascade.cpp - Nets that run only where the earlier ones doubt ------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Runtime/Cascade.h"
#include "lgc/Runtime/FileUtil.h"
#include "lgc/Runtime/Interpreter.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numeric>

using namespace lgc;

bool lgc::cascadeDecides(const uint32_t *counts, uint32_t classes, double tau,
                         double margin) {
  if (classes < 2)
    return true;
  // Without branches: which class leads is data, and mispredicted branches
  // made this loop a few percent of a whole cascade.
  uint32_t top = 0, second = 0;
  for (uint32_t c = 0; c < classes; ++c) {
    uint32_t x = counts[c];
    second = std::max(second, std::min(top, x));
    top = std::max(top, x);
  }
  // In counts rather than scores, so that margin 0 decides every row
  // exactly, whatever the rounding of a division would do.
  return double(top - second) >= margin * tau;
}

Status lgc::checkCascadeSize(size_t nets) {
  if (nets < 2)
    return Status::error("a cascade needs at least two nets");
  if (nets > kMaxCascadeNets)
    return Status::error("a cascade takes at most " +
                         std::to_string(kMaxCascadeNets) + " nets (got " +
                         std::to_string(nets) + ")");
  return Status::success();
}

Status Cascade::create(std::vector<std::unique_ptr<Runner>> stages,
                       std::vector<double> margins,
                       std::unique_ptr<Cascade> &out) {
  if (Status s = checkCascadeSize(stages.size()); !s)
    return s;
  if (margins.size() != stages.size() - 1)
    return Status::error("a cascade of " + std::to_string(stages.size()) +
                         " nets needs " + std::to_string(stages.size() - 1) +
                         " margin" + (stages.size() == 2 ? "" : "s") +
                         ", one per net after the first (got " +
                         std::to_string(margins.size()) + ")");
  for (double m : margins)
    if (std::isnan(m) || m < 0)
      return Status::error("a cascade's margins must be >= 0 (got " +
                           std::to_string(m) + ")");
  const RunnerInfo &first = stages[0]->info();
  auto cascade = std::unique_ptr<Cascade>(new Cascade());
  RunnerInfo &info = cascade->runnerInfo;
  info = first;
  info.inputs = 0;
  info.outputs = 0;
  info.gates = 0;
  info.tau = 0;
  info.backend = "cascade of " + std::to_string(stages.size()) + " (";
  for (size_t i = 0; i < stages.size(); ++i) {
    const RunnerInfo &s = stages[i]->info();
    // Each stage packs the features its own way, so only what the caller
    // hands in and what comes out must agree.
    if (s.features != first.features)
      return Status::error("net " + std::to_string(i + 1) +
                           " of the cascade reads " +
                           std::to_string(s.features) + " features, net 1 " +
                           std::to_string(first.features));
    if (s.classes != first.classes)
      return Status::error("net " + std::to_string(i + 1) +
                           " of the cascade has " + std::to_string(s.classes) +
                           " classes, net 1 " + std::to_string(first.classes));
    if (!(s.tau > 0))
      return Status::error("net " + std::to_string(i + 1) +
                           " of the cascade has no positive tau");
    info.inputs += s.inputs;
    info.outputs += s.outputs;
    info.gates += s.gates;
    info.tau += s.tau;
    info.backend += (i ? ", then " : "") + s.backend;
  }
  info.backend += ")";
  cascade->stages = std::move(stages);
  cascade->margins = std::move(margins);
  cascade->samplesRun.assign(cascade->stages.size(), 0);
  out = std::move(cascade);
  return Status::success();
}

static Status runOn(Runner &r, const uint8_t *x, size_t n, uint32_t *counts,
                    unsigned threads) {
  return r.runU8(x, n, counts, nullptr, threads);
}

static Status runOn(Runner &r, const float *x, size_t n, uint32_t *counts,
                    unsigned threads) {
  return r.runF32(x, n, counts, nullptr, threads);
}

std::unique_ptr<Cascade::Workspace> Cascade::takeWorkspace() {
  std::lock_guard<std::mutex> lock(mutex);
  if (idle.empty())
    return std::make_unique<Workspace>();
  std::unique_ptr<Workspace> w = std::move(idle.back());
  idle.pop_back();
  return w;
}

void Cascade::finishRun(std::unique_ptr<Workspace> w, double deviceSeconds) {
  std::lock_guard<std::mutex> lock(mutex);
  // Swapped, not copied: the workspace takes the older figures' memory.
  samplesRun.swap(w->samplesRun);
  depth.swap(w->depth);
  lastDeviceSeconds = deviceSeconds;
  idle.push_back(std::move(w));
}

template <typename T>
Status Cascade::run(const T *x, size_t n, uint32_t *counts, uint32_t *classes,
                    unsigned threads) {
  const uint32_t K = runnerInfo.classes;
  const size_t F = runnerInfo.features;
  std::unique_ptr<Workspace> w = takeWorkspace();
  w->samplesRun.assign(stages.size(), 0);
  w->depth.assign(n, 1);
  // Host runners report a negative device time whatever they ran.
  double deviceSeconds = 0;
  for (const auto &stage : stages)
    if (stage->deviceSeconds() < 0)
      deviceSeconds = -1;
  std::vector<uint32_t> &sum = w->sum;
  sum.assign(n * K, 0);
  auto account = [&](size_t stage, size_t samples) {
    w->samplesRun[stage] = samples;
    if (deviceSeconds >= 0)
      deviceSeconds += stages[stage]->deviceSeconds();
  };
  if (n) {
    if (Status s = runOn(*stages[0], x, n, sum.data(), threads); !s)
      return s;
    account(0, n);
  }

  // The samples still undecided, in order; their rows are gathered into one
  // contiguous batch per stage so that each net runs at full vector width.
  std::vector<size_t> &open = w->open;
  open.resize(n);
  std::iota(open.begin(), open.end(), size_t(0));
  double tau = stages[0]->info().tau;
  for (size_t i = 1; i < stages.size() && !open.empty(); ++i) {
    size_t kept = 0;
    for (size_t s : open)
      if (!cascadeDecides(&sum[s * K], K, tau, margins[i - 1]))
        open[kept++] = s;
    open.resize(kept);
    if (open.empty())
      break;
    constexpr size_t unit = sizeof(std::max_align_t);
    // Grown, never shrunk: a later stage's smaller batch would otherwise
    // make the next call zero the difference again.
    size_t words = (kept * F * sizeof(T) + unit - 1) / unit;
    if (w->rowWords.size() < words)
      w->rowWords.resize(words);
    T *rows = reinterpret_cast<T *>(w->rowWords.data());
    // The rows lie anywhere in x, mostly beyond the caches after the last
    // stage: each row a few ahead is fetched while this one is copied (the
    // copy waited on memory row by row and took twice as long).
    constexpr size_t ahead = 8;
    const size_t rowBytes = F * sizeof(T);
    for (size_t j = 0; j < kept; ++j) {
      if (j + ahead < kept) {
        uintptr_t next = reinterpret_cast<uintptr_t>(&x[open[j + ahead] * F]);
        // From the line of the row's first byte to the line of its last.
        for (uintptr_t a = next & ~uintptr_t(63); a < next + rowBytes; a += 64)
          __builtin_prefetch(reinterpret_cast<const void *>(a));
      }
      std::memcpy(&rows[j * F], &x[open[j] * F], rowBytes);
    }
    w->part.resize(kept * K);
    uint32_t *part = w->part.data();
    if (Status s = runOn(*stages[i], rows, kept, part, threads); !s)
      return s;
    account(i, kept);
    for (size_t j = 0; j < kept; ++j) {
      for (uint32_t c = 0; c < K; ++c)
        sum[open[j] * K + c] += part[j * K + c];
      w->depth[open[j]] = uint8_t(i + 1);
    }
    tau += stages[i]->info().tau;
  }
  if (counts)
    std::memcpy(counts, sum.data(), sum.size() * sizeof(uint32_t));
  if (classes)
    for (size_t s = 0; s < n; ++s)
      classes[s] = argmaxClass(&sum[s * K], K);
  finishRun(std::move(w), deviceSeconds);
  return Status::success();
}

Status Cascade::runU8(const uint8_t *x, size_t n, uint32_t *counts,
                      uint32_t *classes, unsigned threads) {
  return run(x, n, counts, classes, threads);
}

Status Cascade::runF32(const float *x, size_t n, uint32_t *counts,
                       uint32_t *classes, unsigned threads) {
  return run(x, n, counts, classes, threads);
}

std::vector<size_t> Cascade::stageSamples() const {
  std::lock_guard<std::mutex> lock(mutex);
  return samplesRun;
}

std::vector<uint8_t> Cascade::stagesPerSample() const {
  std::lock_guard<std::mutex> lock(mutex);
  return depth;
}

double Cascade::deviceSeconds() const {
  std::lock_guard<std::mutex> lock(mutex);
  return lastDeviceSeconds;
}

void lgc::simulateCascade(const std::vector<const uint32_t *> &stageCounts,
                          const std::vector<double> &taus,
                          const std::vector<double> &margins, size_t n,
                          uint32_t classes, uint32_t *counts,
                          uint8_t *stagesPerSample) {
  for (size_t s = 0; s < n; ++s) {
    uint32_t *row = counts + s * classes;
    std::memcpy(row, stageCounts[0] + s * classes, classes * sizeof(uint32_t));
    double tau = taus[0];
    size_t ran = 1;
    for (; ran < stageCounts.size(); ++ran) {
      if (cascadeDecides(row, classes, tau, margins[ran - 1]))
        break;
      for (uint32_t c = 0; c < classes; ++c)
        row[c] += stageCounts[ran][s * classes + c];
      tau += taus[ran];
    }
    stagesPerSample[s] = uint8_t(ran);
  }
}

Status lgc::openCascade(const std::vector<std::string> &paths,
                        std::vector<double> margins,
                        std::unique_ptr<Cascade> &out,
                        const std::vector<std::string> &where,
                        const std::string &context, int cudaDevice) {
  // Checked before any net is opened: a count out of range would otherwise
  // open hundreds of nets only to refuse them.
  if (Status s = checkCascadeSize(paths.size()); !s)
    return s;
  if (cudaDevice != 0 &&
      std::none_of(paths.begin(), paths.end(), isGpuModulePath))
    return Status::error(context + "a CUDA device is chosen for a cascade "
                                   "with GPU modules (.ptx, .cubin, .fatbin) "
                                   "among its nets; this one has none");
  std::vector<std::unique_ptr<Runner>> nets(paths.size());
  for (size_t i = 0; i < paths.size(); ++i) {
    // A nested cascade's early exits would mix sums of different taus.
    Status s = isCascadePath(paths[i])
                   ? Status::error("a cascade's nets cannot be cascades (" +
                                   paths[i] + ")")
                   : Runner::open(paths[i], nets[i],
                                  isGpuModulePath(paths[i]) ? cudaDevice : 0);
    if (!s)
      return s.withContext(
          (i < where.size() ? where[i] : "net " + std::to_string(i + 1)) +
          ": ");
  }
  if (Status s = Cascade::create(std::move(nets), std::move(margins), out); !s)
    return s.withContext(context);
  return Status::success();
}

Status lgc::readCascadeFile(const std::string &path,
                            std::unique_ptr<Cascade> &out, int cudaDevice) {
  std::string text;
  if (Status s = readFile(path, text); !s)
    return s;
  CascadeSpec spec;
  if (Status s = parseCascade(text, path, spec); !s)
    return s;
  std::string dir;
  if (size_t slash = path.rfind('/'); slash != std::string::npos)
    dir = path.substr(0, slash + 1);
  for (std::string &net : spec.nets)
    if (net[0] != '/')
      net = dir + net;
  return openCascade(spec.nets, std::move(spec.margins), out, spec.netLocations,
                     path + ": ", cudaDevice);
}
