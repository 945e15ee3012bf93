//===- LGNToNVVM.h - Lower lgn nets to GPU kernels (NVVM) -------*- C++ -*-===//
//
// Part of lgc. Two kernel designs. The thread kernel: each GPU thread
// evaluates 64 samples (or 32, thread-word-bits=32), one bit per sample in
// a word; every gate is one or two integer ops. Its arrays are tile-major
// (a warp's access to one row is one contiguous segment), and its gates are
// split into device functions as the CPU lowering splits them
// (lgc/Conversion/GateLowering.h), passing cut values through a global
// scratch array. The block kernel (block-kernel=true): a block's threads
// evaluate a level of gates at a time from a table, every live value in
// shared memory. GroupSum (carry-save counters) and argmax run on the
// device in both.
//
// The kernels, their launch ABI and the device tables are the contract in
// lgc/Runtime/GeneratedABI.h (also docs/gpu-backend.md).
//
//===----------------------------------------------------------------------===//

#ifndef LGC_CONVERSION_LGNTONVVM_LGNTONVVM_H
#define LGC_CONVERSION_LGNTONVVM_LGNTONVVM_H

#include "lgc/Conversion/GateLowering.h"

#include "mlir/Pass/Pass.h"

namespace lgc {

#define GEN_PASS_DECL_CONVERTLGNTONVVM
#include "lgc/Conversion/Passes.h.inc"

} // namespace lgc

#endif // LGC_CONVERSION_LGNTONVVM_LGNTONVVM_H
