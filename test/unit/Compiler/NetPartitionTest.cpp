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

#include <map>
#include <set>

using namespace lgc;

namespace {

struct Lifetime {
  size_t def, lastUse;
};

void checkPartition(lgn::NetOp net, unsigned perFunction, unsigned window) {
  NetPartition p(net, perFunction, window);
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
  for (auto &[slot, lives] : bySlot) {
    std::sort(
        lives.begin(), lives.end(),
        [](const Lifetime &a, const Lifetime &b) { return a.def < b.def; });
    // A value is stored at its definition and read until its last use; the
    // next owner of the slot may only be stored after that.
    for (size_t i = 1; i < lives.size(); ++i)
      EXPECT_GT(lives[i].def, lives[i - 1].lastUse)
          << "slot " << slot << " is shared by overlapping values";
  }
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

} // namespace
