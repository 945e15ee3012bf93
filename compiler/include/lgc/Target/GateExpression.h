//===- GateExpression.h - A gate as an infix bitwise expression -*- C++ -*-===//
//
// Part of lgc. The text exporters (Verilog, C) write each gate as an
// expression over &, |, ^ and ~, which mean the same in both languages; only
// the constants are spelled differently.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_TARGET_GATEEXPRESSION_H
#define LGC_TARGET_GATEEXPRESSION_H

#include "lgc/Dialect/LGN/LGNOps.h"

#include <string>

namespace lgc {

/// Gate `kind` on the operand expressions `a` and `b`; `zero` and `one` are
/// the language's all-zeros and all-ones constants.
std::string gateExpression(lgn::GateKind kind, const std::string &a,
                           const std::string &b, const std::string &zero,
                           const std::string &one);

} // namespace lgc

#endif // LGC_TARGET_GATEEXPRESSION_H
