//===- Passes.h - lgc conversion passes -------------------------*- C++ -*-===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_CONVERSION_PASSES_H
#define LGC_CONVERSION_PASSES_H

#include "lgc/Conversion/LGNToLLVM/LGNToLLVM.h"
#include "lgc/Conversion/LGNToNVVM/LGNToNVVM.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

namespace lgc {
#define GEN_PASS_REGISTRATION
#include "lgc/Conversion/Passes.h.inc"
} // namespace lgc

#endif // LGC_CONVERSION_PASSES_H
