//===- ExportC.h - lgn nets as portable C99 ---------------------*- C++ -*-===//
//
// Part of lgc. `lgc --emit=c`: the optimised net as one C99 file with no
// intrinsics and no dependencies beyond libc (malloc, free), exporting the
// C ABI of lgc_net.h, so targets without LLVM (microcontrollers, other
// compilers) can build it: `cc -O2 -shared -fPIC net.c -o net.so` gives a
// library the runtime loads like lgc's own. Values are uint64_t words of
// 64 samples; the gates are split into functions as the LLVM lowerings
// split them (lgc/Conversion/GateLowering.h), cut values going through a
// scratch array.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_TARGET_C_EXPORTC_H
#define LGC_TARGET_C_EXPORTC_H

#include "lgc/Dialect/LGN/LGNOps.h"

#include "llvm/Support/raw_ostream.h"

namespace lgc {

mlir::LogicalResult exportC(lgn::NetOp net, unsigned gatesPerFunction,
                            llvm::raw_ostream &os);

} // namespace lgc

#endif // LGC_TARGET_C_EXPORTC_H
