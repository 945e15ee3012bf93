//===- LGNOps.cpp - lgn dialect, verifiers and constant materializer ------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Dialect/LGN/LGNOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"

#include <cmath>

using namespace mlir;
using namespace lgc::lgn;

#include "lgc/Dialect/LGN/LGNDialect.cpp.inc"
#include "lgc/Dialect/LGN/LGNEnums.cpp.inc"

void LGNDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "lgc/Dialect/LGN/LGNOps.cpp.inc"
      >();
}

Operation *LGNDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                           Type type, Location loc) {
  auto bit = dyn_cast<IntegerAttr>(value);
  if (!bit || !type.isInteger(1) || !bit.getType().isInteger(1))
    return nullptr;
  return builder.create<ConstantOp>(loc, bit.getValue().getBoolValue());
}

//===----------------------------------------------------------------------===//
// NetOp
//===----------------------------------------------------------------------===//

OutputOp NetOp::getOutputOp() {
  return cast<OutputOp>(getBodyBlock().getTerminator());
}

LogicalResult NetOp::verify() {
  double tau = getTau().convertToDouble();
  if (!(tau > 0) || !std::isfinite(tau))
    return emitOpError("expects a positive, finite tau, found ") << tau;
  auto bitFeatures = getBitFeatures();
  auto bitThresholds = getBitThresholds();
  if (bitFeatures.has_value() != bitThresholds.has_value())
    return emitOpError(
        "expects 'bit_features' and 'bit_thresholds' to be given together");
  auto levels = getLevels();
  if (levels && bitFeatures)
    return emitOpError("expects either 'levels' or 'bit_features' and "
                       "'bit_thresholds', not both");
  bool encoded = levels || bitFeatures;
  if (getFeatures() && !encoded)
    return emitOpError("expects 'features' only with an input encoding");
  if (encoded && !getFeatures())
    return emitOpError("expects 'features' with an input encoding");
  int64_t features = encoded ? getFeaturesAttr().getInt() : 0;
  if (encoded && features <= 0)
    return emitOpError("expects a positive 'features', found ") << features;
  if (levels) {
    if (levels->empty())
      return emitOpError("expects at least one level");
    for (auto [j, t] : llvm::enumerate(*levels))
      if (std::isnan(t))
        return emitOpError("level ") << j << " is NaN";
  }
  if (bitFeatures) {
    if (bitFeatures->size() != bitThresholds->size())
      return emitOpError("expects 'bit_features' (")
             << bitFeatures->size() << ") and 'bit_thresholds' ("
             << bitThresholds->size() << ") of equal length";
    for (auto [i, f] : llvm::enumerate(*bitFeatures))
      if (f < 0 || f >= features)
        return emitOpError("input bit ")
               << i << " reads feature " << f << " of " << features;
    for (auto [i, t] : llvm::enumerate(*bitThresholds))
      if (std::isnan(t))
        return emitOpError("input bit ") << i << " has a NaN threshold";
  }
  if (auto meta = getMetadata(); meta && meta->size() % 2)
    return emitOpError("expects 'metadata' as key/value pairs, found ")
           << meta->size() << " strings";
  return success();
}

LogicalResult NetOp::verifyRegions() {
  Block &body = getBodyBlock();
  if (body.getNumArguments() == 0)
    return emitOpError("expects at least one input bit");
  for (BlockArgument arg : body.getArguments())
    if (!arg.getType().isInteger(1))
      return emitOpError("expects i1 input bits, found ")
             << arg.getType() << " for input " << arg.getArgNumber();
  if (auto bitFeatures = getBitFeatures();
      bitFeatures && bitFeatures->size() != body.getNumArguments())
    return emitOpError("has an encoding for ")
           << bitFeatures->size() << " input bits but "
           << body.getNumArguments() << " inputs";
  if (auto levels = getLevels();
      levels && int64_t(levels->size()) * getFeaturesAttr().getInt() !=
                    int64_t(body.getNumArguments()))
    return emitOpError("has ")
           << levels->size() << " levels over " << getFeaturesAttr().getInt()
           << " features for " << body.getNumArguments() << " inputs";
  if (body.empty() || !isa<OutputOp>(body.back()))
    return emitOpError("expects its body to end in 'lgn.output'");
  for (Operation &op : body.without_terminator())
    if (!isa<GateOp, ConstantOp>(op))
      return op.emitOpError("is not allowed inside 'lgn.net' (only "
                            "lgn.gate and lgn.constant are)");
  unsigned outputs = getOutputOp().getBits().size();
  if (outputs == 0)
    return emitOpError("expects at least one output bit");
  if (outputs % getClasses())
    return emitOpError("has ") << outputs << " output bits, not divisible into "
                               << getClasses() << " classes";
  return success();
}

//===----------------------------------------------------------------------===//
// GateOp
//===----------------------------------------------------------------------===//

LogicalResult GateOp::verify() {
  // I32Attr reads back unsigned; the sign lives in the stored APInt.
  if (IntegerAttr layer = getLayerAttr(); layer && layer.getInt() < 0)
    return emitOpError("expects a non-negative layer, found ")
           << layer.getInt();
  return success();
}

#define GET_OP_CLASSES
#include "lgc/Dialect/LGN/LGNOps.cpp.inc"
