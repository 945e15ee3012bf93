//===- GateLowering.cpp - The skeleton shared by the gate lowerings -------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Conversion/GateLowering.h"
#include "lgc/Runtime/GeneratedABI.h"
#include "lgc/Runtime/Net.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"
#include <functional>
#include <queue>

using namespace mlir;
using namespace lgc;
using namespace lgc::lgn;

//===----------------------------------------------------------------------===//
// NetPartition
//===----------------------------------------------------------------------===//

/// The gates that reach `roots` in depth-first post-order from them: each
/// value is computed close to its first use, which shortens live ranges
/// (fewer spills) and keeps the cut between functions small. Dead gates
/// are left out; gates in `visited` already are too.
static void liveGatesDepthFirst(ArrayRef<Value> roots,
                                llvm::DenseSet<Operation *> &visited,
                                std::vector<GateOp> &order) {
  SmallVector<std::pair<GateOp, unsigned>> stack;
  for (Value root : roots) {
    auto gate = root.getDefiningOp<GateOp>();
    if (!gate || !visited.insert(gate).second)
      continue;
    stack.push_back({gate, 0});
    while (!stack.empty()) {
      auto &[g, next] = stack.back();
      if (next < 2) {
        Value operand = g->getOperand(next++);
        auto child = operand.getDefiningOp<GateOp>();
        if (child && visited.insert(child).second)
          stack.push_back({child, 0});
        continue;
      }
      order.push_back(g);
      stack.pop_back();
    }
  }
}

/// Visits the outputs `ks` (indices into `bits`, one class's, ascending)
/// in an order that keeps shared cones together, each output's live gates
/// in depth-first post-order as liveGatesDepthFirst does, and appends the
/// outputs in that order to `visitOrder`. The count is a sum, so a class's
/// outputs may come in any order. Next comes the output whose cone, within
/// `depth` gates of it, holds the most gates made in the current function
/// (every `per` gates from `partStart`): it reads them from registers
/// where, later, they would have been stored to the scratch array and
/// loaded back. Ties, and a function's first output, in index order. Each
/// new gate raises the scores of the outputs it feeds (a walk over its
/// readers, paths counted, at most 64 steps), so this costs about as much
/// as the gates' walk itself.
static void visitOutputsForLocality(ArrayRef<size_t> ks, OperandRange bits,
                                    unsigned depth, size_t partStart,
                                    size_t per,
                                    llvm::DenseSet<Operation *> &visited,
                                    std::vector<GateOp> &order,
                                    std::vector<size_t> &visitOrder) {
  size_t n = ks.size();
  llvm::DenseMap<Value, SmallVector<unsigned, 1>> outputsOf;
  for (unsigned i = 0; i < n; ++i)
    outputsOf[bits[ks[i]]].push_back(i);
  std::vector<bool> done(n, false);
  // An output's score counts for the function in `stamp` only.
  std::vector<unsigned> score(n, 0);
  std::vector<size_t> stamp(n, ~size_t(0));
  // (score, -index): the best output first, the lowest index among equals;
  // entries whose score has moved on are skipped when they surface.
  std::priority_queue<std::pair<unsigned, int64_t>> best;
  size_t chunk = ~size_t(0), nextInOrder = 0;
  SmallVector<std::pair<Value, unsigned>> walk;
  for (size_t picked = 0; picked < n; ++picked) {
    unsigned i = ~0u;
    while (!best.empty() && i == ~0u) {
      auto [value, negIndex] = best.top();
      best.pop();
      unsigned j = unsigned(-negIndex);
      if (!done[j] && stamp[j] == chunk && score[j] == value)
        i = j;
    }
    if (i == ~0u) {
      while (done[nextInOrder])
        ++nextInOrder;
      i = unsigned(nextInOrder);
    }
    done[i] = true;
    visitOrder.push_back(ks[i]);
    size_t before = order.size();
    liveGatesDepthFirst(bits[ks[i]], visited, order);
    if (order.size() == before)
      continue;
    size_t now = (order.size() - 1 - partStart) / per;
    if (now != chunk) {
      chunk = now;
      best = {};
    }
    for (size_t q = std::max(before, partStart + chunk * per); q < order.size();
         ++q) {
      walk.assign({{order[q].getResult(), 0}});
      for (size_t w = 0; w < walk.size(); ++w) {
        auto [v, d] = walk[w];
        auto it = outputsOf.find(v);
        if (it != outputsOf.end())
          for (unsigned j : it->second) {
            if (done[j])
              continue;
            if (stamp[j] != chunk) {
              stamp[j] = chunk;
              score[j] = 0;
            }
            best.push({++score[j], -int64_t(j)});
          }
        if (d < depth)
          for (Operation *user : v.getUsers())
            if (auto gate = dyn_cast<GateOp>(user); gate && walk.size() < 64)
              walk.push_back({gate.getResult(), d + 1});
      }
    }
  }
}

unsigned lgc::findNetParts(NetOp net, unsigned partGates,
                           SmallVectorImpl<unsigned> &outputPart,
                           llvm::DenseMap<Operation *, unsigned> *partOf) {
  // Union-find over the gates and blocks.
  llvm::DenseMap<Operation *, unsigned> index;
  SmallVector<unsigned> parent;
  for (Operation &op : net.getBodyBlock())
    if (isa<GateOp, ConvOp, OrPoolOp>(op)) {
      index[&op] = unsigned(parent.size());
      parent.push_back(unsigned(parent.size()));
    }
  auto find = [&](unsigned x) {
    while (parent[x] != x)
      x = parent[x] = parent[parent[x]];
    return x;
  };
  for (Operation &op : net.getBodyBlock()) {
    auto it = index.find(&op);
    if (it == index.end())
      continue;
    for (Value v : op.getOperands())
      if (auto def = index.find(v.getDefiningOp()); def != index.end())
        parent[find(def->second)] = find(it->second);
  }
  OperandRange bits = net.getOutputOp().getBits();
  unsigned classes = std::max(1u, unsigned(net.getClasses()));
  size_t group = bits.size() / classes;
  outputPart.assign(bits.size(), 0);
  if (!group)
    return 1;
  // Each output's group (-1: an input or a constant); groups ranked by the
  // first position within a class group where one of their outputs sits.
  constexpr unsigned kNone = ~0u;
  SmallVector<unsigned> root(bits.size(), kNone);
  llvm::DenseMap<unsigned, size_t> firstAt;
  for (size_t k = 0; k < bits.size(); ++k)
    if (auto it = index.find(bits[k].getDefiningOp()); it != index.end()) {
      root[k] = find(it->second);
      auto [entry, added] = firstAt.try_emplace(root[k], k % group);
      entry->second = std::min(entry->second, k % group);
    }
  std::vector<std::pair<size_t, unsigned>> byFirst;
  for (auto &[r, at] : firstAt)
    byFirst.push_back({at, r});
  llvm::sort(byFirst);
  llvm::DenseMap<unsigned, unsigned> rank;
  for (size_t i = 0; i < byFirst.size(); ++i)
    rank[byFirst[i].second] = unsigned(i);
  // Where a class's group goes back to an earlier-ranked group, every rank
  // in between is one part.
  std::vector<unsigned> reach(byFirst.size());
  for (unsigned i = 0; i < reach.size(); ++i)
    reach[i] = i;
  for (unsigned c = 0; c < classes; ++c) {
    int64_t most = -1;
    for (size_t k = c * group; k < (c + 1) * group; ++k) {
      if (root[k] == kNone)
        continue;
      unsigned r = rank[root[k]];
      if (int64_t(r) < most)
        reach[r] = std::max(reach[r], unsigned(most));
      most = std::max<int64_t>(most, r);
    }
  }
  std::vector<unsigned> partOfRank(reach.size());
  std::vector<uint64_t> size;
  int64_t covered = -1;
  for (unsigned r = 0; r < reach.size(); ++r) {
    if (int64_t(r) > covered)
      size.push_back(0);
    covered = std::max<int64_t>(covered, reach[r]);
    partOfRank[r] = unsigned(size.size() - 1);
  }
  for (auto &[op, i] : index)
    if (auto it = rank.find(find(i)); it != rank.end())
      size[partOfRank[it->second]] +=
          std::max<uint64_t>(1, op->getNumResults());
  // Join consecutive parts into parts of at least partGates (the last one
  // into the part before it where it is smaller).
  std::vector<unsigned> joined(size.size());
  unsigned parts = 0;
  uint64_t filled = 0;
  for (size_t k = 0; k < size.size(); ++k) {
    if (k > 0 && filled >= partGates) {
      ++parts;
      filled = 0;
    }
    joined[k] = parts;
    filled += size[k];
  }
  if (parts > 0 && filled < partGates)
    for (unsigned &j : joined)
      j = std::min(j, parts - 1);
  else
    ++parts;
  if (parts < 2)
    return 1;
  for (unsigned c = 0; c < classes; ++c) {
    unsigned current = kNone;
    for (size_t k = c * group; k < (c + 1) * group; ++k) {
      if (root[k] != kNone) {
        unsigned p = joined[partOfRank[rank[root[k]]]];
        if (current != kNone && p < current)
          return outputPart.assign(bits.size(), 0), 1; // cannot happen
        current = p;
      }
      outputPart[k] = current == kNone ? 0 : current;
    }
  }
  // Leading inputs or constants of a group go with the group's first part.
  for (unsigned c = 0; c < classes; ++c) {
    size_t k = c * group;
    while (k < (c + 1) * group && root[k] == kNone)
      ++k;
    for (size_t j = c * group; j < k && k < (c + 1) * group; ++j)
      outputPart[j] = outputPart[k];
  }
  if (partOf)
    for (auto &[op, i] : index)
      if (auto it = rank.find(find(i)); it != rank.end())
        (*partOf)[op] = joined[partOfRank[it->second]];
  return parts;
}

unsigned lgc::countNetParts(NetOp net, unsigned partGates) {
  if (!partGates)
    return 1;
  SmallVector<unsigned> outputPart;
  return findNetParts(net, partGates, outputPart);
}

NetPartition::NetPartition(NetOp net, unsigned gatesPerFunction,
                           unsigned window, unsigned partGates,
                           bool countInCode, bool frameInputs,
                           unsigned outputLocality, unsigned rematDepth,
                           bool rematLoadsInputs)
    : windowSize(window), countInCode(countInCode) {
  Block &body = net.getBodyBlock();
  for (BlockArgument arg : body.getArguments())
    homes[arg] = ValueHome{ValueHome::Input, arg.getArgNumber()};
  for (ConstantOp c : body.getOps<ConstantOp>())
    homes[c.getResult()] = ValueHome{ValueHome::Constant, c.getValue() ? 1 : 0};

  // The gates part by part, each part's from its outputs.
  llvm::DenseMap<Operation *, unsigned> partOf;
  SmallVector<unsigned> outputPart;
  unsigned parts =
      partGates ? findNetParts(net, partGates, outputPart, &partOf) : 1;
  OperandRange bits = net.getOutputOp().getBits();
  if (parts == 1)
    outputPart.assign(bits.size(), 0);
  // Each part's outputs, and where they end within each class's group
  // (counts per part and class, then running sums over the parts).
  classes = unsigned(net.getClasses());
  size_t group = bits.size() / std::max(1u, classes);
  std::vector<SmallVector<Value>> roots(parts);
  std::vector<std::vector<size_t>> partOutputs(parts);
  outputEnds.assign(size_t(parts) * classes, 0);
  for (size_t k = 0; k < bits.size(); ++k) {
    roots[outputPart[k]].push_back(bits[k]);
    partOutputs[outputPart[k]].push_back(k);
    ++outputEnds[outputPart[k] * classes + k / group];
  }
  for (size_t i = classes; i < outputEnds.size(); ++i)
    outputEnds[i] += outputEnds[i - classes];
  order.reserve(body.getOperations().size());
  std::vector<size_t> partStarts;
  llvm::DenseSet<Operation *> visited;
  // The outputs of each part in the order their gates are visited.
  std::vector<std::vector<size_t>> visitOrder(parts);
  for (unsigned p = 0; p < parts; ++p) {
    partStarts.push_back(order.size());
    if (!outputLocality) {
      liveGatesDepthFirst(roots[p], visited, order);
      visitOrder[p] = partOutputs[p];
      continue;
    }
    // The part's outputs are ascending, so each class's are one run.
    ArrayRef<size_t> rest = partOutputs[p];
    while (!rest.empty()) {
      size_t cls = rest.front() / group;
      ArrayRef<size_t> run =
          rest.take_while([&](size_t k) { return k / group == cls; });
      visitOutputsForLocality(run, bits, outputLocality, partStarts.back(),
                              std::max(1u, gatesPerFunction), visited, order,
                              visitOrder[p]);
      rest = rest.drop_front(run.size());
    }
  }
  partStarts.push_back(order.size());

  planBlocks(net, parts, partOf, frameInputs);

  // Functions never span two parts.
  size_t per = std::max(1u, gatesPerFunction);
  llvm::DenseMap<Operation *, size_t> position;
  position.reserve(order.size());
  std::vector<unsigned> chunkOf(order.size());
  std::vector<unsigned> partOfPosition(order.size());
  for (unsigned p = 0; p < parts; ++p) {
    partChunkStarts.push_back(unsigned(chunkStarts.size()));
    for (size_t k = partStarts[p]; k < partStarts[p + 1]; ++k) {
      if ((k - partStarts[p]) % per == 0)
        chunkStarts.push_back(k);
      position[order[k]] = k;
      chunkOf[k] = unsigned(chunkStarts.size() - 1);
      partOfPosition[k] = p;
    }
  }

  // Counting in code: each output is counted after the gate that completes
  // it, in the order the outputs were visited within its part (classes
  // ascending), and never before an output counted ahead of it; a part without
  // gates counts in its count function.
  countEventsOf.assign(parts, {});
  if (countInCode) {
    planes = abi::planesForGroup(uint32_t(group));
    for (unsigned p = 0; p < parts; ++p)
      for (size_t k : visitOrder[p]) {
        auto constant = bits[k].getDefiningOp<ConstantOp>();
        if (constant && !constant.getValue())
          continue; // adds nothing
        size_t at = kCountAtTail;
        if (partStarts[p] < partStarts[p + 1]) {
          at = partStarts[p];
          if (auto gate = bits[k].getDefiningOp<GateOp>())
            at = std::max(at, position.lookup(gate));
          if (!countEventsOf[p].empty())
            at = std::max(at, countEventsOf[p].back().at);
        }
        countEventsOf[p].push_back({bits[k], unsigned(k / group), at});
      }
  }

  // Recomputing needs every value of a function in a register for the
  // rest of it (no window): the operands it reads may be read much later
  // than the function would otherwise have read them.
  if (rematDepth && window == kUnlimitedWindow)
    planRemat(rematDepth, rematLoadsInputs, position, chunkOf);

  // A gate needs a home when the GroupSum, a later function, or a use
  // beyond the window reads it; its slot is free after its last use. With
  // counting in code the GroupSum is a reader like the gates, at its count
  // event.
  constexpr size_t kNever = ~size_t(0);
  std::vector<size_t> lastUse(order.size());
  std::vector<bool> needsHome(order.size());
  auto readAt = [&](size_t p, size_t q, size_t &last, bool &home) {
    if (q == kNever) {
      home = true;
      last = kNever;
      return;
    }
    home |= chunkOf[q] != chunkOf[p] || q - p > window;
    if (last != kNever)
      last = std::max(last, q);
  };
  for (size_t p = 0; p < order.size(); ++p) {
    size_t last = p;
    bool home = false;
    for (Operation *user : order[p]->getUsers()) {
      if (isa<OutputOp>(user)) {
        if (!countInCode)
          readAt(p, kNever, last, home);
        continue;
      }
      auto it = position.find(user);
      if (it == position.end())
        continue; // a dead gate
      // A function that recomputes the gate does not read it.
      if (recomputes(chunkOf[it->second], order[p]))
        continue;
      readAt(p, it->second, last, home);
    }
    lastUse[p] = last;
    needsHome[p] = home;
  }
  // Values whose last reader is a count event, freed after its position.
  std::vector<SmallVector<size_t, 1>> countedLast(order.size());
  if (countInCode) {
    for (auto &events : countEventsOf)
      for (const CountEvent &e : events)
        if (auto gate = e.bit.getDefiningOp<GateOp>()) {
          size_t p = position.lookup(gate);
          size_t last = lastUse[p];
          bool home = needsHome[p];
          readAt(p, e.at == kCountAtTail ? kNever : e.at, last, home);
          lastUse[p] = last;
          needsHome[p] = home;
        }
    for (size_t p = 0; p < order.size(); ++p)
      if (needsHome[p] && lastUse[p] != kNever &&
          !llvm::any_of(order[lastUse[p]]->getOperands(),
                        [&](Value v) { return v == order[p].getResult(); }))
        countedLast[lastUse[p]].push_back(p);
  }
  // Slots are handed out last-freed first, so a reused slot is likely still
  // in the cache. A part starts with every slot after its blocks' free: the
  // values of the parts before it have been counted.
  SmallVector<int64_t> freeSlots;
  int64_t next = 0, most = scratchSlots;
  for (size_t p = 0; p < order.size(); ++p) {
    if (p == partStarts[partOfPosition[p]]) {
      freeSlots.clear();
      next = partSlotStarts[partOfPosition[p]];
    }
    GateOp gate = order[p];
    if (needsHome[p]) {
      int64_t slot;
      if (freeSlots.empty()) {
        slot = next++;
        most = std::max(most, next);
      } else {
        slot = freeSlots.back();
        freeSlots.pop_back();
      }
      homes[gate.getResult()] = ValueHome{ValueHome::Scratch, slot};
    }
    // Freed after this gate's own slot is taken: a gate never overwrites
    // its operands, whatever order the target emits loads and stores in.
    SmallVector<Value, 2> operands{gate.getLhs()};
    if (gate.getRhs() != gate.getLhs())
      operands.push_back(gate.getRhs());
    for (Value operand : operands) {
      auto producer = operand.getDefiningOp<GateOp>();
      if (!producer)
        continue;
      size_t q = position.lookup(producer);
      if (lastUse[q] == p && needsHome[q])
        freeSlots.push_back(homes.lookup(operand).index);
    }
    for (size_t q : countedLast[p])
      freeSlots.push_back(homes.lookup(order[q].getResult()).index);
  }
  scratchSlots = most;
  // The open class's counter between functions, then the part's counts.
  if (countInCode) {
    countStateBase = scratchSlots;
    countPlanesBase = countStateBase + 2 * int64_t(planes);
    scratchSlots = countPlanesBase + int64_t(classes) * planes;
  }
}

// Recomputing a gate in a later function trades a load from the scratch
// array (and, where no function loads the gate any more, its store) for a
// logic instruction: the thread kernel waits on memory, not on its logic
// (about one instruction issued in twenty cycles, docs/gpu-backend.md).
// Only operands the function reads anyway are allowed, so no load is added:
// an input some gate of the function reads, a gate of an earlier function
// that some gate of the function loads (which then stays loaded: "pinned"),
// or a gate recomputed in turn, `depth` gates deep at most. A gate's
// operands come before it, so a gate of an earlier function never reads
// one of this function's gates. Gates are taken in the order the function
// first reads them, so a recomputed gate is in its register before any
// later one reads it. Recomputing reads no value at a later position than
// the function read it before (a pinned gate is read where the function
// reads it anyway, or earlier, from its register or its home, which its
// own reads keep until then), so the values' lifetimes stay as they were.
void NetPartition::planRemat(unsigned depth, bool loadInputs,
                             const llvm::DenseMap<Operation *, size_t> &position,
                             ArrayRef<unsigned> chunkOf) {
  unsigned chunks = numChunks();
  rematOf.assign(chunks, {});
  // Per function: the gates of earlier functions it loads (in the order of
  // their first read), the inputs it reads, the outputs it counts and the
  // loaded gates that recomputed ones read.
  std::vector<llvm::SetVector<Operation *>> loadedOf(chunks);
  std::vector<llvm::DenseSet<Value>> inputsOf(chunks);
  std::vector<llvm::DenseSet<Operation *>> countedOf(chunks), pinnedOf(chunks);
  // An output counted in a function is read by its count event too, which
  // reads it as a value of the function's own.
  for (auto &events : countEventsOf)
    for (const CountEvent &e : events)
      if (e.at != kCountAtTail)
        if (auto gate = e.bit.getDefiningOp<GateOp>())
          countedOf[chunkOf[e.at]].insert(gate);
  for (unsigned k = 0; k < chunks; ++k) {
    ArrayRef<GateOp> gates = chunk(k);
    llvm::SetVector<Operation *> &loaded = loadedOf[k];
    llvm::DenseSet<Value> &inputs = inputsOf[k];
    for (size_t i = 0; i < gates.size(); ++i)
      for (Value operand : gates[i]->getOperands()) {
        if (isa<BlockArgument>(operand)) {
          inputs.insert(operand);
          continue;
        }
        auto producer = operand.getDefiningOp<GateOp>();
        if (producer && chunkOf[position.lookup(producer)] != k)
          loaded.insert(producer);
      }
    const llvm::DenseSet<Operation *> &counted = countedOf[k];
    llvm::DenseSet<Operation *> &remat = rematOf[k];
    llvm::DenseSet<Operation *> &pinned = pinnedOf[k];
    SmallVector<GateOp> nested;
    SmallVector<Operation *> pins;
    // Whether `gate` can be recomputed from what the function reads, `d`
    // gates deep; collects the gates recomputed with it and those pinned.
    std::function<bool(GateOp, unsigned)> computable = [&](GateOp gate,
                                                           unsigned d) {
      size_t nestedBefore = nested.size(), pinsBefore = pins.size();
      auto fail = [&] {
        nested.truncate(nestedBefore);
        pins.truncate(pinsBefore);
        return false;
      };
      for (Value operand : gate->getOperands()) {
        if (operand.getDefiningOp<ConstantOp>())
          continue;
        if (isa<BlockArgument>(operand)) {
          if (!inputs.contains(operand))
            return fail();
          continue;
        }
        auto producer = operand.getDefiningOp<GateOp>();
        if (!producer)
          return fail(); // a block's result
        if (remat.contains(producer) || llvm::is_contained(nested, producer))
          continue;
        if (loaded.contains(producer)) {
          pins.push_back(producer);
          continue;
        }
        if (d <= 1 || !computable(producer, d - 1))
          return fail();
        nested.push_back(producer);
      }
      return true;
    };
    for (Operation *op : loaded) {
      if (pinned.contains(op) || counted.contains(op))
        continue;
      nested.clear();
      pins.clear();
      if (!computable(cast<GateOp>(op), depth))
        continue;
      nested.push_back(cast<GateOp>(op));
      for (GateOp g : nested)
        remat.insert(g);
      pinned.insert(pins.begin(), pins.end());
      recomputed += nested.size();
    }
  }
  if (!loadInputs)
    return;

  // Then a gate that the functions reading it could recompute, one gate
  // deep, by loading inputs they do not read yet, where that saves more
  // accesses than it adds: a load in each such function, and the gate's
  // store where nothing else reads its home (the GroupSum in another
  // function or from memory), against the inputs loaded. A level-1 gate
  // read by one later function that reads one of its inputs already: one
  // load instead of a load and a store. Gates in position order: a gate's
  // operands are decided before it. Functions where the gate is pinned, or
  // counted, keep loading it (so that no recomputed gate reads deeper than
  // `depth`).
  llvm::DenseSet<Operation *> storeKept;
  for (auto &events : countEventsOf)
    for (const CountEvent &e : events)
      if (auto gate = e.bit.getDefiningOp<GateOp>())
        if (e.at == kCountAtTail ||
            chunkOf[e.at] != chunkOf[position.lookup(gate)])
          storeKept.insert(gate);
  for (size_t p = 0; p < order.size(); ++p) {
    GateOp gate = order[p];
    unsigned own = chunkOf[p];
    bool keepStore = storeKept.contains(gate);
    SmallVector<unsigned, 4> loading;
    for (Operation *user : gate->getUsers()) {
      if (isa<OutputOp>(user)) {
        keepStore |= !countInCode;
        continue;
      }
      auto it = position.find(user);
      if (it == position.end())
        continue;
      unsigned k = chunkOf[it->second];
      if (k != own && !rematOf[k].contains(gate) &&
          !llvm::is_contained(loading, k))
        loading.push_back(k);
    }
    if (loading.empty())
      continue;
    SmallVector<std::pair<unsigned, Value>, 4> added;
    bool possible = true;
    for (unsigned k : loading) {
      if (pinnedOf[k].contains(gate) || countedOf[k].contains(gate)) {
        possible = false;
        break;
      }
      for (Value operand : gate->getOperands()) {
        if (operand.getDefiningOp<ConstantOp>())
          continue;
        if (isa<BlockArgument>(operand)) {
          if (!inputsOf[k].contains(operand) &&
              !llvm::is_contained(added, std::make_pair(k, operand)))
            added.push_back({k, operand});
          continue;
        }
        auto producer = operand.getDefiningOp<GateOp>();
        if (!producer || !loadedOf[k].contains(producer) ||
            rematOf[k].contains(producer)) {
          possible = false;
          break;
        }
      }
      if (!possible)
        break;
    }
    size_t saved = loading.size() + (keepStore ? 0 : 1);
    if (!possible || added.size() >= saved)
      continue;
    for (unsigned k : loading) {
      rematOf[k].insert(gate);
      // Its operands are loaded there: they stay loaded.
      for (Value operand : gate->getOperands())
        if (auto producer = operand.getDefiningOp<GateOp>())
          pinnedOf[k].insert(producer);
    }
    for (auto [k, input] : added)
      inputsOf[k].insert(input);
    recomputed += loading.size();
  }
}

unsigned NetPartition::partOfChunk(unsigned k) const {
  unsigned p = 0;
  while (p + 1 < numParts() && partChunkStarts[p + 1] <= k)
    ++p;
  return p;
}

WindowGeometry lgc::windowGeometry(Operation *op) {
  if (auto conv = dyn_cast<ConvOp>(op))
    return {conv.getInputs(), conv.getChannels(), conv.getHeight(),
            conv.getWidth(), conv.getPadding()};
  auto pool = cast<OrPoolOp>(op);
  return {pool.getInputs(), pool.getChannels(), pool.getHeight(),
          pool.getWidth(), pool.getPadding()};
}

/// Conv -> pool fusion: an unpadded pool whose every channel is one conv's
/// results in image order, read by nothing else, gets its channels from the
/// convs directly (BlockPlan::poolPlan). Returns conv -> (pool, channel).
static llvm::DenseMap<Operation *, std::pair<Operation *, int64_t>>
convsIntoPools(ArrayRef<Operation *> blockOps,
               const llvm::DenseSet<Operation *> &live) {
  llvm::DenseMap<Operation *, std::pair<Operation *, int64_t>> poolOfConv;
  for (Operation *op : blockOps) {
    auto pool = dyn_cast<OrPoolOp>(op);
    if (!pool || !live.contains(op) || pool.getPadding() != 0)
      continue;
    int64_t H = pool.getHeight(), W = pool.getWidth();
    SmallVector<Operation *> convs;
    for (int64_t c = 0; c < pool.getChannels(); ++c) {
      auto conv = pool.getInputs()[c * H * W].getDefiningOp<ConvOp>();
      if (!conv || conv.getOutHeight() != H || conv.getOutWidth() != W ||
          int64_t(conv.getNumResults()) != H * W || poolOfConv.contains(conv) ||
          llvm::is_contained(convs, conv))
        break;
      bool exact = true;
      for (int64_t i = 0; i < H * W && exact; ++i)
        exact = pool.getInputs()[c * H * W + i] == conv.getResult(i) &&
                conv.getResult(i).hasOneUse();
      if (!exact)
        break;
      convs.push_back(conv);
    }
    if (int64_t(convs.size()) != pool.getChannels())
      continue;
    for (size_t c = 0; c < convs.size(); ++c)
      poolOfConv[convs[c]] = {op, int64_t(c)};
  }
  return poolOfConv;
}

/// Pools whose results a padded conv reads as its whole image: their results
/// go inside that conv's zero frame (BlockPlan::outRow), so the conv reads
/// them in place. Returns pool -> the frame's padding.
static llvm::DenseMap<Operation *, int64_t>
poolsIntoFrames(ArrayRef<Operation *> blockOps,
                const llvm::DenseSet<Operation *> &live) {
  llvm::DenseMap<Operation *, int64_t> poolFramePadding;
  for (Operation *op : blockOps) {
    auto conv = dyn_cast<ConvOp>(op);
    if (!conv || !live.contains(op) || conv.getPadding() == 0 ||
        conv.getInputs().empty())
      continue;
    auto pool = conv.getInputs()[0].getDefiningOp<OrPoolOp>();
    if (pool && !poolFramePadding.contains(pool) &&
        pool.getOutHeight() == conv.getHeight() &&
        pool.getOutWidth() == conv.getWidth() &&
        pool.getChannels() == conv.getChannels() &&
        llvm::equal(conv.getInputs(), pool->getResults()))
      poolFramePadding[pool] = conv.getPadding();
  }
  return poolFramePadding;
}

void NetPartition::planBlocks(
    NetOp net, unsigned parts,
    const llvm::DenseMap<Operation *, unsigned> &partOf, bool frameInputs) {
  SmallVector<Operation *> blockOps;
  for (Operation &op : net.getBodyBlock())
    if (isa<ConvOp, OrPoolOp>(op))
      blockOps.push_back(&op);
  if (blockOps.empty()) {
    partBlockStarts.assign(parts, 0);
    partSlotStarts.assign(parts, 0);
    return;
  }
  // A block is live when the GroupSum, a live gate or a live block reads
  // one of its results; blocks only read earlier ones, so one backward
  // sweep finds them all.
  llvm::DenseSet<Operation *> live;
  for (GateOp gate : order)
    live.insert(gate);
  for (Operation *op : llvm::reverse(blockOps))
    if (llvm::any_of(op->getUsers(), [&](Operation *user) {
          return isa<OutputOp>(user) || live.contains(user);
        }))
      live.insert(op);
  llvm::DenseMap<Operation *, std::pair<Operation *, int64_t>> poolOfConv =
      convsIntoPools(blockOps, live);
  llvm::DenseSet<Operation *> fedPools;
  for (auto &entry : poolOfConv)
    fedPools.insert(entry.second.first);
  llvm::DenseMap<Operation *, int64_t> poolFramePadding =
      poolsIntoFrames(blockOps, live);
  // The inputs framed as the first live block that pads them reads them,
  // with the widest padding any block reading that image gives it: the
  // packers write them there and every block reading the image reads it
  // in place, where each block (each part's, an ensemble's members all
  // reading the same image) copied them into a frame of its own.
  Block &body = net.getBodyBlock();
  auto readsAllInputs = [&](const WindowGeometry &g) {
    if (g.inputs.size() != body.getNumArguments())
      return false;
    for (auto [i, v] : llvm::enumerate(g.inputs))
      if (v != body.getArgument(unsigned(i)))
        return false;
    return true;
  };
  // The blocks that read all the inputs, in order (padded or not).
  llvm::SmallPtrSet<Operation *, 8> readInputs;
  for (Operation *op : blockOps) {
    if (!frameInputs || !live.contains(op) || fedPools.contains(op))
      continue;
    WindowGeometry g = windowGeometry(op);
    if (!readsAllInputs(g))
      continue;
    readInputs.insert(op);
    if (g.padding == 0)
      continue;
    if (!frame.height)
      frame = {g.height, g.width, g.padding};
    else if (g.height == frame.height && g.width == frame.width)
      frame.padding = std::max(frame.padding, g.padding);
  }
  if (frame.height)
    for (BlockArgument arg : body.getArguments())
      homes[arg] =
          ValueHome{ValueHome::Input,
                    int64_t(abi::inputSlot(
                        arg.getArgNumber(), uint32_t(frame.height),
                        uint32_t(frame.width), uint32_t(frame.padding)))};
  // Framed images made so far, by operands and padding.
  struct Frame {
    SmallVector<Value> image;
    int64_t height, width, padding, base, rowStride, planeStride;
  };
  SmallVector<Frame> frames;
  llvm::DenseMap<llvm::hash_code, SmallVector<size_t, 1>> framed;
  auto frameKey = [](auto image, int64_t h, int64_t w, int64_t p) {
    return llvm::hash_combine(
        llvm::hash_combine_range(image.begin(), image.end()), h, w, p);
  };
  // Records a framed image for the blocks after it that read the same one.
  // (Hashed as Values, as the blocks reading it will look it up.)
  auto addFrame = [&](auto values, int64_t h, int64_t w, int64_t p,
                      int64_t base, int64_t rowStride, int64_t planeStride) {
    SmallVector<Value> image(values);
    framed[frameKey(image, h, w, p)].push_back(frames.size());
    frames.push_back({std::move(image), h, w, p, base, rowStride, planeStride});
  };
  // Gives block `op`'s results their homes, from scratchSlots: one run, or
  // inside a new frame (registered for the conv that reads it).
  auto placeResults = [&](Operation *op, BlockPlan &plan) {
    int64_t C = 1, H = 1, W = int64_t(op->getNumResults());
    if (auto pool = dyn_cast<OrPoolOp>(op)) {
      C = pool.getChannels(), H = pool.getOutHeight(), W = pool.getOutWidth();
    } else if (auto conv = dyn_cast<ConvOp>(op)) {
      H = conv.getOutHeight(), W = conv.getOutWidth();
    }
    int64_t p = poolFramePadding.lookup(op);
    plan.outRow = W + 2 * p;
    plan.outPlane = (H + 2 * p) * plan.outRow;
    plan.outBase = scratchSlots + p * plan.outRow + p;
    plan.framePadding = p;
    if (p > 0)
      addFrame(op->getResults(), H, W, p, scratchSlots, plan.outRow,
               plan.outPlane);
    for (int64_t c = 0; c < C; ++c)
      for (int64_t y = 0; y < H; ++y)
        for (int64_t x = 0; x < W; ++x)
          homes[op->getResult(unsigned((c * H + y) * W + x))] =
              ValueHome{ValueHome::Scratch,
                        plan.outBase + c * plan.outPlane + y * plan.outRow + x};
    scratchSlots += C * plan.outPlane;
  };
  // Part by part, each from slot 0: a part's blocks come after the parts
  // before it were counted, and frames are not shared across parts.
  std::vector<SmallVector<Operation *>> blocksOf(parts);
  for (Operation *op : blockOps)
    if (live.contains(op))
      blocksOf[partOf.lookup(op)].push_back(op);
  int64_t most = 0;
  for (unsigned part = 0; part < parts; ++part) {
    partBlockStarts.push_back(unsigned(blockPlans.size()));
    scratchSlots = 0;
    frames.clear();
    framed.clear();
    for (Operation *op : blocksOf[part]) {
      WindowGeometry g = windowGeometry(op);
      BlockPlan plan{op, ValueHome::Scratch, 0, 0, 0, true, 0};
      if (fedPools.contains(op)) {
        // Its convs compute it: only its results need homes.
        plan.gathered = false;
        plan.fedByConvs = true;
        placeResults(op, plan);
        for (BlockPlan &conv : blockPlans)
          if (auto it = poolOfConv.find(conv.op);
              it != poolOfConv.end() && it->second.first == op) {
            conv.poolPlan = int64_t(blockPlans.size());
            conv.poolChannel = it->second.second;
          }
        blockPlans.push_back(plan);
        continue;
      }
      // The framed inputs, in place: a block padding them less reads inside
      // the frame.
      bool inFrame = frame.height && readInputs.contains(op) &&
                     g.height == frame.height && g.width == frame.width &&
                     g.padding <= frame.padding;
      // In place: the operands are inputs (or an earlier block's results) at
      // consecutive indices, and no border is needed.
      std::optional<ValueHome> first = g.padding == 0 && !inFrame
                                           ? consecutiveHomes(g.inputs)
                                           : std::nullopt;
      bool inPlace = first.has_value();
      llvm::hash_code key = frameKey(g.inputs, g.height, g.width, g.padding);
      const Frame *same = nullptr;
      if (!inFrame && !inPlace)
        for (size_t k : framed.lookup(key)) {
          const Frame &f = frames[k];
          if (f.height == g.height && f.width == g.width &&
              f.padding == g.padding && llvm::equal(f.image, g.inputs))
            same = &f;
        }
      if (inFrame) {
        int64_t inset = frame.padding - g.padding;
        plan.sourceKind = ValueHome::Input;
        plan.rowStride = frame.width + 2 * frame.padding;
        plan.planeStride = (frame.height + 2 * frame.padding) * plan.rowStride;
        plan.sourceBase = inset * plan.rowStride + inset;
        plan.gathered = false;
      } else if (inPlace) {
        plan.sourceKind = first->kind;
        plan.sourceBase = first->index;
        plan.rowStride = g.width;
        plan.planeStride = g.height * g.width;
        plan.gathered = false;
      } else if (same) {
        plan.sourceBase = same->base;
        plan.rowStride = same->rowStride;
        plan.planeStride = same->planeStride;
        plan.gathered = false;
      } else {
        plan.sourceBase = scratchSlots;
        plan.rowStride = g.width + 2 * g.padding;
        plan.planeStride = (g.height + 2 * g.padding) * plan.rowStride;
        scratchSlots += g.channels * plan.planeStride;
        addFrame(g.inputs, g.height, g.width, g.padding, plan.sourceBase,
                 plan.rowStride, plan.planeStride);
      }
      // A conv fused into its pool stores no results of its own.
      if (!poolOfConv.contains(op))
        placeResults(op, plan);
      blockPlans.push_back(plan);
    }
    partSlotStarts.push_back(scratchSlots);
    most = std::max(most, scratchSlots);
  }
  scratchSlots = most;
}

LogicalResult lgc::checkBlocksAheadOfGates(NetOp net) {
  for (Operation &op : net.getBodyBlock()) {
    if (!isa<ConvOp, OrPoolOp>(op))
      continue;
    for (Value v : windowGeometry(&op).inputs)
      if (v.getDefiningOp<GateOp>())
        return op.emitOpError("reads a gate: position loops evaluate the "
                              "blocks ahead of every gate (unroll the blocks "
                              "instead)");
  }
  return success();
}

LogicalResult lgc::checkNoBlocks(NetOp net, StringRef lowering) {
  for (Operation &op : net.getBodyBlock())
    if (isa<ConvOp, OrPoolOp>(op))
      return op.emitOpError("must be unrolled to gates before ")
             << lowering << " (lgn-unroll-blocks)";
  return success();
}

ArrayRef<GateOp> NetPartition::chunk(unsigned k) const {
  size_t end = k + 1 < chunkStarts.size() ? chunkStarts[k + 1] : order.size();
  return ArrayRef<GateOp>(order).slice(chunkStarts[k], end - chunkStarts[k]);
}

std::optional<ValueHome> NetPartition::home(Value v) const {
  if (auto it = homes.find(v); it != homes.end())
    return it->second;
  return std::nullopt;
}

std::optional<ValueHome>
NetPartition::consecutiveHomes(ValueRange values) const {
  if (values.empty())
    return std::nullopt;
  std::optional<ValueHome> first = home(values[0]);
  if (!first || first->kind == ValueHome::Constant)
    return std::nullopt;
  for (size_t i = 1; i < values.size(); ++i) {
    std::optional<ValueHome> h = home(values[i]);
    if (!h || h->kind != first->kind || h->index != first->index + int64_t(i))
      return std::nullopt;
  }
  return first;
}

//===----------------------------------------------------------------------===//
// GateEmitterBase
//===----------------------------------------------------------------------===//

template <typename V> void GateEmitterBase<V>::beginFunction() {
  local.clear();
  onesCache = zerosCache = V();
}

template <typename V> V GateEmitterBase<V>::ones() {
  if (!onesCache)
    onesCache = constant(true);
  return onesCache;
}

template <typename V> V GateEmitterBase<V>::zeros() {
  if (!zerosCache)
    zerosCache = constant(false);
  return zerosCache;
}

template <typename V> V GateEmitterBase<V>::use(Value v, size_t at) {
  auto it = local.find(v);
  if (it != local.end() && at - it->second.at <= partition.window())
    return it->second.value;
  // A gate of an earlier function that this one recomputes instead of
  // loading it: from values the function reads anyway, or inputs it loads
  // for it (NetPartition::planRemat).
  if (auto producer = v.getDefiningOp<GateOp>();
      producer && partition.recomputes(currentChunk, producer)) {
    V lhs = use(producer.getLhs(), at);
    V rhs = use(producer.getRhs(), at);
    V result = gate(producer.getKind(), lhs, rhs);
    local[v] = Local{result, at};
    return result;
  }
  std::optional<ValueHome> home = partition.home(v);
  // A value without a home stays in its register (a fused gate may read
  // its operands a little later than the partition planned).
  if (it != local.end() && !home)
    return it->second.value;
  assert(home && "a value used beyond its window must have a home");
  V result = load(*home);
  // Constants are cached by ones() and zeros() already.
  if (home->kind != ValueHome::Constant)
    local[v] = Local{result, at};
  return result;
}

template <typename V> V GateEmitterBase<V>::load(const ValueHome &home) {
  switch (home.kind) {
  case ValueHome::Input:
    return loadInput(home.index);
  case ValueHome::Scratch:
    return loadScratch(home.index);
  case ValueHome::Constant:
    return home.index ? ones() : zeros();
  }
  llvm_unreachable("unknown home");
}

/// `f` as a three-input table: bit (a << 2 | b << 1 | c) is f(a, b, c).
static unsigned ternaryTable(llvm::function_ref<bool(bool, bool, bool)> f) {
  unsigned table = 0;
  for (unsigned i = 0; i < 8; ++i)
    table |= unsigned(f((i >> 2) & 1, (i >> 1) & 1, i & 1)) << i;
  return table;
}

template <typename V> V GateEmitterBase<V>::gate(lgn::GateKind kind, V x, V y) {
  bool wire = kind == lgn::GateKind::A || kind == lgn::GateKind::B ||
              kind == lgn::GateKind::Zero || kind == lgn::GateKind::One;
  if (!hasTernary() || wire)
    return bitwise(kind, x, y);
  // ternary(x, y, y): the gate of (a, b), whatever c. Passing y twice lets
  // the code generator read either copy from memory ((x, x, y) gave 28 %
  // more loads on AVX-512).
  return ternary(ternaryTable([&](bool a, bool b, bool) {
                   return evalGate(unsigned(kind), a, b);
                 }),
                 x, y, y);
}

template <typename V> void GateEmitterBase<V>::emitChunk(unsigned k) {
  ArrayRef<GateOp> gates = partition.chunk(k);
  // With ternary logic, a gate may absorb the gate just before it when
  // that one has no other use and no home; an absorbing gate is not
  // absorbed itself (that would be four inputs). Only the gate just before:
  // the partition freed the absorbed gate's operands' slots after it, and
  // only the absorbing gate's own store may follow.
  llvm::DenseMap<Operation *, GateOp> absorbs;
  llvm::DenseSet<Operation *> absorbed;
  if (hasTernary())
    for (size_t i = 1; i < gates.size(); ++i) {
      GateOp gate = gates[i], inner = gates[i - 1];
      Value v = inner.getResult();
      if ((gate.getLhs() == v) != (gate.getRhs() == v) && v.hasOneUse() &&
          !partition.home(v) && !absorbs.count(inner)) {
        absorbs[gate] = inner;
        absorbed.insert(inner);
      }
    }
  size_t at = partition.chunkStart(k);
  currentChunk = k;
  // Count events from the first one at or after this function's first gate.
  if (partition.countsInCode()) {
    unsigned part = partition.partOfChunk(k);
    auto events = partition.countEvents(part);
    beginCounts(part,
                size_t(llvm::partition_point(
                           events, [&](const auto &e) { return e.at < at; }) -
                       events.begin()));
  }
  auto countAfter = [&](size_t position) {
    if (!partition.countsInCode())
      return;
    auto events = partition.countEvents(countingPart);
    while (nextEvent < events.size() && events[nextEvent].at == position)
      count(events[nextEvent++], position);
  };
  for (GateOp gate : gates) {
    if (absorbed.contains(gate)) {
      countAfter(at);
      ++at;
      continue;
    }
    V result;
    if (GateOp inner = absorbs.lookup(gate)) {
      bool innerFirst = gate.getLhs() == inner.getResult();
      Value other = innerFirst ? gate.getRhs() : gate.getLhs();
      // outer(inner(a, b), c), or outer(c, inner(a, b)).
      unsigned table = ternaryTable([&](bool a, bool b, bool c) {
        bool in = evalGate(unsigned(inner.getKind()), a, b);
        return innerFirst ? evalGate(unsigned(gate.getKind()), in, c)
                          : evalGate(unsigned(gate.getKind()), c, in);
      });
      result = ternary(table, use(inner.getLhs(), at), use(inner.getRhs(), at),
                       use(other, at));
    } else {
      result = this->gate(gate.getKind(), use(gate.getLhs(), at),
                          use(gate.getRhs(), at));
    }
    local[gate.getResult()] = Local{result, at};
    if (std::optional<ValueHome> home = partition.home(gate.getResult()))
      storeScratch(result, home->index);
    countAfter(at);
    ++at;
  }
  if (partition.countsInCode())
    saveCounts();
  currentChunk = ~0u;
}

//===----------------------------------------------------------------------===//
// GroupSum in the generated code
//===----------------------------------------------------------------------===//

/// The counter's shape after n additions: how many bits each column holds
/// (GateEmitterBase::addToCount, which this replays without the values).
static SmallVector<unsigned> counterShape(size_t n) {
  SmallVector<unsigned> shape;
  for (size_t i = 0; i < n; ++i) {
    unsigned j = 0;
    if (shape.empty())
      shape.push_back(0);
    ++shape[0];
    while (shape[j] == 3) {
      shape[j] = 1;
      if (j + 1 == shape.size())
        shape.push_back(0);
      ++shape[++j];
    }
  }
  return shape;
}

template <typename V>
void GateEmitterBase<V>::beginCounts(unsigned part, size_t firstEvent) {
  countingPart = part;
  nextEvent = firstEvent;
  // The open class is the one of the event before, with as many additions
  // as its events before this one; its counter waits in scratch.
  auto events = partition.countEvents(part);
  openClass = firstEvent ? int64_t(events[firstEvent - 1].cls) : -1;
  added = 0;
  for (size_t e = firstEvent; e-- > 0 && events[e].cls == openClass;)
    ++added;
  countsLive = false;
  columns.clear();
  memoryBits.clear();
}

template <typename V>
std::optional<bool> GateEmitterBase<V>::constantValue(V v) const {
  if (v && v == onesCache)
    return true;
  if (v && v == zerosCache)
    return false;
  return std::nullopt;
}

// The adders fold their constant operands (outputs the optimiser made
// constant, the zero of a half adder) here rather than leave them to LLVM:
// its DAG combiner, folding them, took time quadratic in a function's size
// (784-6x8000 GPU, 1,000 gates a function: 1,082 full adders with a
// constant input made DAG combining 5.6 times slower than without them).
template <typename V> V GateEmitterBase<V>::majority(V a, V b, V c) {
  SmallVector<V, 3> vars;
  unsigned numOnes = 0, numZeros = 0;
  for (V v : {a, b, c}) {
    if (std::optional<bool> k = constantValue(v))
      ++(*k ? numOnes : numZeros);
    else
      vars.push_back(v);
  }
  // maj(x, 1, 1) = 1; maj(x, 0, 0) = 0.
  if (numOnes >= 2)
    return ones();
  if (numZeros >= 2)
    return zeros();
  // maj(x, 0, 1) = x.
  if (vars.size() == 1)
    return vars[0];
  // maj(x, y, 1) = x | y; maj(x, y, 0) = x & y.
  if (vars.size() == 2)
    return bitwise(numOnes ? lgn::GateKind::Or : lgn::GateKind::And, vars[0],
                   vars[1]);
  if (hasTernaryAdders())
    return ternary(0xE8, a, b, c);
  return bitwise(
      lgn::GateKind::Or, bitwise(lgn::GateKind::And, a, b),
      bitwise(lgn::GateKind::And, c, bitwise(lgn::GateKind::Or, a, b)));
}

template <typename V> V GateEmitterBase<V>::xor3(V a, V b, V c) {
  SmallVector<V, 3> vars;
  bool odd = false;
  for (V v : {a, b, c}) {
    if (std::optional<bool> k = constantValue(v))
      odd ^= *k;
    else
      vars.push_back(v);
  }
  if (vars.size() == 3) {
    if (hasTernaryAdders())
      return ternary(0x96, a, b, c);
    return bitwise(lgn::GateKind::Xor, bitwise(lgn::GateKind::Xor, a, b), c);
  }
  // x ^ 0 = x; x ^ 1 = ~x: the xor of the others, negated by an odd number
  // of constant ones.
  if (vars.empty())
    return odd ? ones() : zeros();
  V sum = vars.size() == 2 ? bitwise(lgn::GateKind::Xor, vars[0], vars[1])
                           : vars[0];
  return odd ? bitwise(lgn::GateKind::NotA, sum, sum) : sum;
}

template <typename V>
void GateEmitterBase<V>::count(const NetPartition::CountEvent &event,
                               size_t at) {
  restoreCounts();
  if (int64_t(event.cls) != openClass) {
    finishClass();
    zeroCounts(openClass + 1, event.cls);
    openClass = event.cls;
    added = 0;
    columns.clear();
    memoryBits.clear();
  }
  addToCount(at == NetPartition::kCountAtTail ? load(*partition.home(event.bit))
                                              : use(event.bit, at));
  ++added;
}

template <typename V> void GateEmitterBase<V>::restoreCounts() {
  if (countsLive)
    return;
  // The open class's counter, as the function before saved it.
  SmallVector<unsigned> shape = counterShape(openClass < 0 ? 0 : added);
  columns.assign(shape.size(), {});
  memoryBits.assign(shape.size(), 0);
  for (unsigned j = 0; j < shape.size(); ++j) {
    if (j >= registerColumns) {
      memoryBits[j] = shape[j];
      continue;
    }
    for (unsigned i = 0; i < shape[j]; ++i)
      columns[j].push_back(loadScratch(partition.countStateSlot(j, i)));
  }
  countsLive = true;
}

template <typename V> void GateEmitterBase<V>::addToCount(V bit) {
  if (columns.empty())
    columns.emplace_back();
  columns[0].push_back(bit);
  // A column of three bits becomes one, and a carry into the next.
  for (unsigned j = 0; columns[j].size() == 3; ++j) {
    auto &col = columns[j];
    V high = majority(col[0], col[1], col[2]);
    V low = xor3(col[0], col[1], col[2]);
    col.assign({low});
    if (j + 1 >= registerColumns) {
      carryToMemory(j + 1, high);
      return;
    }
    if (j + 1 == columns.size())
      columns.emplace_back();
    columns[j + 1].push_back(high);
  }
}

template <typename V>
void GateEmitterBase<V>::carryToMemory(unsigned j, V bit) {
  if (j >= columns.size())
    columns.resize(j + 1);
  if (j >= memoryBits.size())
    memoryBits.resize(j + 1, 0);
  // The same rule as in registers: a third bit makes a full adder.
  if (memoryBits[j] < 2) {
    storeScratch(bit, partition.countStateSlot(j, memoryBits[j]++));
    return;
  }
  V a = loadScratch(partition.countStateSlot(j, 0));
  V b = loadScratch(partition.countStateSlot(j, 1));
  V high = majority(a, b, bit);
  storeScratch(xor3(a, b, bit), partition.countStateSlot(j, 0));
  memoryBits[j] = 1;
  carryToMemory(j + 1, high);
}

template <typename V> void GateEmitterBase<V>::finishClass() {
  if (openClass < 0)
    return;
  unsigned K = partition.countPlanes();
  // Sized first: the adders append carries to the next column.
  if (columns.size() < K)
    columns.resize(K);
  // The columns kept in scratch join the reduction.
  for (unsigned j = registerColumns; j < memoryBits.size(); ++j)
    for (unsigned i = 0; i < memoryBits[j]; ++i)
      columns[j].push_back(loadScratch(partition.countStateSlot(j, i)));
  memoryBits.clear();
  for (unsigned j = 0; j < K; ++j) {
    V plane = zeros();
    {
      auto &col = columns[j];
      // Full or half adders until the column is one bit; the count fits K
      // planes, so nothing carries past the last.
      while (col.size() > 1) {
        // A half adder is a full adder whose third bit is 0.
        V c = col.size() == 3 ? col[2] : zeros();
        V high = majority(col[0], col[1], c);
        V low = xor3(col[0], col[1], c);
        col.assign({low});
        if (j + 1 < K)
          columns[j + 1].push_back(high);
      }
      if (!col.empty())
        plane = col[0];
    }
    storeScratch(plane, partition.countPlaneSlot(unsigned(openClass), j));
  }
}

template <typename V> void GateEmitterBase<V>::saveCounts() {
  if (!countsLive || openClass < 0)
    return;
  for (unsigned j = 0; j < columns.size(); ++j)
    for (unsigned i = 0; i < columns[j].size(); ++i)
      storeScratch(columns[j][i], partition.countStateSlot(j, i));
}

template <typename V> void GateEmitterBase<V>::emitCountTail(unsigned p) {
  auto events = partition.countEvents(p);
  size_t first =
      size_t(llvm::partition_point(events,
                                   [](const auto &e) {
                                     return e.at != NetPartition::kCountAtTail;
                                   }) -
             events.begin());
  beginCounts(p, first);
  while (nextEvent < events.size())
    count(events[nextEvent++], NetPartition::kCountAtTail);
  restoreCounts();
  finishClass();
  zeroCounts(openClass + 1, partition.numClasses());
}

template <typename V>
void GateEmitterBase<V>::zeroCounts(int64_t first, int64_t end) {
  for (int64_t c = first; c < end; ++c)
    for (unsigned j = 0; j < partition.countPlanes(); ++j)
      storeScratch(zeros(), partition.countPlaneSlot(unsigned(c), j));
}

// The two value types the lowerings emit: MLIR's LLVM dialect and LLVM IR.
template class lgc::GateEmitterBase<mlir::Value>;
template class lgc::GateEmitterBase<llvm::Value *>;

Value GateEmitter::bitwise(lgn::GateKind kind, Value x, Value y) {
  return lowerGateOp(
      b, loc, kind, x, y, [&] { return ones(); }, [&] { return zeros(); });
}

Value lgc::lowerGateOp(OpBuilder &b, Location loc, lgn::GateKind kind, Value x,
                       Value y, llvm::function_ref<Value()> ones,
                       llvm::function_ref<Value()> zeros) {
  struct {
    OpBuilder &b;
    Location loc;
    llvm::function_ref<Value()> ones, zeros;
    Value not_(Value v) { return b.create<LLVM::XOrOp>(loc, v, ones()); }
    Value and_(Value p, Value q) { return b.create<LLVM::AndOp>(loc, p, q); }
    Value or_(Value p, Value q) { return b.create<LLVM::OrOp>(loc, p, q); }
    Value xor_(Value p, Value q) { return b.create<LLVM::XOrOp>(loc, p, q); }
  } ops{b, loc, ones, zeros};
  return lowerGate(kind, x, y, ops);
}

//===----------------------------------------------------------------------===//
// ABI tables
//===----------------------------------------------------------------------===//

EncodingTables lgc::encodingTables(NetOp net) {
  EncodingTables t;
  unsigned inputs = net.getNumInputs();
  if (auto levels = net.getLevels()) {
    t.numFeatures = uint32_t(net.getFeaturesAttr().getInt());
    t.levels.assign(levels->begin(), levels->end());
    for (unsigned i = 0; i < inputs; ++i) {
      t.features.push_back(int32_t(abi::thermometerFeature(i, t.numFeatures)));
      t.thresholds.push_back(t.levels[abi::thermometerLevel(i, t.numFeatures)]);
    }
  } else if (auto bitFeatures = net.getBitFeatures()) {
    t.numFeatures = uint32_t(net.getFeaturesAttr().getInt());
    t.features.assign(bitFeatures->begin(), bitFeatures->end());
    t.thresholds.assign(net.getBitThresholds()->begin(),
                        net.getBitThresholds()->end());
  } else {
    // The identity encoding is the one-level thermometer at 0.5.
    t.numFeatures = inputs;
    t.levels = {0.5f};
    for (unsigned i = 0; i < inputs; ++i) {
      t.features.push_back(int32_t(i));
      t.thresholds.push_back(0.5f);
    }
  }
  return t;
}

SmallVector<int32_t> lgc::shapeTable(NetOp net, const NetPartition &partition,
                                     const EncodingTables &encoding,
                                     unsigned vectorWords) {
  unsigned outputs = unsigned(net.getOutputOp().getBits().size());
  SmallVector<int32_t> shape(abi::kNumShapeSlots, 0);
  shape[abi::kABIVersion] = int32_t(abi::kGeneratedABIVersion);
  shape[abi::kInputs] = int32_t(net.getNumInputs());
  shape[abi::kFeatures] = int32_t(encoding.numFeatures);
  shape[abi::kClasses] = int32_t(net.getClasses());
  shape[abi::kOutputs] = int32_t(outputs);
  shape[abi::kGates] = int32_t(partition.numGates());
  shape[abi::kVectorWords] = int32_t(vectorWords);
  shape[abi::kPlanes] =
      int32_t(abi::planesForGroup(outputs / net.getClasses()));
  shape[abi::kScratchSlots] = int32_t(partition.numScratchSlots());
  shape[abi::kLevels] = int32_t(encoding.levels.size());
  shape[abi::kParts] = int32_t(partition.numParts());
  shape[abi::kCountPlanes] = partition.countsInCode() ? 1 : 0;
  shape[abi::kInputFrameHeight] = int32_t(partition.inputFrame().height);
  shape[abi::kInputFrameWidth] = int32_t(partition.inputFrame().width);
  shape[abi::kInputFramePadding] = int32_t(partition.inputFrame().padding);
  return shape;
}

SmallVector<int32_t> lgc::outputHomeTable(NetOp net,
                                          const NetPartition &partition) {
  SmallVector<int32_t> table;
  for (Value v : net.getOutputOp().getBits()) {
    ValueHome home = *partition.home(v);
    switch (home.kind) {
    case ValueHome::Scratch:
      table.push_back(int32_t(home.index));
      break;
    case ValueHome::Input:
      table.push_back(abi::outputFromInput(uint32_t(home.index)));
      break;
    case ValueHome::Constant:
      table.push_back(home.index ? abi::kOutputConstOne
                                 : abi::kOutputConstZero);
      break;
    }
  }
  return table;
}

template <typename T>
static LLVM::GlobalOp constantArray(OpBuilder &b, Location loc, StringRef name,
                                    Type elem, ArrayRef<T> values,
                                    unsigned addressSpace) {
  auto tensor = RankedTensorType::get({int64_t(values.size())}, elem);
  Attribute value;
  if constexpr (std::is_same_v<T, float>)
    value = DenseFPElementsAttr::get(tensor, values);
  else
    value = DenseIntElementsAttr::get(tensor, values);
  return b.create<LLVM::GlobalOp>(
      loc, LLVM::LLVMArrayType::get(elem, values.size()),
      /*isConstant=*/true, LLVM::Linkage::External, name, value,
      /*alignment=*/0, addressSpace);
}

LLVM::GlobalOp lgc::createConstantArray(OpBuilder &b, Location loc,
                                        StringRef name,
                                        ArrayRef<int32_t> values,
                                        unsigned addressSpace) {
  return constantArray(b, loc, name, b.getI32Type(), values, addressSpace);
}

LLVM::GlobalOp lgc::createConstantArray(OpBuilder &b, Location loc,
                                        StringRef name,
                                        ArrayRef<int64_t> values,
                                        unsigned addressSpace) {
  return constantArray(b, loc, name, b.getI64Type(), values, addressSpace);
}

LLVM::GlobalOp lgc::createConstantArray(OpBuilder &b, Location loc,
                                        StringRef name, ArrayRef<float> values,
                                        unsigned addressSpace) {
  return constantArray(b, loc, name, b.getF32Type(), values, addressSpace);
}

LogicalResult
lgc::lowerOnlyNet(ModuleOp module,
                  llvm::function_ref<LogicalResult(NetOp, OpBuilder &)> lower) {
  NetOp found;
  for (NetOp net : module.getOps<NetOp>()) {
    if (found)
      return net.emitOpError(
          "is the second net in this module; lower one net per module");
    found = net;
  }
  if (!found)
    return success();
  OpBuilder b(module.getContext());
  b.setInsertionPointToEnd(module.getBody());
  if (failed(lower(found, b)))
    return failure();
  found.erase();
  return success();
}
