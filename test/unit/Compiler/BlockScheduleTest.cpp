//===- BlockScheduleTest.cpp - The block kernel's schedule ----------------===//
//
// Part of lgc. The tables the block kernel runs (BlockSchedule.h), run here
// from the tables alone, phase by phase as a GPU runs them: within a phase
// the threads' reads and writes interleave in any order, so no slot may be
// written twice, or both read and written, in one phase. The host-mode
// kernel tests run a block's threads one after another, where a thread's
// write over a slot that an earlier thread of the phase read passes
// unseen; this test checks every phase's read and write sets whole, and
// that the tables compute the interpreter's class counts.
//
//===----------------------------------------------------------------------===//

#include "BlockSchedule.h"

#include "lgc/Compiler/LGNImportExport.h"
#include "lgc/Conversion/GateLowering.h"
#include "lgc/Dialect/LGN/Passes.h"
#include "lgc/Runtime/Interpreter.h"

#include "../TestUtil.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <set>

using namespace lgc;
using namespace lgc::nvvm;

namespace {

/// One slot operation of a phase: the slots it reads and writes.
struct Access {
  std::vector<uint32_t> reads, writes;
};

/// Failures of `phase`'s accesses: a slot written twice, or read and
/// written, within it.
std::string raceIn(const std::vector<Access> &phase) {
  std::set<uint32_t> read, written;
  for (const Access &a : phase)
    read.insert(a.reads.begin(), a.reads.end());
  for (const Access &a : phase)
    for (uint32_t s : a.writes) {
      if (!written.insert(s).second)
        return "slot " + std::to_string(s) + " written twice";
      if (read.count(s))
        return "slot " + std::to_string(s) + " read and written";
    }
  return {};
}

/// Bitwise: table bit 2 x + y where a = x, b = y.
uint64_t applyTable(unsigned table, uint64_t a, uint64_t b) {
  uint64_t r = 0;
  for (unsigned xy = 0; xy < 4; ++xy)
    if (table >> xy & 1)
      r |= ((xy & 2) ? a : ~a) & ((xy & 1) ? b : ~b);
  return r;
}

/// Runs `s` over the 64 samples whose input bits are `in` (input i: word
/// in[i]) with every phase's reads before its writes, checking each phase
/// for races; returns the class counts, sample-major (interpret()'s
/// layout), or an empty vector after a failed check.
std::vector<uint32_t> runSchedule(const BlockSchedule &s, unsigned classes,
                                  const std::vector<uint64_t> &in) {
  std::vector<uint64_t> slot(s.values, 0);
  slot[1] = ~uint64_t(0);
  // A phase's accesses and the (slot, value) it writes, each value made
  // from the slots as they were before the phase.
  std::vector<Access> phase;
  std::vector<std::pair<uint32_t, uint64_t>> results;
  // Checks the phase for races, then writes its results; false after a
  // race.
  auto endPhase = [&](const std::string &what) {
    std::string race = raceIn(phase);
    EXPECT_EQ(race, "") << what;
    for (auto [r, v] : results)
      slot[r] = v;
    phase.clear();
    results.clear();
    return race.empty();
  };
  // Phase 0: the inputs to their slots.
  for (size_t i = 0; i + 1 < s.inputs.size(); i += 2) {
    uint32_t input = uint32_t(s.inputs[i]), at = uint32_t(s.inputs[i + 1]);
    EXPECT_LT(at, s.values);
    EXPECT_GE(at, 2u) << "an input in a constant's slot";
    phase.push_back({{}, {at}});
    results.push_back({at, in[input]});
  }
  if (!endPhase("phase 0"))
    return {};
  // Levels: each entry's result from its slots' values before the level.
  for (unsigned l = 1; l <= s.levels(); ++l) {
    for (int32_t e = s.levelStarts[l - 1]; e < s.levelStarts[l]; ++e) {
      uint64_t g = uint64_t(s.gates[e]);
      uint32_t a = g & 0xffff, b = g >> 16 & 0xffff, r = g >> 32 & 0xffff;
      phase.push_back({{a, b}, {r}});
      results.push_back({r, applyTable(g >> 48 & 0xf, slot[a], slot[b])});
    }
    for (unsigned k = 1; k <= 2; ++k) {
      const std::vector<int32_t> &starts = s.treeStarts[k - 1];
      if (l >= starts.size())
        continue;
      for (int32_t e = starts[l - 1]; e < starts[l]; ++e) {
        uint64_t g = uint64_t(s.trees[k - 1][2 * e]),
                 more = uint64_t(s.trees[k - 1][2 * e + 1]);
        uint32_t leaf[4] = {uint32_t(g & 0xffff), uint32_t(g >> 16 & 0xffff),
                            uint32_t(more & 0xffff),
                            uint32_t(more >> 16 & 0xffff)};
        uint32_t r = g >> 32 & 0xffff;
        unsigned root = g >> 48 & 0xf, first = g >> 52 & 0xf,
                 second = g >> 56 & 0xf;
        uint64_t fa = applyTable(first, slot[leaf[0]], slot[leaf[1]]);
        uint64_t fb = k == 2 ? applyTable(second, slot[leaf[2]], slot[leaf[3]])
                             : slot[leaf[2]];
        Access access{{leaf[0], leaf[1], leaf[2]}, {r}};
        if (k == 2)
          access.reads.push_back(leaf[3]);
        phase.push_back(access);
        results.push_back({r, applyTable(root, fa, fb)});
      }
    }
    if (!endPhase("level " + std::to_string(l)))
      return {};
  }
  // The count's reductions, each a phase.
  std::vector<std::vector<uint32_t>> counts;
  for (const BlockSchedule::Reduction &red : s.reductions) {
    counts.assign(size_t(classes) * red.groups, std::vector<uint32_t>(64, 0));
    for (size_t cg = 0; cg < counts.size(); ++cg) {
      Access access;
      for (unsigned i = 0; i < red.F; ++i)
        for (unsigned w = 0; w < red.kIn; ++w) {
          uint32_t at = uint32_t(red.in[(cg * red.F + i) * red.kIn + w]);
          access.reads.push_back(at);
          for (unsigned sample = 0; sample < 64; ++sample)
            counts[cg][sample] += uint32_t(slot[at] >> sample & 1) << w;
        }
      if (!red.ones.empty())
        for (uint32_t &c : counts[cg])
          c += uint32_t(red.ones[cg]);
      for (unsigned w = 0; w < red.kOut; ++w) {
        uint32_t at = uint32_t(red.out[cg * red.kOut + w]);
        access.writes.push_back(at);
        uint64_t plane = 0;
        for (unsigned sample = 0; sample < 64; ++sample) {
          EXPECT_LT(counts[cg][sample], 1u << red.kOut) << "count overflows";
          plane |= uint64_t(counts[cg][sample] >> w & 1) << sample;
        }
        results.push_back({at, plane});
      }
      phase.push_back(access);
    }
    if (!endPhase("reduction"))
      return {};
  }
  EXPECT_EQ(counts.size(), size_t(classes)) << "the last reduction's groups";
  std::vector<uint32_t> out(64 * classes);
  for (unsigned c = 0; c < classes && c < counts.size(); ++c)
    for (unsigned sample = 0; sample < 64; ++sample)
      out[sample * classes + c] = counts[c][sample];
  return out;
}

/// Rounds of `round` entries the schedule's levels take, each kind of
/// entry a loop of its own.
size_t rounds(const BlockSchedule &s, unsigned round) {
  size_t n = 0;
  auto add = [&](const std::vector<int32_t> &starts) {
    for (size_t l = 1; l < starts.size(); ++l)
      n += (size_t(starts[l] - starts[l - 1]) + round - 1) / round;
  };
  add(s.levelStarts);
  add(s.treeStarts[0]);
  add(s.treeStarts[1]);
  return n;
}

/// `net` optimised as lgc optimises it (constant outputs among them) into
/// `module`, and its gates in the thread kernel's order (functions of
/// `gatesPerFunction` gates), as the lowering takes them; empty after a
/// failure.
std::vector<lgn::GateOp>
optimisedGates(const Net &net, mlir::MLIRContext &context,
               mlir::OwningOpRef<mlir::ModuleOp> &module,
               unsigned gatesPerFunction) {
  module = importNet(net, &context);
  if (!module) {
    ADD_FAILURE() << "the net does not import";
    return {};
  }
  mlir::PassManager pm(&context);
  lgn::buildDefaultPipeline(pm, lgn::PipelineOptions());
  if (mlir::failed(pm.run(*module))) {
    ADD_FAILURE() << "the pipeline fails";
    return {};
  }
  lgn::NetOp op = *module->getOps<lgn::NetOp>().begin();
  NetPartition partition(op, gatesPerFunction, /*window=*/48);
  std::vector<lgn::GateOp> order;
  for (unsigned k = 0; k < partition.numChunks(); ++k)
    llvm::append_range(order, partition.chunk(k));
  return order;
}

struct ScheduleCase {
  unsigned B, U, S, banks;
  bool spread, fuse, runs, fresh;
};

/// A test net imported and optimised, its gates in the lowering's order
/// (empty after a failure), 64 random samples (`seed`) and the
/// interpreter's class counts of them.
struct ScheduledNet {
  ScheduledNet(const Net &net, unsigned gatesPerFunction, uint64_t seed)
      : order(optimisedGates(net, context, module, gatesPerFunction)),
        words(test::randomWords(net.numInputs, 64, seed)),
        want(64 * net.numClasses) {
    if (!order.empty())
      op = *module->getOps<lgn::NetOp>().begin();
    std::vector<uint32_t> classes(64);
    interpret(net, words.data(), 64, want.data(), classes.data());
  }
  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::vector<lgn::GateOp> order;
  lgn::NetOp op;
  std::vector<uint64_t> words;
  std::vector<uint32_t> want;
};

TEST(BlockSchedule, PhasesAreRaceFreeAndCountAsTheInterpreter) {
  const ScheduleCase cases[] = {
      {256, 4, 1, kBankPairs, true, false, false, false},
      {256, 4, 1, kBankPairs, true, false, false, true},
      {256, 4, 1, kBankPairs, false, false, false, false},
      {256, 4, 2, kBankPairs, true, false, false, true},
      {256, 2, 4, kBankPairs, true, false, false, false},
      {1024, 4, 1, kBanks, true, false, false, true},
      {33, 3, 1, kBankPairs, true, false, false, false},
      {256, 4, 1, kBankPairs, true, true, false, false},
      {256, 4, 1, kBankPairs, true, true, false, true},
      {128, 4, 1, kBankPairs, true, false, true, false},
      // Rounds of a few dozen entries, several to a level.
      {32, 1, 1, kBanks, true, false, false, false},
      {64, 2, 2, kBankPairs, true, false, false, true},
      {32, 2, 1, kBankPairs, true, true, false, false},
  };
  // Cases whose balanced levels take fewer rounds than the earliest ones.
  unsigned balancedFewer = 0;
  for (uint64_t seed : {1, 2, 3}) {
    Net net = test::randomNet(96, {300, 200, 100}, 5, 0.3, seed);
    ScheduledNet t(net, /*gatesPerFunction=*/200, seed);
    ASSERT_FALSE(t.order.empty());
    lgn::NetOp op = t.op;
    const std::vector<lgn::GateOp> &order = t.order;
    const std::vector<uint64_t> &words = t.words;
    const std::vector<uint32_t> &want = t.want;
    for (const ScheduleCase &c : cases) {
      SCOPED_TRACE("seed " + std::to_string(seed) + " B " +
                   std::to_string(c.B) + " U " + std::to_string(c.U) + " S " +
                   std::to_string(c.S) + " banks " + std::to_string(c.banks) +
                   (c.spread ? " spread" : "") + (c.fuse ? " fuse" : "") +
                   (c.runs ? " runs" : "") + (c.fresh ? " fresh" : ""));
      // Each gate at the level after its operands', and the levels filled
      // to the kernel's rounds (B / S threads, U entries each).
      unsigned round = c.B / c.S * c.U;
      unsigned fresh = c.fresh ? unsigned(kMaxBlockSlots) : 0;
      BlockSchedule early = scheduleBlocks(op, order, c.B, c.U, c.S, c.spread,
                                           c.banks, c.fuse, c.runs, fresh,
                                           /*roundGates=*/0);
      BlockSchedule s = scheduleBlocks(op, order, c.B, c.U, c.S, c.spread,
                                       c.banks, c.fuse, c.runs, fresh, round);
      for (const BlockSchedule *x : {&early, &s}) {
        SCOPED_TRACE(x == &s ? "balanced" : "as early as possible");
        EXPECT_GT(x->levels(), 0u);
        if (c.fuse)
          EXPECT_FALSE(x->trees[0].empty() && x->trees[1].empty())
              << "nothing fused";
        EXPECT_EQ(runSchedule(*x, net.numClasses, words), want);
      }
      // The same phases, no more rounds, and no more values live at once
      // (without fresh slots, which may add a few for their banks).
      EXPECT_EQ(s.levels(), early.levels());
      EXPECT_LE(rounds(s, round), rounds(early, round));
      if (!c.fresh)
        EXPECT_LE(s.values, early.values);
      balancedFewer += rounds(s, round) < rounds(early, round);
      BlockSchedule plain = scheduleBlocks(op, order, c.B, c.U, c.S, c.spread,
                                           c.banks, c.fuse, c.runs, 0, round);
      // Fresh slots only below their cap: a cap at or above the slots of
      // the schedule without them is never passed, and the schedule stays
      // race-free and exact.
      if (c.fresh) {
        for (unsigned extra : {0u, 1u, 5u, 40u}) {
          unsigned cap = plain.values + extra;
          BlockSchedule capped =
              scheduleBlocks(op, order, c.B, c.U, c.S, c.spread, c.banks,
                             c.fuse, c.runs, cap, round);
          EXPECT_LE(capped.values, cap) << "cap " << cap;
          EXPECT_LE(capped.values, s.values) << "cap " << cap;
          EXPECT_EQ(runSchedule(capped, net.numClasses, words), want);
        }
      }
    }
  }
  // Rounds of 32 to 4,096 entries over levels of a few hundred gates or
  // less: the small rounds leave partly filled ones to spare.
  EXPECT_GT(balancedFewer, 0u);
}

// The levels for a round are the same whatever the words' width (the
// banks) and their interleaving: the lowering chooses the words from a
// first schedule (a 64-bit word a thread) and schedules again for them,
// relying on the slots staying those it chose by. A net whose first level
// is filled from gates that read inputs only, whose banks the fill
// balances.
TEST(BlockSchedule, FilledLevelsDoNotDependOnTheWords) {
  for (uint64_t seed : {1, 2}) {
    Net net = test::randomNet(784, {2000, 2000, 2000}, 10, 0.45, seed);
    mlir::MLIRContext context;
    mlir::OwningOpRef<mlir::ModuleOp> module;
    std::vector<lgn::GateOp> order =
        optimisedGates(net, context, module, /*gatesPerFunction=*/1000);
    ASSERT_FALSE(order.empty());
    lgn::NetOp op = *module->getOps<lgn::NetOp>().begin();
    // Rounds of 256: a block of 256 threads at a gate a round, or of 512
    // in two interleaved words.
    BlockSchedule first = scheduleBlocks(op, order, 256, 1, 1, true, kBankPairs,
                                         false, false, 0, 256);
    BlockSchedule early = scheduleBlocks(op, order, 256, 1, 1, true, kBankPairs,
                                         false, false, 0, 0);
    EXPECT_LT(rounds(first, 256), rounds(early, 256)) << "nothing filled";
    for (auto [B, S, banks] :
         {std::tuple{256u, 1u, kBanks}, std::tuple{512u, 2u, kBankPairs},
          std::tuple{512u, 2u, kBanks}}) {
      SCOPED_TRACE("B " + std::to_string(B) + " S " + std::to_string(S) +
                   " banks " + std::to_string(banks));
      BlockSchedule again =
          scheduleBlocks(op, order, B, 1, S, true, banks, false, false, 0, 256);
      EXPECT_EQ(again.levelStarts, first.levelStarts);
      EXPECT_EQ(again.values, first.values);
    }
  }
}

// The count's first reduction for the block's words (countWords): a
// thread per group of 32 bits and word, the groups of a word padded to
// whole warps, can leave a last pass of the block's threads to a few of
// them while the others wait at the barrier. Given the words, it takes more
// bits a group (at most 63) where a thread then loads fewer in all, and
// stays race-free and exact.
TEST(BlockSchedule, CountFitsTheBlocksThreads) {
  // Ten classes of 400 outputs.
  Net net = test::randomNet(64, {600, 4000}, 10, 0.3, 5);
  ScheduledNet t(net, /*gatesPerFunction=*/500, 5);
  ASSERT_FALSE(t.order.empty());
  // The loads of a thread of the first reduction: passes x bits a group.
  auto loads = [&](const BlockSchedule &s, unsigned B, unsigned S) {
    const BlockSchedule::Reduction &r = s.reductions.front();
    uint64_t rows = (uint64_t(net.numClasses) * r.groups + 31) / 32 * 32;
    return (rows * S + B - 1) / B * r.F;
  };
  unsigned wider = 0;
  for (auto [B, S] : {std::pair{64u, 2u}, std::pair{64u, 1u},
                      std::pair{256u, 2u}, std::pair{256u, 4u},
                      std::pair{512u, 4u}, std::pair{1024u, 8u}}) {
    SCOPED_TRACE("B " + std::to_string(B) + " S " + std::to_string(S));
    BlockSchedule plain = scheduleBlocks(t.op, t.order, B, 2, 1, true, kBankPairs,
                                         false, false, 0, B * 2);
    BlockSchedule counted = scheduleBlocks(
        t.op, t.order, B, 2, 1, true, kBankPairs, false, false, 0, B * 2, S);
    ASSERT_GT(plain.reductions.front().F * plain.reductions.front().groups,
              320u);
    EXPECT_EQ(plain.reductions.front().F, 32u);
    EXPECT_LE(counted.reductions.front().F, 63u);
    EXPECT_LE(loads(counted, B, S), loads(plain, B, S));
    // Only where that saves loads.
    if (counted.reductions.front().F != 32u)
      EXPECT_LT(loads(counted, B, S), loads(plain, B, S));
    wider += counted.reductions.front().F > 32u;
    EXPECT_EQ(counted.levelStarts, plain.levelStarts);
    EXPECT_LE(counted.values, plain.values);
    EXPECT_EQ(runSchedule(counted, net.numClasses, t.words), t.want);
  }
  // About 346 bits a class: two words in 64 threads were 11 groups of 32 in
  // four passes (128 loads a thread), now 6 of 58 in two (116); four words
  // in 256 threads one pass instead of two.
  EXPECT_GT(wider, 0u);
}

} // namespace
