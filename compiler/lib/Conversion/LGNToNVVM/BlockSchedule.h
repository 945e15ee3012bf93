//===- BlockSchedule.h - The GPU block kernel's schedule -----*- C++ -*-===//
//
// Part of lgc. What the block kernel's tables hold (the gates level by
// level, every value's slot in shared memory, the count's reductions) and
// how lgc makes them from a net; BlockKernel.cpp emits the kernel that
// reads them. Private to the LGNToNVVM conversion.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_LIB_CONVERSION_LGNTONVVM_BLOCKSCHEDULE_H
#define LGC_LIB_CONVERSION_LGNTONVVM_BLOCKSCHEDULE_H

#include "lgc/Dialect/LGN/LGNOps.h"

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace lgc::nvvm {

/// What the block kernel's tables say: the live gates by level, every value
/// in a slot, and the GroupSum as a tree of reductions.
///
/// Level 0 is the inputs and constants; a gate's level is one more than its
/// operands' highest, or later where that fills the levels' rounds (never
/// past the depth of the net). Phase 0 copies the used inputs to their slots,
/// phase l evaluates level l (a barrier between phases), so a slot whose value
/// was last read in level l is free for a gate of level l + 1 or later:
/// shared memory holds the most values live across one level boundary, not
/// one slot per gate. Slots 0 and 1 are the constants 0 and 1. The output
/// bits stay live to the count, a tree of reductions, a phase each: the
/// first adds each class's bits in groups of up to 32 (a thread per group
/// and word, a carry-save counter in registers, its planes to shared
/// memory), each next one adds groups of up to 8 of those counts, until one
/// count per class is left; the last phase takes the argmax (a thread per
/// word). A reduction's counts take slots freed by then (values last read
/// in level L, then the outputs, then the counts two reductions back), so
/// the count needs little shared memory of its own.
struct BlockSchedule {
  /// (input, slot) of each input read.
  std::vector<int32_t> inputs;
  /// a | b << 16 | result << 32 | table << 48 for each gate, level by
  /// level (one 8-byte load); bit (2 x + y) of the table is the gate's
  /// value for a = x, b = y.
  std::vector<int64_t> gates;
  /// Gates of level l are entries levelStarts[l - 1] .. levelStarts[l] - 1.
  std::vector<int32_t> levelStarts{0};
  /// Fused entries (block-fuse-gates): a gate with k = 1 or 2 of its
  /// operands gates that only it reads, evaluated in its entry (in
  /// registers, no slot of their own). trees[k - 1] holds two i64 each (one
  /// 16-byte load): l0 | l1 << 16 | result << 32 | root table << 48 |
  /// operand tables << 52 (and << 56), then l2 | l3 << 16. Leaves l0, l1
  /// are the first fused operand's operands; with k = 1, that operand is
  /// the root's a (its table transposed where it was b) and l2 its b; with
  /// k = 2, l2, l3 are the second fused operand's. Level l's are entries
  /// treeStarts[k - 1][l - 1] .. treeStarts[k - 1][l] - 1.
  std::vector<int64_t> trees[2];
  std::vector<int32_t> treeStarts[2] = {{0}, {0}};
  /// One reduction of the count: for class c and group g (of `groups` per
  /// class), the sum of F inputs of kIn planes each, input i's plane w in
  /// slot in[((c * groups + g) * F + i) * kIn + w] (slot 0, the constant 0,
  /// past the last input), as kOut planes, plane w to slot
  /// out[(c * groups + g) * kOut + w].
  struct Reduction {
    unsigned F, kIn, kOut, groups;
    std::vector<int32_t> in, out;
    /// The first reduction: the output bits that are the constant 1, as a
    /// number to add per group (its inputs are the others), none if empty.
    std::vector<int32_t> ones;
  };
  std::vector<Reduction> reductions;
  /// Slots in all, planes per class count, and the most output bits of a
  /// class that are not constant (the first reduction's items).
  unsigned values = 2, K = 1, countBits = 1;
  unsigned levels() const { return unsigned(levelStarts.size()) - 1; }
};

/// Shared memory serves a warp's 8-byte accesses half a warp at a time,
/// each from 16 pairs of banks: lanes whose slots agree modulo 16 but
/// differ conflict (the layout is word-major, so this holds for every
/// word of a block). Its 4-byte accesses (32-bit words) it serves a whole
/// warp at a time from the 32 banks: the same with 32 lanes and modulo 32.
constexpr unsigned kBankPairs = 16;
constexpr unsigned kBanks = 32;

/// Slots a gate's table entry can name (16 bits each).
constexpr uint64_t kMaxBlockSlots = 1 << 16;
/// Blocks of B threads with `bytes` of shared memory each that a
/// multiprocessor holds at once: as many as its shared memory holds, up to
/// kGpuBlockThreadsPerMultiprocessor threads (whole warps: a block of 33
/// threads takes two).
unsigned residentBlocks(uint64_t bytes, unsigned B);

/// The bits a group of the count's first reduction adds, for `items` bits a
/// class of `C` classes in blocks of `B` threads and `countWords` words
/// (0: not known, groups of 32). A thread per group and word, the groups of
/// a word padded to whole warps, in passes of the B threads: more bits a
/// group (up to 63, whose count six planes hold, as 32's) where that leaves
/// a thread fewer loads in all (passes x bits a group). 784-6x8000 has
/// 385-408 bits a class not constant: 13 groups of 32 made 320 threads'
/// work for two words, a second pass of 64 threads over 32 loads each while
/// the block's other threads waited at the barrier; 12 of 34 make one pass.
unsigned firstReductionInputs(unsigned items, unsigned C, unsigned B,
                              unsigned countWords);

/// The u8 kernel's table of each input bit's slot (-1: not read).
constexpr const char *kBlockInputSlots = "__lgc_gen_block_input_slots";

/// The block kernel's tables for `order`; `S` > 1: the words of a block
/// are interleaved over the threads (laneGroups), 1: each thread
/// evaluates its gates for every word; `banks`: kBankPairs for 64-bit
/// words, kBanks for 32-bit ones; `fuse`: gates read by one gate only are
/// evaluated in its entry; `runs`: U consecutive entries a thread
/// (laneGroups); `freshSlots` > 0: a result may take a fresh slot out of
/// order for its bank while the slots stay under `freshSlots` (so they may
/// be more than the most values live at once), 0: never; `roundGates` > 0:
/// entries move to later levels so that the levels fill whole rounds of that
/// many entries (balanceLevels), 0: each entry at the level after its operands'
/// highest; `countWords` > 0: the words of a block, for the count's first
/// reduction (firstReductionInputs), 0: groups of 32 bits.
BlockSchedule scheduleBlocks(lgn::NetOp net, llvm::ArrayRef<lgn::GateOp> order,
                             unsigned B, unsigned U, unsigned S,
                             bool spreadBanks, unsigned banks, bool fuse,
                             bool runs, unsigned freshSlots,
                             unsigned roundGates, unsigned countWords = 0);

} // namespace lgc::nvvm

#endif // LGC_LIB_CONVERSION_LGNTONVVM_BLOCKSCHEDULE_H
