//===- Mirror.h - A net that sees its images mirrored -----------*- C++ -*-===//
//
// Part of lgc. mirrorNet turns a net N into the net N' with
// N'(x) = N(mirror(x)), where mirror flips every image left to right: the
// same gates, read through a permutation of the input bits and of every
// conv and pool block's positions, and each conv tree's leaves flipped in
// their window. Nets trained with left-right flips (--flip) classify a
// mirrored image about as well as the image; N and N' together (an
// ensemble) average the two views, test-time augmentation that costs only
// gates.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_RUNTIME_MIRROR_H
#define LGC_RUNTIME_MIRROR_H

#include "lgc/Runtime/Net.h"
#include "lgc/Runtime/Status.h"

#include <cstdint>

namespace lgc {

/// The geometry of the images a net reads: the features are planes of
/// height x width, row-major (one plane per channel).
struct ImageShape {
  uint32_t height = 0, width = 0;
};

/// Writes to `out` the net that computes `net` on left-right mirrored
/// images. `image` gives the features' geometry; {0, 0} takes it from the
/// first block that reads the inputs, else from a square feature count.
/// Refused (with the reason, `out` untouched): features that are no whole
/// number of planes; an input bit whose mirrored feature has no bit of the
/// same threshold; a block whose windows do not cover its image
/// symmetrically (stride x (outWidth - 1) != width + 2 padding - kernel), or
/// that reads nodes that are not an image whose mirror is itself.
/// Metadata are kept, with `mirror x` added (or removed from a mirrored
/// net: mirroring twice gives the net back).
Status mirrorNet(const Net &net, Net &out, ImageShape image = {});

} // namespace lgc

#endif // LGC_RUNTIME_MIRROR_H
