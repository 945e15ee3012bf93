//===- BlockSchedule.cpp - The GPU block kernel's schedule ---------------===//
//
// Part of lgc. The block kernel's levels, slots and count reductions
// (BlockSchedule.h).
//
//===----------------------------------------------------------------------===//

#include "BlockSchedule.h"

#include "lgc/Conversion/GateLowering.h"
#include "lgc/Dialect/LGN/TruthTable.h"
#include "lgc/Runtime/Net.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <tuple>

using namespace mlir;
using namespace lgc;
using namespace lgc::lgn;

unsigned nvvm::residentBlocks(uint64_t bytes, unsigned B) {
  return unsigned(std::clamp<uint64_t>(
      kGpuSharedPerMultiprocessor / (bytes + kGpuSharedReservedPerBlock), 1,
      std::max(1u, kGpuBlockThreadsPerMultiprocessor / llvm::alignTo(B, 32))));
}

namespace {
/// The positions of a level's entries (0 .. n - 1, as the block kernel's
/// loop hands them out) grouped by the `lanes` threads whose accesses
/// shared memory serves at once (16 for 64-bit words, 32 for 32-bit ones).
/// A round is G * U entries, G = B / S threads' worth (G = B without
/// interleaved words): thread t takes position u * G + t / S for u < U,
/// for every word (S = 1) or word t % S of it (interleaved words, S > 1,
/// a group then holding lanes / S entries, each for all S words). With
/// `runs`, the earlier mapping: position t / S * U + u, U consecutive
/// entries a thread.
std::vector<std::vector<unsigned>> laneGroups(unsigned n, unsigned B,
                                              unsigned U, unsigned S,
                                              unsigned lanes, bool runs) {
  std::vector<std::vector<unsigned>> groups;
  unsigned G = B / S;
  for (unsigned round = 0; round * G * U < n; ++round)
    for (unsigned part = 0; part * lanes < B; ++part)
      for (unsigned u = 0; u < U; ++u) {
        std::vector<unsigned> group;
        for (unsigned lane = 0; lane < lanes; ++lane) {
          unsigned t = part * lanes + lane;
          // Threads past the last whole set of S (B not a multiple of S)
          // evaluate nothing.
          if (t >= G * S)
            break;
          unsigned p = round * G * U + (runs ? t / S * U + u : u * G + t / S);
          if (p < n && (group.empty() || group.back() != p))
            group.push_back(p);
        }
        if (!group.empty())
          groups.push_back(std::move(group));
      }
  return groups;
}

/// One entry of a level: a gate, with the operands `fuse` evaluates in it.
struct BlockEntry {
  /// The root gate's result.
  Value result;
  /// Fused operands (0, 1 or 2); with one, it is the root's a.
  unsigned kind = 0;
  /// The values the entry loads: a, b (kind 0); the fused operand's a and
  /// b, then the root's b (1); both fused operands' a and b (2).
  SmallVector<Value, 4> leaves;
  /// Truth tables (bit 2 x + y: the value for a = x, b = y): the root's,
  /// then the fused operands'.
  SmallVector<unsigned, 3> tables;
};

/// A gate kind's table in the block kernel's order: bit 2 x + y is its
/// value for a = x, b = y.
unsigned truthTable(unsigned kind) {
  unsigned table = 0;
  for (unsigned xy = 0; xy < 4; ++xy)
    table |= unsigned(evalGate(kind, xy >> 1, xy & 1)) << xy;
  return table;
}

/// Moves entries to later levels, within what their readers allow, so
/// that the levels fill whole rounds of `roundGates` entries of each kind.
/// A level of n entries takes ceil(n / roundGates) rounds, a round being
/// as long for its busiest thread whether the others have an entry or
/// not, and the first levels of a net (ASAP, `level` on entry) are its
/// widest: 784-6x8000 after -O2 has levels of 3,552, 2,663, 2,156, 1,749,
/// 1,139 and 382 gates, 15 rounds of 1,024 where 11.4 hold them all. A
/// list schedule level by level: each level takes the entries that must go
/// there (their latest level, ALAP under the same depth), then, while a
/// round of their kind is only partly filled, the entries that may (every
/// operand in an earlier level), the most urgent (earliest latest level)
/// first. 6x8000 then has 1,024, 2,048, 2,048, 2,048, 2,048 and 2,425
/// gates, 12 rounds; fewer results wait levels for their readers, so fewer
/// values are live at once too (5,948 instead of 6,871 by levelCost; 6,163
/// slots instead of 6,973 with fresh slots for the banks). The depth, and
/// so the phases, stay the same: an entry never goes past its latest level.
void balanceLevels(ArrayRef<BlockEntry> entries, unsigned top,
                   unsigned roundGates,
                   llvm::DenseMap<Value, unsigned> &level) {
  // A value's bank (pair, modulo M) where its slot is fixed before the
  // levels are placed: input i in slot i + 2, the constants in slots 0 and
  // 1. M is the 16 pairs of 64-bit words whatever the words of the block:
  // the lowering chooses the words and their width from a first schedule
  // and schedules again for them, and the levels must be the same for the
  // same round (so must the slots they need); pairs balanced modulo 16 are
  // balanced modulo 8, 4 and 2 (interleaved words) and nearly so modulo 32.
  const unsigned M = nvvm::kBankPairs;
  auto bankOf = [&](Value v) -> int {
    if (auto arg = dyn_cast<BlockArgument>(v))
      return int((arg.getArgNumber() + 2) % M);
    if (auto c = v.getDefiningOp<ConstantOp>())
      return int((c.getValue() ? 1 : 0) % M);
    return -1;
  };
  size_t n = entries.size();
  llvm::DenseMap<Value, unsigned> index;
  for (auto [i, e] : llvm::enumerate(entries))
    index[e.result] = unsigned(i);
  // Each leaf that another entry computes, once per reading (an entry that
  // reads a value twice waits for it twice and is told twice).
  std::vector<SmallVector<unsigned, 2>> readers(n);
  std::vector<unsigned> waiting(n, 0);
  for (auto [i, e] : llvm::enumerate(entries))
    for (Value v : e.leaves)
      if (auto it = index.find(v); it != index.end()) {
        readers[it->second].push_back(unsigned(i));
        ++waiting[i];
      }
  // Entries come in a topological order (the net's), so readers follow.
  std::vector<unsigned> latest(n, top);
  for (size_t i = n; i-- > 0;)
    for (unsigned r : readers[i])
      latest[i] = std::min(latest[i], latest[r] - 1);
  std::vector<unsigned> ready;
  for (unsigned i = 0; i < n; ++i)
    if (!waiting[i])
      ready.push_back(i);
  for (unsigned l = 1; l <= top; ++l) {
    // Due first, then the most urgent, each in the net's order.
    llvm::sort(ready, [&](unsigned x, unsigned y) {
      return std::make_pair(latest[x], x) < std::make_pair(latest[y], y);
    });
    std::array<size_t, 3> count = {};
    std::vector<unsigned> placed, later;
    // The level's reads of each bank at leaf positions 0 and 1, where the
    // slot is known already (inputs and constants; a result's is chosen
    // later): of the entries that may fill a round, each takes the one of
    // the next 64 whose operands' banks the level reads least so far, so
    // that the bank matching finds every bank in the level (a first level
    // of 1,024 gates, all reading inputs, took 2.34 wavefronts an access
    // taken in the net's order, 2.15 so, 2.11 before its filling).
    std::array<std::array<unsigned, nvvm::kBanks>, 2> reads = {};
    unsigned readsTotal = 0;
    auto cost = [&](unsigned i) {
      unsigned c = 0;
      for (unsigned j = 0; j < 2 && j < entries[i].leaves.size(); ++j) {
        int bank = bankOf(entries[i].leaves[j]);
        c += bank >= 0 ? reads[j][bank] * M : readsTotal;
      }
      return c;
    };
    auto take = [&](unsigned i) {
      ++count[entries[i].kind];
      placed.push_back(i);
      for (unsigned j = 0; j < 2 && j < entries[i].leaves.size(); ++j)
        if (int bank = bankOf(entries[i].leaves[j]); bank >= 0)
          ++reads[j][bank];
      ++readsTotal;
    };
    std::array<std::vector<unsigned>, 3> optional;
    for (unsigned i : ready) {
      assert(latest[i] >= l && "an entry past its latest level");
      if (latest[i] == l)
        take(i);
      else
        optional[entries[i].kind].push_back(i);
    }
    for (unsigned kind = 0; kind < 3; ++kind) {
      std::vector<unsigned> &pool = optional[kind];
      size_t head = 0;
      while (count[kind] % roundGates && head < pool.size()) {
        size_t best = head;
        unsigned least = ~0u;
        for (size_t k = head; k < pool.size() && k < head + 64; ++k)
          if (unsigned c = cost(pool[k]); c < least) {
            best = k;
            least = c;
          }
        // The pool stays in urgency order past the one taken.
        std::rotate(pool.begin() + head, pool.begin() + best,
                    pool.begin() + best + 1);
        take(pool[head++]);
      }
      later.insert(later.end(), pool.begin() + head, pool.end());
    }
    ready = std::move(later);
    for (unsigned i : placed) {
      level[entries[i].result] = l;
      for (unsigned r : readers[i])
        if (!--waiting[r])
          ready.push_back(r);
    }
  }
  assert(ready.empty() && "an entry left unplaced");
}

/// The level in which each value read is read last under `level`: its
/// readers' highest, top + 1 for the outputs (the count reads them).
llvm::DenseMap<Value, unsigned>
lastUses(ArrayRef<BlockEntry> entries, ValueRange outputs, unsigned top,
         const llvm::DenseMap<Value, unsigned> &level) {
  llvm::DenseMap<Value, unsigned> last;
  for (const BlockEntry &e : entries)
    for (Value v : e.leaves)
      last[v] = std::max(last.lookup(v), level.lookup(e.result));
  for (Value v : outputs)
    last[v] = top + 1;
  return last;
}

/// What a level assignment costs: rounds of `roundGates` entries (each
/// kind its own loop), and the most values live in one level (read or
/// written there, or live across it; the outputs to the count).
struct LevelCost {
  size_t rounds = 0, live = 0;
};
LevelCost levelCost(ArrayRef<BlockEntry> entries, ValueRange outputs,
                    unsigned top, unsigned roundGates,
                    const llvm::DenseMap<Value, unsigned> &level) {
  LevelCost cost;
  std::vector<std::array<size_t, 3>> count(top + 1, {0, 0, 0});
  for (const BlockEntry &e : entries)
    ++count[level.lookup(e.result)][e.kind];
  for (const auto &kinds : count)
    for (size_t n : kinds)
      cost.rounds += (n + roundGates - 1) / roundGates;
  // Live in levels level(v) .. last(v), constants aside (their slots are
  // fixed): +1 where a value starts, -1 after it ends.
  std::vector<long> delta(top + 3, 0);
  for (auto [v, end] : lastUses(entries, outputs, top, level)) {
    if (v.getDefiningOp<ConstantOp>())
      continue;
    ++delta[level.lookup(v)];
    --delta[end + 1];
  }
  long live = 0;
  for (unsigned l = 0; l <= top + 1; ++l)
    cost.live = std::max(cost.live, size_t(live += delta[l]));
  return cost;
}

/// The inputs a group of a later reduction of the count adds (up to 8
/// counts of `kIn` planes, each at most `maxItem`, of `items` a class): the
/// number that leaves a thread the fewest loads along the rest of the count,
/// a further phase counted as 16 loads (its barrier); `cost`, where given,
/// gets that number of loads. The
/// first version took 8 a group: 784-6x8000's 12 counts of 6 planes were 48
/// loads a thread, then 2 of 9 planes, 18 (66 along the path, of a block's
/// threads 40 and 20 busy, two words); now 4 a group, 24, then 3 of 8
/// planes, 24 (48; 60 and 20 threads busy).
unsigned laterInputs(unsigned items, unsigned maxItem, unsigned kIn,
                     unsigned group, unsigned *cost = nullptr) {
  constexpr unsigned kPhaseLoads = 16;
  unsigned best = std::max(1u, std::min(items, 8u)), bestCost = ~0u;
  for (unsigned F = 2; F <= std::min(items, 8u); ++F) {
    unsigned groups = (items + F - 1) / F;
    unsigned maxOut = std::min(group, F * maxItem);
    unsigned loads = F * kIn;
    if (groups > 1) {
      unsigned rest = 0;
      laterInputs(groups, maxOut, abi::planesForGroup(maxOut), group, &rest);
      loads += kPhaseLoads + rest;
    }
    if (loads < bestCost) {
      best = F;
      bestCost = loads;
    }
  }
  if (cost)
    *cost = items > 1 ? bestCost : 0;
  return best;
}

} // namespace

unsigned nvvm::firstReductionInputs(unsigned items, unsigned C, unsigned B,
                                    unsigned countWords) {
  unsigned best = std::max(1u, std::min(items, 32u));
  if (!countWords)
    return best;
  auto loads = [&](unsigned F) {
    uint64_t groups = (items + F - 1) / F;
    uint64_t threads = llvm::alignTo(uint64_t(C) * groups, 32) * countWords;
    return (threads + B - 1) / B * F;
  };
  for (unsigned F = best + 1; F <= std::min(items, 63u); ++F)
    if (loads(F) < loads(best))
      best = F;
  return best;
}

nvvm::BlockSchedule
nvvm::scheduleBlocks(NetOp net, ArrayRef<GateOp> order, unsigned B, unsigned U,
                     unsigned S, bool spreadBanks, unsigned banks, bool fuse,
                     bool runs, unsigned freshSlots, unsigned roundGates,
                     unsigned countWords) {
  BlockSchedule s;
  auto outputs = net.getOutputOp().getBits();
  // Fused gates: a gate whose one reader is another gate (not the count)
  // is evaluated in that reader's entry, by its thread, in registers: no
  // slot, no store, no load (on random nets 43 % of the gates, a fifth of
  // the shared-memory accesses). Readers first, so that a fused gate's own
  // operands stay entries of their own (an entry has at most four leaves).
  llvm::DenseSet<Value> fused;
  if (fuse) {
    llvm::DenseMap<Value, unsigned> readers;
    for (GateOp g : order)
      for (Value v : {g.getLhs(), g.getRhs()})
        ++readers[v];
    for (Value v : outputs)
      readers[v] += 2;
    for (GateOp g : llvm::reverse(order)) {
      if (fused.count(g.getResult()))
        continue;
      for (Value v : {g.getLhs(), g.getRhs()})
        if (v.getDefiningOp<GateOp>() && readers.lookup(v) == 1)
          fused.insert(v);
    }
  }
  std::vector<BlockEntry> entries;
  for (GateOp g : order) {
    if (fused.count(g.getResult()))
      continue;
    BlockEntry e;
    e.result = g.getResult();
    Value a = g.getLhs(), b = g.getRhs();
    bool transpose = !fused.count(a) && fused.count(b);
    if (transpose)
      std::swap(a, b);
    // Swapping the operands swaps f(0, 1) and f(1, 0) in either bit order.
    unsigned table = truthTable(unsigned(g.getKind()));
    e.tables.push_back(transpose ? lgn::tt::swapOperands(table) : table);
    for (Value v : {a, b}) {
      if (!fused.count(v)) {
        e.leaves.push_back(v);
        continue;
      }
      GateOp c = v.getDefiningOp<GateOp>();
      ++e.kind;
      e.leaves.append({c.getLhs(), c.getRhs()});
      e.tables.push_back(truthTable(unsigned(c.getKind())));
    }
    entries.push_back(std::move(e));
  }
  llvm::DenseMap<Value, unsigned> level, lastUse, slot;
  for (const BlockEntry &e : entries) {
    unsigned l = 0;
    for (Value v : e.leaves)
      l = std::max(l, level.lookup(v));
    level[e.result] = l + 1;
  }
  unsigned top = 0;
  for (const BlockEntry &e : entries)
    top = std::max(top, level.lookup(e.result));
  if (roundGates) {
    // Kept where it takes fewer rounds or fewer values live at once and
    // more of neither (so never a narrower block for fewer rounds).
    llvm::DenseMap<Value, unsigned> balanced = level;
    balanceLevels(entries, top, roundGates, balanced);
    LevelCost before = levelCost(entries, outputs, top, roundGates, level),
              after = levelCost(entries, outputs, top, roundGates, balanced);
    if (after.rounds <= before.rounds && after.live <= before.live &&
        (after.rounds < before.rounds || after.live < before.live))
      level = std::move(balanced);
  }
  lastUse = lastUses(entries, outputs, top, level);
  // Freed after the level that last reads them.
  std::vector<std::vector<unsigned>> freedAfter(top + 2);
  std::vector<unsigned> freeSlots;
  // A slot: the most recently freed, or a fresh one.
  auto takeFree = [&] {
    if (freeSlots.empty())
      return s.values++;
    unsigned k = freeSlots.back();
    freeSlots.pop_back();
    return k;
  };
  auto release = [&](const auto &slots) {
    freeSlots.insert(freeSlots.end(), slots.begin(), slots.end());
  };
  // The lanes of each level that read each bank (modulo `banks`, the most
  // any grouping spreads over) at each leaf position, counted as values
  // take slots: a value's slot is chosen among the free ones so that the
  // levels reading it find their operands' banks balanced, which is what
  // lets the matching below fill whole groups without conflicts (a bank
  // that a level reads more than its share forces collisions in its last
  // groups).
  llvm::DenseMap<Value, SmallVector<std::pair<unsigned, unsigned>, 2>>
      readersOf;
  for (const BlockEntry &e : entries)
    for (auto [j, v] : llvm::enumerate(e.leaves))
      readersOf[v].push_back({level.lookup(e.result), unsigned(j)});
  auto readersOfValue =
      [&](Value v) -> ArrayRef<std::pair<unsigned, unsigned>> {
    auto it = readersOf.find(v);
    return it == readersOf.end() ? ArrayRef<std::pair<unsigned, unsigned>>()
                                 : ArrayRef(it->second);
  };
  std::vector<std::array<std::array<unsigned, kBanks>, 4>> readBanks(top + 1);
  for (auto &l : readBanks)
    for (auto &side : l)
      side.fill(0);
  // A slot for `v`, free again after the level that last reads it.
  auto take = [&](Value v) {
    unsigned k = takeFree();
    slot[v] = k;
    freedAfter[lastUse.lookup(v)].push_back(k);
    for (auto [l, j] : readersOfValue(v))
      ++readBanks[l][j][k % banks];
  };
  Block &body = net.getBodyBlock();
  for (ConstantOp c : body.getOps<ConstantOp>())
    slot[c.getResult()] = c.getValue() ? 1 : 0;
  // Input i takes slot i + 2, an input the net does not read leaving its
  // slot free for the first level's results: the slots' banks then follow
  // the inputs' order, which the u8 form's phase 0 relies on to spread
  // its stores over the banks.
  unsigned lastRead = 0;
  for (BlockArgument arg : body.getArguments())
    if (lastUse.count(arg))
      lastRead = arg.getArgNumber() + 1;
  for (BlockArgument arg : body.getArguments().take_front(lastRead)) {
    if (!lastUse.count(arg)) {
      freedAfter[0].push_back(s.values++);
      continue;
    }
    take(arg);
    s.inputs.push_back(int32_t(arg.getArgNumber()));
    s.inputs.push_back(int32_t(slot.lookup(arg)));
  }
  std::vector<std::vector<const BlockEntry *>> byLevel[3];
  for (auto &kind : byLevel)
    kind.resize(top + 1);
  for (const BlockEntry &e : entries)
    byLevel[e.kind][level.lookup(e.result)].push_back(&e);
  // Places the level's entries of one kind (a loop of its own in the
  // kernel) and appends them to their table.
  auto place = [&](const std::vector<const BlockEntry *> &pool, unsigned kind) {
    // The gates of a level may run in any order and take any free slot:
    // each group of lanes served at once (a half warp for 64-bit words)
    // gets gates whose operands' slots differ modulo M as far as the
    // level's gates allow, and result slots that do, so its loads and
    // stores spread over the banks. M is the number of gates such a
    // group evaluates at once: `banks` (16 pairs, or 32 banks for 32-bit
    // words), or banks / S with the words interleaved, whose word s of
    // slot k then lies in bank (pair) (s * banks / S + k) % banks (the
    // shared array's rows are padded for that).
    // Each kind of entry is scheduled alike, by its first two leaves.
    const unsigned M = banks / S;
    std::vector<const BlockEntry *> placed(pool.size());
    // The level's gates by the banks of their operands' slots (bucket a * M
    // + b, each in the net's order), looked up once. A group's lanes should
    // take gates whose operands' banks are all different: a matching of
    // a-banks to b-banks through non-empty buckets. Picking the cheapest
    // of a window of 64 gates in the net's order rarely completed one (one
    // collision in 32 lanes already costs a second wavefront: 2.0 per load
    // in the model, bench/gpu_block_banks.py), nor did taking the fullest
    // cheapest bucket lane by lane in the last third of each level.
    std::vector<std::vector<unsigned>> bucket(spreadBanks ? M * M : 1);
    for (auto [i, e] : llvm::enumerate(pool))
      bucket[spreadBanks ? slot.lookup(e->leaves[0]) % M * M +
                               slot.lookup(e->leaves[1]) % M
                         : 0]
          .push_back(unsigned(i));
    std::vector<size_t> head(bucket.size());
    auto left = [&](unsigned k) { return bucket[k].size() - head[k]; };
    for (const std::vector<unsigned> &group :
         laneGroups(unsigned(pool.size()), B, U, S, banks, runs)) {
      unsigned countA[kBanks] = {}, countB[kBanks] = {};
      // Fused entries' further leaves: lanes on each bank so far.
      unsigned countMore[2][kBanks] = {};
      bool taken[kBanks] = {};
      // First as many lanes as a matching of operand banks allows (a's
      // bank to b's through a non-empty bucket; augmenting paths, trying
      // the fuller buckets first), then the rest the cheapest bucket each.
      std::vector<unsigned> chosen;
      if (spreadBanks && M > 1) {
        // Each a-bank's b-banks with entries left, the fullest first.
        unsigned adjacent[kBanks][kBanks], degree[kBanks] = {};
        for (unsigned a = 0; a < M; ++a) {
          for (unsigned b = 0; b < M; ++b)
            if (left(a * M + b))
              adjacent[a][degree[a]++] = b;
          llvm::sort(adjacent[a], adjacent[a] + degree[a],
                     [&](unsigned x, unsigned y) {
                       size_t lx = left(a * M + x), ly = left(a * M + y);
                       return lx != ly ? lx > ly : x < y;
                     });
        }
        int matchA[kBanks], matchB[kBanks];
        std::fill(matchA, matchA + M, -1);
        std::fill(matchB, matchB + M, -1);
        bool seen[kBanks];
        // Kuhn's augmenting path from a-bank `a` (at most M deep).
        std::function<bool(unsigned)> augment = [&](unsigned a) {
          for (unsigned i = 0; i < degree[a]; ++i) {
            unsigned b = adjacent[a][i];
            if (seen[b])
              continue;
            seen[b] = true;
            if (matchB[b] < 0 || augment(unsigned(matchB[b]))) {
              matchA[a] = int(b);
              matchB[b] = int(a);
              return true;
            }
          }
          return false;
        };
        size_t matched = 0;
        for (unsigned a = 0; a < M && matched < group.size(); ++a) {
          std::fill(seen, seen + M, false);
          if (augment(a))
            ++matched;
        }
        for (unsigned a = 0; a < M; ++a)
          if (matchA[a] >= 0)
            chosen.push_back(a * M + unsigned(matchA[a]));
      }
      for (auto [n, p] : llvm::enumerate(group)) {
        unsigned best = 0;
        if (n < chosen.size()) {
          best = chosen[n];
        } else {
          // The bucket of least cost (lanes already on its banks), the
          // fullest of those.
          unsigned bestCost = ~0u;
          size_t bestLeft = 0;
          for (unsigned k = 0; k < bucket.size(); ++k) {
            if (!left(k))
              continue;
            unsigned cost = countA[k / M] + countB[k % M];
            if (cost < bestCost || (cost == bestCost && left(k) > bestLeft)) {
              best = k;
              bestCost = cost;
              bestLeft = left(k);
            }
          }
        }
        // Of the bucket's next 64 entries, the one whose further leaves
        // (fused entries) are on the fewest lanes' banks so far.
        std::vector<unsigned> &in = bucket[best];
        if (spreadBanks && kind > 0) {
          size_t pick = head[best];
          unsigned pickCost = ~0u;
          for (size_t i = head[best];
               i < in.size() && i < head[best] + 64 && pickCost; ++i) {
            unsigned cost = 0;
            for (unsigned j = 2; j < pool[in[i]]->leaves.size(); ++j)
              cost += countMore[j - 2][slot.lookup(pool[in[i]]->leaves[j]) % M];
            if (cost < pickCost) {
              pick = i;
              pickCost = cost;
            }
          }
          std::swap(in[pick], in[head[best]]);
        }
        const BlockEntry *e = pool[in[head[best]++]];
        for (unsigned j = 2; j < e->leaves.size(); ++j)
          ++countMore[j - 2][slot.lookup(e->leaves[j]) % M];
        ++countA[best / M];
        ++countB[best % M];
        // A free slot in a bank (pair) no result of this group has: of
        // the 64 most recently freed such, the one whose bank the levels
        // reading the result read least at the same leaf positions so far
        // (the most recently freed of those); else the most recently freed.
        if (spreadBanks) {
          unsigned cost[kBanks] = {};
          for (auto [l, j] : readersOfValue(e->result))
            for (unsigned k = 0; k < banks; ++k)
              cost[k % M] += readBanks[l][j][k];
          size_t pick = freeSlots.size();
          unsigned least = ~0u;
          for (size_t i = freeSlots.size(), n = 0; i-- > 0 && n < 64;) {
            unsigned k = freeSlots[i] % M;
            if (taken[k])
              continue;
            ++n;
            if (cost[k] < least) {
              pick = i;
              least = cost[k];
            }
          }
          // Or, below `freshSlots`, one of the next M fresh slots where its
          // bank costs less than any free one's (those skipped join the
          // free slots, so the slots may be more than the values live at
          // once).
          unsigned fresh = M;
          for (unsigned d = 0; d < M && s.values + d < freshSlots; ++d) {
            unsigned k = (s.values + d) % M;
            if (!taken[k] && cost[k] < least) {
              fresh = d;
              least = cost[k];
            }
          }
          if (fresh < M) {
            for (unsigned d = 0; d <= fresh; ++d)
              freeSlots.push_back(s.values++);
          } else if (pick < freeSlots.size()) {
            std::swap(freeSlots[pick], freeSlots.back());
          }
        }
        take(e->result);
        taken[slot.lookup(e->result) % M] = true;
        placed[p] = e;
      }
    }
    assert(llvm::all_of(placed, [](const BlockEntry *e) { return e; }) &&
           "a position of the level without an entry");
    for (const BlockEntry *e : placed) {
      int64_t leaf[4] = {};
      for (auto [i, v] : llvm::enumerate(e->leaves))
        leaf[i] = slot.lookup(v);
      int64_t first =
          leaf[0] | leaf[1] << 16 | int64_t(slot.lookup(e->result)) << 32;
      for (auto [i, table] : llvm::enumerate(e->tables))
        first |= int64_t(table) << (48 + 4 * i);
      if (kind == 0) {
        s.gates.push_back(first);
        continue;
      }
      s.trees[kind - 1].push_back(first);
      s.trees[kind - 1].push_back(leaf[2] | leaf[3] << 16);
    }
    if (kind == 0)
      s.levelStarts.push_back(int32_t(s.gates.size()));
    else
      s.treeStarts[kind - 1].push_back(int32_t(s.trees[kind - 1].size() / 2));
  };
  for (unsigned l = 1; l <= top; ++l) {
    release(freedAfter[l - 1]);
    for (unsigned kind = 0; kind < 3; ++kind)
      place(byLevel[kind][l], kind);
  }
  unsigned C = net.getClasses(), group = unsigned(outputs.size()) / C;
  s.K = abi::planesForGroup(group);
  // The first reduction reads the outputs and writes over values last read
  // in level L; the second writes over the outputs (and the inputs nothing
  // reads later); each later one over the counts two reductions back.
  release(freedAfter[top]);
  // Items per class: the output bits (each at most 1), then the counts.
  // The constant bits are not loaded: the 0s add nothing, the 1s are a
  // number each group of the first reduction adds (slot 1 in a bank's
  // worth of lanes otherwise blocked a bank of every access it was in).
  std::vector<std::vector<int32_t>> bits(C);
  std::vector<unsigned> ones(C, 0);
  for (unsigned c = 0; c < C; ++c)
    for (unsigned k = 0; k < group; ++k) {
      int32_t at = int32_t(slot.lookup(outputs[c * group + k]));
      if (at > 1)
        bits[c].push_back(at);
      ones[c] += at == 1;
    }
  unsigned items = 1, maxItem = 1, kIn = 1;
  for (const std::vector<int32_t> &b : bits)
    items = std::max(items, unsigned(b.size()));
  s.countBits = items;
  std::vector<int32_t> itemSlots;
  do {
    BlockSchedule::Reduction r;
    // Groups of 32 bits fill a thread's registers with one counter; counts
    // of several planes go up to 8 at a time (laterInputs).
    bool first = s.reductions.empty();
    r.F = first ? firstReductionInputs(items, C, B, countWords)
                : laterInputs(items, maxItem, kIn, group);
    r.kIn = kIn;
    r.groups = (items + r.F - 1) / r.F;
    unsigned maxOut = std::min(group, r.F * maxItem);
    if (first && llvm::any_of(ones, [](unsigned n) { return n > 0; })) {
      // A class's 1s spread over its groups.
      unsigned most = 0;
      for (unsigned c = 0; c < C; ++c)
        for (unsigned g = 0; g < r.groups; ++g) {
          unsigned n = ones[c] / r.groups + (g < ones[c] % r.groups);
          r.ones.push_back(int32_t(n));
          most = std::max(most, n);
        }
      maxOut = std::min(group, r.F + most);
    }
    // The last one's planes are the classes' counts: K of them.
    r.kOut = r.groups == 1 ? s.K : abi::planesForGroup(maxOut);
    if (first) {
      // A class's bits may go to any of its groups, in any position: the
      // threads of one access (consecutive groups, a word each; 16 lanes
      // for 64-bit words, 32 for 32-bit ones) take bits in different banks
      // where the class's bits left allow, the rest the bits left in
      // order, then the constant 0.
      unsigned CG = C * r.groups;
      r.in.assign(size_t(CG) * r.F, 0);
      std::vector<size_t> used(C, 0);
      for (unsigned i = 0; i < r.F; ++i)
        for (unsigned g0 = 0; g0 < CG; g0 += banks) {
          bool taken[kBanks] = {};
          for (unsigned cg = g0; cg < std::min(CG, g0 + banks); ++cg) {
            std::vector<int32_t> &left = bits[cg / r.groups];
            size_t &head = used[cg / r.groups];
            if (head == left.size())
              continue;
            size_t pick = head;
            for (size_t t = head;
                 spreadBanks && t < left.size() && t < head + 64; ++t)
              if (!taken[left[t] % banks]) {
                pick = t;
                break;
              }
            std::swap(left[pick], left[head]);
            int32_t at = left[head++];
            taken[at % banks] = true;
            r.in[size_t(cg) * r.F + i] = at;
          }
        }
    } else {
      for (unsigned c = 0; c < C; ++c)
        for (unsigned g = 0; g < r.groups; ++g)
          for (unsigned i = 0; i < r.F; ++i)
            for (unsigned w = 0; w < kIn; ++w) {
              unsigned item = g * r.F + i;
              r.in.push_back(
                  item < items ? itemSlots[(size_t(c) * items + item) * kIn + w]
                               : 0);
            }
    }
    // The counts' slots: plane w of group cg is stored by an access of
    // this reduction's (groups cg / banks x banks .. of one word) and read
    // by one of the next (its group cg' / banks, as input i of cg'): a
    // free slot in a bank neither access has yet, where the 64 most
    // recently freed have one (else one in a bank the store lacks, else
    // the most recently freed).
    unsigned nextF = laterInputs(r.groups, maxOut, r.kOut, group);
    unsigned nextGroups = (r.groups + nextF - 1) / nextF;
    // The banks each access has so far: stores by (lane group, plane),
    // the next reduction's loads by (lane group, input, plane).
    std::map<std::pair<unsigned, unsigned>, uint32_t> storing;
    std::map<std::tuple<unsigned, unsigned, unsigned>, uint32_t> reading;
    for (unsigned cg = 0; cg < C * r.groups; ++cg)
      for (unsigned w = 0; w < r.kOut; ++w) {
        unsigned c = cg / r.groups, g = cg % r.groups;
        uint32_t &stored = storing[{cg / banks, w}];
        uint32_t &read =
            reading[{(c * nextGroups + g / nextF) / banks, g % nextF, w}];
        if (spreadBanks && r.groups > 1) {
          size_t pick = freeSlots.size();
          for (size_t t = freeSlots.size(), n = 0; t-- > 0 && n < 64; ++n) {
            uint32_t bank = 1u << (freeSlots[t] % banks);
            if (!(stored & bank) && !(read & bank)) {
              pick = t;
              break;
            }
            if (pick == freeSlots.size() && !(stored & bank))
              pick = t;
          }
          if (pick < freeSlots.size())
            std::swap(freeSlots[pick], freeSlots.back());
        }
        int32_t at = int32_t(takeFree());
        stored |= 1u << (at % banks);
        read |= 1u << (at % banks);
        r.out.push_back(at);
      }
    // This reduction's inputs are free once it has run.
    if (s.reductions.empty())
      release(freedAfter[top + 1]);
    else
      release(itemSlots);
    itemSlots = r.out;
    items = r.groups;
    maxItem = maxOut;
    kIn = r.kOut;
    s.reductions.push_back(std::move(r));
  } while (items > 1);
  return s;
}
