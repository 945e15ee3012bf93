//===- PrintStats.cpp - Gate statistics of a net --------------------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Dialect/LGN/Passes.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/raw_ostream.h"

#include <map>

namespace lgc::lgn {
#define GEN_PASS_DEF_PRINTSTATS
#include "lgc/Dialect/LGN/Passes.h.inc"
} // namespace lgc::lgn

using namespace mlir;
using namespace lgc::lgn;

namespace {
struct PrintStatsPass : lgc::lgn::impl::PrintStatsBase<PrintStatsPass> {
  using PrintStatsBase::PrintStatsBase;

  void runOnOperation() override {
    NetOp net = getOperation();
    Block &body = net.getBodyBlock();
    unsigned unused = 0;
    for (BlockArgument arg : body.getArguments())
      unused += arg.use_empty();

    uint64_t gates = 0, constants = 0;
    uint64_t perKind[16] = {};
    std::map<int64_t, uint64_t> perLayer; // kNoLayer: no layer attribute
    constexpr int64_t kNoLayer = INT64_MAX;
    llvm::DenseMap<Operation *, unsigned> depth;
    depth.reserve(body.getOperations().size());
    auto depthOf = [&](Value v) -> unsigned {
      Operation *def = v.getDefiningOp();
      return def ? depth.lookup(def) : 0;
    };
    for (Operation &op : body.without_terminator()) {
      if (isa<ConstantOp>(op)) {
        ++constants;
        continue;
      }
      auto gate = cast<GateOp>(op);
      ++gates;
      ++perKind[gate.getTable()];
      ++perLayer[gate.getLayerAttr() ? gate.getLayerAttr().getInt() : kNoLayer];
      depth[&op] = 1 + std::max(depthOf(gate.getLhs()), depthOf(gate.getRhs()));
    }
    unsigned maxDepth = 0;
    for (Value v : net.getOutputOp().getBits())
      maxDepth = std::max(maxDepth, depthOf(v));

    llvm::raw_ostream &os = llvm::errs();
    os << "=== lgn-print-stats @" << net.getSymName();
    if (!title.empty())
      os << " (" << title << ")";
    os << " ===\n";
    os << "inputs:    " << body.getNumArguments() << " (" << unused
       << " unused)\n";
    os << "gates:     " << gates << "\n";
    os << "constants: " << constants << "\n";
    os << "outputs:   " << net.getOutputOp().getBits().size() << " in "
       << net.getClasses() << " classes\n";
    os << "depth:     " << maxDepth << "\n";
    os << "kinds:    ";
    for (unsigned k = 0; k < 16; ++k)
      if (perKind[k])
        os << " " << stringifyGateKind(static_cast<GateKind>(k)) << "="
           << perKind[k];
    os << "\n";
    if (perLayer.size() > 1 || !perLayer.count(kNoLayer)) {
      os << "layers:   ";
      for (auto [layer, count] : perLayer) {
        if (layer == kNoLayer)
          os << " none=" << count;
        else
          os << " " << layer << "=" << count;
      }
      os << "\n";
    }
    markAllAnalysesPreserved();
  }
};
} // namespace
