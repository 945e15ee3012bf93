//===- NetPartitionTest.cpp - Functions, homes and scratch slot reuse -----===//
//
// Part of lgc. The partition behind every gate lowering must give a home to
// each value read outside its function or beyond the register window, and
// may share a scratch slot only between values whose lifetimes do not
// overlap. Both are checked directly on random nets, for many windows and
// function sizes, and reuse is checked to actually shrink the scratch.
//
//===----------------------------------------------------------------------===//

#include "ConvNets.h"
#include "lgc/Compiler/LGNImportExport.h"
#include "lgc/Conversion/GateLowering.h"
#include "lgc/Runtime/Ensemble.h"
#include "lgc/Runtime/Generate.h"

#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>

using namespace lgc;

namespace {

struct Lifetime {
  size_t def, lastUse;
};

/// A value is stored at its definition and read until its last use; the
/// next owner of its slot may only be stored after that.
void expectSlotsNotShared(std::map<int64_t, std::vector<Lifetime>> &bySlot) {
  for (auto &[slot, lives] : bySlot) {
    std::sort(
        lives.begin(), lives.end(),
        [](const Lifetime &a, const Lifetime &b) { return a.def < b.def; });
    for (size_t i = 1; i < lives.size(); ++i)
      EXPECT_GT(lives[i].def, lives[i - 1].lastUse)
          << "slot " << slot << " is shared by overlapping values";
  }
}

/// A random net of four layers of 400 gates over 100 inputs, four classes.
mlir::OwningOpRef<mlir::ModuleOp> wideNet(mlir::MLIRContext &context,
                                          uint64_t seed, double pass = -1) {
  GenerateOptions g;
  g.inputs = 100;
  g.widths = {400, 400, 400, 400};
  g.classes = 4;
  if (pass >= 0)
    g.passThroughShare = pass;
  g.seed = seed;
  Net net;
  EXPECT_TRUE(generateNet(g, net).ok());
  return importNet(net, &context);
}

void checkPartition(lgn::NetOp net, unsigned perFunction, unsigned window,
                    unsigned locality = kDefaultGpuOutputLocality) {
  NetPartition p(net, perFunction, window, /*partGates=*/0,
                 /*countInCode=*/false, /*frameInputs=*/false, locality);
  llvm::DenseMap<mlir::Operation *, size_t> position;
  size_t at = 0;
  for (unsigned k = 0; k < p.numChunks(); ++k) {
    EXPECT_EQ(p.chunkStart(k), at);
    EXPECT_LE(p.chunk(k).size(), perFunction);
    for (lgn::GateOp gate : p.chunk(k))
      position[gate] = at++;
  }
  EXPECT_EQ(at, p.numGates());

  constexpr size_t kEnd = ~size_t(0);
  std::map<int64_t, std::vector<Lifetime>> bySlot;
  for (auto [op, def] : position) {
    auto gate = mlir::cast<lgn::GateOp>(op);
    std::optional<ValueHome> home = p.home(gate.getResult());
    size_t last = def;
    for (mlir::Operation *user : gate->getUsers()) {
      if (mlir::isa<lgn::OutputOp>(user)) {
        EXPECT_TRUE(home) << "an output bit needs a home";
        last = kEnd;
        continue;
      }
      auto it = position.find(user);
      if (it == position.end())
        continue;
      size_t use = it->second;
      EXPECT_LT(def, use) << "a gate is evaluated before its users";
      if (use / perFunction != def / perFunction || use - def > window)
        EXPECT_TRUE(home) << "a value read at " << use << " from " << def;
      if (last != kEnd)
        last = std::max(last, use);
    }
    if (home) {
      ASSERT_EQ(home->kind, ValueHome::Scratch);
      ASSERT_LT(home->index, p.numScratchSlots());
      bySlot[home->index].push_back({def, last});
    }
  }
  expectSlotsNotShared(bySlot);
}

TEST(NetPartition, HomesAndSlotLifetimes) {
  mlir::MLIRContext context;
  for (uint64_t seed : {1, 2, 3}) {
    GenerateOptions g;
    g.inputs = 50;
    g.widths = {300, 200, 200, 60};
    g.classes = 3;
    g.passThroughShare = 0.3;
    g.seed = seed;
    Net net;
    ASSERT_TRUE(generateNet(g, net).ok());
    auto module = importNet(net, &context);
    ASSERT_TRUE(module);
    lgn::NetOp op = *module->getOps<lgn::NetOp>().begin();
    for (unsigned window :
         {0u, 1u, 7u, kDefaultRegisterWindow, kUnlimitedWindow})
      for (unsigned perFunction : {1u, 50u, 100000u}) {
        SCOPED_TRACE("seed " + std::to_string(seed) + " window " +
                     std::to_string(window) + " per " +
                     std::to_string(perFunction));
        checkPartition(op, perFunction, window);
      }
  }
}

TEST(NetPartition, SlotsAreReused) {
  // A deep, narrow net: a one-slot-per-value scheme would need about as
  // many slots as gates; with reuse, about one layer's worth.
  mlir::MLIRContext context;
  GenerateOptions g;
  g.inputs = 64;
  g.widths = std::vector<uint32_t>(20, 64);
  g.classes = 2;
  g.connections = Connections::Unique;
  Net net;
  ASSERT_TRUE(generateNet(g, net).ok());
  auto module = importNet(net, &context);
  lgn::NetOp op = *module->getOps<lgn::NetOp>().begin();
  NetPartition p(op, /*gatesPerFunction=*/1, /*window=*/0);
  EXPECT_GT(p.numGates(), 1000u);
  EXPECT_LT(p.numScratchSlots(), int64_t(p.numGates()) / 4);
  EXPECT_GE(p.numScratchSlots(), 64) << "the outputs alone need 64";
}

TEST(NetPartition, EnsemblesSplitIntoParts) {
  // Three conv nets side by side (lgn-ensemble's layout): each class group
  // holds the first net's 20 outputs, then the second's, then the third's;
  // each net is one group of connected gates and blocks (the dense gates
  // all hang off the pool).
  mlir::MLIRContext context;
  // The modules the partitions point into (destroyed before the context).
  std::vector<mlir::OwningOpRef<mlir::ModuleOp>> modules;
  const test::ConvNetSpec spec = test::convNetSpecs()[0];
  std::vector<Net> members;
  for (uint64_t seed : {1, 2, 3})
    members.push_back(test::randomConvNet(spec, seed));
  Net net;
  ASSERT_TRUE(ensembleNets(members, net).ok());
  const unsigned C = net.numClasses;
  ASSERT_EQ(net.groupSize(), 60u);
  auto partition = [&](const Net &n, unsigned partGates) {
    auto module = importNet(n, &context);
    EXPECT_TRUE(module);
    modules.push_back(std::move(module));
    return std::make_unique<NetPartition>(
        *modules.back()->getOps<lgn::NetOp>().begin(), 100,
        kDefaultRegisterWindow, partGates);
  };
  auto ends = [&](const NetPartition &p) {
    return std::vector<int32_t>(p.partOutputEnds().begin(),
                                p.partOutputEnds().end());
  };

  auto whole = partition(net, 0);
  EXPECT_EQ(whole->numParts(), 1u);
  auto parts = partition(net, 1);
  ASSERT_EQ(parts->numParts(), 3u);
  std::vector<int32_t> want;
  for (int32_t end : {20, 40, 60})
    want.insert(want.end(), C, end);
  EXPECT_EQ(ends(*parts), want);
  // Every gate and block is in one part, the parts in order.
  EXPECT_EQ(parts->numGates(), whole->numGates());
  EXPECT_EQ(parts->blocks().size(), whole->blocks().size());
  EXPECT_EQ(parts->partChunks(0), 0u);
  EXPECT_EQ(parts->partBlocks(0), 0u);
  for (unsigned k = 0; k < 3; ++k) {
    EXPECT_LT(parts->partChunks(k), parts->partChunks(k + 1));
    EXPECT_LT(parts->partBlocks(k), parts->partBlocks(k + 1));
  }
  // The next part reuses the scratch of the one before.
  EXPECT_LT(parts->numScratchSlots(), whole->numScratchSlots() / 2);
  // Parts of at least two nets' size: the last joins the one before.
  uint64_t size = 0;
  for (const SharedBlock &b : members[0].blocks)
    size += b.numOutputs();
  size += members[0].gates.size();
  auto joined = partition(net, unsigned(size + 1));
  EXPECT_EQ(joined->numParts(), 1u);
  auto halves = partition(net, unsigned(size / 2));
  EXPECT_EQ(halves->numParts(), 3u);

  // A class whose group puts an output of the second net first: the first
  // two nets are one part.
  Net mixed = net;
  std::swap(mixed.outputs[0], mixed.outputs[25]);
  auto swapped = partition(mixed, 1);
  ASSERT_EQ(swapped->numParts(), 2u);
  want.assign(C, 40);
  want.insert(want.end(), C, 60);
  EXPECT_EQ(ends(*swapped), want);
}

TEST(NetPartition, InputsFramedForPaddedBlocks) {
  // A block that reads every input, in order, as a padded image frames the
  // inputs (GeneratedABI.h, kInputFrameHeight): input i's home is its slot
  // in the frame, and the blocks reading that image read it in place.
  mlir::MLIRContext context;
  std::vector<mlir::OwningOpRef<mlir::ModuleOp>> modules;
  auto partition = [&](const Net &n, bool frameInputs, unsigned partGates) {
    auto module = importNet(n, &context);
    EXPECT_TRUE(module);
    modules.push_back(std::move(module));
    lgn::NetOp op = *modules.back()->getOps<lgn::NetOp>().begin();
    return std::make_unique<NetPartition>(op, 100, kDefaultRegisterWindow,
                                          partGates, false, frameInputs);
  };
  auto args = [&] {
    lgn::NetOp op = *modules.back()->getOps<lgn::NetOp>().begin();
    return op.getBodyBlock().getArguments();
  };
  // 8 x 8, two levels, a conv padding 1: frames of 10 x 10 per level.
  const test::ConvNetSpec padded = test::convNetSpecs()[0];
  Net net = test::randomConvNet(padded, 3);
  auto framed = partition(net, true, 0);
  EXPECT_EQ(framed->inputFrame().height, 8);
  EXPECT_EQ(framed->inputFrame().width, 8);
  EXPECT_EQ(framed->inputFrame().padding, 1);
  for (mlir::BlockArgument arg : args()) {
    unsigned i = arg.getArgNumber();
    std::optional<ValueHome> home = framed->home(arg);
    ASSERT_TRUE(home);
    EXPECT_EQ(home->kind, ValueHome::Input);
    EXPECT_EQ(home->index,
              int64_t(i / 64 * 100 + (i % 64 / 8 + 1) * 10 + i % 8 + 1))
        << "input " << i;
  }
  ASSERT_FALSE(framed->blocks().empty());
  const BlockPlan &first = framed->blocks()[0];
  EXPECT_FALSE(first.gathered);
  EXPECT_EQ(first.sourceKind, ValueHome::Input);
  EXPECT_EQ(first.sourceBase, 0);
  EXPECT_EQ(first.rowStride, 10);
  EXPECT_EQ(first.planeStride, 100);
  // Without: the inputs where they were, the block copies them into a frame
  // in scratch, which the framed plan saves.
  auto plain = partition(net, false, 0);
  EXPECT_EQ(plain->inputFrame().height, 0);
  for (mlir::BlockArgument arg : args())
    EXPECT_EQ(plain->home(arg)->index, int64_t(arg.getArgNumber()));
  EXPECT_TRUE(plain->blocks()[0].gathered);
  EXPECT_EQ(plain->blocks()[0].sourceKind, ValueHome::Scratch);
  EXPECT_EQ(framed->numScratchSlots() + 2 * 100, plain->numScratchSlots());

  // No block pads the inputs: nothing to frame.
  auto unpadded =
      partition(test::randomConvNet(test::convNetSpecs()[1], 4), true, 0);
  EXPECT_EQ(unpadded->inputFrame().height, 0);

  // An ensemble of a member padding 1 and one padding 0 over the same
  // image, a part each: the first frames the inputs, the second reads
  // inside the frame, one row and one column in.
  test::ConvNetSpec inner = padded;
  inner.arch = "conv(3,k=3,p=0,d=2) pool(2) dense(60)";
  Net both;
  ASSERT_TRUE(ensembleNets({net, test::randomConvNet(inner, 5)}, both).ok());
  auto parts = partition(both, true, 1);
  ASSERT_EQ(parts->numParts(), 2u);
  EXPECT_EQ(parts->inputFrame().padding, 1);
  const BlockPlan &second = parts->blocks()[parts->partBlocks(1)];
  EXPECT_FALSE(second.gathered);
  EXPECT_EQ(second.sourceKind, ValueHome::Input);
  EXPECT_EQ(second.sourceBase, 11);
  EXPECT_EQ(second.rowStride, 10);
  EXPECT_EQ(second.planeStride, 100);

  // The other way round, and a member padding 2 besides: the frame takes
  // the widest padding, so that every member reads inside it.
  test::ConvNetSpec wide = padded;
  wide.arch = "conv(3,k=3,p=2,d=2) pool(2) dense(60)";
  Net three;
  ASSERT_TRUE(ensembleNets({test::randomConvNet(inner, 6), net,
                            test::randomConvNet(wide, 7)},
                           three)
                  .ok());
  auto widest = partition(three, true, 1);
  ASSERT_EQ(widest->numParts(), 3u);
  EXPECT_EQ(widest->inputFrame().padding, 2);
  int64_t insets[] = {2, 1, 0};
  for (unsigned part = 0; part < 3; ++part) {
    const BlockPlan &plan = widest->blocks()[widest->partBlocks(part)];
    EXPECT_FALSE(plan.gathered) << "part " << part;
    EXPECT_EQ(plan.sourceKind, ValueHome::Input);
    EXPECT_EQ(plan.rowStride, 12);
    EXPECT_EQ(plan.planeStride, 144);
    EXPECT_EQ(plan.sourceBase, insets[part] * 12 + insets[part])
        << "part " << part;
  }
}

} // namespace

/// The position of each output's gate in the partition's order of gates.
static std::vector<size_t> outputPositions(lgn::NetOp net,
                                           const NetPartition &p) {
  llvm::DenseMap<mlir::Operation *, size_t> position;
  size_t at = 0;
  for (unsigned k = 0; k < p.numChunks(); ++k)
    for (lgn::GateOp gate : p.chunk(k))
      position[gate] = at++;
  std::vector<size_t> result;
  for (mlir::Value bit : net.getOutputOp().getBits())
    result.push_back(position.lookup(bit.getDefiningOp()));
  return result;
}

TEST(NetPartition, OutputsSharingGatesAreVisitedTogether) {
  // One class of four outputs: 0 and 2 read gate a, 1 and 3 gate b. In
  // output order, a's readers are two outputs apart; with locality, output
  // 2 follows output 0 (a, made for output 0, is in its cone at depth 1).
  Net net;
  net.numInputs = 4;
  net.numClasses = 1;
  auto gate = [&](unsigned kind, uint32_t a, uint32_t b) {
    Gate g;
    g.kind = kind;
    g.a = a;
    g.b = b;
    net.gates.push_back(g);
    return net.numInputs + uint32_t(net.gates.size()) - 1;
  };
  uint32_t a = gate(1, 0, 1), b = gate(6, 2, 3);
  uint32_t o0 = gate(7, a, 2), o1 = gate(1, b, 0), o2 = gate(6, a, 3),
           o3 = gate(7, b, 1);
  net.outputs = {o0, o1, o2, o3};
  mlir::MLIRContext context;
  auto module = importNet(net, &context);
  ASSERT_TRUE(module);
  lgn::NetOp op = *module->getOps<lgn::NetOp>().begin();
  for (bool count : {false, true}) {
    NetPartition inOrder(op, 100, kUnlimitedWindow, 0, count, false,
                         /*outputLocality=*/0);
    std::vector<size_t> at = outputPositions(op, inOrder);
    EXPECT_LT(at[0], at[1]);
    EXPECT_LT(at[1], at[2]);
    EXPECT_LT(at[2], at[3]);
    NetPartition local(op, 100, kUnlimitedWindow, 0, count, false,
                       /*outputLocality=*/1);
    at = outputPositions(op, local);
    EXPECT_LT(at[0], at[2]);
    EXPECT_LT(at[2], at[1]);
    EXPECT_LT(at[1], at[3]);
    // Counting in code counts them in the order they were visited.
    if (count) {
      auto events = local.countEvents(0);
      ASSERT_EQ(events.size(), 4u);
      auto bits = op.getOutputOp().getBits();
      EXPECT_EQ(events[0].bit, bits[0]);
      EXPECT_EQ(events[1].bit, bits[2]);
      EXPECT_EQ(events[2].bit, bits[1]);
      EXPECT_EQ(events[3].bit, bits[3]);
    }
  }
}

TEST(NetPartition, LocalityLeavesFewerValuesCrossingFunctions) {
  // On random nets, visiting outputs that share gates together leaves
  // fewer values read outside the function that made them, and every
  // invariant of the partition holds in either order.
  mlir::MLIRContext context;
  for (uint64_t seed : {1, 2}) {
    auto module = wideNet(context, seed);
    ASSERT_TRUE(module);
    lgn::NetOp op = *module->getOps<lgn::NetOp>().begin();
    auto homes = [&](unsigned locality) {
      NetPartition p(op, 100, kUnlimitedWindow, 0, /*countInCode=*/true, false,
                     locality);
      size_t n = 0;
      for (unsigned k = 0; k < p.numChunks(); ++k)
        for (lgn::GateOp gate : p.chunk(k))
          n += p.home(gate.getResult()).has_value();
      return n;
    };
    size_t inOrder = homes(0), local = homes(kDefaultGpuOutputLocality);
    EXPECT_LT(local, inOrder) << "seed " << seed;
    for (unsigned locality : {0u, 1u, kDefaultGpuOutputLocality})
      for (unsigned perFunction : {1u, 50u, 100000u}) {
        SCOPED_TRACE("locality " + std::to_string(locality) + " per " +
                     std::to_string(perFunction));
        checkPartition(op, perFunction, kDefaultRegisterWindow, locality);
      }
  }
}

/// Replays what a function that recomputes gates reads (as the emitter
/// does: a recomputed gate at the first gate of its function that reads it,
/// its operands then) and checks that recomputing adds no load (with
/// `loadInputs`, none but inputs), that every value loaded has a home whose
/// slot no other value takes while it is still read, and that a value no
/// function loads has no home. Returns the accesses: each function's
/// distinct inputs and homes loaded, and the stores.
size_t checkRemat(lgn::NetOp net, unsigned perFunction, unsigned depth,
                  bool loadInputs, bool countInCode, size_t &recomputed) {
  NetPartition p(net, perFunction, kUnlimitedWindow, /*partGates=*/0,
                 countInCode, /*frameInputs=*/false, kDefaultGpuOutputLocality,
                 depth, loadInputs);
  llvm::DenseMap<mlir::Operation *, size_t> position;
  std::vector<unsigned> chunkAt;
  for (unsigned k = 0; k < p.numChunks(); ++k)
    for (lgn::GateOp gate : p.chunk(k)) {
      position[gate] = chunkAt.size();
      chunkAt.push_back(k);
    }
  constexpr size_t kEnd = ~size_t(0);
  // Every read of a gate's home: (value, position).
  std::map<mlir::Operation *, size_t> lastRead;
  auto readHome = [&](mlir::Operation *v, size_t at) {
    EXPECT_TRUE(p.home(v->getResult(0)))
        << "a value loaded at " << at << " needs a home";
    size_t &last = lastRead[v];
    if (last != kEnd)
      last = std::max(last, at);
  };
  size_t counted = 0, accesses = 0;
  for (unsigned k = 0; k < p.numChunks(); ++k) {
    llvm::ArrayRef<lgn::GateOp> gates = p.chunk(k);
    // What the function reads directly: the loads it has without
    // recomputing anything.
    std::set<mlir::Operation *> direct;
    llvm::DenseSet<mlir::Value> inputs;
    for (lgn::GateOp gate : gates)
      for (mlir::Value v : gate->getOperands()) {
        if (mlir::isa<mlir::BlockArgument>(v))
          inputs.insert(v);
        else if (auto g = v.getDefiningOp<lgn::GateOp>();
                 g && chunkAt[position.lookup(g)] != k)
          direct.insert(g);
      }
    std::set<mlir::Operation *> done;
    llvm::DenseSet<mlir::Value> inputsLoaded;
    std::function<void(mlir::Value, size_t, unsigned)> use =
        [&](mlir::Value v, size_t at, unsigned d) {
          auto g = v.getDefiningOp<lgn::GateOp>();
          if (!g) {
            if (mlir::isa<mlir::BlockArgument>(v)) {
              EXPECT_TRUE(loadInputs || inputs.contains(v))
                  << "recomputing loads an input";
              accesses += inputsLoaded.insert(v).second;
            }
            return;
          }
          if (chunkAt[position.lookup(g)] == k || done.count(g))
            return;
          done.insert(g);
          if (!p.recomputes(k, g)) {
            EXPECT_TRUE(direct.count(g)) << "recomputing loads a value";
            readHome(g, at);
            ++accesses;
            return;
          }
          ++counted;
          EXPECT_LT(d, depth) << "recomputed deeper than the depth";
          for (mlir::Value operand : g->getOperands())
            use(operand, at, d + 1);
        };
    for (size_t i = 0; i < gates.size(); ++i)
      for (mlir::Value v : gates[i]->getOperands())
        use(v, p.chunkStart(k) + i, 0);
  }
  recomputed += counted;
  EXPECT_EQ(counted, p.numRecomputed());
  // Counting in code, the count events read outputs: at their position,
  // as a value of that function, or from memory at the tail.
  if (countInCode)
    for (const NetPartition::CountEvent &e : p.countEvents(0))
      if (auto g = e.bit.getDefiningOp<lgn::GateOp>()) {
        size_t def = position.lookup(g);
        if (e.at == NetPartition::kCountAtTail)
          lastRead[g] = kEnd;
        else if (chunkAt[e.at] != chunkAt[def])
          readHome(g, e.at);
      }
  std::map<int64_t, std::vector<Lifetime>> bySlot;
  for (auto [op, def] : position) {
    std::optional<ValueHome> home = p.home(op->getResult(0));
    bool output = llvm::any_of(op->getUsers(), [](mlir::Operation *u) {
      return mlir::isa<lgn::OutputOp>(u);
    });
    if (output && !countInCode)
      lastRead[op] = kEnd;
    EXPECT_EQ(home.has_value(), lastRead.count(op) > 0)
        << "a value is stored exactly where something loads it";
    if (home) {
      bySlot[home->index].push_back({def, lastRead[op]});
      ++accesses;
    }
  }
  expectSlotsNotShared(bySlot);
  return accesses;
}

TEST(NetPartition, RecomputedGatesAddNoLoads) {
  // Recomputing leaves fewer values stored, at every depth, and adds no
  // load and shares no slot early.
  mlir::MLIRContext context;
  for (uint64_t seed : {1, 2}) {
    auto module = wideNet(context, seed, 0.3);
    ASSERT_TRUE(module);
    lgn::NetOp op = *module->getOps<lgn::NetOp>().begin();
    for (bool count : {false, true})
      for (unsigned perFunction : {1u, 37u, 200u}) {
        size_t homesLoaded = 0, accessesLoaded = 0;
        for (unsigned depth : {0u, 1u, 2u, 4u}) {
          SCOPED_TRACE("seed " + std::to_string(seed) + " count " +
                       std::to_string(count) + " per " +
                       std::to_string(perFunction) + " depth " +
                       std::to_string(depth));
          size_t recomputed = 0, withInputs = 0;
          size_t accesses = checkRemat(op, perFunction, depth, false, count,
                                       recomputed);
          // Loading inputs for more recomputing never costs accesses.
          size_t accessesInputs =
              checkRemat(op, perFunction, depth, true, count, withInputs);
          NetPartition p(op, perFunction, kUnlimitedWindow, 0, count, false,
                         kDefaultGpuOutputLocality, depth);
          size_t homes = 0;
          for (unsigned k = 0; k < p.numChunks(); ++k)
            for (lgn::GateOp gate : p.chunk(k))
              homes += p.home(gate.getResult()).has_value();
          if (depth == 0) {
            EXPECT_EQ(recomputed, 0u);
            EXPECT_EQ(withInputs, 0u);
            EXPECT_EQ(accessesInputs, accesses);
            homesLoaded = homes;
            accessesLoaded = accesses;
          } else if (perFunction > 1) {
            EXPECT_GT(recomputed, 0u);
            EXPECT_LT(homes, homesLoaded);
            EXPECT_LT(accesses, accessesLoaded);
            EXPECT_GT(withInputs, recomputed);
            EXPECT_LT(accessesInputs, accesses);
          }
        }
      }
  }
  // A window turns recomputing off: values leave registers.
  GenerateOptions g;
  g.inputs = 50;
  g.widths = {200, 200};
  g.classes = 2;
  Net net;
  ASSERT_TRUE(generateNet(g, net).ok());
  auto module = importNet(net, &context);
  lgn::NetOp op = *module->getOps<lgn::NetOp>().begin();
  NetPartition windowed(op, 30, kDefaultRegisterWindow, 0, false, false, 0, 2);
  EXPECT_EQ(windowed.numRecomputed(), 0u);
}
