//===- TruthTable.h - Algebra on 4-bit gate truth tables --------*- C++ -*-===//
//
// Part of lgc. A table t has bit 3 - (2a + b) = f(a, b): f(0,0) is the most
// significant bit, as in difflogic. The folders and the structural hash use
// these to move negations and operand swaps into the table.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_DIALECT_LGN_TRUTHTABLE_H
#define LGC_DIALECT_LGN_TRUTHTABLE_H

namespace lgc::lgn::tt {

constexpr unsigned kNot = 12; // not_a

constexpr bool eval(unsigned t, bool a, bool b) {
  return (t >> (3 - (unsigned(a) * 2 + unsigned(b)))) & 1;
}
/// The table of g(a, b) = f(b, a): swaps f(0,1) and f(1,0).
constexpr unsigned swapOperands(unsigned t) {
  return (t & 0b1001) | ((t & 0b0100) >> 1) | ((t & 0b0010) << 1);
}
/// The table of g(a, b) = f(~a, b).
constexpr unsigned negateLhs(unsigned t) {
  return ((t & 0b0011) << 2) | ((t >> 2) & 0b0011);
}
/// The table of g(a, b) = f(a, ~b).
constexpr unsigned negateRhs(unsigned t) {
  return ((t & 0b1010) >> 1) | ((t & 0b0101) << 1);
}
/// The table of ~f(a, b).
constexpr unsigned negateOutput(unsigned t) { return t ^ 15; }

constexpr bool dependsOnLhs(unsigned t) { return ((t >> 2) & 3) != (t & 3); }
constexpr bool dependsOnRhs(unsigned t) {
  return ((t >> 3) & 1) != ((t >> 2) & 1) || ((t >> 1) & 1) != (t & 1);
}

/// A function of one bit x, as the pair (g(0), g(1)).
enum class Unary { Zero, One, Identity, Not };
constexpr Unary unary(bool g0, bool g1) {
  return g0 == g1 ? (g0 ? Unary::One : Unary::Zero)
                  : (g1 ? Unary::Identity : Unary::Not);
}
/// f(c, x) as a function of x.
constexpr Unary restrictLhs(unsigned t, bool c) {
  return unary(eval(t, c, false), eval(t, c, true));
}
/// f(x, c) as a function of x.
constexpr Unary restrictRhs(unsigned t, bool c) {
  return unary(eval(t, false, c), eval(t, true, c));
}
/// f(x, x) as a function of x.
constexpr Unary diagonal(unsigned t) {
  return unary(eval(t, false, false), eval(t, true, true));
}

} // namespace lgc::lgn::tt

#endif // LGC_DIALECT_LGN_TRUTHTABLE_H
