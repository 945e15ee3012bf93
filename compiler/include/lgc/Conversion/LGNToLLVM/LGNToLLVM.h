//===- LGNToLLVM.h - Lower lgn nets to bit-sliced LLVM code -----*- C++ -*-===//
//
// Part of lgc. A net becomes LLVM dialect functions that evaluate it on
// 64 x vectorWords samples at once: every i1 is a vector of 64-bit words,
// one bit per sample, every gate one or two bitwise ops. GroupSum is a
// carry-save adder tree per class producing the counts as bit planes. The
// support library (runtime/cpu) packs inputs and reads classes from planes.
//
// Symbols defined (the internal contract with runtime/cpu/NetSupport.cpp):
//   void __lgc_gen_eval(ptr in, ptr scratch, ptr planes)
//     in:      inputs x vectorWords words (input bit i at in[i])
//     scratch: scratch_words words of cut values between functions
//     planes:  classes x planes_per_class vectors, class c's plane j (bit j
//              of its count) at planes[c * planes_per_class + j]
//   const uint32_t __lgc_gen_shape[10] = {inputs, features, classes, outputs,
//     gates, vector_words, planes_per_class, scratch_words, thresholds,
//     encoding}  (encoding 1: thermometer over `thresholds` values, 0:
//     explicit per-bit)
//   const double   __lgc_gen_tau
//   const uint32_t __lgc_gen_bit_feature[inputs]
//   const float    __lgc_gen_bit_threshold[inputs]
//
//===----------------------------------------------------------------------===//

#ifndef LGC_CONVERSION_LGNTOLLVM_LGNTOLLVM_H
#define LGC_CONVERSION_LGNTOLLVM_LGNTOLLVM_H

#include "mlir/Pass/Pass.h"
#include "mlir/Transforms/DialectConversion.h"

namespace lgc {

struct LGNToLLVMOptions {
  /// 64-bit words per vector: 8 for AVX-512, 4 for AVX2, 2 for SSE.
  unsigned vectorWords = 4;
  /// Gates per generated function: LLVM's code generation is superlinear
  /// in function size, so large nets are split, passing cut values through
  /// the scratch buffer.
  unsigned gatesPerFunction = 10000;
};

/// Adds the pattern that replaces each lgn.net by its LLVM functions and
/// globals. Only one net per module can be lowered (the symbols are fixed).
void populateLGNToLLVMConversionPatterns(mlir::RewritePatternSet &patterns,
                                         const LGNToLLVMOptions &options);

#define GEN_PASS_DECL_CONVERTLGNTOLLVM
#include "lgc/Conversion/Passes.h.inc"

} // namespace lgc

#endif // LGC_CONVERSION_LGNTOLLVM_LGNTOLLVM_H
