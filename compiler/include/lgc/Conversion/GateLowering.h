//===- GateLowering.h - Skeleton shared by the gate lowerings --*- C++ -*-===//
//
// Part of lgc. Both conversions (LGNToLLVM for CPUs, LGNToNVVM for GPUs)
// lower an lgn.net the same way and differ only in what a "value" is (a
// vector of 64-bit words on the CPU, one word per thread on the GPU) and in
// how a value is loaded from or stored to memory. This file holds what they
// share:
//  - NetPartition: the live gates in depth-first order, cut into functions
//    of at most gates-per-function gates, and the home (input, scratch slot,
//    constant) of every value that crosses a function or feeds an output;
//  - GateEmitter: the per-function value map, the gate-to-bitwise-op rules
//    and the constant caches, over four target hooks;
//  - the tables of generated-code ABI (shape slots, output homes, encoding;
//    lgc/Runtime/GeneratedABI.h) computed once for both.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_CONVERSION_GATELOWERING_H
#define LGC_CONVERSION_GATELOWERING_H

#include "lgc/Dialect/LGN/LGNOps.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/IR/Value.h"

#include <optional>
#include <vector>

namespace lgc {

/// Gates per generated function unless a pass option says otherwise. Code
/// generation time grows faster than linearly with function size (LLVM's
/// instruction selection and register allocation), so big nets are split,
/// passing cut values through a scratch buffer; the functions are also the
/// unit of parallel code generation. On a 6x8000 net, 1000 compiles 1.7x
/// faster than 3000 and runs as fast (500 gains nothing more).
constexpr unsigned kDefaultGatesPerFunction = 1000;

/// How deep into each output's cone the partition looks when it orders a
/// class's outputs for the GPU thread kernel (NetPartition): the next output
/// is the one with the most gates of the current function within this many
/// gates of it, so that outputs sharing gates share a function and read them
/// from registers instead of the scratch array. On 784-6x8000 (PTX loads and
/// stores) depths 1, 2, 3, 4 and 6 gave 1.4, 2.5, 3.4, 3.7 and 3.7 % fewer
/// accesses than output order; scoring each candidate by the exact values
/// it would load instead (every remaining output a candidate, quadratic in
/// a class's outputs) 4.7 %. The CPU backend keeps output order (0): there
/// the same order cuts 3.4 % of the vector loads of 6x8000's .so and 5.9 %
/// of its stores, a gain too small to time on the CPU, for a longer compile
/// (2.5 s instead of 1.9; 3.5 s before the token-factor limit of
/// CPUTarget.cpp).
constexpr unsigned kDefaultGpuOutputLocality = 4;

/// How deep the GPU thread kernel recomputes a value that an earlier
/// function made instead of loading it back from the scratch array
/// (NetPartition, `rematDepth`): a gate whose operands the reading function
/// has anyway (inputs and values it loads, or gates it recomputes too, up
/// to this many gates deep) costs one logic instruction there instead of a
/// load, and its store where no function loads it any more. Counted on
/// 784-6x8000 (docs/gpu-backend.md): depth 1 and 2 remove most of what
/// depth 3 does.
constexpr unsigned kDefaultGpuRematDepth = 2;

/// The fewest gates (and block positions) a part of an ensemble has when
/// the CPU lowering evaluates it part by part (NetPartition): splitting
/// pays where the whole net's values outgrow the caches, not on small nets,
/// where counting after each part is pure overhead.
constexpr unsigned kDefaultPartGates = 20000;

/// How many convs of one layer (convs that read the same image at the same
/// positions) the CPU backend evaluates in one loop over positions, each
/// position's trees one after the other, when it runs blocks as loops. One
/// loop per conv streams the whole input image through the L1 cache once
/// per conv; a loop over the layer's convs reads each position's window
/// while it is in L1. 1: a loop per conv.
constexpr unsigned kDefaultConvsPerLoop = 8;

/// The CPU lowering's register window unless a pass option says otherwise:
/// a value is kept in a register for this many gates after it is computed
/// or loaded, and reloaded from memory after that. 32 vector registers hold
/// the window's values with room for the gates' operands.
constexpr unsigned kDefaultRegisterWindow = 16;
/// No window: a value, once computed or loaded, is reused for the rest of
/// its function.
constexpr unsigned kUnlimitedWindow = ~0u;
/// The GPU lowering's window and ptxas's register cap, chosen together on
/// an H200 (784-6x8000, 4M images, lgc_net alone, one run): no window and
/// no cap 598 M images/s (222 registers: 2 blocks of 128 threads per SM,
/// 12 % occupancy, a second partial wave); cap 128 with windows 48 / 32
/// (cap 96) / 24 (cap 64) 985 / 960 / 951; cap 128 and no window 1,025.
/// Under the cap ptxas spills to local memory, which is interleaved per
/// thread and cached like the scratch array, so the window's reloads only
/// add instructions there; the window stays for the CPU lowering.
constexpr unsigned kDefaultGpuRegisterWindow = kUnlimitedWindow;
/// The GPU thread kernel's counter columns kept in registers when it counts
/// in code (GateEmitterBase::setCountRegisterColumns); the others stay in
/// scratch. Chosen by bytes moved per image, from ptxas -v (sm_90) and the
/// PTX's loads and stores (bench/gpu_traffic.py), on 784-6x8000: the PTX's
/// bytes + ptxas's spills per image were 2,206 + 151 with 3 columns,
/// 2,031 + 173 with 4, 1,948 + 224 with 5, 1,910 + 431 with 6 and
/// 1,887 + 657 with all in registers (their 20 live values made ptxas
/// spill); the count functions after the gates: 2,534 + 147.
constexpr unsigned kDefaultGpuCountRegisterColumns = 4;
/// Registers per thread the GPU kernels may use (ptxas -maxrregcount; 0:
/// ptxas decides): 128 lets 4 blocks of 128 threads share an SM.
constexpr unsigned kDefaultGpuMaxRegisters = 128;

/// The GPU block kernel's threads per block: eight warps share a level's
/// gates and hide one another's shared-memory latency.
constexpr unsigned kDefaultGpuBlockThreads = 256;
/// The most threads a CUDA block may have. The block kernel declares its
/// block size to ptxas (.maxntid), which then keeps its registers within
/// what that many threads may share (64 a thread for 1,024 on sm_80 ..
/// sm_90: 65,536 registers per multiprocessor).
constexpr unsigned kMaxGpuBlockThreads = 1024;
/// Gates a block-kernel thread takes per round of a level: four
/// independent chains of table and shared-memory loads in flight.
constexpr unsigned kDefaultGpuBlockUnroll = 4;
/// Shared memory per block the block kernel's automatic words per block
/// aims at: two blocks fit an H100/H200 multiprocessor (228 KB), so one
/// block's barrier wait overlaps the other's work.
constexpr unsigned kDefaultGpuBlockSharedTarget = 112 * 1024;
/// The most dynamic shared memory a block may use on sm_90 (227 KB; sm_80
/// allows 163 KB, which the runtime checks when it loads a module).
constexpr unsigned kDefaultGpuBlockSharedLimit = 227 * 1024;

/// An H100/H200 multiprocessor's shared memory (228 KB), of which each
/// resident block takes 1 KB for the system.
constexpr unsigned kGpuSharedPerMultiprocessor = 228 * 1024;
constexpr unsigned kGpuSharedReservedPerBlock = 1024;
/// The most block-kernel threads a multiprocessor is asked to hold
/// (.minnctapersm): 1,024 leaves each thread 64 registers, which the
/// 6x8000 block kernel needs without spilling (at 32 it keeps a stack).
constexpr unsigned kGpuBlockThreadsPerMultiprocessor = 1024;
/// A multiprocessor's 32-bit registers (sm_80, sm_90).
constexpr unsigned kGpuRegistersPerMultiprocessor = 64 * 1024;

/// Where a value lives outside the function that computes it.
struct ValueHome {
  enum Kind { Input, Scratch, Constant } kind;
  /// Input number, scratch slot, or the constant's bit.
  int64_t index;
};

/// The image an lgn.conv or lgn.or_pool reads (channel-major, channels x
/// height x width) and the zero border around it.
struct WindowGeometry {
  mlir::OperandRange inputs;
  int64_t channels, height, width, padding;
};
WindowGeometry windowGeometry(mlir::Operation *block);

/// A weight-shared block (lgn.conv or lgn.or_pool) that a backend runs as a
/// loop over positions instead of as unrolled gates (the CPU backend's
/// `--blocks=loop`).
struct BlockPlan {
  mlir::Operation *op;
  /// Where the block reads its input image: element (c, y, x) of the image
  /// framed by its zero border (the op's padding), y and x counted from the
  /// frame's top-left corner, is at sourceBase + c * planeStride +
  /// y * rowStride + x of `in` (Input) or of the scratch array (Scratch).
  ValueHome::Kind sourceKind;
  int64_t sourceBase, planeStride, rowStride;
  /// This block first copies its operands there, framed by zeros: they are
  /// not one run of inputs or of an earlier block's results in image order,
  /// or the op pads, and no earlier block made the same image (the channels
  /// of a conv layer share one). Otherwise the block reads them where they
  /// are.
  bool gathered;
  /// Result r = (channel c, y, x) is in scratch slot outBase + c * outPlane
  /// + y * outRow + x: one run (outPlane = out height x width, outRow = out
  /// width), or, for a pool whose results a padded conv reads as its image,
  /// the inside of that conv's zero-framed image (outRow the framed width),
  /// so that the conv reads them in place.
  int64_t outBase;
  int64_t outPlane = 0, outRow = 0;
  /// That frame's padding when this block's results are placed in one (0
  /// otherwise): this block's function zeroes its border, which starts
  /// framePadding rows and columns before outBase.
  int64_t framePadding = 0;
  /// A conv whose results only an unpadded lgn.or_pool reads, as its
  /// channel poolChannel in image order: the conv is evaluated at the pool's
  /// windows and ORed there, into the pool's result slots (blocks()[poolPlan]
  /// ), and its own results are never stored (outBase unused). -1 otherwise.
  int64_t poolPlan = -1, poolChannel = 0;
  /// An lgn.or_pool whose every channel such convs compute: it emits
  /// nothing of its own.
  bool fedByConvs = false;
};

/// The gates of a net as generated functions, and the memory they share.
///
/// Gates are evaluated in one global order (depth-first from the outputs)
/// and cut into functions of at most gatesPerFunction gates. A gate gets a
/// scratch home when a later function or the GroupSum reads it, or when a
/// use is more than `window` gates after it: such a value is stored once
/// and reloaded where it is used instead of being held in a register (where
/// LLVM would spill it to the stack anyway). Scratch slots are reused: a
/// slot is free again after the last use of its value, so the scratch
/// buffer, the gate loop's working set, is as large as the most values live
/// at once rather than one slot per cut value.
///
/// With `partGates` > 0, a net made of independent parts (an ensemble: nets
/// that share only the inputs) is evaluated part by part: each part's
/// blocks, then its gates, into scratch that the next part reuses, the
/// caller counting each part's outputs in between (GeneratedABI.h,
/// kParts). Consecutive independent nets are joined into parts of at least
/// `partGates` gates and block positions. That applies when every class's
/// outputs are the parts' outputs one part after the other; otherwise, and
/// with `partGates` 0, the net is one part.
///
/// With `countInCode`, the generated code does the GroupSum too: each
/// output is added to its class's count (a carry-save counter of bit
/// planes) right after the gate that completes it, as one more reader of
/// its value (CountEvent), and each part ends with a count function that
/// writes the part's counts to scratch (GeneratedABI.h, kCountPlanes).
/// Outputs then need a home only where a later function or a use beyond
/// the window reads them, like any value, instead of all staying in
/// scratch for a GroupSum over memory afterwards.
class NetPartition {
public:
  /// A net may keep lgn.conv and lgn.or_pool ops ahead of its gates
  /// (checkBlocksAheadOfGates): each live one gets a BlockPlan, its results
  /// (and its gathered input) scratch slots of their own, never reused
  /// within its part, and the gates read its results as they read inputs.
  ///
  /// With `frameInputs`, when a live block reads all the inputs, in order, as
  /// a padded image, the inputs are laid out as that image framed by zeros
  /// (GeneratedABI.h, kInputFrameHeight): every block reading that image
  /// reads it in place, and input i's home is its slot in the frame.
  ///
  /// With `outputLocality` (a depth, kDefaultGpuOutputLocality), each class's
  /// outputs are visited in the order that keeps shared cones in one
  /// function (the output whose cone, within that many gates, holds the
  /// most gates of the current function comes next); 0: in output order.
  ///
  /// With `rematDepth` > 0 (and no window), a function recomputes a gate of
  /// an earlier function that it reads, rather than loading it, where every
  /// operand of that gate is one the function reads anyway (an input it
  /// reads, a value it loads) or a gate it recomputes in turn, at most
  /// `rematDepth` gates deep (recomputes()). With `rematLoadsInputs`, a
  /// gate is also recomputed, one gate deep, by functions that load inputs
  /// for it that they did not read, where that saves more loads and stores
  /// than the inputs add. A value no function loads any more needs no home.
  NetPartition(lgn::NetOp net, unsigned gatesPerFunction,
               unsigned window = kUnlimitedWindow, unsigned partGates = 0,
               bool countInCode = false, bool frameInputs = false,
               unsigned outputLocality = 0, unsigned rematDepth = 0,
               bool rematLoadsInputs = false);

  /// Whether function k recomputes `gate` (made by an earlier function)
  /// where it first reads it, instead of loading it.
  bool recomputes(unsigned k, lgn::GateOp gate) const {
    return k < rematOf.size() && rematOf[k].contains(gate);
  }
  /// Gates recomputed, summed over the functions that recompute them.
  size_t numRecomputed() const { return recomputed; }

  /// The inputs' frame: the image's height and width and the padding
  /// around each channel's plane; all 0 where the inputs are not framed
  /// (input i in slot i).
  struct InputFrame {
    int64_t height = 0, width = 0, padding = 0;
  };
  const InputFrame &inputFrame() const { return frame; }

  /// Counting in code: output bit `bit` (of class `cls`) is added to its
  /// class's count after the gate at global position `at`, or, at
  /// kCountAtTail, by its part's count function (a part without gates).
  struct CountEvent {
    mlir::Value bit;
    unsigned cls;
    size_t at;
  };
  static constexpr size_t kCountAtTail = ~size_t(0);
  bool countsInCode() const { return countInCode; }
  /// Part p's count events in order: classes ascending, positions not
  /// descending. Outputs that are the constant 0 have none.
  llvm::ArrayRef<CountEvent> countEvents(unsigned p) const {
    return countEventsOf[p];
  }
  /// Bits of a class count (GeneratedABI.h planesForGroup).
  unsigned countPlanes() const { return planes; }
  unsigned numClasses() const { return classes; }
  /// Where the open class's counter keeps bit i (0 or 1) of column j
  /// between functions, and where plane j of class c's count goes.
  int64_t countStateSlot(unsigned j, unsigned i) const {
    return countStateBase + 2 * int64_t(j) + i;
  }
  int64_t countPlaneSlot(unsigned c, unsigned j) const {
    return countPlanesBase + int64_t(c) * planes + j;
  }
  /// The part function k belongs to.
  unsigned partOfChunk(unsigned k) const;

  /// Parts, evaluated one after the other: part p is blocks()
  /// [partBlocks(p), partBlocks(p + 1)) and functions [partChunks(p),
  /// partChunks(p + 1)).
  unsigned numParts() const { return unsigned(partBlockStarts.size()); }
  unsigned partBlocks(unsigned p) const {
    return p < numParts() ? partBlockStarts[p] : unsigned(blockPlans.size());
  }
  unsigned partChunks(unsigned p) const {
    return p < numParts() ? partChunkStarts[p] : numChunks();
  }
  /// For part p and class c, where part p's outputs of class c end within
  /// the class's group (cumulative: part p's are [ends(p - 1), ends(p))).
  llvm::ArrayRef<int32_t> partOutputEnds() const { return outputEnds; }

  /// The live blocks in evaluation order (the net's order).
  llvm::ArrayRef<BlockPlan> blocks() const { return blockPlans; }

  /// Gates of function k, in evaluation order.
  llvm::ArrayRef<lgn::GateOp> chunk(unsigned k) const;
  /// Global position of the first gate of function k.
  size_t chunkStart(unsigned k) const { return chunkStarts[k]; }
  unsigned numChunks() const { return unsigned(chunkStarts.size()); }
  /// Live gates (the ones reaching an output).
  unsigned numGates() const { return unsigned(order.size()); }
  int64_t numScratchSlots() const { return scratchSlots; }
  unsigned window() const { return windowSize; }
  /// The home of `v`; gates used only near their definition have none.
  std::optional<ValueHome> home(mlir::Value v) const;
  /// The home of values[0] when `values` are inputs, or scratch slots, at
  /// consecutive indices (one run a loop can read); else none.
  std::optional<ValueHome> consecutiveHomes(mlir::ValueRange values) const;

private:
  void planBlocks(lgn::NetOp net, unsigned parts,
                  const llvm::DenseMap<mlir::Operation *, unsigned> &partOf,
                  bool frameInputs);
  /// Fills rematOf (the constructor's `rematDepth`, `rematLoadsInputs`).
  void planRemat(unsigned depth, bool loadInputs,
                 const llvm::DenseMap<mlir::Operation *, size_t> &position,
                 llvm::ArrayRef<unsigned> chunkOf);

  std::vector<lgn::GateOp> order;
  std::vector<unsigned> partBlockStarts, partChunkStarts;
  /// Where each part's scratch slots for gates begin (after its blocks').
  std::vector<int64_t> partSlotStarts;
  std::vector<int32_t> outputEnds;
  std::vector<BlockPlan> blockPlans;
  std::vector<size_t> chunkStarts;
  llvm::DenseMap<mlir::Value, ValueHome> homes;
  int64_t scratchSlots = 0;
  unsigned windowSize;
  bool countInCode = false;
  InputFrame frame;
  unsigned planes = 0, classes = 0;
  int64_t countStateBase = 0, countPlanesBase = 0;
  std::vector<llvm::SmallVector<CountEvent, 0>> countEventsOf;
  std::vector<llvm::DenseSet<mlir::Operation *>> rematOf;
  size_t recomputed = 0;
};

/// The net's independent parts, for outputs laid out as an ensemble's:
/// groups of gates and blocks connected through each other (not through
/// inputs or constants), in the order of where their outputs first sit in
/// a class's group; groups whose outputs interleave in some class are one
/// part, and consecutive parts are joined until each has at least
/// `partGates` gates and block positions. Returns the number of parts; with
/// more than one, fills `outputPart` for every output bit (an output that is
/// an input or a constant goes with the output before it in its group) and,
/// where asked for, `partOf` for every gate and block that reaches an
/// output; every class's outputs are the parts' outputs one part after the
/// other.
unsigned
findNetParts(lgn::NetOp net, unsigned partGates,
             llvm::SmallVectorImpl<unsigned> &outputPart,
             llvm::DenseMap<mlir::Operation *, unsigned> *partOf = nullptr);

/// The number of parts NetPartition evaluates `net` in with `partGates`
/// (1 with 0), without planning them.
unsigned countNetParts(lgn::NetOp net, unsigned partGates);

/// Fails, with an error at the first offending op, unless every lgn.conv
/// and lgn.or_pool of `net` reads only inputs, constants and other blocks'
/// results: a lowering that loops over positions evaluates the blocks
/// first, then the gates.
mlir::LogicalResult checkBlocksAheadOfGates(lgn::NetOp net);
/// Fails, with an error at the first lgn.conv or lgn.or_pool, when `net`
/// has one: `lowering` handles gates only.
mlir::LogicalResult checkNoBlocks(lgn::NetOp net, llvm::StringRef lowering);

/// Emits the bitwise code of gate functions, as values of type V (MLIR's
/// LLVM dialect values, or LLVM IR values for code emitted straight to LLVM
/// IR). A subclass says how values are typed, loaded, stored and combined;
/// the rest (which value is reused and which is reloaded, per the
/// partition's window; which gates become one ternary; the all-ones and
/// all-zeros constants) is here.
template <typename V> class GateEmitterBase {
public:
  explicit GateEmitterBase(const NetPartition &partition)
      : partition(partition) {}
  virtual ~GateEmitterBase() = default;

  /// Starts a function: values of the previous one are no longer visible.
  void beginFunction();
  /// The value of net value `v` at global position `at` of the current
  /// function: computed or loaded at most a window before, or loaded from
  /// its home.
  V use(mlir::Value v, size_t at);
  /// Emits the gates of chunk k and stores those with a scratch home; with
  /// counting in code, adds the outputs they complete to the counts.
  void emitChunk(unsigned k);
  /// Counting in code: the body of part p's count function, run after its
  /// gates: the outputs left to it, then the last class's count and the
  /// zero counts of classes without outputs, into their planes.
  void emitCountTail(unsigned p);
  V ones();
  V zeros();

  /// Counting in code: the counter's columns below `columns` are values
  /// (registers), the others stay in their scratch slots, each carry into
  /// one a store (or two loads, a full adder and a store). A column j
  /// receives a carry about every 2^j additions, so the high columns,
  /// rarely touched, cost little in memory and would otherwise be live
  /// values for a whole function. Default: all in values.
  void setCountRegisterColumns(unsigned columns) {
    registerColumns = std::max(1u, columns);
  }

protected:
  /// The target's hooks.
  /// Targets with a three-input logic instruction: each gate other than a
  /// wire or a constant is one `ternary(table, a, b, c)`, where bit
  /// (a << 2 | b << 1 | c) of `table` is the result, and a gate whose
  /// operand is the gate just before it, used nowhere else and kept in no
  /// memory, is emitted together with it as one. Otherwise gates are
  /// bitwise ops (`bitwise`).
  virtual bool hasTernary() const { return false; }
  /// Whether the count's full adders (majority and xor3) are each one
  /// `ternary`, even where the gates are not (the GPU: ptxas fuses a gate's
  /// and/or/xor into one LOP3 itself, but takes two for a majority).
  virtual bool hasTernaryAdders() const { return hasTernary(); }
  virtual V ternary(unsigned table, V a, V b, V c) {
    llvm_unreachable("the target has no ternary logic");
  }
  /// One gate as and/or/xor/not (lowerGate).
  virtual V bitwise(lgn::GateKind kind, V x, V y) = 0;
  virtual V constant(bool one) = 0;
  virtual V loadInput(int64_t input) = 0;
  virtual V loadScratch(int64_t slot) = 0;
  virtual void storeScratch(V value, int64_t slot) = 0;

  /// The value at `home`: loaded, or the constant.
  V load(const ValueHome &home);

  const NetPartition &partition;

private:
  /// One gate: a ternary, or bitwise ops.
  V gate(lgn::GateKind kind, V x, V y);

  struct Local {
    V value;
    /// Where it was computed or loaded.
    size_t at;
  };
  llvm::DenseMap<mlir::Value, Local> local;
  V onesCache = V(), zerosCache = V();
  /// The function emitChunk is emitting (for NetPartition::recomputes);
  /// none outside it.
  unsigned currentChunk = ~0u;

  /// Counting in code: the carry-save counter of the open class. Column j
  /// holds up to two bits of weight 2^j (a third is reduced at once), so
  /// its shape after n additions is a function of n (counterShape) and a
  /// function can restore what the one before it saved.
  void beginCounts(unsigned part, size_t firstEvent);
  void count(const NetPartition::CountEvent &event, size_t at);
  void addToCount(V bit);
  /// Reduces the open class's columns to one bit each and stores them as
  /// its planes.
  void finishClass();
  /// Stores the open class's counter for the next function.
  void saveCounts();
  /// Zero counts for classes [first, end): classes without outputs in the
  /// part.
  void zeroCounts(int64_t first, int64_t end);
  /// Loads the open class's counter where this function has not yet.
  void restoreCounts();
  /// The bit every sample has in `v`, where `v` is one of this function's
  /// constants (ones(), zeros()).
  std::optional<bool> constantValue(V v) const;
  /// The carry and the sum of a full adder, with constant operands folded.
  V majority(V a, V b, V c);
  V xor3(V a, V b, V c);
  unsigned countingPart = 0;
  size_t nextEvent = 0;
  /// The class being counted (-1: none yet in this part) and its additions.
  int64_t openClass = -1;
  size_t added = 0;
  /// Whether this function has the counter in values (else in scratch).
  bool countsLive = false;
  llvm::SmallVector<llvm::SmallVector<V, 3>> columns;
  /// Columns from registerColumns on: how many bits each has in its slots.
  llvm::SmallVector<unsigned> memoryBits;
  unsigned registerColumns = ~0u;
  /// Adds `bit` to column j, kept in scratch (j >= registerColumns).
  void carryToMemory(unsigned j, V bit);
};

/// The gate emitter of the conversion passes, building LLVM dialect ops.
class GateEmitter : public GateEmitterBase<mlir::Value> {
public:
  GateEmitter(mlir::OpBuilder &b, mlir::Location loc,
              const NetPartition &partition)
      : GateEmitterBase(partition), b(b), loc(loc) {}

protected:
  mlir::Value bitwise(lgn::GateKind kind, mlir::Value x,
                      mlir::Value y) override;

  mlir::OpBuilder &b;
  mlir::Location loc;
};

/// One gate as bitwise operations of any value type: `ops` has
/// and_(p, q), or_(p, q), xor_(p, q), not_(p), ones() and zeros().
template <typename V, typename Ops>
V lowerGate(lgn::GateKind kind, V x, V y, Ops &ops) {
  switch (kind) {
  case lgn::GateKind::Zero:
    return ops.zeros();
  case lgn::GateKind::And:
    return ops.and_(x, y);
  case lgn::GateKind::NotImplies:
    return ops.and_(x, ops.not_(y));
  case lgn::GateKind::A:
    return x;
  case lgn::GateKind::NotImpliedBy:
    return ops.and_(ops.not_(x), y);
  case lgn::GateKind::B:
    return y;
  case lgn::GateKind::Xor:
    return ops.xor_(x, y);
  case lgn::GateKind::Or:
    return ops.or_(x, y);
  case lgn::GateKind::NotOr:
    return ops.not_(ops.or_(x, y));
  case lgn::GateKind::NotXor:
    return ops.not_(ops.xor_(x, y));
  case lgn::GateKind::NotB:
    return ops.not_(y);
  case lgn::GateKind::ImpliedBy:
    return ops.or_(x, ops.not_(y));
  case lgn::GateKind::NotA:
    return ops.not_(x);
  case lgn::GateKind::Implies:
    return ops.or_(ops.not_(x), y);
  case lgn::GateKind::NotAnd:
    return ops.not_(ops.and_(x, y));
  case lgn::GateKind::One:
    return ops.ones();
  }
  llvm_unreachable("unknown gate kind");
}

/// One gate as LLVM dialect bitwise ops on `x` and `y` (words or vectors of
/// words of any width).
mlir::Value lowerGateOp(mlir::OpBuilder &b, mlir::Location loc,
                        lgn::GateKind kind, mlir::Value x, mlir::Value y,
                        llvm::function_ref<mlir::Value()> ones,
                        llvm::function_ref<mlir::Value()> zeros);

/// The input encoding as per-bit tables, with the identity default made
/// explicit, and its thermometer levels (`levels` attribute, {0.5} for the
/// identity encoding, empty for an explicit encoding).
struct EncodingTables {
  llvm::SmallVector<int32_t> features;
  llvm::SmallVector<float> thresholds;
  uint32_t numFeatures = 0;
  llvm::SmallVector<float> levels;
};
EncodingTables encodingTables(lgn::NetOp net);

/// __lgc_gen_shape's slots (GeneratedABI.h ShapeSlot) for a partitioned net.
llvm::SmallVector<int32_t> shapeTable(lgn::NetOp net,
                                      const NetPartition &partition,
                                      const EncodingTables &encoding,
                                      unsigned vectorWords);

/// __lgc_gen_outputs: the ABI code of each output bit's home.
llvm::SmallVector<int32_t> outputHomeTable(lgn::NetOp net,
                                           const NetPartition &partition);

/// A constant array global (i32, i64 or f32 elements) in `addressSpace`.
mlir::LLVM::GlobalOp createConstantArray(mlir::OpBuilder &b, mlir::Location loc,
                                         llvm::StringRef name,
                                         llvm::ArrayRef<int32_t> values,
                                         unsigned addressSpace = 0);
mlir::LLVM::GlobalOp createConstantArray(mlir::OpBuilder &b, mlir::Location loc,
                                         llvm::StringRef name,
                                         llvm::ArrayRef<int64_t> values,
                                         unsigned addressSpace = 0);
mlir::LLVM::GlobalOp createConstantArray(mlir::OpBuilder &b, mlir::Location loc,
                                         llvm::StringRef name,
                                         llvm::ArrayRef<float> values,
                                         unsigned addressSpace = 0);

/// The frame of both conversion passes: finds the module's lgn.net (the
/// generated symbols are fixed, so one net per module; a second one is an
/// error), calls `lower` with a builder at the end of the module, and erases
/// the net. A module without a net is left as it is.
mlir::LogicalResult lowerOnlyNet(
    mlir::ModuleOp module,
    llvm::function_ref<mlir::LogicalResult(lgn::NetOp, mlir::OpBuilder &)>
        lower);

} // namespace lgc

#endif // LGC_CONVERSION_GATELOWERING_H
