//===- RemoveDeadGates.cpp - Erase gates that reach no output -------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Dialect/LGN/Passes.h"

namespace lgc::lgn {
#define GEN_PASS_DEF_REMOVEDEADGATES
#include "lgc/Dialect/LGN/Passes.h.inc"
} // namespace lgc::lgn

using namespace mlir;
using namespace lgc::lgn;

namespace {
struct RemoveDeadGatesPass
    : lgc::lgn::impl::RemoveDeadGatesBase<RemoveDeadGatesPass> {
  using RemoveDeadGatesBase::RemoveDeadGatesBase;

  void runOnOperation() override {
    Block &body = getOperation().getBodyBlock();
    // Reverse topological order: erasing a gate can only make earlier gates
    // dead, so one backward sweep reaches the fixed point.
    Operation *op = body.getTerminator()->getPrevNode();
    while (op) {
      Operation *prev = op->getPrevNode();
      // A block none of whose results is read goes too (a block partly
      // read stays whole).
      if (isa<GateOp, ConstantOp, ConvOp, OrPoolOp>(op) && op->use_empty()) {
        op->erase();
        ++numErased;
      }
      op = prev;
    }
    unsigned unused = 0;
    for (BlockArgument arg : body.getArguments())
      unused += arg.use_empty();
    numUnusedInputs += unused;
    if (reportUnusedInputs && unused)
      getOperation().emitRemark()
          << unused << " of " << body.getNumArguments() << " inputs are unused";
  }
};
} // namespace
