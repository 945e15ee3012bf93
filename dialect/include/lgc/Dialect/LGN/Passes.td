//===- Passes.td - lgn passes ------------------------------*- tablegen -*-===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_DIALECT_LGN_PASSES_TD
#define LGC_DIALECT_LGN_PASSES_TD

include "mlir/Pass/PassBase.td"

def RemoveDeadGates : Pass<"lgn-remove-dead-gates", "lgc::lgn::NetOp"> {
  let summary = "Erase gates, constants and blocks that reach no output";
  let description = [{
    Walks the net backwards from its outputs and erases every gate and
    constant whose result is unused, and every lgn.conv and lgn.or_pool none
    of whose results is used, in one pass. Input bits are part of the
    interface and are kept even when unused; with `report-unused-inputs` the
    pass emits a remark counting them.
  }];
  let options = [
    Option<"reportUnusedInputs", "report-unused-inputs", "bool", "false",
           "Emit a remark listing how many inputs no gate reads">
  ];
  let statistics = [
    Statistic<"numErased", "erased-ops", "Number of gates and constants erased">,
    Statistic<"numUnusedInputs", "unused-inputs", "Number of inputs no op reads">
  ];
}

def Simplify : Pass<"lgn-simplify", "lgc::lgn::NetOp"> {
  let summary = "Apply the gate folds and canonicalizations in topological sweeps";
  let description = [{
    The same rewrites as `--canonicalize` on a net (GateOp's folder and its
    canonicalization patterns), applied in block order: a gate's operands are
    final before the gate is visited, so one sweep nearly always reaches the
    fixed point and a second confirms it. Unlike the greedy driver, it never
    revisits `lgn.output`, whose operand list is as long as the last layer;
    that keeps it linear on 384k-gate nets. Dead gates are left for
    `lgn-remove-dead-gates`.
  }];
  let options = [
    Option<"maxSweeps", "max-sweeps", "unsigned", "8",
           "Stop after this many sweeps even if the last one changed something">
  ];
  let statistics = [
    Statistic<"numFolded", "folded-gates", "Number of gates replaced by a value or constant">,
    Statistic<"numUpdated", "updated-gates", "Number of in-place gate rewrites">,
    Statistic<"numSweeps", "sweeps", "Number of sweeps over the net">
  ];
}

def StructuralHash : Pass<"lgn-structural-hash", "lgc::lgn::NetOp"> {
  let summary = "Merge gates that compute the same function of the same operands";
  let description = [{
    Hashes every gate on (truth table, operands) after normalising operand
    order and looking through NOT gates, so `and(x, y)`, `and(y, x)` and
    `not_implies(x, not(y))` all meet. A gate that computes the complement
    of an earlier one becomes a NOT of it, which canonicalization then
    absorbs into its consumers. One walk in topological order.
  }];
  let statistics = [
    Statistic<"numMerged", "merged-gates", "Number of gates replaced by an equal one">,
    Statistic<"numComplemented", "complemented-gates",
              "Number of gates replaced by a NOT of an earlier gate">
  ];
}

def PrintStats : Pass<"lgn-print-stats", "lgc::lgn::NetOp"> {
  let summary = "Print gate counts per kind and per layer, depth, fan-out";
  let description = [{
    Prints to stderr: inputs (and how many are unused), gates, constants,
    outputs, logic depth (longest input-to-output path in gates, NOTs
    included), the count of each kind, the gates per layer and by kind
    within each layer, and a histogram of fan-out (readers per input or
    gate). See lgc/Dialect/LGN/NetStats.h.
  }];
  let options = [
    Option<"title", "title", "std::string", "\"\"",
           "A label printed in the header, e.g. 'before' or 'after'">
  ];
}

def SimplifyBlocks : Pass<"lgn-simplify-blocks", "lgc::lgn::NetOp"> {
  let summary = "Fold the shared bodies of lgn.conv ops once for all positions";
  let description = [{
    Applies the gate folds and canonicalizations to the body of every
    `lgn.conv` (the tree is folded once, however many positions it runs
    at), then the conv's own canonicalizations: a constant tree becomes that
    constant, a tree that is one of its leaves becomes the inputs that leaf
    reads, and leaves the folded tree no longer reads are dropped.

    With `replace-trivial=false` constant and single-leaf trees stay convs
    (only their unused leaves go): a backend that loops over positions then
    finds the next block's operands as one run of block results, where the
    replacements would mix inputs, constants and results and make it gather
    them one by one.
  }];
  let options = [
    Option<"replaceTrivial", "replace-trivial", "bool", /*default=*/"true",
           "Replace constant and single-leaf trees by constants and the "
           "inputs they read">
  ];
  let statistics = [
    Statistic<"numReplaced", "replaced-convs",
              "Number of lgn.conv ops replaced by constants or inputs">,
    Statistic<"numLeavesDropped", "dropped-leaves",
              "Number of unused leaves dropped">
  ];
}

def UnrollBlocks : Pass<"lgn-unroll-blocks", "lgc::lgn::NetOp"> {
  let summary = "Turn lgn.conv and lgn.or_pool into gates";
  let description = [{
    Replaces every `lgn.conv` by a copy of its body at each output position
    (leaves bound to the inputs their window reads, `false` on the padding)
    and every `lgn.or_pool` by a balanced tree of `or` gates per output. The
    result is the flat net the backends and the other passes expect.
  }];
  let statistics = [
    Statistic<"numGates", "unrolled-gates", "Number of gates created">
  ];
}

#endif // LGC_DIALECT_LGN_PASSES_TD
