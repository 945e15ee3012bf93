//===- BlockKernel.cpp - The GPU block kernel ----------------------------===//
//
// Part of lgc. The block kernel (block-kernel=true): a block's threads share
// a few words and evaluate one level of gates at a time, reading the tables
// of BlockSchedule.h and keeping every live value in shared memory, so a
// value crosses no function boundary through DRAM; its phase 0 from packed
// bits or, in its u8 form, from 8-bit features.
//
//===----------------------------------------------------------------------===//

#include "BlockSchedule.h"
#include "NVVMLowering.h"

#include "lgc/Runtime/Net.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/BuiltinOps.h"

using namespace lgc;
using namespace lgc::nvvm;

/// The bit of an entry's high 32 bits that holds mask j (4 t + xy: mask xy
/// of truth table t) in the kernel's tables: the sign bit of byte 2 or 3
/// of the high half shifted left by j / 2, so that a mask is one byte
/// permute with sign replication (PRMT) of the high half or of one shift
/// of it shared by two masks, where shifting the bit to the top and back
/// took two instructions a mask.
static unsigned maskBit(unsigned j) { return (j % 2 ? 31 : 23) - j / 2; }

/// The kernel's form of a table of entries whose truth tables are at bits
/// 48, 52 and 56 (BlockSchedule: bit 2 x + y of one, the value for a = x,
/// b = y), every `stride`-th entry (the others are fused entries' second
/// halves): each becomes the masks of the kernel's multiplexers, f(0,0),
/// f(0,0) ^ f(0,1), f(1,0) and f(1,0) ^ f(1,1), so that the kernel does
/// not compute the two XORs for every gate (two of its instructions a
/// gate; the constant 0 table stays 0), mask j at bit 32 + maskBit(j).
static std::vector<int64_t> kernelTables(std::vector<int64_t> entries,
                                         unsigned stride) {
  for (size_t i = 0; i < entries.size(); i += stride) {
    uint64_t e = uint64_t(entries[i]), out = e & 0xFFFFFFFFFFFFull;
    for (unsigned table = 0; table < 3; ++table) {
      uint64_t t = (e >> (48 + 4 * table)) & 15;
      uint64_t m[4] = {t & 1, (t ^ t >> 1) & 1, t >> 2 & 1,
                       (t >> 2 ^ t >> 3) & 1};
      for (unsigned xy = 0; xy < 4; ++xy)
        out |= m[xy] << (32 + maskBit(4 * table + xy));
    }
    entries[i] = int64_t(out);
  }
  return entries;
}

/// The table of entries `entries` (every `stride`-th a gate's first i64,
/// slots at bits 0, 16 and 32; with stride 2 the next i64 a fused entry's
/// further leaves at bits 0 and 16) with every slot multiplied by
/// `factor`: a slot's byte offset in its word's rows, which the kernel adds
/// to the rows' address as it is (one instruction a slot fewer than
/// scaling an index).
static std::vector<int64_t> slotOffsets(std::vector<int64_t> entries,
                                        unsigned stride, unsigned factor) {
  for (size_t i = 0; i < entries.size(); ++i) {
    bool first = i % stride == 0;
    uint64_t e = uint64_t(entries[i]);
    for (unsigned shift : {0u, 16u, 32u}) {
      if (!first && shift == 32)
        break;
      uint64_t slot = (e >> shift) & 0xFFFF;
      assert(slot * factor <= 0xFFFF && "slot offset past 16 bits");
      e = (e & ~(uint64_t(0xFFFF) << shift)) | (slot * factor) << shift;
    }
    entries[i] = int64_t(e);
  }
  return entries;
}

/// The slots of a reduction group's row in the kernel's tables: its `per`
/// slots padded to a multiple of 4, so that a thread loads them 16 bytes at
/// a time.
static unsigned groupRowSlots(unsigned per) {
  return unsigned(llvm::alignTo(per, 4));
}

/// Thread tid takes items tid, tid + B, ...: item j is features V q ..
/// V q + V - 1 (q = j % G, G = F / V, V as the packing kernel's) at every
/// level, for the block's word j / G. Consecutive threads take consecutive
/// features of one word, so that a warp's load of a sample is 32 V
/// contiguous bytes, as in lgc_pack_u8, and its bits go straight to their
/// slots instead of through the packed input array.
void NVVMLowering::inputsFromU8(const EncodingTables &encoding, Value x,
                                Value n, Value w0, Value tid, unsigned S,
                                unsigned B, unsigned bits,
                                function_ref<Value(Value, Value)> at) {
  using P = LLVM::ICmpPredicate;
  int64_t F = encoding.numFeatures, L = int64_t(encoding.levels.size());
  int64_t V =
      int64_t(abi::gpuPackU8FeaturesPerThread(uint32_t(L), uint32_t(F)));
  int64_t G = F / V;
  Type wordType = bits == 64 ? i64 : i32;
  Value slots = global(kBlockInputSlots);
  SmallVector<Value> thresholds;
  for (float level : encoding.levels)
    thresholds.push_back(constI64(abi::byteThreshold(level)));
  loop(tid, constI64(G * int64_t(S)), constI64(B), [&](Value item) {
    Value q = b.create<LLVM::URemOp>(loc, item, constI64(G));
    Value s = b.create<LLVM::UDivOp>(loc, item, constI64(G));
    Value f = V == 1 ? q : b.create<LLVM::MulOp>(loc, q, constI64(V));
    Value first = b.create<LLVM::MulOp>(loc, b.create<LLVM::AddOp>(loc, w0, s),
                                        constI64(bits));
    // Input i has slot i + 2 (scheduleBlocks), so lanes storing the same k
    // of consecutive q would hit slots V apart, V lanes a bank (pair): at
    // step k thread q stores feature f + (k + q / R) % V instead (R =
    // banks / V), which spreads the lanes of a warp's store over every
    // bank (bench/gpu_block_banks.py: 6x8000, two words, 388 to 100
    // wavefronts a block).
    int64_t R = std::max<int64_t>(1, (bits == 64 ? kBankPairs : kBanks) / V);
    Value turn = V == 1 ? Value()
                        : b.create<LLVM::URemOp>(
                              loc, b.create<LLVM::UDivOp>(loc, q, constI64(R)),
                              constI64(V));
    auto storeWords = [&](ArrayRef<Value> words) {
      for (int64_t k = 0; k < V; ++k) {
        // kk = (k + turn) % V, and the words of feature f + kk.
        Value kk = constI64(k);
        SmallVector<Value> chosen(words.begin() + k * L,
                                  words.begin() + (k + 1) * L);
        if (V > 1) {
          kk = b.create<LLVM::URemOp>(
              loc, b.create<LLVM::AddOp>(loc, turn, constI64(k)), constI64(V));
          for (int64_t other = 0; other < V; ++other) {
            if (other == k)
              continue;
            Value is = cmp(P::eq, kk, constI64(other));
            for (int64_t j = 0; j < L; ++j)
              chosen[j] = b.create<LLVM::SelectOp>(
                  loc, is, words[other * L + j], chosen[j]);
          }
        }
        for (int64_t j = 0; j < L; ++j) {
          Value slot = tableAt(
              slots,
              b.create<LLVM::AddOp>(
                  loc, f, b.create<LLVM::AddOp>(loc, kk, constI64(j * F))));
          ifThen(cmp(P::ne, slot, constI64(0xffffffff)), [&] {
            b.create<LLVM::StoreOp>(loc, chosen[j], at(slot, s), bits / 8);
          });
        }
      }
    };
    Value zeroWord = bits == 64 ? constI64(0) : constI32(0);
    // Whole words (all but the last) read their samples at constant
    // offsets from the first, unchecked (wholeWord); else each sample is
    // checked against n.
    Value full = wholeWord(x, n, first, bits, V);
    ifThen(full,
           [&] { storeWords(thermometerWords(encoding, x, first, f, bits)); });
    Value partial = notI1(full);
    // The last word (or an unaligned x): its slots cleared, then each
    // sample below n checked and its bits or'ed in one at a time, a loop
    // rather than the fast path's unrolled one (whose loads, unrolled a
    // second time with their checks, made ptxas spill).
    ifThen(partial, [&] {
      storeWords(SmallVector<Value>(V * L, zeroWord));
      // Each input bit's slot, looked up once for all samples.
      SmallVector<Value> slotOf;
      for (int64_t k = 0; k < V; ++k)
        for (int64_t j = 0; j < L; ++j)
          slotOf.push_back(tableAt(
              slots, b.create<LLVM::AddOp>(loc, f, constI64(j * F + k))));
      loop(constI64(0), samplesBelow(first, n, bits), constI64(1),
           [&](Value sample) {
             Value row = b.create<LLVM::MulOp>(
                 loc, b.create<LLVM::AddOp>(loc, first, sample), constI64(F));
             Value shift =
                 bits == 64
                     ? sample
                     : b.create<LLVM::TruncOp>(loc, i32, sample).getResult();
             for (int64_t k = 0; k < V; ++k) {
               Value value = featureByte(x, row, f, k);
               for (int64_t j = 0; j < L; ++j) {
                 Value slot = slotOf[k * L + j];
                 Value on = a(cmp(P::uge, value, thresholds[j]),
                              cmp(P::ne, slot, constI64(0xffffffff)));
                 ifThen(on, [&] {
                   Value p = at(slot, s);
                   Value word =
                       b.create<LLVM::LoadOp>(loc, wordType, p, bits / 8);
                   Value bit = b.create<LLVM::ShlOp>(
                       loc, bits == 64 ? constI64(1) : constI32(1), shift);
                   b.create<LLVM::StoreOp>(loc, o(word, bit), p, bits / 8);
                 });
               }
             }
           });
    });
  });
}

LogicalResult NVVMLowering::runBlock(const ConvertLGNToNVVMOptions &options,
                                     bool alongside) {
  std::vector<GateOp> order;
  for (unsigned k = 0; k < partition.numChunks(); ++k)
    llvm::append_range(order, partition.chunk(k));
  unsigned B = std::max(32u, unsigned(options.blockThreads));
  if (B > kMaxGpuBlockThreads)
    return mlir::emitError(net.getLoc())
           << "block-threads must be at most " << kMaxGpuBlockThreads
           << " (a CUDA block's limit), not " << B;
  unsigned U = std::max(1u, unsigned(options.blockUnroll));
  // Whether the round's values leave registers to spare (U below the cap
  // below): the level loop's code for whole rounds and one more round (a
  // second copy of a round) spilled where they did not (784-6x8000, four
  // words, 1,024 threads, 64 registers: 28 bytes).
  bool unrollRoom = true;
  bool unrollCapped = false;
  // The schedule for rounds of `roundGates` entries (the levels filled to
  // whole rounds, block-balance-levels), words interleaved in groups of
  // `groupWords`, lanes spread over `banks`.
  auto schedule = [&](unsigned roundGates, unsigned groupWords, unsigned banks,
                      unsigned freshSlots, unsigned countWords = 0) {
    return scheduleBlocks(
        net, order, B, U, groupWords, options.blockSpreadBanks, banks,
        options.blockFuseGates, options.blockThreadRuns, freshSlots,
        options.blockBalanceLevels ? roundGates : 0, countWords);
  };
  // First for a word a thread and the unroll asked for: its slots choose
  // the words and their width, which may change the round.
  const unsigned firstRound = B * U;
  BlockSchedule sched =
      schedule(firstRound, /*groupWords=*/1, kBankPairs, /*freshSlots=*/0);
  // The arguments of the schedule kept (round, group words, banks, fresh
  // slots), to schedule its count again for the words chosen; whether it
  // was made for them.
  std::array<unsigned, 4> adopted = {firstRound, 1, kBankPairs, 0};
  bool countedForWords = false;
  unsigned C = net.getClasses(), K = sched.K;
  // Shared memory: S words of `bits` bits per slot.
  uint64_t slots = sched.values;
  // A gate's entry holds its slots in 16 bits each.
  if (slots > kMaxBlockSlots) {
    if (!alongside)
      return mlir::emitError(net.getLoc())
             << "the block kernel addresses at most " << kMaxBlockSlots
             << " values live at once, this net has " << slots
             << " (use the thread kernel)";
    mlir::emitRemark(net.getLoc())
        << "no block kernel beside the thread kernel: " << slots
        << " values live at once, more than its " << kMaxBlockSlots;
    return success();
  }
  unsigned S = options.blockWords, bits = options.blockWordBits;
  if (bits != 0 && bits != 32 && bits != 64)
    return mlir::emitError(net.getLoc())
           << "block-word-bits must be 0, 32 or 64, not " << bits;
  uint64_t target =
      std::min<uint64_t>(options.blockSharedTarget, options.blockSharedLimit);
  // 32-bit words halve a value's shared memory (and a block's samples):
  // chosen where a 64-bit word's values exceed the limit, so that 64-bit
  // words would leave values in global memory whatever the target, but a
  // 32-bit word's fit it (a random 6x64,000 net: 400 and 200 KB). Values
  // past shared memory are the slower design (docs/gpu-backend.md: 37
  // against the thread kernel's 123 M images/s on 6x64000).
  bool halvedToFit = bits == 0 && slots * 8 > options.blockSharedLimit &&
                     slots * 4 <= options.blockSharedLimit;
  if (bits == 0)
    bits = halvedToFit ? 32 : 64;
  uint64_t wordBytes = bits / 8;
  // With the gate table in shared memory (block-table-shared) its bytes,
  // about (the gates and a round's padding), beside the values: not
  // beside the thread kernel, whose block kernel runs small launches.
  bool tableShared = options.blockTableShared && !alongside;
  uint64_t tableReserve =
      tableShared ? (sched.gates.size() + uint64_t(U) * B) * 8 + 16 : 0;
  if (S == 0) {
    S = 8;
    while (S > 1 && slots * S * wordBytes > target)
      S /= 2;
    // The words chosen leave the table room where one word does.
    while (tableShared && S > 1 &&
           slots * S * wordBytes + tableReserve > options.blockSharedLimit)
      S /= 2;
  }
  if (S != 1 && S != 2 && S != 4 && S != 8)
    return mlir::emitError(net.getLoc())
           << "block-words must be 0, 1, 2, 4 or 8, not " << S;
  if (bits == 32 && options.blockWordArgmax)
    return mlir::emitError(net.getLoc())
           << "block-word-argmax needs 64-bit words (block-word-bits=64)";
  // The prefetch is part of the u8 form (which a net with an explicit
  // encoding does not have, and then neither).
  if (options.blockU8Prefetch && !options.blockU8)
    return mlir::emitError(net.getLoc())
           << "block-u8-prefetch needs the u8 form (block-u8=true)";
  // Registers: ptxas fits a thread's to the blocks declared resident
  // (.minnctapersm, below), and a round's U entries of S words keep about
  // 2 U S values in flight, which spill where U S passes a quarter of the
  // registers (784-3x300, eight words a block of 256 threads, 64 registers:
  // 152 bytes spilled at U = 4, none at 2; four words at U = 4 fit). So U
  // is at most registers / (4 S), each thread's words counted (one with
  // interleaved words).
  {
    uint64_t blockBytes = std::min<uint64_t>(
        slots * S * wordBytes,
        std::max<uint64_t>(options.blockSharedLimit, wordBytes * S));
    uint64_t registers = std::min<uint64_t>(
        255, kGpuRegistersPerMultiprocessor /
                 (residentBlocks(blockBytes, B) * llvm::alignTo(B, 32)));
    unsigned words = options.blockInterleaveWords ? 1 : S;
    unsigned fit = unsigned(std::max<uint64_t>(1, registers / (4 * words)));
    unrollRoom = U < fit;
    if (U > fit) {
      U = fit;
      unrollCapped = true;
    }
  }
  // The lanes shared memory serves at once, and so the banks a scheduled
  // group of gates should spread over: 16 pairs for 8-byte accesses, 32
  // banks for 4-byte ones.
  unsigned banks = bits == 64 ? kBankPairs : kBanks;
  // Interleaved words or 32-bit ones: a group's gates change, so schedule
  // again (the number of slots does not: it is the most values live at
  // once, whatever the order within a level).
  bool interleave = options.blockInterleaveWords && S > 1;
  // Slots past what a block's shared memory holds (a random 6x64,000 net
  // has 50,000 values live at once, 400 KB a 64-bit word) live in global
  // memory instead, in the scratch array: block-shared-target's worth of
  // the most used slots (the lowest: freed slots are taken again first)
  // stay in shared memory. That is where one word exceeds the target, or
  // where the words asked for exceed the limit; 32-bit words chosen above
  // so that the values fit may take up to the limit.
  uint64_t room =
      options.blockWords || halvedToFit ? options.blockSharedLimit : target;
  bool spills = slots * S * wordBytes > room;
  // The schedule for these words: interleaved words or 32-bit ones change
  // the groups of gates (the most values live at once does not change:
  // it does not depend on the order within a level). Where the values fit,
  // results may also take fresh slots out of order for their banks (the
  // model: 4,718 to 4,542 shared-memory wavefronts a block on 6x8000, for
  // 100 slots more), if the slots that makes still fit.
  // The round these words make: B / S threads' entries with interleaved
  // words, U each (capped above). Where it is not the first schedule's,
  // the levels filled to it differ, and so may the values live at once.
  unsigned groupWords = interleave ? S : 1;
  unsigned round = B / groupWords * U;
  bool sameLevels = !options.blockBalanceLevels || round == firstRound;
  bool rescheduled = false;
  if (options.blockSpreadBanks && !spills) {
    // Fresh slots at most a 32nd more than the values need, and only
    // while they fit and leave as many blocks a multiprocessor as the
    // values alone would. Uncapped, the filled levels of 6x64000 took
    // fresh slots up to 64,567 where 46,261 held every value (the whole
    // schedule then fell back to none), and two words of 6x8000 passed the
    // 112 KB that lets two blocks share a multiprocessor; the model
    // (bench/gpu_block_banks.py, 6x8000, four words) gives 2.13
    // wavefronts an access without fresh slots, 2.09 with a 32nd more,
    // 2.09 with a tenth and 2.09 up to the multiprocessor's limit.
    uint64_t perSlot = uint64_t(S) * wordBytes;
    uint64_t sameBlocks =
        kGpuSharedPerMultiprocessor / residentBlocks(slots * perSlot, B) -
        kGpuSharedReservedPerBlock;
    // Nor take the room the table needs beside them.
    uint64_t valuesRoom =
        room > tableReserve + slots * perSlot ? room - tableReserve : room;
    unsigned freshCap = unsigned(std::min<uint64_t>(
        {kMaxBlockSlots, std::min(valuesRoom, sameBlocks) / perSlot,
         slots + slots / 32}));
    BlockSchedule spread = schedule(round, groupWords, banks, freshCap, S);
    if (spread.values <= kMaxBlockSlots &&
        spread.values * S * wordBytes <= room) {
      sched = std::move(spread);
      slots = sched.values;
      rescheduled = countedForWords = true;
    }
  }
  if (!rescheduled &&
      (interleave || bits == 32 || unrollCapped || !sameLevels)) {
    BlockSchedule again = schedule(round, groupWords, banks, 0);
    adopted = {round, groupWords, banks, 0};
    // Levels filled to this round that need more slots than the words were
    // chosen for keep the first schedule's levels.
    if (again.values > slots) {
      again = schedule(firstRound, groupWords, banks, 0);
      adopted = {firstRound, groupWords, banks, 0};
    }
    assert((sameLevels ? again.values == slots : again.values <= slots) &&
           "slots depend on the levels, not on the order in a level");
    sched = std::move(again);
    slots = sched.values;
  }
  // The count's first reduction for these S words (firstReductionInputs),
  // where the schedule kept was not made for them and they change it: the
  // same schedule otherwise, kept where its slots are no more.
  if (!countedForWords &&
      firstReductionInputs(sched.countBits, C, B, S) !=
          sched.reductions[0].F) {
    BlockSchedule counted =
        schedule(adopted[0], adopted[1], adopted[2], adopted[3], S);
    if (counted.values <= slots) {
      sched = std::move(counted);
      slots = sched.values;
    }
  }
  uint64_t cap = slots;
  if (spills)
    cap = std::max<uint64_t>(2, std::min(room, target) / (wordBytes * S));
  // Interleaved words: rows of cap = banks / S (mod banks) slots put word
  // s of slot k in bank (pair) (s * banks / S + k) % banks, so the S words
  // of banks / S gates whose slots differ modulo banks / S take every bank
  // once. Padded up (down where the slots spill) unless that breaks the
  // limit.
  if (interleave) {
    uint64_t want = banks / S;
    uint64_t up = cap + (want + banks - cap % banks) % banks;
    uint64_t down = up >= banks ? up - banks : 0;
    if (up != cap && !spills && up * S * wordBytes <= options.blockSharedLimit)
      cap = up;
    else if (up != cap && spills && down >= 2)
      cap = down;
  }
  uint64_t overflow = spills ? slots - cap : 0, bytes = cap * S * wordBytes;
  // Beside the thread kernel, the block kernel is for launches too small
  // to fill the GPU with threads; with values in global memory it is the
  // slower design at any size (docs/gpu-backend.md), so it stays out.
  if (alongside && overflow) {
    mlir::emitRemark(net.getLoc())
        << "no block kernel beside the thread kernel: " << overflow << " of "
        << slots << " values do not fit " << room << " bytes of shared memory";
    return success();
  }
  unsigned L = sched.levels(), R = unsigned(sched.reductions.size()),
           phases = L + R + 2;
  // A round's entry u is u G past its first (G = B, B / S with interleaved
  // words), u with thread runs: the last, this far.
  int64_t lastEntryOffset =
      int64_t(U - 1) *
      (options.blockThreadRuns ? 1 : int64_t(interleave ? B / S : B));
  int64_t fetchedPast =
      options.blockPrefetch && !sched.gates.empty() ? lastEntryOffset : 0;
  // The gate table in shared memory: after the values, 16-byte aligned and
  // whole 16-byte copies (the table padded to them with zero entries).
  uint64_t tableEntries = std::max<uint64_t>(
      2, llvm::alignTo(sched.gates.size() + uint64_t(fetchedPast), 2));
  uint64_t tableOffset = llvm::alignTo(bytes, 16),
           tableBytes = tableEntries * 8;
  if (tableShared && overflow) {
    mlir::emitRemark(net.getLoc())
        << "the gate table stays in global memory: " << overflow << " of "
        << slots << " values do not fit shared memory already";
    tableShared = false;
  } else if (tableShared &&
             tableOffset + tableBytes > options.blockSharedLimit) {
    mlir::emitRemark(net.getLoc())
        << "the gate table stays in global memory: its " << tableBytes
        << " bytes and the values' " << bytes << " exceed the "
        << options.blockSharedLimit << " bytes of shared memory a block";
    tableShared = false;
  }
  uint64_t blockShared = tableShared ? tableOffset + tableBytes : bytes;
  // Blocks per multiprocessor (residentBlocks), declared to ptxas, which
  // otherwise fits the registers to one block: a word of 6x8000 (55 KB,
  // four blocks by shared memory) then took 128 registers a thread, so
  // only two blocks of 256 threads were resident; with 64, four (on an H200 its
  // lgc_net ran 714 instead of 603 M images/s).
  unsigned resident = residentBlocks(blockShared, B);

  EncodingTables encoding = encodingTables(net);
  SmallVector<int32_t> shape =
      shapeTable(net, partition, encoding, /*vectorWords=*/1);
  shape[abi::kScratchSlots] = int32_t(overflow);
  // The block kernel counts through its own tables, whatever the thread
  // kernel beside it does.
  shape[abi::kCountPlanes] = 0;
  shape[abi::kGpuBlockWords] = int32_t(S);
  shape[abi::kGpuWordBits] = int32_t(bits);
  shape[abi::kGpuBlockThreads] = int32_t(B);
  shape[abi::kGpuSharedBytes] = int32_t(blockShared);
  shape[abi::kGpuBlockPhases] = int32_t(phases);
  if (alongside)
    createConstantArray(b, loc, abi::kBlockShapeSymbol, shape, globalSpace);
  else
    globals(encoding, shape);
  auto table = [&](StringRef name, auto values) {
    if (values.empty())
      values.push_back(0);
    return createConstantArray(b, loc, name, llvm::ArrayRef(values),
                               globalSpace);
  };
  table("__lgc_gen_block_inputs", sched.inputs);
  if (options.blockU8 && !encoding.levels.empty()) {
    // The u8 kernel's phase 0 makes every input bit: the slot of each, or
    // -1 where the net does not read it.
    std::vector<int32_t> slotOf(net.getNumInputs(), -1);
    for (size_t i = 0; i + 1 < sched.inputs.size(); i += 2)
      slotOf[sched.inputs[i]] = sched.inputs[i + 1];
    table(kBlockInputSlots, slotOf);
    // Written by the runtime (GeneratedABI.h), so not a constant.
    if (options.blockU8Prefetch) {
      auto type = LLVM::LLVMArrayType::get(i32, 1);
      b.create<LLVM::GlobalOp>(
          loc, type, /*isConstant=*/false, LLVM::Linkage::External,
          abi::kBlockU8AheadSymbol,
          DenseIntElementsAttr::get(RankedTensorType::get({1}, i32),
                                    ArrayRef<int32_t>{0}),
          /*alignment=*/4, globalSpace);
    }
  }
  // With block-prefetch a round's U entries are loaded from one address
  // (its first entry's, clamped to the table's last) at constant offsets,
  // up to (U - 1) G past it (U - 1 with thread runs): the table is padded
  // with as many entries that no round stores (zeros: every slot 0).
  // Where every word's rows fit 64 KB, the levels' tables hold each slot's
  // byte offset in its word's rows instead of its index (a module global
  // says which, for tools that replay the tables).
  bool slotBytes = !overflow && cap * wordBytes <= 0xFFFF;
  unsigned slotScale = slotBytes ? unsigned(wordBytes) : 1;
  table("__lgc_gen_block_slot_scale", std::vector<int32_t>{int32_t(slotScale)});
  std::vector<int64_t> gateTable =
      slotOffsets(kernelTables(sched.gates, 1), 1, slotScale);
  gateTable.resize(gateTable.size() + fetchedPast, 0);
  // Copied 16 bytes at a time into shared memory: whole copies.
  if (tableShared)
    gateTable.resize(tableEntries, 0);
  auto gatesGlobal = table("__lgc_gen_block_gates", gateTable);
  if (tableShared) {
    gatesGlobal.setAlignment(16);
    table(abi::kBlockGridStrideSymbol, std::vector<int32_t>{1});
  }
  table("__lgc_gen_block_levels", sched.levelStarts);
  // Fused entries are two i64 each, loaded as one 16-byte vector.
  for (unsigned k = 1; k <= 2; ++k) {
    if (sched.trees[k - 1].empty())
      continue;
    std::string name = ("__lgc_gen_block_trees" + Twine(k)).str();
    table(name, slotOffsets(kernelTables(sched.trees[k - 1], 2), 2, slotScale))
        .setAlignment(16);
    table(name + "_levels", sched.treeStarts[k - 1]);
  }
  for (unsigned r = 0; r < R; ++r) {
    const BlockSchedule::Reduction &red = sched.reductions[r];
    // A group's F x kIn input slots and its kOut output slots are one
    // thread's, read in order: each group's row is padded to a multiple of
    // 4 (16 bytes; the padding is never read as a slot), so that the
    // thread loads four slots at a time.
    auto paddedRows = [](const std::vector<int32_t> &slots, unsigned per) {
      std::vector<int32_t> rows;
      for (size_t first = 0; first < slots.size(); first += per) {
        rows.insert(rows.end(), slots.begin() + first,
                    slots.begin() + first + per);
        rows.resize(rows.size() + groupRowSlots(per) - per, 0);
      }
      return rows;
    };
    table(("__lgc_gen_block_reduce" + Twine(r) + "_in").str(),
          paddedRows(red.in, red.F * red.kIn))
        .setAlignment(16);
    table(("__lgc_gen_block_reduce" + Twine(r) + "_out").str(),
          paddedRows(red.out, red.kOut))
        .setAlignment(16);
    if (!red.ones.empty())
      table(("__lgc_gen_block_reduce" + Twine(r) + "_ones").str(), red.ones);
    // Not read by the kernel (its loops have these as constants): the
    // reduction's shape, for tools that replay the tables.
    table(("__lgc_gen_block_reduce" + Twine(r) + "_shape").str(),
          std::vector<int32_t>{int32_t(red.F), int32_t(red.kIn),
                               int32_t(red.kOut), int32_t(red.groups)});
  }
  unsigned sharedSpace = hostMode ? 0 : 3;
  Type sharedPtr = LLVM::LLVMPointerType::get(b.getContext(), sharedSpace);

  // Phase 0 straight from 8-bit features (the u8 kernel): where the
  // encoding is a thermometer, whose features the packing kernel reads
  // coalesced; a block's reads of them then replace its copy of the packed
  // rows, and the packing kernel's pass over the pixels and its output go.
  bool fromU8 = options.blockU8 && !encoding.levels.empty();
  auto linkage = hostMode ? LLVM::Linkage::External : LLVM::Linkage::Internal;
  // The phase function, or with `u8` its phase 0 from 8-bit features
  // instead of packed input bits: __lgc_gpu_block_inputs_u8(x, n, scratch,
  // shared, block, tid).
  auto phaseFunction = [&](bool u8) {
    OpBuilder::InsertionGuard guard(b);
    LLVM::LLVMFuncOp fn;
    Value in, pixels, samples, scratch, planes, classes, shared, block, tid,
        phase;
    if (u8) {
      fn = function(abi::kGpuBlockInputsU8Function,
                    {ptr, i64, ptr, sharedPtr, i64, i64}, linkage);
      auto args = fn.getBody().front().getArguments();
      pixels = args[0], samples = args[1], scratch = args[2], shared = args[3],
      block = args[4], tid = args[5];
    } else {
      fn = function(abi::kGpuBlockPhaseFunction,
                    {ptr, ptr, ptr, ptr, sharedPtr, i64, i64, i64}, linkage);
      auto args = fn.getBody().front().getArguments();
      in = args[0], scratch = args[1], planes = args[2], classes = args[3],
      shared = args[4], block = args[5], tid = args[6], phase = args[7];
    }
    // Beside the thread kernel the module is assembled in relocatable
    // parts, where ptxas keeps the call (16 bytes of stack at 24 registers
    // on 6x8000), and with the u8 kernel two kernels call it: LLVM inlines
    // it instead.
    if (alongside || fromU8)
      inlineOnDevice(fn);
    // The shared array's address as a value made once: inlined, the
    // argument is the symbol, which instruction selection materializes
    // again in every block that uses it, and ptxas (sm_90) makes each of
    // those from the CTA's id in its cluster, three instructions in each
    // branch of a level's predicated stores.
    if (!hostMode) {
      Value raw = b.create<LLVM::PtrToIntOp>(loc, i64, shared);
      raw = b.create<LLVM::InlineAsmOp>(
                 loc, TypeRange{i64}, ValueRange{raw}, "mov.b64 $0, $1;",
                 "=l,l", /*has_side_effects=*/false,
                 /*is_align_stack=*/false, LLVM::AsmDialectAttr(), ArrayAttr())
                .getResult(0);
      shared = b.create<LLVM::IntToPtrOp>(loc, sharedPtr, raw);
    }
    // The block's words w0 .. w0 + S - 1, of `bits` bits: with 32, word
    // h is half h % 2 of the arrays' 64-bit word h / 2 (little-endian:
    // half 0 the low bits, samples 64 (h / 2) .. + 31).
    Type wordType = bits == 64 ? i64 : i32;
    Value w0 = b.create<LLVM::MulOp>(loc, block, constI64(S));
    Value a0 = bits == 64
                   ? w0
                   : b.create<LLVM::LShrOp>(loc, w0, constI64(1)).getResult();
    Value tileFirst = b.create<LLVM::MulOp>(
        loc, b.create<LLVM::UDivOp>(loc, a0, constI64(abi::kGpuTileWords)),
        constI64(abi::kGpuTileWords));
    Value lane0 = b.create<LLVM::URemOp>(loc, a0, constI64(abi::kGpuTileWords));
    Value step = constI64(B);
    using P = LLVM::ICmpPredicate;
    // Row `row` of the block's word s in a tile-major array of `rows` rows
    // (a block's words lie in one tile).
    auto rowOf = [&](Value array, int64_t rows, Value row, Value s) -> Value {
      // The 64-bit word's lane in the tile, lane0 + s; for 32-bit words
      // lane0 + r / 2 and half r % 2, r = w0 % 2 + s.
      Value off = s, half;
      if (bits == 32) {
        Value r = b.create<LLVM::AddOp>(loc, a(w0, constI64(1)), s);
        off = b.create<LLVM::LShrOp>(loc, r, constI64(1));
        half = a(r, constI64(1));
      }
      Value lane = b.create<LLVM::AddOp>(loc, lane0, off);
      Value at = b.create<LLVM::AddOp>(
          loc,
          b.create<LLVM::AddOp>(
              loc, b.create<LLVM::MulOp>(loc, tileFirst, constI64(rows)),
              b.create<LLVM::MulOp>(loc, row, constI64(abi::kGpuTileWords))),
          lane);
      Value word = b.create<LLVM::GEPOp>(loc, ptr, i64, array, ValueRange{at});
      if (!half)
        return word;
      return b.create<LLVM::GEPOp>(loc, ptr, i32, word, ValueRange{half});
    };
    Value sharedGeneric =
        overflow && !hostMode
            ? b.create<LLVM::AddrSpaceCastOp>(loc, ptr, shared).getResult()
            : shared;
    // Word s of slot k: in shared memory, or past `cap` in the scratch
    // array (then through a generic pointer to either).
    // Shared memory is word-major (word s of slot k at s * cap + k): the
    // slots a warp reads for one word then spread over all 32 banks, where
    // slot-major (k * S + s) used 32 / S of them (bench/gpu_block_banks.py,
    // 6x8000, two words, gates in the net's order: 4.85 instead of 7.06
    // wavefronts per warp access).
    // Word s's rows in shared memory, where slot k is then one more
    // address step: where s is not a constant (the count's loops) a slot's
    // address is one instruction (LEA), not an IMAD and an LEA.
    auto wordRows = [&](Value s) -> Value {
      return b.create<LLVM::GEPOp>(
          loc, sharedPtr, wordType, shared,
          ValueRange{b.create<LLVM::MulOp>(loc, s, constI64(int64_t(cap)))});
    };
    auto sh = [&](Value k, Value s) -> Value {
      if (!overflow)
        return b.create<LLVM::GEPOp>(loc, sharedPtr, wordType, wordRows(s),
                                     ValueRange{k});
      Value at = b.create<LLVM::AddOp>(
          loc, b.create<LLVM::MulOp>(loc, s, constI64(int64_t(cap))), k);
      Value inShared = b.create<LLVM::GEPOp>(loc, ptr, wordType, sharedGeneric,
                                             ValueRange{at});
      Value inScratch =
          rowOf(scratch, int64_t(overflow),
                b.create<LLVM::SubOp>(loc, k, constI64(int64_t(cap))), s);
      return b.create<LLVM::SelectOp>(
          loc, cmp(LLVM::ICmpPredicate::ult, k, constI64(int64_t(cap))),
          inShared, inScratch);
    };
    // All ones where the top bit of byte `byte` of the 32-bit `x` is set:
    // one PRMT replicating that byte's sign over the word (selector nibble
    // 8 | byte in all four places).
    auto signOfByte = [&](Value x, unsigned byte) -> Value {
      return bytePermute(x, constI32(0), (8 | byte) * 0x1111);
    };
    unsigned align = bits / 8;
    auto load = [&](Value k, Value s) -> Value {
      return b.create<LLVM::LoadOp>(loc, wordType, sh(k, s), align);
    };
    auto store = [&](Value v, Value k, Value s) {
      b.create<LLVM::StoreOp>(loc, v, sh(k, s), align);
    };
    // The levels' slots, as their tables hold them: byte offsets in the
    // word's rows (slotBytes) or indices.
    auto levelAt = [&](Value k, Value s) -> Value {
      if (!slotBytes)
        return sh(k, s);
      return b.create<LLVM::GEPOp>(loc, sharedPtr, i8, wordRows(s),
                                   ValueRange{k});
    };
    auto levelLoad = [&](Value k, Value s) -> Value {
      return b.create<LLVM::LoadOp>(loc, wordType, levelAt(k, s), align);
    };
    auto levelStore = [&](Value v, Value k, Value s) {
      b.create<LLVM::StoreOp>(loc, v, levelAt(k, s), align);
    };
    Value zero = constI64(0);
    Value zeroWord = bits == 64 ? zeros() : constI32(0);
    Value onesWord = bits == 64 ? ones() : constI32(-1);

    auto constants = [&] {
      ifThen(cmp(P::eq, tid, zero), [&] {
        for (unsigned s = 0; s < S; ++s) {
          store(zeroWord, constI64(0), constI64(s));
          store(onesWord, constI64(1), constI64(s));
        }
      });
    };
    if (u8) {
      constants();
      inputsFromU8(encoding, pixels, samples, w0, tid, S, B, bits,
                   [&](Value k, Value s) { return sh(k, s); });
      b.create<LLVM::ReturnOp>(loc, ValueRange{});
      return fn;
    }

    // Phase 0: the constants and the inputs read.
    ifThen(cmp(P::eq, phase, zero), [&] {
      constants();
      Value inTable = global("__lgc_gen_block_inputs");
      loop(tid, constI64(int64_t(sched.inputs.size() / 2)), step, [&](Value i) {
        Value two = b.create<LLVM::MulOp>(loc, i, constI64(2));
        Value input = tableAt(inTable, two);
        Value k =
            tableAt(inTable, b.create<LLVM::AddOp>(loc, two, constI64(1)));
        // The block's S words of a row are contiguous and aligned to
        // their size (its first word is a multiple of S): loaded 16 bytes
        // at a time, not a word at a time, so that a warp's load touches
        // each line of 128 bytes once for up to 16 bytes of the block.
        unsigned rowBytes = S * bits / 8;
        if (rowBytes < 8) {
          store(b.create<LLVM::LoadOp>(
                    loc, wordType,
                    rowOf(in, net.getNumInputs(), input, constI64(0)), align),
                k, constI64(0));
          return;
        }
        unsigned loadBytes = std::min(16u, rowBytes);
        unsigned perLoad = loadBytes * 8 / bits;
        Type loadType =
            loadBytes == 16 ? LLVM::getFixedVectorType(i64, 2) : Type(i64);
        for (unsigned j = 0; j < S; j += perLoad) {
          Value v = b.create<LLVM::LoadOp>(
              loc, loadType, rowOf(in, net.getNumInputs(), input, constI64(j)),
              loadBytes);
          for (unsigned w = 0; w < perLoad; ++w) {
            // Word w of the load: 64-bit element w * bits / 64, and for
            // 32-bit words its half w % 2 (little-endian: 0 the low).
            Value element = v;
            if (loadBytes == 16)
              element = b.create<LLVM::ExtractElementOp>(
                  loc, v, constI32(int32_t(w * bits / 64)));
            Value word = element;
            if (bits == 32)
              word = b.create<LLVM::TruncOp>(
                  loc, i32,
                  w % 2 ? b.create<LLVM::LShrOp>(loc, element, constI64(32))
                              .getResult()
                        : element);
            store(word, k, constI64(j + w));
          }
        }
      });
    });

    // Phases 1 .. L: one level, its gates spread over the threads.
    Value isLevel = b.create<LLVM::AndOp>(loc, cmp(P::sge, phase, constI64(1)),
                                          cmp(P::sle, phase, constI64(L)));
    ifThen(isLevel, [&] {
      Value level = b.create<LLVM::SubOp>(loc, phase, constI64(1));
      // Each thread takes U entries per round, G apart (G = B, or B / S
      // with interleaved words, where thread t evaluates word t % S of the
      // entries of thread t / S): a warp's load of one of them is 32
      // consecutive entries, 256 contiguous bytes of the table. (U
      // consecutive entries a thread, the earlier mapping, made each load
      // touch 32 sectors for 8 bytes each; block-thread-runs keeps it.)
      // All their loads before any store: U independent chains to hide
      // the latency of the table and of shared memory. An entry of a level
      // never reads a result of its own level, so the order of the stores
      // is free; entries past the level's end read the last entry and
      // store nothing.
      Value gateThread = tid;
      SmallVector<Value> words;
      if (interleave) {
        gateThread = b.create<LLVM::UDivOp>(loc, tid, constI64(S));
        words.push_back(b.create<LLVM::URemOp>(loc, tid, constI64(S)));
      } else {
        for (unsigned s = 0; s < S; ++s)
          words.push_back(constI64(s));
      }
      int64_t G = int64_t(interleave ? B / S : B), roundGates = G * U;
      bool runs = options.blockThreadRuns;
      // The loop over a level's entries of `kind` fused operands: plain
      // gates (one i64), or gates with one or two operands evaluated in
      // the entry (two i64, one 16-byte load).
      auto entries = [&](unsigned kind, StringRef tableName,
                         StringRef levelsName) {
        Value levels = global(levelsName);
        // The plain gates' table in shared memory (block-table-shared),
        // after the values: written by the block's copy before its first
        // phase, so not an invariant load.
        bool inShared = tableShared && kind == 0;
        Value gates = inShared
                          ? b.create<LLVM::GEPOp>(
                                 loc, sharedPtr, i8, shared,
                                 ValueRange{constI64(int64_t(tableOffset))})
                                .getResult()
                          : global(tableName);
        // Entry indices in 32 bits (a table has fewer than 2^31 entries):
        // a 64-bit add or compare is two instructions on the GPU, and an
        // entry's address from a 32-bit index one (IMAD.WIDE).
        auto narrow = [&](Value v) -> Value {
          return b.create<LLVM::TruncOp>(loc, i32, v);
        };
        Value first = narrow(tableAt(levels, level));
        Value end = narrow(tableAt(levels, phase));
        Value last = b.create<LLVM::SubOp>(loc, end, constI32(1));
        Value start = b.create<LLVM::AddOp>(
            loc, first,
            narrow(runs ? b.create<LLVM::MulOp>(loc, gateThread, constI64(U))
                              .getResult()
                        : gateThread));
        // Threads past the last whole set of S words evaluate nothing.
        if (interleave && B % S)
          start = b.create<LLVM::SelectOp>(
              loc, cmp(P::ult, tid, constI64(int64_t(B / S * S))), start, end);
        Type pairType = LLVM::getFixedVectorType(i64, 2);
        // Entry `at` of the table: (entry, more), `more` for fused entries.
        auto loadEntry = [&](Value at) -> std::pair<Value, Value> {
          if (kind == 0)
            return {tableLoad(i64, gates, at, 8, !inShared), Value()};
          Value pair = tableLoad(pairType, gates, at, 16);
          return {b.create<LLVM::ExtractElementOp>(loc, pair, constI32(0)),
                  b.create<LLVM::ExtractElementOp>(loc, pair, constI32(1))};
        };
        // With block-prefetch, the plain entries of the round from `e`,
        // loaded a round ahead: from one address and U constant offsets
        // (the table padded past its end for them), not U clamped indices
        // (four instructions an entry on sm_90, one now). `e` is clamped
        // to the table's last entry for the round after a thread's last,
        // which does not run; a round that runs starts inside the table.
        int64_t tableSize = int64_t(sched.gates.size());
        auto fetchRound = [&](Value e) {
          Value first = b.create<LLVM::UMinOp>(
              loc, e, constI32(int32_t(tableSize - 1)));
          Value base = b.create<LLVM::GEPOp>(
              loc, gates.getType(), i64, gates,
              ValueRange{b.create<LLVM::ZExtOp>(loc, i64, first)});
          SmallVector<Value> fetched;
          for (unsigned u = 0; u < U; ++u)
            fetched.push_back(tableLoad(
                i64, base, constI64(runs ? int64_t(u) : int64_t(u) * G), 8,
                !inShared));
          return fetched;
        };
        // One round from entry e: its entries `fetched` (fetchRound), or
        // loaded here where that is empty.
        // `whole`: every entry of the round is in the level (no bounds
        // to check).
        auto round = [&](Value e, ValueRange fetched, bool whole = false) {
          SmallVector<Value> valid(U), kr(U);
          SmallVector<SmallVector<Value>> results(U);
          for (unsigned u = 0; u < U; ++u) {
            Value at = b.create<LLVM::AddOp>(
                loc, e, constI32(int32_t(runs ? u : u * G)));
            if (u > 0 && !whole) {
              valid[u] = cmp(P::slt, at, end);
              if (fetched.empty())
                at = b.create<LLVM::SelectOp>(loc, valid[u], at, last);
            }
            auto [entry, more] = fetched.empty()
                                     ? loadEntry(at)
                                     : std::pair<Value, Value>(fetched[u], {});
            // The fields in 32-bit halves (a 64-bit shift or mask is two
            // instructions on the GPU), widened where an address needs
            // them.
            Value lo = b.create<LLVM::TruncOp>(loc, i32, entry);
            Value hi = b.create<LLVM::TruncOp>(
                loc, i32, b.create<LLVM::LShrOp>(loc, entry, constI64(32)));
            auto wide = [&](Value v32) {
              return b.create<LLVM::ZExtOp>(loc, i64, v32).getResult();
            };
            Value low = constI32(0xffff);
            SmallVector<Value, 4> leaves = {
                wide(a(lo, low)),
                wide(b.create<LLVM::LShrOp>(loc, lo, constI32(16)))};
            if (kind > 0) {
              Value lo2 = b.create<LLVM::TruncOp>(loc, i32, more);
              leaves.push_back(wide(a(lo2, low)));
              if (kind == 2)
                leaves.push_back(
                    wide(b.create<LLVM::LShrOp>(loc, lo2, constI32(16))));
            }
            kr[u] = wide(a(hi, low));
            // Table t's four masks (bits maskBit(4 t + xy) of hi, in
            // kernelTables' form): all ones where the bit is 1, each one
            // byte permute replicating the sign of byte 2 or 3 of hi
            // shifted left by (4 t + xy) / 2 (selector 0xAAAA or 0xBBBB).
            SmallVector<Value, 6> shifted;
            auto masks = [&](unsigned t) {
              std::array<Value, 4> m;
              for (unsigned xy = 0; xy < 4; ++xy) {
                unsigned j = 4 * t + xy;
                while (shifted.size() <= j / 2)
                  shifted.push_back(
                      shifted.empty()
                          ? hi
                          : b.create<LLVM::ShlOp>(
                                 loc, hi, constI32(int32_t(shifted.size()))));
                m[xy] = signOfByte(shifted[j / 2], j % 2 ? 3 : 2);
                // Widened as two copies of the 32-bit mask, not a sign
                // extension: ptxas computes a sign extension's high half
                // (one more instruction a mask) not knowing it is the low.
                if (bits == 64) {
                  Type v2i32 = LLVM::getFixedVectorType(i32, 2);
                  m[xy] = b.create<LLVM::BitcastOp>(
                      loc, i64,
                      b.create<LLVM::ShuffleVectorOp>(
                          loc,
                          b.create<LLVM::InsertElementOp>(
                              loc, b.create<LLVM::UndefOp>(loc, v2i32), m[xy],
                              constI32(0)),
                          b.create<LLVM::UndefOp>(loc, v2i32),
                          ArrayRef<int32_t>{0, 0}));
                }
              }
              return m;
            };
            SmallVector<std::array<Value, 4>, 3> m;
            for (unsigned t = 0; t <= kind; ++t)
              m.push_back(masks(t));
            // The table's masks are f(0,0), f(0,0) ^ f(0,1), f(1,0) and
            // f(1,0) ^ f(1,1) (kernelTables): the gate is q ^ (a & (p ^
            // q)) for q = m0 ^ (b & m1), p = m2 ^ (b & m3), three LOP3s a
            // 32-bit half.
            auto gate = [&](const std::array<Value, 4> &t, Value va, Value vb) {
              Value q = x(t[0], a(vb, t[1])), p = x(t[2], a(vb, t[3]));
              return x(q, a(va, x(p, q)));
            };
            for (Value s : words) {
              SmallVector<Value, 4> v;
              for (Value k : leaves)
                v.push_back(levelLoad(k, s));
              // The fused operands' values in registers, then the root's.
              Value ra = kind ? gate(m[1], v[0], v[1]) : v[0];
              Value rb = kind == 2   ? gate(m[2], v[2], v[3])
                         : kind == 1 ? v[2]
                                     : v[1];
              results[u].push_back(gate(m[0], ra, rb));
            }
          }
          for (unsigned u = 0; u < U; ++u) {
            auto stores = [&] {
              for (auto [s, result] : llvm::zip(words, results[u]))
                levelStore(result, kr[u], s);
            };
            if (u == 0 || whole)
              stores();
            else
              ifThen(valid[u], stores);
          }
        };
        Value roundStep = constI32(int32_t(roundGates));
        // Fused entries (16 bytes each, twice the registers a round ahead)
        // load theirs each round: prefetched, ptxas spilled in their u8
        // form (8 bytes on 784-4x2000 at 80 registers).
        if (!options.blockPrefetch || kind > 0 || tableSize == 0) {
          loop(start, end, roundStep, [&](Value e) { round(e, {}); });
          return;
        }
        if (!unrollRoom || U == 1) {
          loop(start, end, roundStep, fetchRound(start),
               [&](Value e, ValueRange fetched) {
                 SmallVector<Value> next =
                     fetchRound(b.create<LLVM::AddOp>(loc, e, roundStep));
                 round(e, fetched);
                 return next;
               });
          return;
        }
        // The table entries come from L2 (a block's shared memory leaves
        // little of a multiprocessor's L1 to them), a latency that each
        // round waited for before its shared-memory loads; loaded a round
        // ahead, the loads of round r + 1 are in flight while round r
        // evaluates, at 2 U registers.
        // A thread's rounds whose last entry is in the level need no bounds
        // (levels are filled to whole rounds by default: all of them but
        // the last level's last, 6x8000), then at most one round that may
        // end past it, with them (six instructions a round fewer, four
        // entries).
        Value wholeEnd = b.create<LLVM::SubOp>(
            loc, end, constI32(int32_t(lastEntryOffset)));
        SmallVector<Value> init = fetchRound(start);
        init.push_back(start);
        SmallVector<Value> after = loop(
            start, wholeEnd, roundStep, init,
            [&](Value e, ValueRange carried) {
              Value e1 = b.create<LLVM::AddOp>(loc, e, roundStep);
              SmallVector<Value> next = fetchRound(e1);
              round(e, carried.drop_back(), /*whole=*/true);
              next.push_back(e1);
              return next;
            });
        Value e = after.back();
        ifThen(cmp(P::slt, e, end), [&] {
          round(e, ValueRange(after).drop_back());
        });
      };
      entries(0, "__lgc_gen_block_gates", "__lgc_gen_block_levels");
      for (unsigned k = 1; k <= 2; ++k)
        if (!sched.trees[k - 1].empty())
          entries(k, ("__lgc_gen_block_trees" + Twine(k)).str(),
                  ("__lgc_gen_block_trees" + Twine(k) + "_levels").str());
    });

    // Phases L + 1 .. L + R: the count's reductions, a thread per group
    // and word; the last one's counts are the classes', also stored to the
    // planes array.
    for (unsigned r = 0; r < R; ++r) {
      const BlockSchedule::Reduction &red = sched.reductions[r];
      ifThen(cmp(P::eq, phase, constI64(L + 1 + r)), [&] {
        Value in = global(("__lgc_gen_block_reduce" + Twine(r) + "_in").str());
        Value out =
            global(("__lgc_gen_block_reduce" + Twine(r) + "_out").str());
        // Consecutive threads take consecutive groups of one word (the
        // groups padded to whole warps, the threads past them idle), so
        // that every access's lanes read the slots the schedule spread
        // over the banks for those groups, in the same word.
        int64_t CG = int64_t(C) * red.groups, rows = llvm::alignTo(CG, 32);
        loop(tid, constI64(rows * S), step, [&](Value j) {
          Value cg = b.create<LLVM::URemOp>(loc, j, constI64(rows));
          Value s = b.create<LLVM::UDivOp>(loc, j, constI64(rows));
          ifThen(cmp(P::ult, cg, constI64(CG)), [&] {
            // Group cg's `per` slots in `table` (rows padded to fours, as
            // the tables are emitted), 16 bytes a load.
            auto groupSlots = [&](Value table, unsigned per) {
              Type quad = LLVM::getFixedVectorType(i32, 4);
              Value row = b.create<LLVM::MulOp>(
                  loc, cg, constI64(int64_t(groupRowSlots(per) / 4)));
              SmallVector<Value> slots;
              for (unsigned q = 0; q * 4 < per; ++q) {
                Value four = tableLoad(
                    quad, table, b.create<LLVM::AddOp>(loc, row, constI64(q)),
                    16);
                for (unsigned e = 4 * q; e < std::min(per, 4 * q + 4); ++e)
                  slots.push_back(b.create<LLVM::ZExtOp>(
                      loc, i64,
                      b.create<LLVM::ExtractElementOp>(
                          loc, four, constI32(int32_t(e - 4 * q)))));
              }
              return slots;
            };
            Counter counter(*this, red.kOut, zeroWord);
            // The group's constant 1s: bit j of their number, all ones or
            // none, at weight 2^j.
            if (!red.ones.empty()) {
              Value n = tableAt(
                  global(("__lgc_gen_block_reduce" + Twine(r) + "_ones").str()),
                  cg);
              for (unsigned j = 0; j < red.kOut; ++j) {
                Value bit = cmp(
                    P::ne,
                    a(b.create<LLVM::LShrOp>(loc, n, constI64(j)), constI64(1)),
                    zero);
                counter.add(
                    j, b.create<LLVM::SelectOp>(loc, bit, onesWord, zeroWord));
              }
            }
            // Slot i x kIn + w of the group holds plane w of input i.
            SmallVector<Value> inSlots = groupSlots(in, red.F * red.kIn);
            for (auto [e, k] : llvm::enumerate(inSlots))
              counter.add(unsigned(e % red.kIn), load(k, s));
            SmallVector<Value> sum = counter.planes();
            SmallVector<Value> outSlots = groupSlots(out, red.kOut);
            Value out0 = b.create<LLVM::MulOp>(loc, cg, constI64(red.kOut));
            for (unsigned w = 0; w < red.kOut; ++w) {
              Value row = b.create<LLVM::AddOp>(loc, out0, constI64(w));
              store(sum[w], outSlots[w], s);
              // The last reduction: one group per class, row c * K + w.
              if (r + 1 == R)
                b.create<LLVM::StoreOp>(
                    loc, sum[w], rowOf(planes, int64_t(C) * K, row, s), align);
            }
          });
        });
      });
    }

    // Phase L + R + 1: the argmax. A thread per word runs the bit-sliced
    // argmax over all 64 samples (block-word-argmax, the earlier form):
    // about 2,200 dependent instructions on 6x8000 while the rest of the
    // block waits at the barrier. By default a thread per sample instead
    // gathers its K-bit count of each class from the planes (32-bit loads
    // of the half holding its bit; the planes' slots are constants) and
    // keeps the first largest: C x K loads and a few operations each, for
    // 64 x S threads at once.
    ifThen(cmp(P::eq, phase, constI64(L + R + 1)), [&] {
      const std::vector<int32_t> &finalSlots = sched.reductions[R - 1].out;
      if (options.blockWordArgmax) {
        ifThen(cmp(P::ult, tid, constI64(S)), [&] {
          Value t = b.create<LLVM::AddOp>(loc, w0, tid);
          // The planes' slots are constants (the last reduction's outputs,
          // one group a class), as in the argmax a thread per sample.
          argmax(
              [&](unsigned c, unsigned w) {
                return load(constI64(finalSlots[c * K + w]), tid);
              },
              classes, t, K);
        });
        return;
      }
      loop(tid, constI64(int64_t(bits) * S), step, [&](Value j) {
        Value s = b.create<LLVM::UDivOp>(loc, j, constI64(bits));
        Value bit = b.create<LLVM::URemOp>(loc, j, constI64(bits));
        // A 64-bit word's plane is two 32-bit halves (little-endian): the
        // one holding the sample's bit, and the bit's place in it.
        Value half =
            bits == 64
                ? b.create<LLVM::LShrOp>(loc, bit, constI64(5)).getResult()
                : Value();
        Value shift = b.create<LLVM::TruncOp>(loc, i32, a(bit, constI64(31)));
        // Plane w's bit goes to bit w of the count by a rotation (one
        // funnel shift, its amount shift - w modulo 32 made once for all
        // classes) and one AND-OR, where a shift down, an AND and an OR of
        // it shifted up took three instructions a plane.
        SmallVector<Value> rotation;
        for (unsigned w = 0; w < K; ++w)
          rotation.push_back(
              b.create<LLVM::SubOp>(loc, shift, constI32(int32_t(w))));
        Value best, cls;
        for (unsigned c = 0; c < C; ++c) {
          Value count = constI32(0);
          for (unsigned w = 0; w < K; ++w) {
            Value at = sh(constI64(finalSlots[c * K + w]), s);
            if (half)
              at = b.create<LLVM::GEPOp>(loc, at.getType(), i32, at,
                                         ValueRange{half});
            Value v = b.create<LLVM::LoadOp>(loc, i32, at, 4);
            Value rotated = b.create<LLVM::FshrOp>(loc, v, v, rotation[w]);
            count = o(count, a(rotated, constI32(int32_t(1u << w))));
          }
          if (c == 0) {
            best = count;
            cls = constI32(0);
            continue;
          }
          // Strictly greater keeps the lowest class on ties.
          Value gt = cmp(P::ugt, count, best);
          best = b.create<LLVM::SelectOp>(loc, gt, count, best);
          cls = b.create<LLVM::SelectOp>(loc, gt, constI32(c), cls);
        }
        Value sample = b.create<LLVM::AddOp>(
            loc,
            b.create<LLVM::MulOp>(loc, b.create<LLVM::AddOp>(loc, w0, s),
                                  constI64(bits)),
            bit);
        b.create<LLVM::StoreOp>(
            loc, cls,
            b.create<LLVM::GEPOp>(loc, ptr, i32, classes, ValueRange{sample}),
            4);
      });
    });
    b.create<LLVM::ReturnOp>(loc, ValueRange{});
    return fn;
  };
  LLVM::LLVMFuncOp phaseFn = phaseFunction(/*u8=*/false);
  LLVM::LLVMFuncOp inputsU8Fn;
  if (fromU8)
    inputsU8Fn = phaseFunction(/*u8=*/true);

  // After phase 0, the pixels of block bid + ahead (ahead: the blocks the
  // device runs at once, which the runtime writes) into the L2: that block
  // takes this one's place, and its phase 0 then reads the L2 while this
  // block's level phases leave the DRAM idle. Without it every block reads
  // its pixels in the same few microseconds as the others of its wave.
  // __lgc_gpu_block_prefetch_u8(x, n, block, tid, ahead): thread tid takes
  // the 128-byte lines tid, tid + B, ... of the block's samples' bytes
  // (clamped to the n samples); each line holds one of its pixels, so no
  // address is outside the caller's array. A prefetch holds no register
  // and changes no value. Host mode exports it with a last argument, a
  // function it calls with each line's address instead of prefetching it
  // (the tests collect the lines).
  LLVM::LLVMFuncOp prefetchU8Fn;
  if (fromU8 && options.blockU8Prefetch) {
    OpBuilder::InsertionGuard guard(b);
    SmallVector<Type> params = {ptr, i64, i64, i64, i64};
    if (hostMode)
      params.push_back(ptr);
    prefetchU8Fn = function(abi::kGpuBlockPrefetchU8Function, params, linkage);
    inlineOnDevice(prefetchU8Fn);
    auto args = prefetchU8Fn.getBody().front().getArguments();
    Value x = args[0], n = args[1], bid = args[2], tid = args[3],
          ahead = args[4];
    Value next = b.create<LLVM::AddOp>(loc, bid, ahead);
    const int64_t blockBytes =
        int64_t(S) * int64_t(bits) * int64_t(encoding.numFeatures);
    Value lo = b.create<LLVM::MulOp>(loc, next, constI64(blockBytes));
    Value total = b.create<LLVM::MulOp>(loc, n, constI64(encoding.numFeatures));
    Value any = b.create<LLVM::AndOp>(
        loc, cmp(LLVM::ICmpPredicate::ne, ahead, constI64(0)),
        cmp(LLVM::ICmpPredicate::ult, lo, total));
    ifThen(any, [&] {
      Value end = b.create<LLVM::AddOp>(loc, lo, constI64(blockBytes));
      end = b.create<LLVM::SelectOp>(
          loc, cmp(LLVM::ICmpPredicate::ult, end, total), end, total);
      // Offsets from x: the first line's start, which may lie before the
      // block's first byte (not before x: lo is at least one block).
      Type globalPtr = LLVM::LLVMPointerType::get(b.getContext(), globalSpace);
      Value pixels =
          hostMode ? x : b.create<LLVM::AddrSpaceCastOp>(loc, globalPtr, x);
      Value address = b.create<LLVM::PtrToIntOp>(loc, i64, x);
      Value lineStart = b.create<LLVM::SubOp>(
          loc,
          b.create<LLVM::AndOp>(loc, b.create<LLVM::AddOp>(loc, address, lo),
                                constI64(~int64_t(127))),
          address);
      Value first = b.create<LLVM::AddOp>(
          loc, lineStart, b.create<LLVM::MulOp>(loc, tid, constI64(128)));
      loop(first, end, constI64(128 * int64_t(B)), [&](Value offset) {
        prefetchL2(b.create<LLVM::GEPOp>(loc, pixels.getType(), i8, pixels,
                                         ValueRange{offset}),
                   hostMode ? args[5] : Value());
      });
    });
    b.create<LLVM::ReturnOp>(loc, ValueRange{});
  }

  // __lgc_gpu_block_table(shared, tid) (block-table-shared): the gate
  // table copied into the block's shared memory after the values, 16 bytes
  // a thread and step, consecutive threads consecutive copies (a warp's
  // load is 512 contiguous bytes).
  LLVM::LLVMFuncOp tableFn;
  if (tableShared) {
    OpBuilder::InsertionGuard guard(b);
    tableFn = function(abi::kGpuBlockTableFunction, {sharedPtr, i64}, linkage);
    inlineOnDevice(tableFn);
    auto args = tableFn.getBody().front().getArguments();
    Type pair = LLVM::getFixedVectorType(i64, 2);
    Value from = global("__lgc_gen_block_gates");
    Value to =
        b.create<LLVM::GEPOp>(loc, sharedPtr, i8, args[0],
                              ValueRange{constI64(int64_t(tableOffset))});
    loop(args[1], constI64(int64_t(tableEntries / 2)), constI64(B),
         [&](Value i) {
           b.create<LLVM::StoreOp>(
               loc, tableLoad(pair, from, i, 16),
               b.create<LLVM::GEPOp>(loc, sharedPtr, pair, to, ValueRange{i}),
               16);
         });
    b.create<LLVM::ReturnOp>(loc, ValueRange{});
  }

  // __lgc_gpu_block_prefetch_rows(in, words, next, tid) (block-rows-
  // prefetch, blocks looping over the grid): the line of each packed input
  // row that phase 0 of block `next` reads (its S words lie in one line:
  // S x bits / 8 bytes at a multiple of that), into the L2, the rows spread
  // over the threads as phase 0 spreads them; nothing where `next` is past
  // the words. Host mode exports it with a last argument, a function it
  // calls with each line's address instead (the tests collect the lines).
  LLVM::LLVMFuncOp prefetchRowsFn;
  if (tableShared && options.blockRowsPrefetch) {
    OpBuilder::InsertionGuard guard(b);
    SmallVector<Type> params = {ptr, i64, i64, i64};
    if (hostMode)
      params.push_back(ptr);
    prefetchRowsFn =
        function(abi::kGpuBlockPrefetchRowsFunction, params, linkage);
    inlineOnDevice(prefetchRowsFn);
    auto args = prefetchRowsFn.getBody().front().getArguments();
    Value in = args[0], words = args[1], next = args[2], tid = args[3];
    Value w0 = b.create<LLVM::MulOp>(loc, next, constI64(S));
    ifThen(cmp(LLVM::ICmpPredicate::ult, w0, words), [&] {
      // The block's first word's place in the tile-major array (rowOf).
      Value a0 = bits == 64
                     ? w0
                     : b.create<LLVM::LShrOp>(loc, w0, constI64(1)).getResult();
      Value tile = constI64(int64_t(abi::kGpuTileWords));
      Value base = b.create<LLVM::AddOp>(
          loc,
          b.create<LLVM::MulOp>(
              loc, b.create<LLVM::UDivOp>(loc, a0, tile),
              constI64(int64_t(abi::kGpuTileWords) * net.getNumInputs())),
          b.create<LLVM::URemOp>(loc, a0, tile));
      Type globalPtr = LLVM::LLVMPointerType::get(b.getContext(), globalSpace);
      Value rows =
          hostMode ? in : b.create<LLVM::AddrSpaceCastOp>(loc, globalPtr, in);
      Value inTable = global("__lgc_gen_block_inputs");
      loop(tid, constI64(int64_t(sched.inputs.size() / 2)), constI64(B),
           [&](Value i) {
             Value input = tableAt(
                 inTable, b.create<LLVM::MulOp>(loc, i, constI64(2)));
             Value at = b.create<LLVM::AddOp>(
                 loc, base, b.create<LLVM::MulOp>(loc, input, tile));
             prefetchL2(b.create<LLVM::GEPOp>(loc, rows.getType(), i64, rows,
                                              ValueRange{at}),
                        hostMode ? args[4] : Value());
           });
    });
    b.create<LLVM::ReturnOp>(loc, ValueRange{});
  }

  LLVM::LLVMFuncOp packU8, packBits;
  if (!alongside)
    std::tie(packU8, packBits) = packFunctions(encoding);
  if (hostMode)
    return success();
  declareDynamicShared();
  // A block's phases in order, a barrier after each: phase 0 by
  // inputsU8Fn from (x, n) where `u8` (args x, n, scratch, planes,
  // classes, words), else by the phase function from the packed input
  // (args in, scratch, planes, classes, words).
  auto blockBody = [&](ArrayRef<BlockArgument> args, bool u8) {
    unsigned at = u8 ? 1 : 0;
    Value in =
        u8 ? b.create<LLVM::ZeroOp>(loc, ptr).getResult() : Value(args[0]);
    Value scratch = args[at + 1], planes = args[at + 2], classes = args[at + 3];
    Value tid =
        b.create<LLVM::ZExtOp>(loc, i64, b.create<NVVM::ThreadIdXOp>(loc, i32));
    Value bid =
        b.create<LLVM::ZExtOp>(loc, i64, b.create<NVVM::BlockIdXOp>(loc, i32));
    Value shared = dynamicShared();
    // Without the table in shared memory the grid is exact (gpuBlockGrid);
    // a block past it leaves before any barrier, as a whole.
    Value first =
        tableFn ? Value() : b.create<LLVM::MulOp>(loc, bid, constI64(S));
    Value words = args[at + 4];
    if (bits == 32)
      words = b.create<LLVM::MulOp>(loc, words, constI64(2));
    // Block `blk` of gpuBlockGrid: its words' phases.
    auto evaluate = [&](Value bid, Value ahead) {
      if (u8) {
        b.create<LLVM::CallOp>(
            loc, inputsU8Fn,
            ValueRange{args[0], args[1], scratch, shared, bid, tid});
        b.create<NVVM::Barrier0Op>(loc);
        if (prefetchU8Fn) {
          if (!ahead) {
            auto loaded = b.create<LLVM::LoadOp>(
                loc, i32, global(abi::kBlockU8AheadSymbol), 4);
            // No kernel writes it; the runtime writes it before any launch.
            loaded.setInvariant(true);
            ahead = b.create<LLVM::ZExtOp>(loc, i64, loaded);
          }
          b.create<LLVM::CallOp>(loc, prefetchU8Fn,
                                 ValueRange{args[0], args[1], bid, tid, ahead});
        }
      }
      auto phase = [&](Value p) {
        b.create<LLVM::CallOp>(
            loc, phaseFn,
            ValueRange{in, scratch, planes, classes, shared, bid, tid, p});
        b.create<NVVM::Barrier0Op>(loc);
      };
      // Phase 0 from the packed rows, then the next block's rows into the
      // L2 (block-rows-prefetch), then the other phases.
      bool rows = !u8 && prefetchRowsFn;
      if (rows) {
        phase(constI64(0));
        b.create<LLVM::CallOp>(
            loc, prefetchRowsFn,
            ValueRange{in, words, b.create<LLVM::AddOp>(loc, bid, ahead), tid});
      }
      loop(constI64(u8 || rows ? 1 : 0), constI64(phases), constI64(1), phase);
    };
    if (!tableFn) {
      ifThen(cmp(LLVM::ICmpPredicate::ult, first, words),
             [&] { evaluate(bid, Value()); });
      return;
    }
    // The table copied once, then blocks bid, bid + grid, ... of
    // gpuBlockGrid (the runtime launches the blocks the device holds at
    // once, kBlockGridStrideSymbol): the next a block evaluates is `grid`
    // blocks on, whose pixels its u8 form prefetches.
    b.create<LLVM::CallOp>(loc, tableFn, ValueRange{shared, tid});
    b.create<NVVM::Barrier0Op>(loc);
    Value grid =
        b.create<LLVM::ZExtOp>(loc, i64, b.create<NVVM::GridDimXOp>(loc, i32));
    Value blocks = b.create<LLVM::UDivOp>(
        loc, b.create<LLVM::AddOp>(loc, words, constI64(S - 1)), constI64(S));
    loop(bid, blocks, grid, [&](Value blk) { evaluate(blk, grid); });
  };
  kernels(
      LLVM::LLVMFuncOp(), packU8,
      int64_t(
          abi::gpuPackU8Rows(reinterpret_cast<const uint32_t *>(shape.data()))),
      packBits, [&](ArrayRef<BlockArgument> args) { blockBody(args, false); },
      alongside ? abi::kNetBlockKernel : abi::kNetKernel, B, resident);
  if (inputsU8Fn) {
    OpBuilder::InsertionGuard guard(b);
    LLVM::LLVMFuncOp fn =
        function(alongside ? abi::kNetBlockU8Kernel : abi::kNetU8Kernel,
                 {ptr, i64, ptr, ptr, ptr, i64}, LLVM::Linkage::External);
    fn->setAttr(NVVM::NVVMDialect::getKernelFuncAttrName(), b.getUnitAttr());
    fn->setAttr(NVVM::NVVMDialect::getMaxntidAttrName(),
                b.getDenseI32ArrayAttr({int32_t(B), 1, 1}));
    if (resident > 1)
      fn->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(),
                  b.getI32IntegerAttr(int32_t(resident)));
    blockBody(llvm::to_vector(fn.getBody().front().getArguments()), true);
    b.create<LLVM::ReturnOp>(loc, ValueRange{});
  }
  return success();
}
