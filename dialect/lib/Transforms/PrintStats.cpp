//===- PrintStats.cpp - Gate statistics of a net --------------------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Dialect/LGN/NetStats.h"
#include "lgc/Dialect/LGN/Passes.h"

#include "llvm/Support/raw_ostream.h"

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
    llvm::raw_ostream &os = llvm::errs();
    os << "=== lgn-print-stats @" << net.getSymName();
    if (!title.empty())
      os << " (" << title << ")";
    os << " ===\n";
    printNetStats(computeNetStats(net), os);
    markAllAnalysesPreserved();
  }
};
} // namespace
