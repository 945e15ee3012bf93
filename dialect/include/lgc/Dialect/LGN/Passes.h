//===- Passes.h - lgn passes and the default pipeline -----------*- C++ -*-===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_DIALECT_LGN_PASSES_H
#define LGC_DIALECT_LGN_PASSES_H

#include "lgc/Dialect/LGN/LGNOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace lgc::lgn {

#define GEN_PASS_DECL
#include "lgc/Dialect/LGN/Passes.h.inc"

/// Options of the default optimisation pipeline.
struct PipelineOptions {
  /// 0: nothing; 1: simplify, dead gates, one round of hashing; 2: two.
  unsigned optLevel = 1;
  /// Print lgn-print-stats before and after.
  bool printStats = false;
  /// Unroll lgn.conv and lgn.or_pool to gates (every pass after it and
  /// every backend expects gates).
  bool unrollBlocks = true;
  /// Without unrolling, still optimise the gates around the blocks (for a
  /// backend that loops over the blocks' positions); otherwise the pipeline
  /// stops after folding the blocks' bodies, so that the .lgn writer finds
  /// the gate layers as the blocks left them.
  bool optimizeAroundBlocks = false;
};

/// Adds the default pipeline (used by lgc at -O1 and above) to a pass
/// manager anchored on builtin.module.
void buildDefaultPipeline(mlir::OpPassManager &pm, const PipelineOptions &opts);

/// Registers the passes and the "lgn-optimize" pipeline with the global
/// registry (for lgc-opt).
void registerPasses();

#define GEN_PASS_REGISTRATION
#include "lgc/Dialect/LGN/Passes.h.inc"

} // namespace lgc::lgn

#endif // LGC_DIALECT_LGN_PASSES_H
