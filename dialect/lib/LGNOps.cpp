//===- LGNOps.cpp - lgn dialect, verifiers and constant materializer ------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Dialect/LGN/LGNOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"

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
    if (!isa<GateOp, ConstantOp, ConvOp, OrPoolOp>(op))
      return op.emitOpError("is not allowed inside 'lgn.net' (only "
                            "lgn.gate, lgn.constant, lgn.conv and lgn.or_pool "
                            "are)");
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

//===----------------------------------------------------------------------===//
// ConvOp and OrPoolOp
//===----------------------------------------------------------------------===//

/// The image and window checks both ops share; `outChannels` is 1 for a
/// conv (one tree), the channel count for a pool.
static LogicalResult verifyWindowOp(Operation *op, size_t numInputs,
                                    size_t numResults, int64_t channels,
                                    int64_t height, int64_t width,
                                    int64_t kernel, int64_t stride,
                                    int64_t padding, int64_t outChannels) {
  if (int64_t(numInputs) != channels * height * width)
    return op->emitOpError("expects ")
           << channels << "x" << height << "x" << width << " = "
           << channels * height * width << " inputs, found " << numInputs;
  if (padding >= kernel)
    return op->emitOpError("expects padding ")
           << padding << " smaller than the kernel " << kernel;
  if (height + 2 * padding < kernel || width + 2 * padding < kernel)
    return op->emitOpError("has a ")
           << kernel << "x" << kernel << " window that does not fit the "
           << height << "x" << width << " image";
  int64_t outH = (height + 2 * padding - kernel) / stride + 1,
          outW = (width + 2 * padding - kernel) / stride + 1;
  if (int64_t(numResults) != outChannels * outH * outW)
    return op->emitOpError("expects ")
           << outChannels * outH * outW << " results (" << outChannels << "x"
           << outH << "x" << outW << "), found " << numResults;
  return success();
}

/// `(%a, %b, ...) {attrs} -> N`, the operands and results all i1.
static ParseResult parseWindowOp(OpAsmParser &parser, OperationState &result,
                                 Region *body) {
  SmallVector<OpAsmParser::UnresolvedOperand> operands;
  int64_t numResults = 0;
  Type i1 = parser.getBuilder().getI1Type();
  if (parser.parseOperandList(operands, OpAsmParser::Delimiter::Paren) ||
      parser.parseOptionalAttrDict(result.attributes) || parser.parseArrow())
    return failure();
  SMLoc countLoc = parser.getCurrentLocation();
  if (parser.parseInteger(numResults))
    return failure();
  if (numResults < 0)
    return parser.emitError(countLoc, "expects a non-negative result count");
  if (parser.resolveOperands(operands, i1, result.operands))
    return failure();
  result.addTypes(SmallVector<Type>(size_t(numResults), i1));
  if (body && parser.parseRegion(*body, /*arguments=*/{}))
    return failure();
  return success();
}

static void printWindowOp(OpAsmPrinter &p, Operation *op) {
  p << '(';
  p.printOperands(op->getOperands());
  p << ')';
  p.printOptionalAttrDict(op->getAttrs());
  p << " -> " << op->getNumResults();
}

ParseResult ConvOp::parse(OpAsmParser &parser, OperationState &result) {
  return parseWindowOp(parser, result, result.addRegion());
}

void ConvOp::print(OpAsmPrinter &p) {
  printWindowOp(p, *this);
  p << ' ';
  p.printRegion(getBody(), /*printEntryBlockArgs=*/true);
}

YieldOp ConvOp::getYieldOp() {
  return cast<YieldOp>(getBodyBlock().getTerminator());
}

Value ConvOp::getLeafInput(unsigned leaf, int64_t y, int64_t x) {
  ArrayRef<int32_t> leaves = getLeaves();
  int64_t c = leaves[3 * leaf],
          iy = y * getStride() - getPadding() + leaves[3 * leaf + 1],
          ix = x * getStride() - getPadding() + leaves[3 * leaf + 2];
  if (iy < 0 || ix < 0 || iy >= getHeight() || ix >= getWidth())
    return nullptr;
  return getInputs()[(c * getHeight() + iy) * getWidth() + ix];
}

LogicalResult ConvOp::verify() {
  if (failed(verifyWindowOp(*this, getInputs().size(), getResults().size(),
                            getChannels(), getHeight(), getWidth(), getKernel(),
                            getStride(), getPadding(), 1)))
    return failure();
  ArrayRef<int32_t> leaves = getLeaves();
  if (leaves.size() % 3)
    return emitOpError("expects 'leaves' as (channel, dy, dx) triples, "
                       "found ")
           << leaves.size() << " values";
  for (size_t l = 0; l < leaves.size(); l += 3)
    if (leaves[l] < 0 || leaves[l] >= int64_t(getChannels()) ||
        leaves[l + 1] < 0 || leaves[l + 1] >= int64_t(getKernel()) ||
        leaves[l + 2] < 0 || leaves[l + 2] >= int64_t(getKernel()))
      return emitOpError("leaf ")
             << l / 3 << " (" << leaves[l] << ", " << leaves[l + 1] << ", "
             << leaves[l + 2] << ") is outside the " << getChannels() << "x"
             << getKernel() << "x" << getKernel() << " receptive field";
  return success();
}

LogicalResult ConvOp::verifyRegions() {
  Block &body = getBodyBlock();
  if (body.getNumArguments() * 3 != getLeaves().size())
    return emitOpError("has ")
           << body.getNumArguments() << " leaf arguments for "
           << getLeaves().size() / 3 << " leaves";
  for (BlockArgument arg : body.getArguments())
    if (!arg.getType().isInteger(1))
      return emitOpError("expects i1 leaves, found ") << arg.getType();
  if (body.empty() || !isa<YieldOp>(body.back()))
    return emitOpError("expects its body to end in 'lgn.yield'");
  for (Operation &op : body.without_terminator())
    if (!isa<GateOp, ConstantOp>(op))
      return op.emitOpError("is not allowed inside 'lgn.conv' (only "
                            "lgn.gate and lgn.constant are)");
  return success();
}

ParseResult OrPoolOp::parse(OpAsmParser &parser, OperationState &result) {
  return parseWindowOp(parser, result, nullptr);
}

void OrPoolOp::print(OpAsmPrinter &p) { printWindowOp(p, *this); }

LogicalResult OrPoolOp::verify() {
  return verifyWindowOp(*this, getInputs().size(), getResults().size(),
                        getChannels(), getHeight(), getWidth(), getKernel(),
                        getStride(), getPadding(), getChannels());
}

#define GET_OP_CLASSES
#include "lgc/Dialect/LGN/LGNOps.cpp.inc"
