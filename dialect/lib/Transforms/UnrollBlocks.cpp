//===- UnrollBlocks.cpp - lgn.conv and lgn.or_pool to gates ---------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Dialect/LGN/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

namespace lgc::lgn {
#define GEN_PASS_DEF_UNROLLBLOCKS
#include "lgc/Dialect/LGN/Passes.h.inc"
} // namespace lgc::lgn

using namespace mlir;
using namespace lgc::lgn;

namespace {
struct UnrollBlocksPass : lgc::lgn::impl::UnrollBlocksBase<UnrollBlocksPass> {
  using UnrollBlocksBase::UnrollBlocksBase;

  /// The `false` the padding reads, made once per op where needed.
  Value zero(OpBuilder &b, Location loc, Value &cached) {
    if (!cached)
      cached = b.create<ConstantOp>(loc, false);
    return cached;
  }

  void unroll(ConvOp op) {
    OpBuilder b(op);
    Value pad;
    Block &body = op.getBodyBlock();
    Value yielded = op.getYieldOp().getResult();
    SmallVector<Value> results;
    results.reserve(op.getNumResults());
    IRMapping map;
    for (int64_t y = 0; y < op.getOutHeight(); ++y)
      for (int64_t x = 0; x < op.getOutWidth(); ++x) {
        map.clear();
        for (BlockArgument leaf : body.getArguments()) {
          Value in = op.getLeafInput(leaf.getArgNumber(), y, x);
          map.map(leaf, in ? in : zero(b, op.getLoc(), pad));
        }
        for (Operation &inner : body.without_terminator()) {
          b.clone(inner, map);
          numGates += isa<GateOp>(inner);
        }
        results.push_back(map.lookupOrDefault(yielded));
      }
    op->replaceAllUsesWith(results);
    op->erase();
  }

  void unroll(OrPoolOp op) {
    OpBuilder b(op);
    Value pad;
    const int64_t H = op.getHeight(), W = op.getWidth(), k = op.getKernel();
    SmallVector<Value> results, terms;
    results.reserve(op.getNumResults());
    for (int64_t c = 0; c < op.getChannels(); ++c)
      for (int64_t y = 0; y < op.getOutHeight(); ++y)
        for (int64_t x = 0; x < op.getOutWidth(); ++x) {
          terms.clear();
          int64_t y0 = y * op.getStride() - op.getPadding(),
                  x0 = x * op.getStride() - op.getPadding();
          for (int64_t dy = 0; dy < k; ++dy)
            for (int64_t dx = 0; dx < k; ++dx) {
              int64_t iy = y0 + dy, ix = x0 + dx;
              if (iy >= 0 && ix >= 0 && iy < H && ix < W)
                terms.push_back(op.getInputs()[(c * H + iy) * W + ix]);
            }
          if (terms.empty())
            terms.push_back(zero(b, op.getLoc(), pad));
          // A balanced tree keeps the depth at log2 of the window.
          while (terms.size() > 1) {
            size_t half = 0;
            for (size_t t = 0; t + 1 < terms.size(); t += 2) {
              terms[half++] = b.create<GateOp>(op.getLoc(), GateKind::Or,
                                               terms[t], terms[t + 1]);
              ++numGates;
            }
            if (terms.size() % 2)
              terms[half++] = terms.back();
            terms.resize(half);
          }
          results.push_back(terms[0]);
        }
    op->replaceAllUsesWith(results);
    op->erase();
  }

  void runOnOperation() override {
    SmallVector<Operation *> blocks;
    for (Operation &op : getOperation().getBodyBlock())
      if (isa<ConvOp, OrPoolOp>(op))
        blocks.push_back(&op);
    for (Operation *op : blocks) {
      if (auto conv = dyn_cast<ConvOp>(op))
        unroll(conv);
      else
        unroll(cast<OrPoolOp>(op));
    }
  }
};
} // namespace
