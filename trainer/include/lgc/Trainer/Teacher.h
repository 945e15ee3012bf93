//===- Teacher.h - A trained net whose scores a student learns from -*- C++
//-*-===//
//
// Part of lgc. Knowledge distillation (Hinton, Vinyals and Dean, 2015): the
// student's loss is the cross-entropy against a mix of the one-hot label and
// the teacher's class distribution on the same (augmented) sample. The
// teacher is any net lgc runs: a .lgn through the reference interpreter, or
// a compiled net library (lgc net.lgn -o net.so), which is what makes an
// ensemble of large members cheap enough to ask for every batch.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_TRAINER_TEACHER_H
#define LGC_TRAINER_TEACHER_H

#include "lgc/Runtime/Dataset.h"
#include "lgc/Runtime/Net.h"
#include "lgc/Runtime/NetLibrary.h"
#include "lgc/Runtime/Status.h"

#include <memory>
#include <string>

namespace lgc::train {

/// out[s * classes + c] = softmax over c of counts[s * classes + c] / (tau *
/// temperature): the teacher's GroupSum scores as a distribution, softened
/// by the temperature.
void softTargets(const uint32_t *counts, uint32_t n, uint32_t classes,
                 double tau, double temperature, float *out);

class Teacher {
public:
  /// Opens `path` (.so: a compiled net library; anything else: a .lgn) and
  /// checks it against `student`, a net with the student's input encoding
  /// and classes (encodingNet). A .lgn's input encoding is compared bit by bit;
  /// a library's is checked by running it on the first samples of `data` from
  /// the features (its own packing) and from the student's packed bits
  /// (`studentWords`, the interpreter's layout, `probe` samples): the counts
  /// must agree.
  static Status open(const std::string &path, const Net &student,
                     const Dataset &data, const uint64_t *studentWords,
                     size_t probe, std::unique_ptr<Teacher> &out);

  /// Soft targets (softTargets) for n samples given as packed input bits in
  /// the interpreter's layout.
  Status targets(const uint64_t *words, size_t n, double temperature,
                 unsigned threads, float *out) const;

  uint32_t classes() const { return numClasses; }
  /// The GroupSum temperature the scores are divided by (1 where the net
  /// does not record one).
  double tau() const { return scoreTau; }

private:
  Net net; // the .lgn teacher
  std::unique_ptr<NetLibrary> lib;
  uint32_t numClasses = 0;
  double scoreTau = 1;
};

} // namespace lgc::train

#endif // LGC_TRAINER_TEACHER_H
