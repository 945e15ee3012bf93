//===- LGNOps.h - The lgn dialect and its operations ------------*- C++ -*-===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_DIALECT_LGN_LGNOPS_H
#define LGC_DIALECT_LGN_LGNOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "lgc/Dialect/LGN/LGNDialect.h.inc"
#include "lgc/Dialect/LGN/LGNEnums.h.inc"

#define GET_OP_CLASSES
#include "lgc/Dialect/LGN/LGNOps.h.inc"

namespace lgc::lgn {
/// not(f(x, y)) -> (~f)(x, y) when the NOT is f's only user. Returns the
/// producer's result that replaces `notGate`, or null when the rule does not
/// apply. Shared by the canonicalization pattern and lgn-simplify.
mlir::Value matchNotOfSingleUseGate(GateOp notGate);
} // namespace lgc::lgn

#endif // LGC_DIALECT_LGN_LGNOPS_H
