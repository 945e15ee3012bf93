//===- Simplify.cpp - Gate folds in topological sweeps --------------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Dialect/LGN/Passes.h"
#include "lgc/Dialect/LGN/TruthTable.h"

#include "mlir/IR/Builders.h"

namespace lgc::lgn {
#define GEN_PASS_DEF_SIMPLIFY
#include "lgc/Dialect/LGN/Passes.h.inc"
} // namespace lgc::lgn

using namespace mlir;
using namespace lgc::lgn;

namespace {
struct SimplifyPass : lgc::lgn::impl::SimplifyBase<SimplifyPass> {
  using SimplifyBase::SimplifyBase;

  void runOnOperation() override {
    Block &body = getOperation().getBodyBlock();
    // One constant of each value, at the top of the block, so a folded gate
    // can be replaced by it wherever the gate stood.
    Value constants[2];
    for (ConstantOp c : llvm::make_early_inc_range(body.getOps<ConstantOp>())) {
      Value &slot = constants[c.getValue()];
      if (slot) {
        c.getResult().replaceAllUsesWith(slot);
        c.erase();
        continue;
      }
      slot = c.getResult();
      c->moveBefore(&body.front());
    }
    OpBuilder builder(&getContext());
    auto constant = [&](bool value, Location loc) -> Value {
      if (!constants[value]) {
        builder.setInsertionPointToStart(&body);
        constants[value] = builder.create<ConstantOp>(loc, value);
      }
      return constants[value];
    };

    bool changed = true;
    for (unsigned sweep = 0; changed && sweep < maxSweeps; ++sweep) {
      changed = false;
      ++numSweeps;
      for (Operation &op :
           llvm::make_early_inc_range(body.without_terminator())) {
        auto gate = dyn_cast<GateOp>(op);
        if (!gate)
          continue;
        if (Value replacement = foldToFixedPoint(gate, constant)) {
          gate.getResult().replaceAllUsesWith(replacement);
          gate.erase();
          ++numFolded;
          changed = true;
          continue;
        }
        // not(f(x, y)) -> (~f)(x, y) when the NOT is f's only user
        if (Value merged = matchNotOfSingleUseGate(gate)) {
          auto producer = merged.getDefiningOp<GateOp>();
          producer.setKind(
              static_cast<GateKind>(tt::negateOutput(producer.getTable())));
          gate.getResult().replaceAllUsesWith(merged);
          gate.erase();
          ++numFolded;
          changed = true;
        }
      }
    }
  }

  /// Runs GateOp's folder until it stops rewriting the gate in place. Returns
  /// the value that replaces the gate, or null if the gate stays.
  template <typename ConstantFn>
  Value foldToFixedPoint(GateOp gate, ConstantFn &constant) {
    SmallVector<OpFoldResult, 1> results;
    // Each in-place fold removes a NOT operand or fixes the operand order,
    // so this ends within a few rounds; the bound only guards against a
    // folder bug looping forever.
    for (int round = 0; round < 8; ++round) {
      results.clear();
      if (failed(gate->fold(results)))
        return {};
      if (results.empty()) {
        ++numUpdated;
        continue;
      }
      if (auto value = dyn_cast<Value>(results.front()))
        return value;
      auto bit = cast<IntegerAttr>(cast<Attribute>(results.front()));
      return constant(bit.getValue().getBoolValue(), gate.getLoc());
    }
    return {};
  }
};
} // namespace
