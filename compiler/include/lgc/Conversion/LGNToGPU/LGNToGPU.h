//===- LGNToGPU.h - Lower lgn nets to GPU kernels (NVVM) --------*- C++ -*-===//
//
// Part of lgc. Each GPU thread evaluates 64 samples, one bit per sample in a
// 64-bit word; every gate is one or two integer ops. All arrays are
// word-major (`x[k * words + t]` for thread t of `words` threads) so a warp's
// loads and stores coalesce. Gates are split into device functions of
// `gatesPerFunction`, passing cut values through a global scratch array.
// GroupSum (a carry-save adder tree per class) and argmax run on the device.
//
// Symbols (the launch ABI, also in docs/gpu-backend.md):
//   kernel lgc_pack_u8(ptr x, i64 n, ptr in, i64 words)
//     grid over inputs x words threads: thresholds 8-bit features x (n x
//     features, row-major) into in (inputs x words words) through the
//     net's encoding; samples past n are 0.
//   kernel lgc_net(ptr in, ptr scratch, ptr planes, ptr classes, i64 words)
//     grid over `words` threads: classes[64 t + s] (u32) = argmax for
//     sample 64 t + s (ties to the lowest class); planes[(c * K + j) *
//     words + t] = bit j of class c's counts (K = planes per class).
//   device globals __lgc_gen_shape (i32 x 10: inputs, features, classes,
//     outputs, gates, planes per class K, scratch slots, 0, 0, 0) and
//     __lgc_gen_tau (f64), read by the host with cuModuleGetGlobal.
//   In host mode (for testing the same code on the CPU) the kernels are
//   replaced by the per-thread functions __lgc_gpu_thread(in, scratch,
//   planes, classes, words, t) and __lgc_gpu_pack_u8(x, n, in, words, gid).
//
//===----------------------------------------------------------------------===//

#ifndef LGC_CONVERSION_LGNTOGPU_LGNTOGPU_H
#define LGC_CONVERSION_LGNTOGPU_LGNTOGPU_H

#include "mlir/Pass/Pass.h"
#include "mlir/Transforms/DialectConversion.h"

namespace lgc {

struct LGNToGPUOptions {
  unsigned gatesPerFunction = 3000;
  /// Emit per-thread functions callable from the host instead of kernels.
  bool hostMode = false;
};

void populateLGNToGPUConversionPatterns(mlir::RewritePatternSet &patterns,
                                        const LGNToGPUOptions &options);

#define GEN_PASS_DECL_CONVERTLGNTONVVM
#include "lgc/Conversion/Passes.h.inc"

} // namespace lgc

#endif // LGC_CONVERSION_LGNTOGPU_LGNTOGPU_H
