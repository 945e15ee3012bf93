//===- LGNImportExport.cpp - .lgn <-> lgn dialect -------------------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Compiler/LGNImportExport.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"

#include <algorithm>
#include <map>
#include <tuple>

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
  // Shared blocks: one lgn.conv per output channel (all reading the block's
  // whole input), or one lgn.or_pool; their results are the next nodes.
  for (const SharedBlock &blk : net.blocks) {
    SmallVector<Value> in(nodes.begin() + blk.input,
                          nodes.begin() + blk.input + blk.inputSize());
    auto i32 = [&](uint32_t v) { return b.getI32IntegerAttr(int32_t(v)); };
    if (blk.kind == SharedBlock::OrPool) {
      auto pool = b.create<OrPoolOp>(
          loc, SmallVector<Type>(blk.numOutputs(), b.getI1Type()), in,
          i32(blk.channels), i32(blk.height), i32(blk.width), i32(blk.kernel),
          i32(blk.stride), i32(blk.padding));
      nodes.insert(nodes.end(), pool.getResults().begin(),
                   pool.getResults().end());
      continue;
    }
    size_t positions = size_t(blk.outHeight()) * blk.outWidth();
    for (uint32_t o = 0; o < blk.outChannels; ++o) {
      SmallVector<int32_t> leaves;
      for (uint32_t l = 0; l < blk.leaves; ++l) {
        const TreeLeaf &f = blk.leaf[size_t(o) * blk.leaves + l];
        leaves.append({int32_t(f.c), int32_t(f.dy), int32_t(f.dx)});
      }
      auto conv = b.create<ConvOp>(
          loc, SmallVector<Type>(positions, b.getI1Type()), in,
          i32(blk.channels), i32(blk.height), i32(blk.width), i32(blk.kernel),
          i32(blk.stride), i32(blk.padding), b.getDenseI32ArrayAttr(leaves));
      Block *tree = new Block();
      conv.getBody().push_back(tree);
      tree->addArguments(SmallVector<Type>(blk.leaves, b.getI1Type()),
                         SmallVector<Location>(blk.leaves, loc));
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToEnd(tree);
      SmallVector<Value> local(tree->getArguments().begin(),
                               tree->getArguments().end());
      for (uint32_t j = 0; j + 1 < blk.leaves; ++j) {
        const Gate &g = blk.tree[size_t(o) * (blk.leaves - 1) + j];
        local.push_back(b.create<GateOp>(
            loc, static_cast<lgn::GateKind>(g.kind), local[g.a], local[g.b]));
      }
      b.create<YieldOp>(loc, local.back());
      nodes.insert(nodes.end(), conv.getResults().begin(),
                   conv.getResults().end());
    }
  }
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

/// A conv's body in the format's form, before padding: its leaves, then
/// gates over local ids (the leaves first), the last gate its output.
/// Folding leaves bodies the format has no words for: a constant, a single
/// leaf, an output that is no last gate. A constant becomes a gate of the
/// constant function on leaf 0 (a copy of some leaf, or of channel 0 at the
/// window's corner where the tree reads none); an output that is a leaf, a
/// constant or an earlier gate gets a pass-through gate (`a`) of its own.
static LogicalResult treeForm(ConvOp conv, std::vector<TreeLeaf> &leaf,
                              std::vector<Gate> &tree) {
  Block &body = conv.getBodyBlock();
  ArrayRef<int32_t> coords = conv.getLeaves();
  leaf.clear();
  tree.clear();
  for (uint32_t l = 0; l < body.getNumArguments(); ++l)
    leaf.push_back(TreeLeaf{uint32_t(coords[3 * l]),
                            uint32_t(coords[3 * l + 1]),
                            uint32_t(coords[3 * l + 2])});
  // Gate ids are fixed once every leaf is known: record them as offsets
  // past the leaves, and the leaves' own ids as they are.
  constexpr uint32_t kGateBit = 1u << 31;
  if (leaf.empty())
    leaf.push_back(TreeLeaf{0, 0, 0});
  llvm::DenseMap<Value, uint32_t> local;
  for (BlockArgument arg : body.getArguments())
    local[arg] = arg.getArgNumber();
  llvm::DenseMap<Value, bool> constants;
  auto idOf = [&](Value v) {
    if (auto it = local.find(v); it != local.end())
      return it->second;
    // A constant: a gate of the constant function, once.
    tree.push_back(Gate{uint8_t(constants.lookup(v) ? 15 : 0), 0, 0});
    return local[v] = kGateBit | uint32_t(tree.size() - 1);
  };
  for (Operation &inner : body.without_terminator()) {
    if (auto constant = dyn_cast<ConstantOp>(inner)) {
      constants[constant.getResult()] = constant.getValue();
      continue;
    }
    auto gate = dyn_cast<GateOp>(inner);
    if (!gate)
      return conv.emitOpError("cannot be written to .lgn: its tree holds '")
             << inner.getName() << "'";
    uint32_t a = idOf(gate.getLhs()), b = idOf(gate.getRhs());
    tree.push_back(Gate{uint8_t(gate.getTable()), a, b});
    local[gate.getResult()] = kGateBit | uint32_t(tree.size() - 1);
  }
  uint32_t out = idOf(conv.getYieldOp().getResult());
  if (out != (kGateBit | uint32_t(tree.size() - 1)))
    tree.push_back(Gate{uint8_t(lgn::GateKind::A), out, out});
  // Now the leaves are all known: gate g is node leaves + g.
  auto resolve = [&](uint32_t id) {
    return id & kGateBit ? uint32_t(leaf.size()) + (id & ~kGateBit) : id;
  };
  for (Gate &g : tree) {
    g.a = resolve(g.a);
    g.b = resolve(g.b);
  }
  return success();
}

/// Pads a tree form to `leaves` leaves and `leaves - 1` gates (leaves >=
/// both sizes it has): copies of leaf 0 that nothing reads, and
/// pass-through gates after the output. Local ids of gates move with the
/// leaves added before them.
static void padTree(std::vector<TreeLeaf> &leaf, std::vector<Gate> &tree,
                    uint32_t leaves) {
  uint32_t added = leaves - uint32_t(leaf.size());
  uint32_t oldLeaves = uint32_t(leaf.size());
  for (Gate &g : tree) {
    if (g.a >= oldLeaves)
      g.a += added;
    if (g.b >= oldLeaves)
      g.b += added;
  }
  leaf.resize(leaves, leaf.front());
  while (tree.size() + 1 < leaves) {
    uint32_t last = leaves + uint32_t(tree.size()) - 1;
    tree.push_back(Gate{uint8_t(lgn::GateKind::A), last, last});
  }
}

/// The leaves each conv's tree is padded to: the most any conv reading the
/// same operands with the same geometry needs (at least 2), so that a
/// layer's channels stay one block.
static llvm::DenseMap<Operation *, uint32_t> treeSizes(Block &body) {
  using Key = std::tuple<const void *, int32_t, int32_t, int32_t, int32_t,
                         int32_t, int32_t>;
  std::map<Key, uint32_t> most;
  llvm::DenseMap<Operation *, Key> keys;
  std::vector<TreeLeaf> leaf;
  std::vector<Gate> tree;
  for (Operation &op : body.without_terminator()) {
    auto conv = dyn_cast<ConvOp>(op);
    // A body the writer refuses is reported once, when it is written.
    if (!conv || !llvm::all_of(conv.getBodyBlock().without_terminator(),
                               [](Operation &inner) {
                                 return isa<GateOp, ConstantOp>(inner);
                               }))
      continue;
    if (failed(treeForm(conv, leaf, tree)))
      continue;
    Key key{conv->getOperand(0).getAsOpaquePointer(),
            int32_t(conv.getChannels()),
            int32_t(conv.getHeight()),
            int32_t(conv.getWidth()),
            int32_t(conv.getKernel()),
            int32_t(conv.getStride()),
            int32_t(conv.getPadding())};
    uint32_t need = std::max<uint32_t>(
        {2u, uint32_t(leaf.size()), uint32_t(tree.size()) + 1});
    uint32_t &m = most[key];
    m = std::max(m, need);
    keys[&op] = key;
  }
  llvm::DenseMap<Operation *, uint32_t> sizes;
  for (auto &[op, key] : keys)
    sizes[op] = most[key];
  return sizes;
}

/// Writes an lgn.conv or lgn.or_pool as a shared block: possible while its
/// inputs are consecutive nodes and no gate comes before it; a conv's body
/// is written as a tree of `leaves - 1` gates ending in its output, padded
/// to `treeLeaves` leaves. A conv reading the same inputs with the same
/// geometry as the block before joins it as its next output channel.
static LogicalResult exportBlock(Operation &op, Net &net,
                                 llvm::DenseMap<Value, uint32_t> &ids,
                                 uint32_t treeLeaves) {
  auto fail = [&](const Twine &why) {
    return op.emitOpError("cannot be written to .lgn: ")
           << why << "; unroll shared blocks first (--lgn-unroll-blocks)";
  };
  if (!net.gates.empty())
    return fail("shared blocks must come before every gate");
  OperandRange inputs = op.getOperands();
  auto first = ids.find(inputs[0]);
  if (first == ids.end())
    return fail("it reads a constant");
  for (auto [i, v] : llvm::enumerate(inputs)) {
    auto it = ids.find(v);
    if (it == ids.end() || it->second != first->second + i)
      return fail("its inputs are not consecutive nodes");
  }
  SharedBlock b;
  b.input = first->second;
  auto geometry = [&](auto window) {
    b.channels = window.getChannels();
    b.height = window.getHeight();
    b.width = window.getWidth();
    b.kernel = window.getKernel();
    b.stride = window.getStride();
    b.padding = window.getPadding();
  };
  uint32_t firstOutput = net.firstGateNode();
  if (auto pool = dyn_cast<OrPoolOp>(op)) {
    b.kind = SharedBlock::OrPool;
    geometry(pool);
  } else {
    auto conv = cast<ConvOp>(op);
    geometry(conv);
    b.kind = SharedBlock::Conv;
    b.outChannels = 1;
    if (failed(treeForm(conv, b.leaf, b.tree)))
      return failure();
    if (treeLeaves < b.leaf.size() || treeLeaves < b.tree.size() + 1)
      return fail("its tree does not fit " + Twine(treeLeaves) + " leaves");
    padTree(b.leaf, b.tree, treeLeaves);
    b.leaves = treeLeaves;
    // The next output channel of the block before?
    if (!net.blocks.empty()) {
      SharedBlock &prev = net.blocks.back();
      if (prev.kind == SharedBlock::Conv && prev.input == b.input &&
          prev.channels == b.channels && prev.height == b.height &&
          prev.width == b.width && prev.kernel == b.kernel &&
          prev.stride == b.stride && prev.padding == b.padding &&
          prev.leaves == b.leaves) {
        firstOutput = net.firstGateNode();
        prev.outChannels += 1;
        prev.leaf.insert(prev.leaf.end(), b.leaf.begin(), b.leaf.end());
        prev.tree.insert(prev.tree.end(), b.tree.begin(), b.tree.end());
        for (auto [i, r] : llvm::enumerate(op.getResults()))
          ids[r] = firstOutput + uint32_t(i);
        return success();
      }
    }
  }
  net.blocks.push_back(std::move(b));
  for (auto [i, r] : llvm::enumerate(op.getResults()))
    ids[r] = firstOutput + uint32_t(i);
  return success();
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

  llvm::DenseMap<Operation *, uint32_t> treeLeaves = treeSizes(body);
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
    uint32_t id = net.numNodes() - 1;
    ids[v] = id;
    return id;
  };
  for (Operation &inner : body.without_terminator()) {
    if (auto constant = dyn_cast<ConstantOp>(inner)) {
      pendingConstants[constant.getResult()] = constant.getValue();
      continue;
    }
    if (isa<ConvOp, OrPoolOp>(inner)) {
      if (failed(exportBlock(inner, net, ids, treeLeaves.lookup(&inner))))
        return failure();
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
    ids[gate.getResult()] = net.numNodes() - 1;
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
