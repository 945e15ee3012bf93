//===- LGNToLLVM.h - Lower lgn nets to bit-sliced LLVM code -----*- C++ -*-===//
//
// Part of lgc. A net becomes LLVM dialect functions that evaluate it on
// 64 x vector-words samples at once: every i1 is a vector of 64-bit words,
// one bit per sample, every gate one or two bitwise ops. Values that cross a
// function boundary, and every output bit, go to a scratch buffer. The
// support library (runtime/cpu) packs inputs, counts the output bits per
// class (bit-sliced carry-save adders, compiled for the same ISA level) and
// takes the argmax: keeping GroupSum out of the generated code keeps LLVM's
// compile time to the gates.
//
// The symbols and tables it defines are the contract in
// lgc/Runtime/GeneratedABI.h; the partition into functions and the gate
// rules are the skeleton in lgc/Conversion/GateLowering.h.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_CONVERSION_LGNTOLLVM_LGNTOLLVM_H
#define LGC_CONVERSION_LGNTOLLVM_LGNTOLLVM_H

#include "lgc/Conversion/GateLowering.h"

#include "mlir/Pass/Pass.h"

namespace lgc {

#define GEN_PASS_DECL_CONVERTLGNTOLLVM
#include "lgc/Conversion/Passes.h.inc"

} // namespace lgc

#endif // LGC_CONVERSION_LGNTOLLVM_LGNTOLLVM_H
