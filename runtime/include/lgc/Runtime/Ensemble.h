//===- Ensemble.h - Nets that vote together ---------------------*- C++ -*-===//
//
// Part of lgc. Several nets trained on the same inputs and classes become
// one net whose class counts are the sums of theirs: the members side by
// side, reading the same input bits, their GroupSum groups joined class by
// class. Averaging independently trained models is the oldest way to buy
// accuracy with size; for logic gate networks it needs no arithmetic at
// all, because a class's count is already a sum of bits.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_RUNTIME_ENSEMBLE_H
#define LGC_RUNTIME_ENSEMBLE_H

#include "lgc/Runtime/Mirror.h"
#include "lgc/Runtime/Net.h"
#include "lgc/Runtime/Status.h"

#include <string>
#include <vector>

namespace lgc {

/// Joins `members` (at least one, each valid) into `out`:
///  - the input bits and their encoding are shared, so every member must
///    have the same inputs, features and encoding, and the same classes;
///  - node order: the inputs, every member's shared blocks (member by
///    member), then the gates layer by layer, layer k holding each member's
///    layer k in member order, so the layer structure (each layer reading
///    only earlier ones) and the depth are those of the deepest member;
///  - class c's group is member 0's group c, then member 1's, ...: its count
///    is the sum of the members' counts, and the predicted class is the
///    argmax of that sum (ties to the first class, as always);
///  - tau is the sum of the members' taus, so that members of one tau and
///    group size give scores that are the mean of theirs;
///  - metadata: a key whose value every member shares is kept once, the
///    others as `member<i>.<key>`; `ensemble` gives the member count.
/// `names` (optional, one per member) only label the errors.
Status ensembleNets(const std::vector<Net> &members, Net &out,
                    const std::vector<std::string> &names = {});

struct EnsembleOptions {
  /// Each member joins with its left-right mirror (lgc/Runtime/Mirror.h)
  /// right after it: the ensemble also votes on the mirrored image.
  bool mirror = false;
  /// Each member joins as its mirror alone, in its place (the rest of an
  /// ensemble whose member already runs elsewhere, as in a cascade).
  bool mirrorOnly = false;
  /// The images' geometry for the mirrors ({0, 0}: see mirrorNet).
  ImageShape image;
};

/// Reads the .lgn files `paths` (blocks kept), joins them as ensembleNets
/// does and writes the ensemble to `output` ("-": stdout). Errors name the
/// file; nothing is written unless every step succeeds.
Status ensembleFiles(const std::vector<std::string> &paths,
                     const std::string &output,
                     const EnsembleOptions &options = {});

} // namespace lgc

#endif // LGC_RUNTIME_ENSEMBLE_H
