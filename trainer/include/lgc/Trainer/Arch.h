//===- Arch.h - Architecture specifications for the trainer -----*- C++ -*-===//
//
// Part of lgc. A net's architecture as a list of blocks, read from a spec
// string such as
//
//   conv(16, k=3, p=1, d=3) pool(2) conv(32, k=3, p=1, d=3) pool(2)
//   dense(8000) dense(8000)
//
// (docs/architectures.md has the grammar and what each block builds).
//
//===----------------------------------------------------------------------===//

#ifndef LGC_TRAINER_ARCH_H
#define LGC_TRAINER_ARCH_H

#include "lgc/Runtime/Status.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lgc::train {

/// One block of an architecture.
struct BlockSpec {
  enum Kind { Dense, Conv, Pool };
  Kind kind = Dense;
  /// Dense: gates. Conv: output channels (one logic tree each). Pool: unused.
  uint32_t width = 0;
  /// Conv and Pool: the window is kernel x kernel positions.
  uint32_t kernel = 3;
  /// Conv: 1 by default; Pool: the kernel by default.
  uint32_t stride = 1;
  /// Zero padding on every side.
  uint32_t padding = 0;
  /// Conv: gate levels of each tree, which reads 2^depth positions.
  uint32_t depth = 3;
  /// Conv: the input channels one tree draws its leaves from (the paper's
  /// channel group); 0 means every channel.
  uint32_t channelGroup = 2;
  /// Column of the block in the spec string (1-based), for errors.
  uint32_t column = 0;

  bool operator==(const BlockSpec &o) const;
};

/// An activation: spatial and channel-major, unit = (c * height + y) * width
/// + x; or flat (height 0), `channels` units.
struct Shape {
  uint32_t channels = 0, height = 0, width = 0;
  uint64_t units() const {
    return height ? uint64_t(channels) * height * width : channels;
  }
  bool spatial() const { return height > 0; }
};

/// Parses an architecture spec. On error, the status names the column:
/// "--arch:1:17: error: ...".
Status parseArch(std::string_view text, std::vector<BlockSpec> &blocks);

/// The canonical spec string of `blocks` (parses back to them).
std::string formatArch(const std::vector<BlockSpec> &blocks);

/// The output shape of `block` on input `in` (flat inputs have height 0), or
/// an error naming the block and the shapes.
Status blockOutputShape(const BlockSpec &block, const Shape &in, Shape &out);

} // namespace lgc::train

#endif // LGC_TRAINER_ARCH_H
