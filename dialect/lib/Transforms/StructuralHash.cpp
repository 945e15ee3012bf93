//===- StructuralHash.cpp - Merge structurally equal gates ----------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Dialect/LGN/Passes.h"
#include "lgc/Dialect/LGN/TruthTable.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"

#include <tuple>

namespace lgc::lgn {
#define GEN_PASS_DEF_STRUCTURALHASH
#include "lgc/Dialect/LGN/Passes.h.inc"
} // namespace lgc::lgn

using namespace mlir;
using namespace lgc::lgn;

namespace {
using Key = std::tuple<unsigned, const void *, const void *>;

/// A gate's function over its ultimate operands: NOT operands are looked
/// through and the operands ordered, with the table adjusted to match.
static Key normalize(GateOp gate) {
  unsigned t = gate.getTable();
  Value a = gate.getLhs(), b = gate.getRhs();
  if (!gate.isNot()) {
    if (auto inner = a.getDefiningOp<GateOp>(); inner && inner.isNot()) {
      a = inner.getLhs();
      t = tt::negateLhs(t);
    }
    if (auto inner = b.getDefiningOp<GateOp>(); inner && inner.isNot()) {
      b = inner.getLhs();
      t = tt::negateRhs(t);
    }
    if (b.getAsOpaquePointer() < a.getAsOpaquePointer()) {
      std::swap(a, b);
      t = tt::swapOperands(t);
    }
  }
  return Key(t, a.getAsOpaquePointer(), b.getAsOpaquePointer());
}

struct StructuralHashPass
    : lgc::lgn::impl::StructuralHashBase<StructuralHashPass> {
  using StructuralHashBase::StructuralHashBase;

  void runOnOperation() override {
    Block &body = getOperation().getBodyBlock();
    llvm::DenseMap<Key, Value> seen;
    seen.reserve(body.getOperations().size());
    OpBuilder builder(&getContext());
    // Topological order: when a gate is merged, its users (all later) hash
    // with the surviving value, so merges cascade in one walk.
    for (Operation &op :
         llvm::make_early_inc_range(body.without_terminator())) {
      auto gate = dyn_cast<GateOp>(op);
      if (!gate)
        continue;
      Key key = normalize(gate);
      if (auto it = seen.find(key); it != seen.end()) {
        gate.getResult().replaceAllUsesWith(it->second);
        gate.erase();
        ++numMerged;
        continue;
      }
      auto [t, a, b] = key;
      if (!gate.isNot()) {
        Key complement(tt::negateOutput(t), a, b);
        if (auto it = seen.find(complement); it != seen.end()) {
          builder.setInsertionPoint(gate);
          auto notGate = builder.create<GateOp>(gate.getLoc(), GateKind::NotA,
                                                it->second, it->second);
          notGate.setLayerAttr(gate.getLayerAttr());
          gate.getResult().replaceAllUsesWith(notGate.getResult());
          gate.erase();
          seen.try_emplace(key, notGate.getResult());
          ++numComplemented;
          continue;
        }
      }
      seen.try_emplace(key, gate.getResult());
    }
  }
};
} // namespace
