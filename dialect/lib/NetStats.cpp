//===- NetStats.cpp - Gate statistics of a net ----------------------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Dialect/LGN/NetStats.h"

#include "llvm/ADT/DenseMap.h"

using namespace mlir;
using namespace lgc::lgn;

uint64_t NetStats::layerGates(int64_t layer) const {
  uint64_t total = 0;
  if (auto it = perLayer.find(layer); it != perLayer.end())
    for (uint64_t n : it->second)
      total += n;
  return total;
}

NetStats lgc::lgn::computeNetStats(NetOp net) {
  NetStats s;
  Block &body = net.getBodyBlock();
  s.inputs = body.getNumArguments();
  s.classes = net.getClasses();
  s.outputs = net.getOutputOp().getBits().size();
  llvm::DenseMap<Operation *, unsigned> depth;
  depth.reserve(body.getOperations().size());
  auto depthOf = [&](Value v) -> unsigned {
    Operation *def = v.getDefiningOp();
    return def ? depth.lookup(def) : 0;
  };
  auto countFanOut = [&](Value v) {
    // Every use is a reader: a gate operand or an output bit (a gate that
    // reads v twice counts twice, as it has two wires from it).
    uint64_t readers = 0;
    for (OpOperand &use : v.getUses())
      (void)use, ++readers;
    ++s.fanOut[std::min<uint64_t>(readers, NetStats::kFanOutCap)];
    s.maxFanOut = std::max(s.maxFanOut, readers);
  };
  for (BlockArgument arg : body.getArguments()) {
    s.unusedInputs += arg.use_empty();
    countFanOut(arg);
  }
  auto deepestInput = [&](OperandRange inputs) {
    unsigned d = 0;
    for (Value v : inputs)
      d = std::max(d, depthOf(v));
    return d;
  };
  for (Operation &op : body.without_terminator()) {
    if (isa<ConstantOp>(op)) {
      ++s.constants;
      continue;
    }
    if (auto conv = dyn_cast<ConvOp>(op)) {
      ++s.convBlocks;
      llvm::DenseMap<Value, unsigned> inTree;
      unsigned tree = 0;
      for (Operation &inner : conv.getBodyBlock()) {
        auto gate = dyn_cast<GateOp>(inner);
        if (!gate)
          continue;
        ++s.convTreeGates;
        unsigned d = 1 + std::max(inTree.lookup(gate.getLhs()),
                                  inTree.lookup(gate.getRhs()));
        inTree[gate.getResult()] = d;
        tree = std::max(tree, d);
      }
      depth[&op] = deepestInput(conv.getInputs()) + tree;
      for (Value r : conv.getResults())
        countFanOut(r);
      continue;
    }
    if (auto pool = dyn_cast<OrPoolOp>(op)) {
      ++s.poolBlocks;
      // The OR of k * k values as a balanced tree (lgn-unroll-blocks).
      depth[&op] =
          deepestInput(pool.getInputs()) +
          llvm::Log2_64_Ceil(uint64_t(pool.getKernel()) * pool.getKernel());
      for (Value r : pool.getResults())
        countFanOut(r);
      continue;
    }
    auto gate = cast<GateOp>(op);
    ++s.gates;
    unsigned kind = gate.getTable();
    ++s.perKind[kind];
    int64_t layer =
        gate.getLayerAttr() ? gate.getLayerAttr().getInt() : NetStats::kNoLayer;
    ++s.perLayer[layer][kind];
    depth[&op] = 1 + std::max(depthOf(gate.getLhs()), depthOf(gate.getRhs()));
    countFanOut(gate.getResult());
  }
  for (Value v : net.getOutputOp().getBits())
    s.depth = std::max(s.depth, depthOf(v));
  return s;
}

static llvm::StringRef kindName(unsigned k) {
  return stringifyGateKind(static_cast<GateKind>(k));
}

void lgc::lgn::printNetStats(const NetStats &s, llvm::raw_ostream &os) {
  os << "inputs:    " << s.inputs << " (" << s.unusedInputs << " unused)\n";
  os << "gates:     " << s.gates << "\n";
  os << "constants: " << s.constants << "\n";
  if (s.convBlocks || s.poolBlocks)
    os << "blocks:    " << s.convBlocks << " conv (" << s.convTreeGates
       << " tree gates), " << s.poolBlocks << " or_pool\n";
  os << "outputs:   " << s.outputs << " in " << s.classes << " classes\n";
  os << "depth:     " << s.depth << "\n";
  os << "kinds:    ";
  for (unsigned k = 0; k < 16; ++k)
    if (s.perKind[k])
      os << " " << kindName(k) << "=" << s.perKind[k];
  os << "\n";
  if (s.perLayer.size() > 1 || !s.perLayer.count(NetStats::kNoLayer)) {
    os << "layers:   ";
    for (const auto &entry : s.perLayer) {
      int64_t layer = entry.first;
      os << " ";
      if (layer == NetStats::kNoLayer)
        os << "none";
      else
        os << layer;
      os << "=" << s.layerGates(layer);
    }
    os << "\n";
    // One line per layer: its gates by kind.
    for (const auto &[layer, kinds] : s.perLayer) {
      os << "  layer ";
      if (layer == NetStats::kNoLayer)
        os << "none";
      else
        os << layer;
      os << ":";
      for (unsigned k = 0; k < 16; ++k)
        if (kinds[k])
          os << " " << kindName(k) << "=" << kinds[k];
      os << "\n";
    }
  }
  os << "fan-out:  ";
  for (unsigned f = 0; f <= NetStats::kFanOutCap; ++f)
    if (s.fanOut[f])
      os << " " << f << (f == NetStats::kFanOutCap ? "+" : "") << "="
         << s.fanOut[f];
  os << " (max " << s.maxFanOut << ")\n";
}

llvm::json::Object lgc::lgn::netStatsToJSON(const NetStats &s) {
  llvm::json::Object kinds;
  for (unsigned k = 0; k < 16; ++k)
    kinds[kindName(k)] = int64_t(s.perKind[k]);
  llvm::json::Array layers;
  for (const auto &[layer, perKind] : s.perLayer) {
    llvm::json::Object entry, byKind;
    for (unsigned k = 0; k < 16; ++k)
      if (perKind[k])
        byKind[kindName(k)] = int64_t(perKind[k]);
    if (layer == NetStats::kNoLayer)
      entry["layer"] = nullptr;
    else
      entry["layer"] = layer;
    entry["gates"] = int64_t(s.layerGates(layer));
    entry["kinds"] = std::move(byKind);
    layers.push_back(std::move(entry));
  }
  llvm::json::Object fanOut;
  for (unsigned f = 0; f <= NetStats::kFanOutCap; ++f)
    if (s.fanOut[f])
      fanOut[std::to_string(f) + (f == NetStats::kFanOutCap ? "+" : "")] =
          int64_t(s.fanOut[f]);
  return llvm::json::Object{
      {"inputs", int64_t(s.inputs)},
      {"unused_inputs", int64_t(s.unusedInputs)},
      {"gates", int64_t(s.gates)},
      {"blocks",
       llvm::json::Object{{"conv", int64_t(s.convBlocks)},
                          {"conv_tree_gates", int64_t(s.convTreeGates)},
                          {"or_pool", int64_t(s.poolBlocks)}}},
      {"constants", int64_t(s.constants)},
      {"outputs", int64_t(s.outputs)},
      {"classes", int64_t(s.classes)},
      {"depth", int64_t(s.depth)},
      {"kinds", std::move(kinds)},
      {"layers", std::move(layers)},
      {"fan_out", std::move(fanOut)},
      {"max_fan_out", int64_t(s.maxFanOut)},
  };
}
