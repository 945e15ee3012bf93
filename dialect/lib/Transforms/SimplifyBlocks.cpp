//===- SimplifyBlocks.cpp - Fold the shared bodies of lgn.conv ------------===//
//
// Part of lgc. A conv's tree is folded once, not once per position: this is
// where weight sharing pays off in the compiler.
//
//===----------------------------------------------------------------------===//

#include "lgc/Dialect/LGN/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Rewrite/FrozenRewritePatternSet.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace lgc::lgn {
#define GEN_PASS_DEF_SIMPLIFYBLOCKS
#include "lgc/Dialect/LGN/Passes.h.inc"
} // namespace lgc::lgn

using namespace mlir;
using namespace lgc::lgn;

namespace {
struct SimplifyBlocksPass
    : lgc::lgn::impl::SimplifyBlocksBase<SimplifyBlocksPass> {
  using SimplifyBlocksBase::SimplifyBlocksBase;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    RewritePatternSet bodyPatterns(context), convPatterns(context);
    GateOp::getCanonicalizationPatterns(bodyPatterns, context);
    if (replaceTrivial)
      ConvOp::getCanonicalizationPatterns(convPatterns, context);
    else
      ConvOp::getBlockKeepingPatterns(convPatterns, context);
    FrozenRewritePatternSet body(std::move(bodyPatterns)),
        conv(std::move(convPatterns));
    SmallVector<ConvOp> convs;
    for (Operation &op : getOperation().getBodyBlock())
      if (auto c = dyn_cast<ConvOp>(op))
        convs.push_back(c);
    for (ConvOp c : convs) {
      // The body: gate folds, then dead gates (the driver erases ops
      // without uses, so a folded tree keeps only what its output needs).
      if (failed(applyPatternsAndFoldGreedily(c.getBody(), body)))
        return signalPassFailure();
      unsigned before = c.getBodyBlock().getNumArguments();
      bool erased = false;
      GreedyRewriteConfig config;
      config.strictMode = GreedyRewriteStrictness::ExistingOps;
      if (failed(applyOpPatternsAndFold({c.getOperation()}, conv, config,
                                        nullptr, &erased)))
        return signalPassFailure();
      if (erased) {
        ++numReplaced;
        continue;
      }
      numLeavesDropped += before - c.getBodyBlock().getNumArguments();
    }
  }
};
} // namespace
