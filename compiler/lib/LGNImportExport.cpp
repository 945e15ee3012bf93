//===- LGNImportExport.cpp - .lgn <-> lgn dialect -------------------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Compiler/LGNImportExport.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"

// The runtime's gate kinds and the dialect's are the same numbers (the truth
// table, difflogic's order): the importer and exporter cast between them.
#define LGC_SAME_KIND(name)                                                    \
  static_assert(static_cast<unsigned>(lgc::GateKind::name) ==                  \
                    static_cast<unsigned>(lgc::lgn::GateKind::name),           \
                "lgc::GateKind and lgn::GateKind disagree on " #name)
LGC_SAME_KIND(Zero);
LGC_SAME_KIND(And);
LGC_SAME_KIND(NotImplies);
LGC_SAME_KIND(A);
LGC_SAME_KIND(NotImpliedBy);
LGC_SAME_KIND(B);
LGC_SAME_KIND(Xor);
LGC_SAME_KIND(Or);
LGC_SAME_KIND(NotOr);
LGC_SAME_KIND(NotXor);
LGC_SAME_KIND(NotB);
LGC_SAME_KIND(ImpliedBy);
LGC_SAME_KIND(NotA);
LGC_SAME_KIND(Implies);
LGC_SAME_KIND(NotAnd);
LGC_SAME_KIND(One);
#undef LGC_SAME_KIND
static_assert(lgc::kNumGateKinds ==
                  static_cast<unsigned>(lgc::lgn::GateKind::One) + 1,
              "a gate kind is missing from one of the enums");

using namespace mlir;
using namespace lgc;
using namespace lgc::lgn;

OwningOpRef<ModuleOp> lgc::importNet(const Net &net, MLIRContext *context,
                                     StringRef fileName, StringRef name) {
  context->getOrLoadDialect<LGNDialect>();
  Location loc = fileName.empty()
                     ? Location(UnknownLoc::get(context))
                     : Location(FileLineColLoc::get(context, fileName, 1, 1));
  OpBuilder b(context);
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  auto netOp = b.create<NetOp>(
      loc, b.getStringAttr(name), b.getI32IntegerAttr(int32_t(net.numClasses)),
      b.getF64FloatAttr(net.tau), IntegerAttr(), DenseF32ArrayAttr(),
      DenseI32ArrayAttr(), DenseF32ArrayAttr(), ArrayAttr());
  if (!net.levels.empty()) {
    netOp.setFeaturesAttr(b.getI32IntegerAttr(int32_t(net.numFeatures)));
    netOp.setLevelsAttr(b.getDenseF32ArrayAttr(net.levels));
  } else if (!net.encoding.empty()) {
    SmallVector<int32_t> features;
    SmallVector<float> thresholds;
    for (const InputBit &bit : net.encoding) {
      features.push_back(int32_t(bit.feature));
      thresholds.push_back(bit.threshold);
    }
    netOp.setFeaturesAttr(b.getI32IntegerAttr(int32_t(net.numFeatures)));
    netOp.setBitFeaturesAttr(b.getDenseI32ArrayAttr(features));
    netOp.setBitThresholdsAttr(b.getDenseF32ArrayAttr(thresholds));
  }
  if (!net.metadata.empty()) {
    SmallVector<Attribute> strings;
    for (const auto &[key, value] : net.metadata) {
      strings.push_back(b.getStringAttr(key));
      strings.push_back(b.getStringAttr(value));
    }
    netOp.setMetadataAttr(b.getArrayAttr(strings));
  }

  Block *body = new Block();
  netOp.getBody().push_back(body);
  SmallVector<Type> argTypes(net.numInputs, b.getI1Type());
  SmallVector<Location> argLocs(net.numInputs, loc);
  body->addArguments(argTypes, argLocs);
  b.setInsertionPointToEnd(body);

  std::vector<Value> nodes;
  nodes.reserve(net.numNodes());
  for (BlockArgument arg : body->getArguments())
    nodes.push_back(arg);
  size_t nextLayer = 0;
  IntegerAttr layerAttr;
  for (size_t i = 0; i < net.gates.size(); ++i) {
    while (nextLayer < net.layerStarts.size() &&
           net.layerStarts[nextLayer] == i)
      layerAttr = b.getI32IntegerAttr(int32_t(nextLayer++));
    const Gate &g = net.gates[i];
    auto gate = b.create<GateOp>(loc, static_cast<lgn::GateKind>(g.kind),
                                 nodes[g.a], nodes[g.b]);
    if (layerAttr)
      gate.setLayerAttr(layerAttr);
    nodes.push_back(gate.getResult());
  }
  SmallVector<Value> outputs;
  outputs.reserve(net.outputs.size());
  for (uint32_t o : net.outputs)
    outputs.push_back(nodes[o]);
  b.create<OutputOp>(loc, outputs);
  return module;
}

LogicalResult lgc::exportNet(NetOp op, Net &net) {
  net = Net();
  Block &body = op.getBodyBlock();
  net.numInputs = body.getNumArguments();
  net.numClasses = op.getClasses();
  net.tau = op.getTau().convertToDouble();
  if (auto levels = op.getLevels()) {
    net.numFeatures = uint32_t(*op.getFeatures());
    net.levels.assign(levels->begin(), levels->end());
  } else if (auto features = op.getBitFeatures()) {
    net.numFeatures = uint32_t(*op.getFeatures());
    auto thresholds = *op.getBitThresholds();
    for (size_t i = 0; i < features->size(); ++i)
      net.encoding.push_back(InputBit{uint32_t((*features)[i]), thresholds[i]});
  } else {
    net.numFeatures = net.numInputs;
  }
  if (auto meta = op.getMetadata())
    for (size_t i = 0; i + 1 < meta->size(); i += 2)
      net.metadata.emplace_back(
          cast<StringAttr>((*meta)[i]).getValue().str(),
          cast<StringAttr>((*meta)[i + 1]).getValue().str());

  llvm::DenseMap<Value, uint32_t> ids;
  ids.reserve(body.getNumArguments() + body.getOperations().size());
  for (BlockArgument arg : body.getArguments())
    ids[arg] = arg.getArgNumber();
  // Constants have no node of their own in the format: each becomes a gate
  // the first time it is used, ignoring input 0.
  llvm::DenseMap<Value, bool> pendingConstants;
  std::optional<int64_t> currentLayer;
  auto idOf = [&](Value v) -> uint32_t {
    if (auto it = ids.find(v); it != ids.end())
      return it->second;
    bool value = pendingConstants.lookup(v);
    net.gates.push_back(Gate{uint8_t(value ? 15 : 0), 0, 0});
    uint32_t id = net.numInputs + uint32_t(net.gates.size()) - 1;
    ids[v] = id;
    return id;
  };
  for (Operation &inner : body.without_terminator()) {
    if (auto constant = dyn_cast<ConstantOp>(inner)) {
      pendingConstants[constant.getResult()] = constant.getValue();
      continue;
    }
    auto gate = dyn_cast<GateOp>(inner);
    if (!gate)
      return inner.emitOpError("cannot be written to .lgn");
    uint32_t a = idOf(gate.getLhs()), b = idOf(gate.getRhs());
    std::optional<int64_t> layer;
    if (IntegerAttr attr = gate.getLayerAttr())
      layer = attr.getInt();
    if (layer && layer != currentLayer)
      net.layerStarts.push_back(uint32_t(net.gates.size()));
    currentLayer = layer;
    net.gates.push_back(Gate{uint8_t(gate.getTable()), a, b});
    ids[gate.getResult()] = net.numInputs + uint32_t(net.gates.size()) - 1;
  }
  for (Value v : op.getOutputOp().getBits())
    net.outputs.push_back(idOf(v));
  if (std::string err = verifyNet(net); !err.empty())
    return op.emitOpError("cannot be written to .lgn: ") << err;
  return success();
}

FailureOr<NetOp> lgc::getSingleNet(ModuleOp module) {
  NetOp found;
  for (Operation &op : *module.getBody()) {
    auto net = dyn_cast<NetOp>(op);
    if (!net)
      continue;
    if (found)
      return module.emitError("expected one 'lgn.net', found several");
    found = net;
  }
  if (!found)
    return module.emitError("expected an 'lgn.net' in the module");
  return found;
}
