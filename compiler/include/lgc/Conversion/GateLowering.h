//===- GateLowering.h - Pieces shared by the CPU and GPU lowerings -*- C++
//-*-===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_CONVERSION_GATELOWERING_H
#define LGC_CONVERSION_GATELOWERING_H

#include "lgc/Dialect/LGN/LGNOps.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <vector>

namespace lgc {

/// One gate as LLVM dialect bitwise ops on words (or vectors of words);
/// `ones` and `zeros` give the all-ones and all-zeros constants.
mlir::Value lowerGateOp(mlir::OpBuilder &b, mlir::Location loc,
                        lgn::GateKind kind, mlir::Value x, mlir::Value y,
                        llvm::function_ref<mlir::Value()> ones,
                        llvm::function_ref<mlir::Value()> zeros);

/// The gates that reach an output, in depth-first post-order from the
/// outputs (each value close to its first use).
std::vector<lgn::GateOp> liveGatesDepthFirst(lgn::NetOp net);

/// The input encoding as tables, with the identity default made explicit.
struct EncodingTables {
  llvm::SmallVector<int32_t> features;
  llvm::SmallVector<float> thresholds;
  uint32_t numFeatures = 0;
  /// Bit j*F + f reads feature f against levels[j].
  bool thermometer = false;
  llvm::SmallVector<float> levels;
};
EncodingTables encodingTables(lgn::NetOp net);

} // namespace lgc

#endif // LGC_CONVERSION_GATELOWERING_H
