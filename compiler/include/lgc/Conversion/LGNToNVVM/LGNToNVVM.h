//===- LGNToNVVM.h - Lower lgn nets to GPU kernels (NVVM) -------*- C++ -*-===//
//
// Part of lgc. Each GPU thread evaluates 64 samples, one bit per sample in a
// 64-bit word; every gate is one or two integer ops. All arrays are
// word-major (`x[k * words + t]` for thread t of `words` threads) so a warp's
// loads and stores coalesce. Gates are split into device functions as the
// CPU lowering splits them (lgc/Conversion/GateLowering.h), passing cut
// values through a global scratch array. GroupSum (a carry-save adder tree
// per class) and argmax run on the device.
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
