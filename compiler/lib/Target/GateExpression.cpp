//===- GateExpression.cpp - A gate as an infix bitwise expression ---------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Target/GateExpression.h"

using namespace lgc;

std::string lgc::gateExpression(lgn::GateKind kind, const std::string &a,
                                const std::string &b, const std::string &zero,
                                const std::string &one) {
  switch (kind) {
  case lgn::GateKind::Zero:
    return zero;
  case lgn::GateKind::And:
    return a + " & " + b;
  case lgn::GateKind::NotImplies:
    return a + " & ~" + b;
  case lgn::GateKind::A:
    return a;
  case lgn::GateKind::NotImpliedBy:
    return "~" + a + " & " + b;
  case lgn::GateKind::B:
    return b;
  case lgn::GateKind::Xor:
    return a + " ^ " + b;
  case lgn::GateKind::Or:
    return a + " | " + b;
  case lgn::GateKind::NotOr:
    return "~(" + a + " | " + b + ")";
  case lgn::GateKind::NotXor:
    return "~(" + a + " ^ " + b + ")";
  case lgn::GateKind::NotB:
    return "~" + b;
  case lgn::GateKind::ImpliedBy:
    return a + " | ~" + b;
  case lgn::GateKind::NotA:
    return "~" + a;
  case lgn::GateKind::Implies:
    return "~" + a + " | " + b;
  case lgn::GateKind::NotAnd:
    return "~(" + a + " & " + b + ")";
  case lgn::GateKind::One:
    return one;
  }
  llvm_unreachable("unknown gate kind");
}
