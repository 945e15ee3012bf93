//===- Teacher.cpp - A trained net whose scores a student learns from -----===//
//
// Part of lgc. Opens the teacher (a .lgn or a compiled net library), checks
// that it reads the student's input bits and votes for its classes, and
// turns its class counts into soft targets.
//
//===----------------------------------------------------------------------===//

#include "lgc/Trainer/Teacher.h"

#include "lgc/Runtime/Format.h"
#include "lgc/Runtime/Interpreter.h"
#include "lgc/Runtime/Runner.h"

#include <algorithm>
#include <cmath>
#include <vector>

using namespace lgc;
using namespace lgc::train;

void lgc::train::softTargets(const uint32_t *counts, uint32_t n,
                             uint32_t classes, double tau, double temperature,
                             float *out) {
  const double scale = 1.0 / (tau * temperature);
  for (uint32_t s = 0; s < n; ++s) {
    const uint32_t *row = counts + size_t(s) * classes;
    float *q = out + size_t(s) * classes;
    uint32_t top = *std::max_element(row, row + classes);
    double sum = 0;
    for (uint32_t c = 0; c < classes; ++c)
      sum += q[c] = float(std::exp((double(row[c]) - top) * scale));
    for (uint32_t c = 0; c < classes; ++c)
      q[c] = float(q[c] / sum);
  }
}

Status Teacher::open(const std::string &path, const Net &student,
                     const Dataset &data, const uint64_t *studentWords,
                     size_t probe, std::unique_ptr<Teacher> &out) {
  auto teacher = std::make_unique<Teacher>();
  auto fail = [&](const std::string &what) {
    return Status::errorAt(path, "the teacher " + what);
  };
  uint32_t inputs, features;
  if (isNetLibraryPath(path)) {
    if (Status s = NetLibrary::open(path, teacher->lib); !s)
      return s;
    const lgc_net_info &info = teacher->lib->info();
    inputs = info.inputs;
    features = info.features;
    teacher->numClasses = info.classes;
    teacher->scoreTau = info.tau > 0 ? info.tau : 1.0;
  } else {
    if (Status s = readNetFile(path, teacher->net, /*keepBlocks=*/true); !s)
      return s;
    const Net &net = teacher->net;
    inputs = net.numInputs;
    features = net.numFeatures;
    teacher->numClasses = net.numClasses;
    teacher->scoreTau = net.tau > 0 ? net.tau : 1.0;
  }
  if (inputs != student.numInputs || features != student.numFeatures)
    return fail("reads " + std::to_string(inputs) + " input bits of " +
                std::to_string(features) + " features, the student " +
                std::to_string(student.numInputs) + " of " +
                std::to_string(student.numFeatures));
  if (teacher->numClasses != student.numClasses)
    return fail("has " + std::to_string(teacher->numClasses) +
                " classes, the student " + std::to_string(student.numClasses));
  if (!teacher->lib) {
    for (uint32_t i = 0; i < inputs; ++i)
      if (!(teacher->net.inputBit(i) == student.inputBit(i)))
        return fail("encodes input bit " + std::to_string(i) +
                    " differently from the student (feature " +
                    std::to_string(teacher->net.inputBit(i).feature) + " > " +
                    std::to_string(teacher->net.inputBit(i).threshold) +
                    " against feature " +
                    std::to_string(student.inputBit(i).feature) + " > " +
                    std::to_string(student.inputBit(i).threshold) + ")");
  } else {
    // A library keeps its encoding to itself: what it makes of the
    // features must be what it makes of the student's bits.
    probe = std::min(probe, data.size());
    uint32_t C = teacher->numClasses;
    std::vector<uint32_t> fromFeatures(probe * C), fromBits(probe * C);
    if (Status s = teacher->lib->runF32(data.features.data(), probe,
                                        fromFeatures.data(), nullptr);
        !s)
      return s;
    if (Status s = teacher->lib->runPacked(studentWords, probe, fromBits.data(),
                                           nullptr);
        !s)
      return s;
    if (fromFeatures != fromBits)
      return fail("library reads its inputs with another encoding than the "
                  "student's (its counts on the first " +
                  std::to_string(probe) +
                  " samples differ between their features and the student's "
                  "input bits)");
  }
  out = std::move(teacher);
  return Status::success();
}

Status Teacher::targets(const uint64_t *words, size_t n, double temperature,
                        unsigned threads, float *out) const {
  std::vector<uint32_t> counts(n * numClasses);
  if (lib) {
    if (Status s = lib->runPacked(words, n, counts.data(), nullptr, threads);
        !s)
      return s;
  } else {
    interpret(net, words, n, counts.data(), nullptr);
  }
  softTargets(counts.data(), uint32_t(n), numClasses, scoreTau, temperature,
              out);
  return Status::success();
}
