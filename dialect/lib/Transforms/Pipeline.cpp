//===- Pipeline.cpp - The default lgn optimisation pipeline ---------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Dialect/LGN/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;
using namespace lgc::lgn;

void lgc::lgn::buildDefaultPipeline(OpPassManager &pm,
                                    const PipelineOptions &opts) {
  OpPassManager &net = pm.nest<NetOp>();
  // Shared blocks: their bodies fold once for every position, then they
  // become gates for the rest of the pipeline, or stay blocks between which
  // the gates are optimised (a backend that loops over positions).
  if (opts.optLevel >= 1) {
    // Position loops read a block's operands in place when they are one run
    // of block results, and the .lgn writer needs them so: unless the blocks
    // are unrolled, constant and single-leaf trees stay blocks.
    SimplifyBlocksOptions simplify;
    simplify.replaceTrivial = opts.unrollBlocks;
    net.addPass(createSimplifyBlocks(simplify));
  }
  if (opts.unrollBlocks)
    net.addPass(createUnrollBlocks());
  else if (!opts.optimizeAroundBlocks)
    return;
  if (opts.printStats)
    net.addPass(createPrintStats(PrintStatsOptions{"before"}));
  if (opts.optLevel >= 1) {
    // Folding exposes equal gates and hashing exposes new folds (a merged
    // operand pair becomes f(x, x)), so alternate them. lgn-simplify applies
    // the same rewrites as canonicalize, in linear time on large nets.
    unsigned rounds = opts.optLevel >= 2 ? 2 : 1;
    net.addPass(createSimplify());
    net.addPass(createRemoveDeadGates());
    for (unsigned i = 0; i < rounds; ++i) {
      net.addPass(createStructuralHash());
      net.addPass(createSimplify());
      net.addPass(createRemoveDeadGates());
    }
  }
  if (opts.printStats)
    net.addPass(createPrintStats(PrintStatsOptions{"after"}));
}

void lgc::lgn::registerPasses() {
  registerLGNPasses();
  PassPipelineRegistration<>(
      "lgn-optimize", "The default lgn optimisation pipeline (lgc -O1)",
      [](OpPassManager &pm) { buildDefaultPipeline(pm, PipelineOptions()); });
}
