//===- LGN.td - The lgn dialect ----------------------------*- tablegen -*-===//
//
// Part of lgc. A logic gate network as SSA: every gate is a 2-input boolean
// function named by its 4-bit truth table.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_DIALECT_LGN_LGN_TD
#define LGC_DIALECT_LGN_LGN_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/EnumAttr.td"

def LGN_Dialect : Dialect {
  let name = "lgn";
  let cppNamespace = "::lgc::lgn";
  let summary = "Logic gate networks (difflogic-style DLGNs)";
  let description = [{
    An `lgn.net` holds one trained net: its input bits are block arguments,
    its gates are `lgn.gate` ops in topological order (SSA dominance keeps the
    graph acyclic) and `lgn.output` lists the bits GroupSum counts.
  }];
  let hasConstantMaterializer = 1;
}

/// The 16 kinds in difflogic's order: the value is the truth table with
/// f(0,0) as the most significant bit.
def LGN_GateKind : I32EnumAttr<"GateKind", "two-input boolean function", [
    I32EnumAttrCase<"Zero", 0, "zero">,
    I32EnumAttrCase<"And", 1, "and">,
    I32EnumAttrCase<"NotImplies", 2, "not_implies">,
    I32EnumAttrCase<"A", 3, "a">,
    I32EnumAttrCase<"NotImpliedBy", 4, "not_implied_by">,
    I32EnumAttrCase<"B", 5, "b">,
    I32EnumAttrCase<"Xor", 6, "xor">,
    I32EnumAttrCase<"Or", 7, "or">,
    I32EnumAttrCase<"NotOr", 8, "not_or">,
    I32EnumAttrCase<"NotXor", 9, "not_xor">,
    I32EnumAttrCase<"NotB", 10, "not_b">,
    I32EnumAttrCase<"ImpliedBy", 11, "implied_by">,
    I32EnumAttrCase<"NotA", 12, "not_a">,
    I32EnumAttrCase<"Implies", 13, "implies">,
    I32EnumAttrCase<"NotAnd", 14, "not_and">,
    I32EnumAttrCase<"One", 15, "one">
  ]> {
  let cppNamespace = "::lgc::lgn";
}

class LGN_Op<string mnemonic, list<Trait> traits = []>
    : Op<LGN_Dialect, mnemonic, traits>;

#endif // LGC_DIALECT_LGN_LGN_TD
