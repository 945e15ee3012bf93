//===- LGNOps.td - lgn operations --------------------------*- tablegen -*-===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_DIALECT_LGN_LGNOPS_TD
#define LGC_DIALECT_LGN_LGNOPS_TD

include "lgc/Dialect/LGN/LGN.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"

def LGN_NetOp : LGN_Op<"net", [IsolatedFromAbove, Symbol, SingleBlock]> {
  let summary = "A logic gate network with GroupSum outputs";
  let description = [{
    The single block's arguments are the input bits (i1). The terminator
    `lgn.output` lists the output bits in GroupSum order: `classes`
    consecutive groups of equal size; a class's score is its group's popcount
    divided by `tau`.

    The optional input encoding maps raw features to input bits, over
    `features` raw features, in one of two forms:
    - thermometer: `levels` (L values), bit j * features + f = feature f >
      `levels`[j] (what the trainer produces; backends pack it fastest);
    - explicit: bit i = feature[`bit_features`[i]] > `bit_thresholds`[i].
    Without either, bit i is feature i > 0.5.
    `metadata` holds free key/value strings (alternating), in order.

    ```mlir
    lgn.net @net classes 2 tau 1.0 {
    ^bb0(%a: i1, %b: i1):
      %0 = lgn.gate and %a, %b
      %1 = lgn.gate xor %a, %b
      lgn.output %0, %1
    }
    ```
  }];
  let arguments = (ins
    SymbolNameAttr:$sym_name,
    ConfinedAttr<I32Attr, [IntPositive]>:$classes,
    F64Attr:$tau,
    OptionalAttr<I32Attr>:$features,
    OptionalAttr<DenseF32ArrayAttr>:$levels,
    OptionalAttr<DenseI32ArrayAttr>:$bit_features,
    OptionalAttr<DenseF32ArrayAttr>:$bit_thresholds,
    OptionalAttr<StrArrayAttr>:$metadata
  );
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $sym_name `classes` $classes `tau` $tau attr-dict-with-keyword $body
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    mlir::Block &getBodyBlock() { return getBody().front(); }
    unsigned getNumInputs() { return getBodyBlock().getNumArguments(); }
    class OutputOp getOutputOp();
  }];
}

def LGN_GateOp : LGN_Op<"gate", [Pure]> {
  let summary = "A two-input boolean function";
  let description = [{
    `kind` is the truth table, printed by name (`and`, `not_implies`, ...;
    difflogic's order). A one-input function (`not_a`) reads its operand
    twice. `layer` records the trained layer the gate came from.

    ```mlir
    %5 = lgn.gate xor %1, %3
    ```
  }];
  let arguments = (ins LGN_GateKind:$kind, I1:$lhs, I1:$rhs,
                       OptionalAttr<I32Attr>:$layer);
  let results = (outs I1:$result);
  let assemblyFormat = [{
    $kind $lhs `,` $rhs (`layer` $layer^)? attr-dict
  }];
  let hasFolder = 1;
  let hasCanonicalizer = 1;
  let hasVerifier = 1;
  let builders = [
    OpBuilder<(ins "GateKind":$kind, "mlir::Value":$lhs, "mlir::Value":$rhs), [{
      build($_builder, $_state, $_builder.getI1Type(), kind, lhs, rhs,
            mlir::IntegerAttr());
    }]>
  ];
  let extraClassDeclaration = [{
    /// The truth table as a 4-bit number.
    unsigned getTable() { return static_cast<unsigned>(getKind()); }
    /// True for the canonical NOT: not_a with both operands the same.
    bool isNot() { return getKind() == GateKind::NotA && getLhs() == getRhs(); }
  }];
}

def LGN_ConstantOp : LGN_Op<"constant", [ConstantLike, Pure]> {
  let summary = "A constant bit";
  let arguments = (ins BoolAttr:$value);
  let results = (outs I1:$result);
  let assemblyFormat = "$value attr-dict";
  let hasFolder = 1;
  let builders = [
    OpBuilder<(ins "bool":$value), [{
      build($_builder, $_state, $_builder.getI1Type(),
            $_builder.getBoolAttr(value));
    }]>
  ];
}

def LGN_OutputOp : LGN_Op<"output", [Terminator, HasParent<"NetOp">, Pure,
                                     ReturnLike]> {
  let summary = "The net's output bits in GroupSum order";
  let arguments = (ins Variadic<I1>:$bits);
  let assemblyFormat = "$bits attr-dict";
}

def LGN_ConvOp : LGN_Op<"conv", [Pure, IsolatedFromAbove, SingleBlock]> {
  let summary = "One logic tree evaluated at every position of an image";
  let description = [{
    The weight-shared output channel of a logic-tree convolution. `inputs`
    is a channel-major `channels` x `height` x `width` image of bits; the
    body is the tree, once: its block arguments are the leaves and
    `lgn.yield` gives the tree's output. Leaf l reads channel
    `leaves[3l]` at offset (`leaves[3l+1]`, `leaves[3l+2]`) inside the
    `kernel` x `kernel` window. The op has one result per output position,
    row-major over H' x W' with H' = (height + 2 padding - kernel) / stride
    + 1 (W' alike): result (y, x) is the body on the window whose top-left
    corner is (y stride - padding, x stride - padding); positions outside
    the image read 0.

    Folds act on the body once for every position (see
    `lgn-simplify-blocks`); `lgn-unroll-blocks` turns the op into gates.

    ```mlir
    %r:16 = lgn.conv(%i0, %i1, ...) {channels = 1 : i32, height = 4 : i32,
        width = 4 : i32, kernel = 2 : i32, stride = 1 : i32,
        padding = 1 : i32, leaves = array<i32: 0, 0, 0, 0, 1, 1>} -> 16 {
    ^bb0(%a: i1, %b: i1):
      %0 = lgn.gate xor %a, %b
      lgn.yield %0
    }
    ```
  }];
  let arguments = (ins Variadic<I1>:$inputs,
                       ConfinedAttr<I32Attr, [IntPositive]>:$channels,
                       ConfinedAttr<I32Attr, [IntPositive]>:$height,
                       ConfinedAttr<I32Attr, [IntPositive]>:$width,
                       ConfinedAttr<I32Attr, [IntPositive]>:$kernel,
                       ConfinedAttr<I32Attr, [IntPositive]>:$stride,
                       ConfinedAttr<I32Attr, [IntNonNegative]>:$padding,
                       DenseI32ArrayAttr:$leaves);
  let results = (outs Variadic<I1>:$results);
  let regions = (region SizedRegion<1>:$body);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    int64_t getOutHeight() {
      return (int64_t(getHeight()) + 2 * int64_t(getPadding()) -
              int64_t(getKernel())) / int64_t(getStride()) + 1;
    }
    int64_t getOutWidth() {
      return (int64_t(getWidth()) + 2 * int64_t(getPadding()) -
              int64_t(getKernel())) / int64_t(getStride()) + 1;
    }
    mlir::Block &getBodyBlock() { return getBody().front(); }
    class YieldOp getYieldOp();
    /// The input read by leaf `leaf` at output position (y, x), or null
    /// where it falls on the padding.
    mlir::Value getLeafInput(unsigned leaf, int64_t y, int64_t x);
    /// The canonicalizations that keep a conv a conv (dropping the leaves
    /// its tree no longer reads), without the ones that replace constant
    /// and single-leaf trees.
    static void getBlockKeepingPatterns(mlir::RewritePatternSet &results,
                                        mlir::MLIRContext *context);
  }];
}

def LGN_YieldOp : LGN_Op<"yield", [Terminator, HasParent<"ConvOp">, Pure,
                                   ReturnLike]> {
  let summary = "The output bit of an lgn.conv body";
  let arguments = (ins I1:$result);
  let assemblyFormat = "$result attr-dict";
}

def LGN_OrPoolOp : LGN_Op<"or_pool", [Pure]> {
  let summary = "OR over every kernel x kernel window of each channel";
  let description = [{
    `inputs` is a channel-major `channels` x `height` x `width` image of
    bits. Result (c, y, x), channel-major over channels x H' x W' (as for
    lgn.conv), is the OR of channel c's window at (y stride - padding,
    x stride - padding); padding adds nothing.
  }];
  let arguments = (ins Variadic<I1>:$inputs,
                       ConfinedAttr<I32Attr, [IntPositive]>:$channels,
                       ConfinedAttr<I32Attr, [IntPositive]>:$height,
                       ConfinedAttr<I32Attr, [IntPositive]>:$width,
                       ConfinedAttr<I32Attr, [IntPositive]>:$kernel,
                       ConfinedAttr<I32Attr, [IntPositive]>:$stride,
                       ConfinedAttr<I32Attr, [IntNonNegative]>:$padding);
  let results = (outs Variadic<I1>:$results);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getOutHeight() {
      return (int64_t(getHeight()) + 2 * int64_t(getPadding()) -
              int64_t(getKernel())) / int64_t(getStride()) + 1;
    }
    int64_t getOutWidth() {
      return (int64_t(getWidth()) + 2 * int64_t(getPadding()) -
              int64_t(getKernel())) / int64_t(getStride()) + 1;
    }
  }];
}

#endif // LGC_DIALECT_LGN_LGNOPS_TD
