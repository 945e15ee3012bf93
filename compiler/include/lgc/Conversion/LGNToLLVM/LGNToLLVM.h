//===- LGNToLLVM.h - Lower lgn nets to bit-sliced LLVM code -----*- C++ -*-===//
//
// Part of lgc. A net becomes LLVM dialect functions that evaluate it on
// 64 x vectorWords samples at once: every i1 is a vector of 64-bit words,
// one bit per sample, every gate one or two bitwise ops. Values that cross a
// function boundary, and every output bit, go to a scratch buffer. The
// support library (runtime/cpu) packs inputs, counts the output bits per
// class (bit-sliced carry-save adders, compiled for the same ISA level) and
// takes the argmax: keeping GroupSum out of the generated code keeps LLVM's
// compile time to the gates.
//
// Symbols defined (the internal contract with runtime/cpu/NetSupport.cpp):
//   void __lgc_gen_eval(ptr in, ptr scratch)
//     in:      inputs x vectorWords words (input bit i at in[i])
//     scratch: scratch_words words: cut values and outputs
//   const int32_t __lgc_gen_outputs[outputs]: where output bit k lives:
//     scratch vector s (s >= 0), input i (-1 - i), constant 0 (INT32_MIN)
//     or constant 1 (INT32_MIN + 1)
//   const uint32_t __lgc_gen_shape[10] = {inputs, features, classes, outputs,
//     gates, vector_words, planes_per_class (bits of a class count),
//     scratch_words, thresholds,
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
  unsigned gatesPerFunction = 3000;
};

/// Adds the pattern that replaces each lgn.net by its LLVM functions and
/// globals. Only one net per module can be lowered (the symbols are fixed).
void populateLGNToLLVMConversionPatterns(mlir::RewritePatternSet &patterns,
                                         const LGNToLLVMOptions &options);

#define GEN_PASS_DECL_CONVERTLGNTOLLVM
#include "lgc/Conversion/Passes.h.inc"

} // namespace lgc

#endif // LGC_CONVERSION_LGNTOLLVM_LGNTOLLVM_H
