//===- Pipeline.cpp - The default lgn optimisation pipeline ---------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Dialect/LGN/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace lgc::lgn;

static std::unique_ptr<Pass> createGateCanonicalizer() {
  GreedyRewriteConfig config;
  // A net is one block: there is no control flow to simplify, and walking
  // it top-down folds operands before their users.
  config.enableRegionSimplification = GreedySimplifyRegionLevel::Disabled;
  config.useTopDownTraversal = true;
  return createCanonicalizerPass(config);
}

void lgc::lgn::buildDefaultPipeline(OpPassManager &pm,
                                    const PipelineOptions &opts) {
  OpPassManager &net = pm.nest<NetOp>();
  if (opts.printStats)
    net.addPass(createPrintStats(PrintStatsOptions{"before"}));
  if (opts.optLevel >= 1) {
    // Folding exposes equal gates and hashing exposes new folds (a merged
    // operand pair becomes f(x, x)), so alternate them.
    unsigned rounds = opts.optLevel >= 2 ? 2 : 1;
    net.addPass(createGateCanonicalizer());
    for (unsigned i = 0; i < rounds; ++i) {
      net.addPass(createStructuralHash());
      net.addPass(createGateCanonicalizer());
    }
    net.addPass(createRemoveDeadGates());
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
