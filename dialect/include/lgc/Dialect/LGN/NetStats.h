//===- NetStats.h - Gate statistics of a net ---------------------*- C++
//-*-===//
//
// Part of lgc. What a hardware engineer asks of a net: gates per kind, per
// layer and per kind within each layer, the logic depth, how many inputs go
// unused, and how widely values fan out. lgn-print-stats prints it; the
// compiler driver writes it as JSON (lgc --stats-json) before and after
// optimisation.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_DIALECT_LGN_NETSTATS_H
#define LGC_DIALECT_LGN_NETSTATS_H

#include "lgc/Dialect/LGN/LGNOps.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <array>
#include <map>

namespace lgc::lgn {

struct NetStats {
  /// Layer key of gates without a `layer` attribute.
  static constexpr int64_t kNoLayer = INT64_MAX;

  uint64_t inputs = 0, unusedInputs = 0, gates = 0, constants = 0;
  /// Weight-shared blocks kept as blocks: lgn.conv ops and the gates of
  /// their trees (each counted once, not per position), lgn.or_pool ops.
  /// `gates` and the per-kind and per-layer counts are the net's own gates.
  uint64_t convBlocks = 0, convTreeGates = 0, poolBlocks = 0;
  uint64_t outputs = 0, classes = 0;
  /// Longest input-to-output path, in gates (through a block: its deepest
  /// input, then its tree's depth or its OR tree's).
  unsigned depth = 0;
  std::array<uint64_t, 16> perKind{};
  /// layer -> gates of each kind in it.
  std::map<int64_t, std::array<uint64_t, 16>> perLayer;
  /// Fan-out histogram over the inputs, gates and block results: readers (gate
  /// operands and output bits) -> how many values have that many; counts above
  /// kFanOutCap are pooled in the last bucket.
  static constexpr unsigned kFanOutCap = 16;
  std::array<uint64_t, kFanOutCap + 1> fanOut{};
  uint64_t maxFanOut = 0;

  uint64_t layerGates(int64_t layer) const;
};

NetStats computeNetStats(NetOp net);

/// The text lgn-print-stats prints (one `key: value` line per figure).
void printNetStats(const NetStats &stats, llvm::raw_ostream &os);

/// The same figures as a JSON object.
llvm::json::Object netStatsToJSON(const NetStats &stats);

} // namespace lgc::lgn

#endif // LGC_DIALECT_LGN_NETSTATS_H
