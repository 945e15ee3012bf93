//===- LGNToNVVM.cpp - Lower lgn nets to GPU kernels (NVVM) ---------------===//
//
// Part of lgc. The GPU side of the gate-lowering skeleton: a value is one
// 64-bit word per thread (64 samples), arrays are tile-major (GeneratedABI.h:
// row k of thread t at `x[((t / T) * rows + k) * T + t % T]`, T = a warp),
// so a warp's access to one row is one contiguous 256-byte segment and every
// access of a thread is its tile base plus a constant: no address arithmetic
// per gate, for the GPU or for LLVM's and ptxas's optimisers. The per-thread
// body adds GroupSum and argmax; the kernels wrap it and the packing
// functions with a global thread id and a bounds check.
//
// The block kernel (block-kernel=true) is the other design: a block's
// threads share a few words and evaluate one level of gates at a time,
// reading a table of gates and keeping every live value in shared memory,
// so a value crosses no function boundary through DRAM.
//
//===----------------------------------------------------------------------===//

#include "lgc/Conversion/LGNToNVVM/LGNToNVVM.h"
#include "lgc/Dialect/LGN/TruthTable.h"
#include "lgc/Runtime/GeneratedABI.h"
#include "lgc/Runtime/Net.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseSet.h"

#include <array>
#include <functional>
#include <map>
#include <tuple>

namespace lgc {
#define GEN_PASS_DEF_CONVERTLGNTONVVM
#include "lgc/Conversion/Passes.h.inc"
} // namespace lgc

using namespace mlir;
using namespace lgc;
using namespace lgc::lgn;

namespace {

class NVVMLowering : public GateEmitter {
public:
  NVVMLowering(NetOp net, OpBuilder &b, const NetPartition &partition,
               unsigned bitsPerFunction, bool hostMode)
      : GateEmitter(b, net.getLoc(), partition), net(net),
        bitsPerFunction(bitsPerFunction), hostMode(hostMode) {
    i8 = b.getI8Type();
    i32 = b.getI32Type();
    i64 = b.getI64Type();
    wordTy = i64;
    ptr = LLVM::LLVMPointerType::get(b.getContext());
    voidTy = LLVM::LLVMVoidType::get(b.getContext());
    // Device globals live in the global address space on NVPTX.
    globalSpace = hostMode ? 0 : 1;
  }
  /// The thread kernel, a thread per `threadBits` (64 or 32) samples;
  /// `readOnly`: its inputs by ld.global.nc (loadInput).
  void run(unsigned threadBits = 64, bool readOnly = true);
  /// The block kernel instead of the thread kernel; fails (with an error at
  /// the net) on words per block other than 0, 1, 2, 4 or 8.
  /// `alongside`: the module already has the thread kernel (run()); the
  /// block kernel is lgc_net_block with its own shape table, and is left
  /// out (with a remark) where its values do not fit shared memory.
  LogicalResult runBlock(const ConvertLGNToNVVMOptions &options,
                         bool alongside = false);

protected:
  Value constant(bool one) override {
    return wordTy == i32 ? constI32(one ? -1 : 0) : constI64(one ? -1 : 0);
  }
  Value loadInput(int64_t input) override {
    auto load =
        b.create<LLVM::LoadOp>(loc, wordTy, row64(inBase, input), wordBytes());
    // No kernel writes the input array while lgc_net runs: ld.global.nc,
    // which ptxas may also move above the function's scratch stores (a
    // generic load it must keep behind every store through another
    // pointer).
    load.setInvariant(!hostMode && readOnlyInputs);
    return load;
  }
  /// The gate and count functions' input base (their first argument):
  /// through the global address space on the device, for loadInput.
  Value inputBase(Value arg) {
    if (hostMode || !readOnlyInputs)
      return arg;
    return b.create<LLVM::AddrSpaceCastOp>(
        loc, LLVM::LLVMPointerType::get(b.getContext(), 1), arg);
  }
  Value loadScratch(int64_t slot) override {
    return b.create<LLVM::LoadOp>(loc, wordTy, scratchRow(slot), wordBytes());
  }
  void storeScratch(Value value, int64_t slot) override {
    b.create<LLVM::StoreOp>(loc, value, scratchRow(slot), wordBytes());
  }

private:
  LLVM::LLVMFuncOp function(StringRef name, ArrayRef<Type> args,
                            LLVM::Linkage linkage);
  // Bitwise ops of the GroupSum and the argmax.
  Value x(Value p, Value q) { return b.create<LLVM::XOrOp>(loc, p, q); }
  Value a(Value p, Value q) { return b.create<LLVM::AndOp>(loc, p, q); }
  Value o(Value p, Value q) { return b.create<LLVM::OrOp>(loc, p, q); }
  Value constI64(int64_t v) {
    return b.create<LLVM::ConstantOp>(loc, i64, b.getI64IntegerAttr(v));
  }
  Value constI32(int32_t v) {
    return b.create<LLVM::ConstantOp>(loc, i32, b.getI32IntegerAttr(v));
  }
  /// Row `row` of a thread whose tile base is `base`: element row * perRow
  /// of type `elem` (64-bit words, 32 a row, by default).
  Value element(Value base, int64_t row, Type elem = nullptr,
                int64_t perRow = abi::kGpuTileWords) {
    elem = elem ? elem : i64;
    int64_t index = row * perRow;
    if (index > INT32_MAX)
      return b.create<LLVM::GEPOp>(loc, base.getType(), elem, base,
                                   ValueRange{constI64(index)});
    return b.create<LLVM::GEPOp>(loc, base.getType(), elem, base,
                                 ArrayRef<LLVM::GEPArg>{int32_t(index)});
  }
  unsigned wordBytes() const { return wordTy == i32 ? 4 : 8; }
  /// Row `row` of the thread whose base in an array of 64-bit words (in,
  /// planes; halfTileBase for 32-bit words) is `base`: 256 bytes a row.
  Value row64(Value base, int64_t row) {
    if (wordTy == i64)
      return element(base, row);
    return element(base, row, i32, 2 * abi::kGpuTileWords);
  }
  Value loadRow(Value base, int64_t row) {
    return b.create<LLVM::LoadOp>(loc, wordTy, row64(base, row), wordBytes());
  }
  /// Scratch row `slot` of this thread: an array of words of its own
  /// width, tile-major (128 bytes a row for 32-bit words).
  Value scratchRow(int64_t slot) { return element(scratchBase, slot, wordTy); }
  /// Thread j's base in an array of 64-bit words of `rows` rows, for a
  /// thread per 32-bit half word (j = 2 t + h: half h of word t).
  Value halfTileBase(Value array, int64_t rows, Value j) {
    Value t = b.create<LLVM::LShrOp>(loc, j, constI64(1));
    Value h = b.create<LLVM::AndOp>(loc, j, constI64(1));
    Value T = constI64(abi::kGpuTileWords);
    Value word = b.create<LLVM::AddOp>(
        loc,
        b.create<LLVM::MulOp>(loc, b.create<LLVM::UDivOp>(loc, t, T),
                              constI64(rows * abi::kGpuTileWords)),
        b.create<LLVM::URemOp>(loc, t, T));
    Value off = b.create<LLVM::AddOp>(
        loc, b.create<LLVM::MulOp>(loc, word, constI64(2)), h);
    return b.create<LLVM::GEPOp>(loc, ptr, i32, array, ValueRange{off});
  }
  /// Thread t's tile base in an array of `rows` rows: row 0 of t.
  /// `elem`: the array's words (i64 by default).
  Value tileBase(Value array, int64_t rows, Value t, Type elem = nullptr) {
    Value T = constI64(abi::kGpuTileWords);
    Value tile = b.create<LLVM::UDivOp>(loc, t, T);
    Value lane = b.create<LLVM::URemOp>(loc, t, T);
    Value off = b.create<LLVM::AddOp>(
        loc,
        b.create<LLVM::MulOp>(loc, tile, constI64(rows * abi::kGpuTileWords)),
        lane);
    return b.create<LLVM::GEPOp>(loc, ptr, elem ? elem : i64, array,
                                 ValueRange{off});
  }
  /// A pointer to a device global, in the global address space: loads of
  /// the gate tables' entries through it are ld.global.nc, not generic
  /// loads after a cvta.
  Value global(StringRef name) {
    return b.create<LLVM::AddressOfOp>(
        loc, LLVM::LLVMPointerType::get(b.getContext(), globalSpace), name);
  }
  /// Element `index` of type `type` of the constant table `table`
  /// (global()), a load of `align` bytes; `invariant` for ld.global.nc.
  Value tableLoad(Type type, Value table, Value index, unsigned align,
                  bool invariant = true) {
    Value p = b.create<LLVM::GEPOp>(loc, table.getType(), type, table,
                                    ValueRange{index});
    auto load = b.create<LLVM::LoadOp>(loc, type, p, align);
    load.setInvariant(invariant);
    return load;
  }
  void globals(const EncodingTables &encoding, ArrayRef<int32_t> shape);
  SmallVector<LLVM::LLVMFuncOp> countFunctions(unsigned K);
  void argmax(Value planes, Value classes, Value t, unsigned K);
  /// The argmax of counts whose plane j of class c is `load(c, j)`, for
  /// the 64 samples of word t.
  void argmax(function_ref<Value(unsigned, unsigned)> load, Value classes,
              Value t, unsigned K);
  /// A carry-save counter of K planes that adds eagerly: as soon as a
  /// column holds three bits they become one full adder's sum (kept) and
  /// carry (passed on), so no column ever holds more than two bits and the
  /// values live at once are O(K), however many bits are added, when each
  /// is added as it is loaded (a tree over a whole group of the thread
  /// kernel kept every output bit live and spilled kilobytes per thread).
  /// The sum never needs more than K planes: nothing carries out of the
  /// last.
  class Counter {
  public:
    /// `zero`: the zero word of the values added (64 bits by default).
    Counter(NVVMLowering &l, unsigned K, Value zero = nullptr)
        : l(l), zero(zero), columns(K) {}
    /// Adds `v`, whose bits weigh 2^w.
    void add(unsigned w, Value v);
    /// The sum, plane j of weight 2^j.
    SmallVector<Value> planes();

  private:
    NVVMLowering &l;
    Value zero;
    std::vector<SmallVector<Value, 3>> columns;
  };
  /// Loops and branches in the current function: `body(i)` for i = start,
  /// start + step, ... while i < end (signed), then the insertion point
  /// after the loop; `body()` where `cond` holds.
  void loop(Value start, Value end, Value step, function_ref<void(Value)> body);
  /// The same with values carried from one iteration to the next: `init`
  /// into the first, `body(i, carried)` returns the next ones; returns the
  /// last (`init` where the loop does not run).
  SmallVector<Value>
  loop(Value start, Value end, Value step, ValueRange init,
       function_ref<SmallVector<Value>(Value, ValueRange)> body);
  void ifThen(Value cond, function_ref<void()> body);
  Value cmp(LLVM::ICmpPredicate p, Value l, Value r) {
    return b.create<LLVM::ICmpOp>(loc, p, l, r);
  }
  /// Element `index` of the i32 table `table` (global()), zero-extended,
  /// through a generic pointer: NVPTX folds the extension into a generic
  /// ld.u32, not into the ld.global.nc it makes of a load from a constant
  /// global (6x8000's phase function: 132 more cvt.u64.u32, and lgc_net
  /// 104 more SASS instructions, 1,992 against 1,888).
  Value tableAt(Value table, Value index) {
    if (globalSpace)
      table = b.create<LLVM::AddrSpaceCastOp>(loc, ptr, table);
    return b.create<LLVM::ZExtOp>(
        loc, i64, tableLoad(i32, table, index, 4, /*invariant=*/false));
  }
  /// Input bit i and word t of packing thread `gid` (consecutive threads
  /// take consecutive bits of one word), and the address of that word in
  /// the tile-major input array.
  std::pair<Value, Value> packThread(Value gid, Value in, Value &at);
  /// Byte `feature` of sample first + s of x (n x features), zero-extended;
  /// `valid` is whether the sample is below n (else sample 0 is read).
  Value checkedSample(Value x, Value n, Value first, unsigned s,
                      int64_t features, Value feature, Value &valid);
  /// The samples of a word from sample `first` that are below n: n -
  /// first, clamped to 0 .. bits.
  Value samplesBelow(Value first, Value n, unsigned bits);
  /// Byte f + k of the sample starting at byte `row` of x, zero-extended
  /// (the checked paths' load: any alignment, x generic).
  Value featureByte(Value x, Value row, Value f, int64_t k);
  /// word | (value >= threshold [and valid]) << s.
  Value addBit(Value word, Value value, Value threshold, Value valid,
               unsigned s);
  LLVM::LLVMFuncOp packU8Function(const EncodingTables &encoding);
  LLVM::LLVMFuncOp packU8Thermometer(const EncodingTables &encoding);
  /// Whether the thermometer fast path may read the word of `bits` samples
  /// from sample `first`: all of them below n and, with V = 4 features a
  /// load, x 4-byte aligned (the runtime's buffers are; a caller's device
  /// pointer may not be); otherwise the checked path.
  Value wholeWord(Value x, Value n, Value first, unsigned bits, int64_t V);
  /// The thermometer words of V consecutive features f .. f + V - 1 (V as
  /// the packing kernel's) of samples first .. first + bits - 1 (bits 64
  /// or 32) of x (n x features), none checked against n (wholeWord): word
  /// k L + j (`bits` wide) is level j of feature f + k, bit s sample first
  /// + s. The pixels are read through the global address space as
  /// invariant loads (ld.global.nc: no kernel writes x while it runs).
  SmallVector<Value> thermometerWords(const EncodingTables &encoding, Value x,
                                      Value first, Value f, unsigned bits);
  LLVM::LLVMFuncOp packBitsFunction();
  /// The block kernel's phase 0 from 8-bit features x (n x features) with
  /// a thermometer encoding: the block's `S` words of `bits` bits, from word
  /// w0, of every input bit the net reads, stored at `at(slot, s)` (word s
  /// of a slot); `B` threads, this one `tid`.
  void inputsFromU8(const EncodingTables &encoding, Value x, Value n, Value w0,
                    Value tid, unsigned S, unsigned B, unsigned bits,
                    function_ref<Value(Value, Value)> at);
  /// Both packing functions (the same for either lgc_net).
  std::pair<LLVM::LLVMFuncOp, LLVM::LLVMFuncOp>
  packFunctions(const EncodingTables &encoding) {
    OpBuilder::InsertionGuard guard(b);
    LLVM::LLVMFuncOp u8 = packU8Function(encoding);
    b.setInsertionPointToEnd(u8->getBlock());
    return {u8, packBitsFunction()};
  }
  /// packU8Rows: threads per word of the u8 packing kernel.
  /// `netBody`, where given, is lgc_net's body instead of a thread per
  /// word calling `thread`; `netName` names that kernel, and without
  /// packing functions only it is made. `netThreads` > 0: that kernel's
  /// blocks have at most so many threads (PTX .maxntid), and `netBlocks` >
  /// 1 of them should share a multiprocessor (.minnctapersm), so ptxas fits
  /// its registers to that many threads.
  /// `threadsPerWord`: the thread kernel's threads per 64-bit word of
  /// samples (2 for 32-bit words).
  void kernels(LLVM::LLVMFuncOp thread, LLVM::LLVMFuncOp packU8,
               int64_t packU8Rows, LLVM::LLVMFuncOp packBits,
               function_ref<void(ArrayRef<BlockArgument>)> netBody = nullptr,
               StringRef netName = abi::kNetKernel, unsigned netThreads = 0,
               unsigned netBlocks = 1, unsigned threadsPerWord = 1);

  NetOp net;
  unsigned bitsPerFunction;
  bool hostMode;
  Type i8, i32, i64, ptr, voidTy;
  unsigned globalSpace;
  /// The current thread's tile bases of the input and scratch arrays.
  Value inBase, scratchBase;
  /// The type of the thread kernel's values (i64, or i32 for 32-bit words):
  /// constant() makes its all-ones and zeros.
  Type wordTy;
  /// Whether loadInput reads through the read-only path (run()).
  bool readOnlyInputs = true;
};

} // namespace

LLVM::LLVMFuncOp NVVMLowering::function(StringRef name, ArrayRef<Type> args,
                                        LLVM::Linkage linkage) {
  auto fn = b.create<LLVM::LLVMFuncOp>(
      loc, name, LLVM::LLVMFunctionType::get(voidTy, args), linkage);
  fn.setPassthroughAttr(b.getArrayAttr({b.getStringAttr("nounwind")}));
  b.setInsertionPointToStart(fn.addEntryBlock(b));
  beginFunction();
  return fn;
}

void NVVMLowering::globals(const EncodingTables &encoding,
                           ArrayRef<int32_t> shape) {
  SmallVector<int32_t> thresholdU8;
  for (float t : encoding.thresholds)
    thresholdU8.push_back(int32_t(abi::byteThreshold(t)));
  createConstantArray(b, loc, abi::kShapeSymbol, shape, globalSpace);
  createConstantArray(b, loc, abi::kBitFeatureSymbol, encoding.features,
                      globalSpace);
  createConstantArray(b, loc, abi::kBitThresholdU8Symbol, thresholdU8,
                      globalSpace);
  b.create<LLVM::GlobalOp>(loc, b.getF64Type(), /*isConstant=*/true,
                           LLVM::Linkage::External, abi::kTauSymbol,
                           net.getTauAttr(), 0, globalSpace);
}

/// GroupSum: the count of each class as bit planes, in functions of at
/// most `bitsPerFunction` output bits (the group of a big net is thousands
/// of bits per class; one function over all of them took ptxas minutes).
/// Each function adds its bits to the planes the previous one stored.
SmallVector<LLVM::LLVMFuncOp> NVVMLowering::countFunctions(unsigned K) {
  auto outputs = net.getOutputOp().getBits();
  unsigned C = net.getClasses(), group = unsigned(outputs.size()) / C;
  unsigned step = std::max(1u, bitsPerFunction);
  SmallVector<LLVM::LLVMFuncOp> fns;
  for (unsigned c = 0; c < C; ++c)
    for (unsigned first = 0; first < std::max(group, 1u); first += step) {
      OpBuilder::InsertionGuard guard(b);
      LLVM::LLVMFuncOp fn =
          function((abi::kGpuCountFunction + Twine(fns.size())).str(),
                   {ptr, ptr, ptr}, LLVM::Linkage::Internal);
      auto args = fn.getBody().front().getArguments();
      inBase = inputBase(args[0]);
      scratchBase = args[1];
      Value planes = args[2];
      // The count so far is bit j of weight 2^j: it enters column j.
      Counter counter(*this, K);
      if (first > 0)
        for (unsigned j = 0; j < K; ++j)
          counter.add(j, loadRow(planes, int64_t(c) * K + j));
      for (unsigned k = first; k < std::min(group, first + step); ++k) {
        Value bit = outputs[c * group + k];
        std::optional<ValueHome> home = partition.home(bit);
        if (home && home->kind == ValueHome::Constant && home->index == 0)
          continue;
        counter.add(0, use(bit, /*at=*/0));
      }
      SmallVector<Value> sum = counter.planes();
      for (unsigned j = 0; j < K; ++j)
        b.create<LLVM::StoreOp>(loc, sum[j], row64(planes, int64_t(c) * K + j),
                                wordBytes());
      b.create<LLVM::ReturnOp>(loc, ValueRange{});
      fns.push_back(fn);
    }
  return fns;
}

/// The argmax of the counts in `planes`, bit-sliced over the thread's 64
/// (or 32) samples; the class of each is stored as a u32.
void NVVMLowering::argmax(Value planes, Value classes, Value t, unsigned K) {
  argmax(
      [&](unsigned c, unsigned j) -> Value {
        return loadRow(planes, int64_t(c) * K + j);
      },
      classes, t, K);
}

void NVVMLowering::argmax(function_ref<Value(unsigned, unsigned)> load,
                          Value classes, Value t, unsigned K) {
  unsigned C = net.getClasses();
  auto n = [&](Value p) { return x(p, ones()); };
  unsigned idxBits = 0;
  while ((1u << idxBits) < C)
    ++idxBits;
  SmallVector<Value> best, idx(idxBits, zeros());
  for (unsigned c = 0; c < C; ++c) {
    SmallVector<Value> count;
    for (unsigned j = 0; j < K; ++j)
      count.push_back(load(c, j));
    if (c == 0) {
      best = count;
      continue;
    }
    // Strictly greater keeps the lowest class on ties.
    Value gt = zeros(), eq = ones();
    for (unsigned j = K; j-- > 0;) {
      gt = o(gt, a(eq, a(count[j], n(best[j]))));
      eq = a(eq, n(x(count[j], best[j])));
    }
    for (unsigned j = 0; j < K; ++j)
      best[j] = o(a(gt, count[j]), a(n(gt), best[j]));
    for (unsigned m = 0; m < idxBits; ++m)
      idx[m] = ((c >> m) & 1) ? o(idx[m], gt) : a(idx[m], n(gt));
  }
  // Word t's samples: 64, or 32 (classes t * 32 ..) with 32-bit words.
  bool narrow = wordTy == i32;
  unsigned samples = narrow ? 32 : 64;
  auto word = [&](int64_t v) {
    return narrow ? constI32(int32_t(v)) : constI64(v);
  };
  Value base = b.create<LLVM::MulOp>(loc, t, constI64(samples));
  for (unsigned s = 0; s < samples; ++s) {
    Value cls = constI32(0);
    for (unsigned m = 0; m < idxBits; ++m) {
      Value bit = a(b.create<LLVM::LShrOp>(loc, idx[m], word(s)), word(1));
      Value shifted = b.create<LLVM::ShlOp>(loc, bit, word(m));
      cls = b.create<LLVM::OrOp>(
          loc, cls,
          narrow ? shifted : b.create<LLVM::TruncOp>(loc, i32, shifted));
    }
    Value at = b.create<LLVM::AddOp>(loc, base, constI64(s));
    b.create<LLVM::StoreOp>(
        loc, cls, b.create<LLVM::GEPOp>(loc, ptr, i32, classes, ValueRange{at}),
        4);
  }
}

Value NVVMLowering::checkedSample(Value x, Value n, Value first, unsigned s,
                                  int64_t features, Value feature,
                                  Value &valid) {
  Value sample = b.create<LLVM::AddOp>(loc, first, constI64(s));
  valid = b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::ult, sample, n);
  // Samples past n read sample 0 (always in bounds) and are masked off.
  Value safe = b.create<LLVM::SelectOp>(loc, valid, sample, constI64(0));
  Value offset = b.create<LLVM::AddOp>(
      loc, b.create<LLVM::MulOp>(loc, safe, constI64(features)), feature);
  Value byte = b.create<LLVM::LoadOp>(
      loc, i8, b.create<LLVM::GEPOp>(loc, ptr, i8, x, ValueRange{offset}), 1);
  return b.create<LLVM::ZExtOp>(loc, i64, byte);
}

Value NVVMLowering::addBit(Value word, Value value, Value threshold,
                           Value valid, unsigned s) {
  Value on =
      b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::uge, value, threshold);
  if (valid)
    on = b.create<LLVM::AndOp>(loc, valid, on);
  Value bit = b.create<LLVM::ShlOp>(loc, b.create<LLVM::ZExtOp>(loc, i64, on),
                                    constI64(s));
  return b.create<LLVM::OrOp>(loc, word, bit);
}

Value NVVMLowering::wholeWord(Value x, Value n, Value first, unsigned bits,
                              int64_t V) {
  using P = LLVM::ICmpPredicate;
  Value full =
      cmp(P::ule, b.create<LLVM::AddOp>(loc, first, constI64(bits)), n);
  if (V != 4)
    return full;
  Value low = b.create<LLVM::AndOp>(
      loc, b.create<LLVM::PtrToIntOp>(loc, i64, x), constI64(3));
  return b.create<LLVM::AndOp>(loc, full, cmp(P::eq, low, constI64(0)));
}

/// Compared four bytes at a time, in 32 bits (64-bit integer operations are
/// two instructions each on a GPU): byte v of a 16-bit lane plus 256 - t has
/// bit 8 set exactly where v >= t (t is 0 .. 256, byteThreshold; the sum
/// stays below 512, so lanes never carry into each other), so bytes 0 and 2
/// of a load are compared by an and and an add, bytes 1 and 3 by a shift
/// more. Both lanes' bits then move to sample s's place by one shift and go
/// into one register by one LOP3 (mask and or): bit s % 16 for feature 0
/// (or 1), bit 16 + s % 16 for feature 2 (or 3), a register per 16
/// samples, so a load costs about nine integer instructions for 4 features
/// (a bit at a time, in 64 bits, took twice as many: 6x8000's lgc_pack_u8
/// without its checked path, 1,416 SASS instructions then, 664 now), and
/// the 16-bit pieces are put together once at the end. One feature a load
/// (V = 1): a compare with the threshold, its 0 or 1 shifted into place
/// (ptxas makes fewer instructions of that than of the sum's bit 8, or of a
/// select of the bit: 592, 696 and 888 for 50 features at three levels).
SmallVector<Value>
NVVMLowering::thermometerWords(const EncodingTables &encoding, Value x,
                               Value first, Value f, unsigned bits) {
  int64_t F = encoding.numFeatures, L = int64_t(encoding.levels.size());
  int64_t V =
      int64_t(abi::gpuPackU8FeaturesPerThread(uint32_t(L), uint32_t(F)));
  Type pixelPtr =
      hostMode ? ptr : LLVM::LLVMPointerType::get(b.getContext(), 1);
  Value pixels =
      hostMode ? x : b.create<LLVM::AddrSpaceCastOp>(loc, pixelPtr, x);
  Value base = b.create<LLVM::GEPOp>(
      loc, pixelPtr, i8, pixels,
      ValueRange{b.create<LLVM::AddOp>(
          loc, b.create<LLVM::MulOp>(loc, first, constI64(F)), f)});
  unsigned halves = bits / 32, quarters = bits / 16;
  // Shifts `v` left by `by` (right where negative).
  auto shift = [&](Value v, int by) -> Value {
    if (by > 0)
      return b.create<LLVM::ShlOp>(loc, v, constI32(by));
    if (by < 0)
      return b.create<LLVM::LShrOp>(loc, v, constI32(-by));
    return v;
  };
  // V = 4: acc[(e * L + j) * quarters + q]: samples 16 q .. 16 q + 15 of
  // level j of features e (bits 0-15) and e + 2 (bits 16-31), e = 0, 1.
  // V = 1: acc[j * halves + h]: samples 32 h .. 32 h + 31 of level j.
  SmallVector<Value> acc(V == 1 ? L * halves : 2 * L * quarters, constI32(0));
  for (unsigned sample = 0; sample < bits; ++sample) {
    Value p = b.create<LLVM::GEPOp>(
        loc, pixelPtr, i8, base,
        ArrayRef<LLVM::GEPArg>{int32_t(int64_t(sample) * F)});
    auto load =
        b.create<LLVM::LoadOp>(loc, V == 1 ? i8 : i32, p, V == 1 ? 1 : 4);
    load.setInvariant(true);
    if (V == 1) {
      Value value = b.create<LLVM::ZExtOp>(loc, i32, load);
      unsigned pos = sample % 32;
      for (int64_t j = 0; j < L; ++j) {
        Value on = b.create<LLVM::ICmpOp>(
            loc, LLVM::ICmpPredicate::uge, value,
            constI32(int32_t(abi::byteThreshold(encoding.levels[j]))));
        Value &word = acc[j * halves + sample / 32];
        word =
            o(word,
              b.create<LLVM::ShlOp>(loc, b.create<LLVM::ZExtOp>(loc, i32, on),
                                    constI32(int32_t(pos))));
      }
      continue;
    }
    // Little-endian: byte k of the load is feature k; bytes 0 and 2 in the
    // lanes of `lanes[0]`, 1 and 3 in those of `lanes[1]`.
    Value lanes[2] = {a(load, constI32(0x00ff00ff)),
                      a(b.create<LLVM::LShrOp>(loc, load, constI32(8)),
                        constI32(0x00ff00ff))};
    unsigned pos = sample % 16;
    for (int64_t j = 0; j < L; ++j) {
      int32_t c = int32_t(256 - abi::byteThreshold(encoding.levels[j]));
      for (unsigned e = 0; e < 2; ++e) {
        Value sum = b.create<LLVM::AddOp>(loc, lanes[e], constI32(c * 0x10001));
        Value &pair = acc[(e * L + j) * quarters + sample / 16];
        pair = o(pair, a(shift(sum, int(pos) - 8),
                         constI32(int32_t(0x00010001u << pos))));
      }
    }
  }
  // words[k * L + j]'s 32-bit halves.
  SmallVector<Value> halfWords;
  for (int64_t k = 0; k < V; ++k)
    for (int64_t j = 0; j < L; ++j)
      for (unsigned h = 0; h < halves; ++h) {
        if (V == 1) {
          halfWords.push_back(acc[j * halves + h]);
          continue;
        }
        // Quarters 2 h and 2 h + 1 of feature k: the low 16 bits of its
        // pair registers for k < 2, the high ones for k >= 2.
        Value lo = acc[((k % 2) * L + j) * quarters + 2 * h];
        Value hi = acc[((k % 2) * L + j) * quarters + 2 * h + 1];
        halfWords.push_back(
            k < 2 ? o(a(lo, constI32(0xffff)), shift(hi, 16))
                  : o(shift(lo, -16), a(hi, constI32(int32_t(0xffff0000u)))));
      }
  if (bits == 32)
    return halfWords;
  SmallVector<Value> words;
  for (unsigned w = 0; w < V * L; ++w) {
    Value low = b.create<LLVM::ZExtOp>(loc, i64, halfWords[2 * w]);
    Value high = b.create<LLVM::ZExtOp>(loc, i64, halfWords[2 * w + 1]);
    words.push_back(o(low, b.create<LLVM::ShlOp>(loc, high, constI64(32))));
  }
  return words;
}

Value NVVMLowering::samplesBelow(Value first, Value n, unsigned bits) {
  using P = LLVM::ICmpPredicate;
  Value last = b.create<LLVM::SelectOp>(loc, cmp(P::ult, first, n),
                                        b.create<LLVM::SubOp>(loc, n, first),
                                        constI64(0));
  return b.create<LLVM::SelectOp>(loc, cmp(P::ult, last, constI64(bits)), last,
                                  constI64(bits));
}

Value NVVMLowering::featureByte(Value x, Value row, Value f, int64_t k) {
  Value byte = b.create<LLVM::LoadOp>(
      loc, i8,
      b.create<LLVM::GEPOp>(
          loc, ptr, i8, x,
          ValueRange{b.create<LLVM::AddOp>(
              loc, row, b.create<LLVM::AddOp>(loc, f, constI64(k)))}),
      1);
  return b.create<LLVM::ZExtOp>(loc, i64, byte);
}

std::pair<Value, Value> NVVMLowering::packThread(Value gid, Value in,
                                                 Value &at) {
  int64_t inputs = net.getNumInputs();
  Value i = b.create<LLVM::URemOp>(loc, gid, constI64(inputs));
  Value t = b.create<LLVM::UDivOp>(loc, gid, constI64(inputs));
  at = b.create<LLVM::GEPOp>(
      loc, ptr, i64, tileBase(in, inputs, t),
      ValueRange{b.create<LLVM::MulOp>(loc, i, constI64(abi::kGpuTileWords))});
  return {i, t};
}

/// __lgc_gpu_pack_u8(x, n, in, words, gid): input bit i of the 64 samples of
/// word t. Consecutive threads take consecutive bits, whose features are
/// consecutive bytes of a sample (GeneratedABI.h), so a warp's 64 loads
/// each read one or two 32-byte sectors of one sample instead of 32 sectors
/// of 32 samples.
LLVM::LLVMFuncOp NVVMLowering::packU8Function(const EncodingTables &encoding) {
  if (!encoding.levels.empty())
    return packU8Thermometer(encoding);
  LLVM::LLVMFuncOp fn =
      function(abi::kGpuPackFunction, {ptr, i64, ptr, i64, i64},
               hostMode ? LLVM::Linkage::External : LLVM::Linkage::Internal);
  auto args = fn.getBody().front().getArguments();
  Value x = args[0], n = args[1], in = args[2], gid = args[4];
  Value at, i, t;
  std::tie(i, t) = packThread(gid, in, at);
  auto loadTable = [&](StringRef name) { return tableAt(global(name), i); };
  Value feature = loadTable(abi::kBitFeatureSymbol);
  Value threshold = loadTable(abi::kBitThresholdU8Symbol);
  int64_t F = encoding.numFeatures;
  Value first = b.create<LLVM::MulOp>(loc, t, constI64(64));
  Value word = constI64(0);
  for (unsigned s = 0; s < 64; ++s) {
    Value valid;
    Value value = checkedSample(x, n, first, s, F, feature, valid);
    word = addBit(word, value, threshold, valid, s);
  }
  b.create<LLVM::StoreOp>(loc, word, at, 8);
  b.create<LLVM::ReturnOp>(loc, ValueRange{});
  return fn;
}

/// __lgc_gpu_pack_u8 for a thermometer encoding (and the identity, its
/// one-level case): thread gid makes the words of all L levels of V
/// consecutive features (V = abi::gpuPackU8FeaturesPerThread: 4 where the
/// features come in fours, else 1) for word t (input bits j * F + f), so
/// each sample's bytes are loaded once, consecutive threads read
/// consecutive bytes, and the thresholds are immediates. A word whose 64
/// samples are all below n (all but the last) reads them at constant
/// offsets from the thread's first byte, without a bounds check per sample,
/// and with V = 4 as one 32-bit load per sample where x is 4-byte aligned:
/// a warp's load is then 128 contiguous bytes instead of 32. On an H200
/// (784 features, 4M images) one byte per load packed at 1.45 TB/s, four
/// at 2.64 TB/s (55 % of the DRAM's bandwidth).
LLVM::LLVMFuncOp
NVVMLowering::packU8Thermometer(const EncodingTables &encoding) {
  LLVM::LLVMFuncOp fn =
      function(abi::kGpuPackFunction, {ptr, i64, ptr, i64, i64},
               hostMode ? LLVM::Linkage::External : LLVM::Linkage::Internal);
  Block *entry = &fn.getBody().front();
  auto args = entry->getArguments();
  Value x = args[0], n = args[1], in = args[2], gid = args[4];
  int64_t F = encoding.numFeatures, L = int64_t(encoding.levels.size());
  int64_t V =
      int64_t(abi::gpuPackU8FeaturesPerThread(uint32_t(L), uint32_t(F)));
  Value q = b.create<LLVM::URemOp>(loc, gid, constI64(F / V));
  Value t = b.create<LLVM::UDivOp>(loc, gid, constI64(F / V));
  Value f = V == 1 ? q : b.create<LLVM::MulOp>(loc, q, constI64(V));
  Value first = b.create<LLVM::MulOp>(loc, t, constI64(64));
  Value full = wholeWord(x, n, first, 64, V);
  // Words of level j of feature f + k at index k * L + j.
  SmallVector<Type> wordTypes(V * L, i64);
  Block *fast = b.createBlock(&fn.getBody());
  Block *slow = b.createBlock(&fn.getBody());
  Block *done = b.createBlock(&fn.getBody(), {}, wordTypes,
                              SmallVector<Location>(V * L, loc));
  b.setInsertionPointToEnd(entry);
  b.create<LLVM::CondBrOp>(loc, full, fast, slow);
  {
    b.setInsertionPointToStart(fast);
    b.create<LLVM::BrOp>(loc, thermometerWords(encoding, x, first, f, 64),
                         done);
  }
  {
    // The last word (or an unaligned x): a loop over the samples below n,
    // a byte at a time; the samples past n stay 0. (Unrolled, with a check
    // per sample, it made ptxas spill.)
    b.setInsertionPointToStart(slow);
    using P = LLVM::ICmpPredicate;
    SmallVector<Value> words = loop(
        constI64(0), samplesBelow(first, n, 64), constI64(1),
        SmallVector<Value>(V * L, constI64(0)),
        [&](Value sample, ValueRange carried) {
          SmallVector<Value> next(carried.begin(), carried.end());
          Value row = b.create<LLVM::MulOp>(
              loc, b.create<LLVM::AddOp>(loc, first, sample), constI64(F));
          for (int64_t k = 0; k < V; ++k) {
            Value value = featureByte(x, row, f, k);
            for (int64_t j = 0; j < L; ++j) {
              Value on = cmp(P::uge, value,
                             constI64(abi::byteThreshold(encoding.levels[j])));
              next[k * L + j] =
                  o(next[k * L + j],
                    b.create<LLVM::ShlOp>(
                        loc, b.create<LLVM::ZExtOp>(loc, i64, on), sample));
            }
          }
          return next;
        });
    b.create<LLVM::BrOp>(loc, words, done);
  }
  b.setInsertionPointToStart(done);
  Value base = tileBase(in, net.getNumInputs(), t);
  for (int64_t k = 0; k < V; ++k)
    for (int64_t j = 0; j < L; ++j) {
      Value row = b.create<LLVM::AddOp>(loc, constI64(j * F + k), f);
      Value at =
          b.create<LLVM::GEPOp>(loc, ptr, i64, base,
                                ValueRange{b.create<LLVM::MulOp>(
                                    loc, row, constI64(abi::kGpuTileWords))});
      b.create<LLVM::StoreOp>(loc, done->getArgument(unsigned(k * L + j)), at,
                              8);
    }
  b.create<LLVM::ReturnOp>(loc, ValueRange{});
  return fn;
}

/// __lgc_gpu_pack_bits(bits, n, in, words, gid): word t of input bit i from
/// the interpreter's layout (bits[t * inputs + i]), samples past n cleared,
/// words past the last block zero.
LLVM::LLVMFuncOp NVVMLowering::packBitsFunction() {
  LLVM::LLVMFuncOp fn =
      function(abi::kGpuPackBitsFunction, {ptr, i64, ptr, i64, i64},
               hostMode ? LLVM::Linkage::External : LLVM::Linkage::Internal);
  auto args = fn.getBody().front().getArguments();
  Value bits = args[0], n = args[1], in = args[2], gid = args[4];
  Value at;
  auto [i, t] = packThread(gid, in, at);
  Value first = b.create<LLVM::MulOp>(loc, t, constI64(64));
  Value any = b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::ult, first, n);
  // Blocks past the data read block 0 (always in bounds) and are cleared.
  Value block = b.create<LLVM::SelectOp>(loc, any, t, constI64(0));
  Value word = b.create<LLVM::LoadOp>(
      loc, i64,
      b.create<LLVM::GEPOp>(
          loc, ptr, i64, bits,
          ValueRange{b.create<LLVM::AddOp>(
              loc,
              b.create<LLVM::MulOp>(loc, block, constI64(net.getNumInputs())),
              i)}),
      8);
  // The samples of this word below n: all 64, or the low n - first bits.
  Value left = b.create<LLVM::SubOp>(loc, n, first);
  Value full =
      b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::uge, left, constI64(64));
  Value shift = b.create<LLVM::SelectOp>(
      loc, full, constI64(0), b.create<LLVM::SubOp>(loc, constI64(64), left));
  Value mask = b.create<LLVM::SelectOp>(
      loc, any, b.create<LLVM::LShrOp>(loc, ones(), shift), constI64(0));
  b.create<LLVM::StoreOp>(loc, b.create<LLVM::AndOp>(loc, word, mask), at, 8);
  b.create<LLVM::ReturnOp>(loc, ValueRange{});
  return fn;
}

/// The kernels: a global thread id, a bounds check, the per-thread call.
void NVVMLowering::kernels(LLVM::LLVMFuncOp threadFn, LLVM::LLVMFuncOp packU8,
                           int64_t packU8Rows, LLVM::LLVMFuncOp packBits,
                           function_ref<void(ArrayRef<BlockArgument>)> netBody,
                           StringRef netName, unsigned netThreads,
                           unsigned netBlocks, unsigned threadsPerWord) {
  auto kernel = [&](StringRef name, ArrayRef<Type> args, auto limit,
                    auto call) {
    OpBuilder::InsertionGuard guard(b);
    LLVM::LLVMFuncOp fn = function(name, args, LLVM::Linkage::External);
    fn->setAttr(NVVM::NVVMDialect::getKernelFuncAttrName(), b.getUnitAttr());
    Block *entry = &fn.getBody().front();
    Value tid =
        b.create<LLVM::ZExtOp>(loc, i64, b.create<NVVM::ThreadIdXOp>(loc, i32));
    Value bid =
        b.create<LLVM::ZExtOp>(loc, i64, b.create<NVVM::BlockIdXOp>(loc, i32));
    Value bdim =
        b.create<LLVM::ZExtOp>(loc, i64, b.create<NVVM::BlockDimXOp>(loc, i32));
    Value gid =
        b.create<LLVM::AddOp>(loc, b.create<LLVM::MulOp>(loc, bid, bdim), tid);
    Value inRange = b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::ult, gid,
                                           limit(entry->getArguments()));
    Block *body = b.createBlock(&fn.getBody());
    Block *exit = b.createBlock(&fn.getBody());
    b.setInsertionPointToEnd(entry);
    b.create<LLVM::CondBrOp>(loc, inRange, body, exit);
    b.setInsertionPointToStart(body);
    call(entry->getArguments(), gid);
    b.create<LLVM::BrOp>(loc, ValueRange{}, exit);
    b.setInsertionPointToStart(exit);
    b.create<LLVM::ReturnOp>(loc, ValueRange{});
  };
  for (auto [name, fn, rows] :
       {std::tuple{abi::kPackKernel, packU8, packU8Rows},
        std::tuple{abi::kPackBitsKernel, packBits,
                   int64_t(net.getNumInputs())}})
    if (fn)
      kernel(
          name, {ptr, i64, ptr, i64},
          [&, rows = rows](auto args) {
            return b.create<LLVM::MulOp>(loc, args[3], constI64(rows))
                .getResult();
          },
          [&, fn = fn](auto args, Value gid) {
            b.create<LLVM::CallOp>(
                loc, fn, ValueRange{args[0], args[1], args[2], args[3], gid});
          });
  if (netBody) {
    OpBuilder::InsertionGuard guard(b);
    LLVM::LLVMFuncOp fn =
        function(netName, {ptr, ptr, ptr, ptr, i64}, LLVM::Linkage::External);
    fn->setAttr(NVVM::NVVMDialect::getKernelFuncAttrName(), b.getUnitAttr());
    if (netThreads)
      fn->setAttr(NVVM::NVVMDialect::getMaxntidAttrName(),
                  b.getDenseI32ArrayAttr({int32_t(netThreads), 1, 1}));
    if (netBlocks > 1)
      fn->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(),
                  b.getI32IntegerAttr(int32_t(netBlocks)));
    netBody(llvm::to_vector(fn.getBody().front().getArguments()));
    b.create<LLVM::ReturnOp>(loc, ValueRange{});
    return;
  }
  kernel(
      abi::kNetKernel, {ptr, ptr, ptr, ptr, i64},
      [&](auto args) -> Value {
        if (threadsPerWord == 1)
          return args[4];
        return b.create<LLVM::MulOp>(loc, args[4], constI64(threadsPerWord));
      },
      [&](auto args, Value gid) {
        b.create<LLVM::CallOp>(
            loc, threadFn, ValueRange{args[0], args[1], args[2], args[3], gid});
      });
}

void NVVMLowering::run(unsigned threadBits, bool readOnly) {
  readOnlyInputs = readOnly;
  unsigned outputs = unsigned(net.getOutputOp().getBits().size());
  unsigned K = abi::planesForGroup(outputs / net.getClasses());
  EncodingTables encoding = encodingTables(net);
  SmallVector<int32_t> shape =
      shapeTable(net, partition, encoding, /*vectorWords=*/1);
  // 64-bit words leave the slot 0 (read as 64), as modules before it did.
  if (threadBits == 32)
    shape[abi::kGpuWordBits] = 32;
  globals(encoding, shape);
  // The gate, count and thread functions' values; the packing functions
  // and a block kernel beside this one make 64-bit words again.
  wordTy = threadBits == 32 ? i32 : i64;
  int64_t slots = std::max<int64_t>(1, partition.numScratchSlots());
  SmallVector<LLVM::LLVMFuncOp> chunks;
  for (unsigned k = 0; k < partition.numChunks(); ++k) {
    OpBuilder::InsertionGuard guard(b);
    LLVM::LLVMFuncOp fn = function((abi::kGpuGatesFunction + Twine(k)).str(),
                                   {ptr, ptr}, LLVM::Linkage::Internal);
    auto args = fn.getBody().front().getArguments();
    inBase = inputBase(args[0]);
    scratchBase = args[1];
    emitChunk(k);
    b.create<LLVM::ReturnOp>(loc, ValueRange{});
    chunks.push_back(fn);
  }
  SmallVector<LLVM::LLVMFuncOp> counts = countFunctions(K);
  LLVM::LLVMFuncOp threadFn;
  {
    OpBuilder::InsertionGuard guard(b);
    threadFn =
        function(abi::kGpuThreadFunction, {ptr, ptr, ptr, ptr, i64},
                 hostMode ? LLVM::Linkage::External : LLVM::Linkage::Internal);
    auto args = threadFn.getBody().front().getArguments();
    Value t = args[4];
    int64_t planeRows = int64_t(net.getClasses()) * K;
    Value planesBase;
    if (threadBits == 32) {
      // Thread t: half t % 2 of word t / 2 of the 64-bit arrays, its own
      // row t of a scratch array of 32-bit words.
      inBase = halfTileBase(args[0], net.getNumInputs(), t);
      planesBase = halfTileBase(args[2], planeRows, t);
      scratchBase = tileBase(args[1], slots, t, i32);
    } else {
      inBase = tileBase(args[0], net.getNumInputs(), t);
      scratchBase = tileBase(args[1], slots, t);
      planesBase = tileBase(args[2], planeRows, t);
    }
    for (LLVM::LLVMFuncOp chunk : chunks)
      b.create<LLVM::CallOp>(loc, chunk, ValueRange{inBase, scratchBase});
    for (LLVM::LLVMFuncOp count : counts)
      b.create<LLVM::CallOp>(loc, count,
                             ValueRange{inBase, scratchBase, planesBase});
    argmax(planesBase, args[3], t, K);
    b.create<LLVM::ReturnOp>(loc, ValueRange{});
  }
  wordTy = i64;
  auto [packU8, packBits] = packFunctions(encoding);
  if (!hostMode)
    kernels(threadFn, packU8,
            int64_t(abi::gpuPackU8Rows(
                reinterpret_cast<const uint32_t *>(shape.data()))),
            packBits, nullptr, abi::kNetKernel, 0, 1, 64 / threadBits);
}

//===----------------------------------------------------------------------===//
// Loops, the counter and the argmax shared by both kernels
//===----------------------------------------------------------------------===//

void NVVMLowering::loop(Value start, Value end, Value step,
                        function_ref<void(Value)> body) {
  loop(start, end, step, ValueRange{},
       [&](Value i, ValueRange) -> SmallVector<Value> {
         body(i);
         return {};
       });
}

SmallVector<Value>
NVVMLowering::loop(Value start, Value end, Value step, ValueRange init,
                   function_ref<SmallVector<Value>(Value, ValueRange)> body) {
  Region *region = b.getInsertionBlock()->getParent();
  Block *header = new Block, *inner = new Block, *exit = new Block;
  header->addArgument(i64, loc);
  for (Value v : init)
    header->addArgument(v.getType(), loc);
  region->push_back(header);
  region->push_back(inner);
  region->push_back(exit);
  SmallVector<Value> first{start};
  first.append(init.begin(), init.end());
  b.create<LLVM::BrOp>(loc, first, header);
  b.setInsertionPointToStart(header);
  Value i = header->getArgument(0);
  ValueRange carried = header->getArguments().drop_front();
  b.create<LLVM::CondBrOp>(loc, cmp(LLVM::ICmpPredicate::slt, i, end), inner,
                           exit);
  // The all-ones and all-zeros caches hold values of one straight-line
  // region: a value made in the body does not dominate the exit.
  beginFunction();
  b.setInsertionPointToStart(inner);
  SmallVector<Value> values = body(i, carried);
  SmallVector<Value> next{b.create<LLVM::AddOp>(loc, i, step)};
  next.append(values.begin(), values.end());
  b.create<LLVM::BrOp>(loc, next, header);
  // The header dominates the exit: its arguments are the results.
  b.setInsertionPointToStart(exit);
  beginFunction();
  return SmallVector<Value>(carried.begin(), carried.end());
}

void NVVMLowering::ifThen(Value cond, function_ref<void()> body) {
  Region *region = b.getInsertionBlock()->getParent();
  Block *then = new Block, *exit = new Block;
  region->push_back(then);
  region->push_back(exit);
  b.create<LLVM::CondBrOp>(loc, cond, then, exit);
  beginFunction();
  b.setInsertionPointToStart(then);
  body();
  b.create<LLVM::BrOp>(loc, ValueRange{}, exit);
  b.setInsertionPointToStart(exit);
  beginFunction();
}

void NVVMLowering::Counter::add(unsigned w, Value v) {
  if (w >= columns.size())
    return;
  SmallVector<Value, 3> &col = columns[w];
  col.push_back(v);
  if (col.size() < 3)
    return;
  Value p = col[0], q = col[1], r = col[2];
  Value pq = l.x(p, q);
  col.assign({l.x(pq, r)});
  add(w + 1, l.o(l.a(p, q), l.a(pq, r)));
}

SmallVector<Value> NVVMLowering::Counter::planes() {
  // Two bits left in a column: a half adder.
  for (unsigned w = 0; w < columns.size(); ++w)
    if (columns[w].size() == 2) {
      Value p = columns[w][0], q = columns[w][1];
      columns[w].assign({l.x(p, q)});
      add(w + 1, l.a(p, q));
    }
  SmallVector<Value> sum;
  for (auto &col : columns)
    sum.push_back(col.empty() ? (zero ? zero : l.zeros()) : col.front());
  return sum;
}

//===----------------------------------------------------------------------===//
// The block kernel
//===----------------------------------------------------------------------===//

namespace {
/// What the block kernel's tables say: the live gates by level, every value
/// in a slot, and the GroupSum as a tree of reductions.
///
/// Level 0 is the inputs and constants; a gate's level is one more than its
/// operands' highest. Phase 0 copies the used inputs to their slots, phase
/// l evaluates level l (a barrier between phases), so a slot whose value
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
  /// Slots in all, and planes per class count.
  unsigned values = 2, K = 1;
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
unsigned residentBlocks(uint64_t bytes, unsigned B) {
  return unsigned(std::clamp<uint64_t>(
      kGpuSharedPerMultiprocessor / (bytes + kGpuSharedReservedPerBlock), 1,
      std::max(1u, kGpuBlockThreadsPerMultiprocessor / llvm::alignTo(B, 32))));
}

/// The u8 kernel's table of each input bit's slot (-1: not read).
constexpr const char *kBlockInputSlots = "__lgc_gen_block_input_slots";

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

/// The block kernel's tables for `order`; `S` > 1: the words of a block
/// are interleaved over the threads (laneGroups), 1: each thread
/// evaluates its gates for every word; `banks`: kBankPairs for 64-bit
/// words, kBanks for 32-bit ones; `fuse`: gates read by one gate only are
/// evaluated in its entry; `runs`: U consecutive entries a thread
/// (laneGroups); `freshSlots`: a result may take a fresh slot out of order
/// for its bank (so the slots may be a few more than the most values live
/// at once).
BlockSchedule scheduleBlocks(NetOp net, ArrayRef<GateOp> order, unsigned B,
                             unsigned U, unsigned S, bool spreadBanks,
                             unsigned banks, bool fuse, bool runs,
                             bool freshSlots) {
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
    level[e.result] = ++l;
    for (Value v : e.leaves)
      lastUse[v] = std::max(lastUse.lookup(v), l);
  }
  unsigned top = 0;
  for (const BlockEntry &e : entries)
    top = std::max(top, level.lookup(e.result));
  for (Value v : outputs)
    lastUse[v] = top + 1;
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
          // With `freshSlots`, or one of the next M fresh slots where its
          // bank costs less than any free one's (those skipped join the
          // free slots, so the slots may be a few more than the values
          // live at once).
          unsigned fresh = M;
          for (unsigned d = 0; freshSlots && d < M; ++d) {
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
  std::vector<int32_t> itemSlots;
  do {
    BlockSchedule::Reduction r;
    // Groups of 32 bits fill a thread's registers with one counter; counts
    // of several planes go 8 at a time.
    bool first = s.reductions.empty();
    r.F = std::max(1u, std::min(items, first ? 32u : 8u));
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
    unsigned nextF = std::max(1u, std::min(r.groups, 8u));
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
} // namespace

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
    Value partial = b.create<LLVM::XOrOp>(
        loc, full,
        b.create<LLVM::ConstantOp>(loc, b.getI1Type(), b.getBoolAttr(true)));
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
  bool unrollCapped = false;
  BlockSchedule sched = scheduleBlocks(
      net, order, B, U, /*S=*/1, options.blockSpreadBanks, kBankPairs,
      options.blockFuseGates, options.blockThreadRuns, /*freshSlots=*/false);
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
  if (S == 0) {
    S = 8;
    while (S > 1 && slots * S * wordBytes > target)
      S /= 2;
  }
  if (S != 1 && S != 2 && S != 4 && S != 8)
    return mlir::emitError(net.getLoc())
           << "block-words must be 0, 1, 2, 4 or 8, not " << S;
  if (bits == 32 && options.blockWordArgmax)
    return mlir::emitError(net.getLoc())
           << "block-word-argmax needs 64-bit words (block-word-bits=64)";
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
  bool rescheduled = false;
  if (options.blockSpreadBanks && !spills) {
    BlockSchedule spread = scheduleBlocks(
        net, order, B, U, interleave ? S : 1, options.blockSpreadBanks, banks,
        options.blockFuseGates, options.blockThreadRuns, /*freshSlots=*/true);
    if (spread.values <= kMaxBlockSlots &&
        spread.values * S * wordBytes <= room) {
      sched = std::move(spread);
      slots = sched.values;
      rescheduled = true;
    }
  }
  if (!rescheduled && (interleave || bits == 32 || unrollCapped)) {
    sched = scheduleBlocks(net, order, B, U, interleave ? S : 1,
                           options.blockSpreadBanks, banks,
                           options.blockFuseGates, options.blockThreadRuns,
                           /*freshSlots=*/false);
    assert(sched.values == slots && "slots depend on the order in a level");
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
  // Blocks per multiprocessor (residentBlocks), declared to ptxas, which
  // otherwise fits the registers to one block: a word of 6x8000 (55 KB,
  // four blocks by shared memory) then took 128 registers a thread, so
  // only two blocks of 256 threads were resident; with 64, four (on an H200 its
  // lgc_net ran 714 instead of 603 M images/s).
  unsigned resident = residentBlocks(bytes, B);

  EncodingTables encoding = encodingTables(net);
  SmallVector<int32_t> shape =
      shapeTable(net, partition, encoding, /*vectorWords=*/1);
  shape[abi::kScratchSlots] = int32_t(overflow);
  shape[abi::kGpuBlockWords] = int32_t(S);
  shape[abi::kGpuWordBits] = int32_t(bits);
  shape[abi::kGpuBlockThreads] = int32_t(B);
  shape[abi::kGpuSharedBytes] = int32_t(bytes);
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
  }
  table("__lgc_gen_block_gates", sched.gates);
  table("__lgc_gen_block_levels", sched.levelStarts);
  // Fused entries are two i64 each, loaded as one 16-byte vector.
  for (unsigned k = 1; k <= 2; ++k) {
    if (sched.trees[k - 1].empty())
      continue;
    std::string name = ("__lgc_gen_block_trees" + Twine(k)).str();
    table(name, sched.trees[k - 1]).setAlignment(16);
    table(name + "_levels", sched.treeStarts[k - 1]);
  }
  for (unsigned r = 0; r < R; ++r) {
    table(("__lgc_gen_block_reduce" + Twine(r) + "_in").str(),
          sched.reductions[r].in);
    table(("__lgc_gen_block_reduce" + Twine(r) + "_out").str(),
          sched.reductions[r].out);
    const BlockSchedule::Reduction &red = sched.reductions[r];
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
    if ((alongside || fromU8) && !hostMode)
      fn.setPassthroughAttr(b.getArrayAttr(
          {b.getStringAttr("nounwind"), b.getStringAttr("alwaysinline")}));
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
    auto sh = [&](Value k, Value s) -> Value {
      Value at = b.create<LLVM::AddOp>(
          loc, b.create<LLVM::MulOp>(loc, s, constI64(int64_t(cap))), k);
      if (!overflow)
        return b.create<LLVM::GEPOp>(loc, sharedPtr, wordType, shared,
                                     ValueRange{at});
      Value inShared = b.create<LLVM::GEPOp>(loc, ptr, wordType, sharedGeneric,
                                             ValueRange{at});
      Value inScratch =
          rowOf(scratch, int64_t(overflow),
                b.create<LLVM::SubOp>(loc, k, constI64(int64_t(cap))), s);
      return b.create<LLVM::SelectOp>(
          loc, cmp(LLVM::ICmpPredicate::ult, k, constI64(int64_t(cap))),
          inShared, inScratch);
    };
    unsigned align = bits / 8;
    auto load = [&](Value k, Value s) -> Value {
      return b.create<LLVM::LoadOp>(loc, wordType, sh(k, s), align);
    };
    auto store = [&](Value v, Value k, Value s) {
      b.create<LLVM::StoreOp>(loc, v, sh(k, s), align);
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
      // mux(sel, p, q) = sel ? p : q, bitwise (one LOP3 per 32 bits).
      auto mux = [&](Value sel, Value p, Value q) {
        return x(q, a(sel, x(p, q)));
      };
      // The loop over a level's entries of `kind` fused operands: plain
      // gates (one i64), or gates with one or two operands evaluated in
      // the entry (two i64, one 16-byte load).
      auto entries = [&](unsigned kind, StringRef tableName,
                         StringRef levelsName) {
        Value levels = global(levelsName);
        Value gates = global(tableName);
        Value first = tableAt(levels, level);
        Value end = tableAt(levels, phase);
        Value last = b.create<LLVM::SubOp>(loc, end, constI64(1));
        Value start = b.create<LLVM::AddOp>(
            loc, first,
            runs ? b.create<LLVM::MulOp>(loc, gateThread, constI64(U))
                       .getResult()
                 : gateThread);
        // Threads past the last whole set of S words evaluate nothing.
        if (interleave && B % S)
          start = b.create<LLVM::SelectOp>(
              loc, cmp(P::ult, tid, constI64(int64_t(B / S * S))), start, end);
        Type pairType = LLVM::getFixedVectorType(i64, 2);
        loop(start, end, constI64(roundGates), [&](Value e) {
          SmallVector<Value> valid(U), kr(U);
          SmallVector<SmallVector<Value>> results(U);
          for (unsigned u = 0; u < U; ++u) {
            Value at =
                b.create<LLVM::AddOp>(loc, e, constI64(runs ? u : u * G));
            if (u > 0) {
              valid[u] = cmp(P::slt, at, end);
              at = b.create<LLVM::SelectOp>(loc, valid[u], at, last);
            }
            Value entry, more;
            if (kind == 0) {
              entry = tableLoad(i64, gates, at, 8);
            } else {
              Value pair = tableLoad(pairType, gates, at, 16);
              entry = b.create<LLVM::ExtractElementOp>(loc, pair, constI32(0));
              more = b.create<LLVM::ExtractElementOp>(loc, pair, constI32(1));
            }
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
            // Truth table t's minterm masks: all ones where it (bits 16 +
            // 4 t .. 19 + 4 t of hi) has a 1: the bit shifted to the top,
            // then arithmetically down.
            auto masks = [&](unsigned t) {
              std::array<Value, 4> m;
              for (unsigned xy = 0; xy < 4; ++xy) {
                Value top =
                    b.create<LLVM::ShlOp>(loc, hi, constI32(15 - 4 * t - xy));
                m[xy] = b.create<LLVM::AShrOp>(loc, top, constI32(31));
                if (bits == 64)
                  m[xy] = b.create<LLVM::SExtOp>(loc, i64, m[xy]);
              }
              return m;
            };
            SmallVector<std::array<Value, 4>, 3> m;
            for (unsigned t = 0; t <= kind; ++t)
              m.push_back(masks(t));
            auto gate = [&](const std::array<Value, 4> &t, Value va, Value vb) {
              return mux(va, mux(vb, t[3], t[2]), mux(vb, t[1], t[0]));
            };
            for (Value s : words) {
              SmallVector<Value, 4> v;
              for (Value k : leaves)
                v.push_back(load(k, s));
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
                store(result, kr[u], s);
            };
            if (u == 0)
              stores();
            else
              ifThen(valid[u], stores);
          }
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
            Value in0 =
                b.create<LLVM::MulOp>(loc, cg, constI64(red.F * red.kIn));
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
            for (unsigned i = 0; i < red.F; ++i)
              for (unsigned w = 0; w < red.kIn; ++w)
                counter.add(w, load(tableAt(in, b.create<LLVM::AddOp>(
                                                    loc, in0,
                                                    constI64(i * red.kIn + w))),
                                    s));
            SmallVector<Value> sum = counter.planes();
            Value out0 = b.create<LLVM::MulOp>(loc, cg, constI64(red.kOut));
            for (unsigned w = 0; w < red.kOut; ++w) {
              Value row = b.create<LLVM::AddOp>(loc, out0, constI64(w));
              store(sum[w], tableAt(out, row), s);
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
          Value finals =
              global(("__lgc_gen_block_reduce" + Twine(R - 1) + "_out").str());
          argmax(
              [&](unsigned c, unsigned w) {
                return load(tableAt(finals, constI64(int64_t(c * K + w))), tid);
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
        Value best, cls;
        for (unsigned c = 0; c < C; ++c) {
          Value count = constI32(0);
          for (unsigned w = 0; w < K; ++w) {
            Value at = sh(constI64(finalSlots[c * K + w]), s);
            if (half)
              at = b.create<LLVM::GEPOp>(loc, at.getType(), i32, at,
                                         ValueRange{half});
            Value v = b.create<LLVM::LoadOp>(loc, i32, at, 4);
            Value one = a(b.create<LLVM::LShrOp>(loc, v, shift).getResult(),
                          constI32(1));
            count = o(count, b.create<LLVM::ShlOp>(loc, one, constI32(w)));
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

  LLVM::LLVMFuncOp packU8, packBits;
  if (!alongside)
    std::tie(packU8, packBits) = packFunctions(encoding);
  if (hostMode)
    return success();
  // Dynamic shared memory: the launch gives its size.
  b.create<LLVM::GlobalOp>(loc, LLVM::LLVMArrayType::get(i64, 0),
                           /*isConstant=*/false, LLVM::Linkage::External,
                           "__lgc_block_shared", Attribute(),
                           /*alignment=*/16, sharedSpace);
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
    Value shared =
        b.create<LLVM::AddressOfOp>(loc, sharedPtr, "__lgc_block_shared");
    // The grid is exact (gpuBlockGrid); a block past it leaves before
    // any barrier, as a whole.
    Value first = b.create<LLVM::MulOp>(loc, bid, constI64(S));
    Value words = args[at + 4];
    if (bits == 32)
      words = b.create<LLVM::MulOp>(loc, words, constI64(2));
    Value inRange = cmp(LLVM::ICmpPredicate::ult, first, words);
    ifThen(inRange, [&] {
      if (u8) {
        b.create<LLVM::CallOp>(
            loc, inputsU8Fn,
            ValueRange{args[0], args[1], scratch, shared, bid, tid});
        b.create<NVVM::Barrier0Op>(loc);
      }
      loop(constI64(u8 ? 1 : 0), constI64(phases), constI64(1), [&](Value p) {
        b.create<LLVM::CallOp>(
            loc, phaseFn,
            ValueRange{in, scratch, planes, classes, shared, bid, tid, p});
        b.create<NVVM::Barrier0Op>(loc);
      });
    });
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

namespace {
struct ConvertLGNToNVVMPass
    : lgc::impl::ConvertLGNToNVVMBase<ConvertLGNToNVVMPass> {
  using ConvertLGNToNVVMBase::ConvertLGNToNVVMBase;

  void runOnOperation() override {
    auto lower = [&](NetOp net, OpBuilder &b) -> LogicalResult {
      if (failed(checkNoBlocks(net, "convert-lgn-to-nvvm")))
        return failure();
      NetPartition partition(net, gatesPerFunction, registerWindow);
      NVVMLowering lowering(net, b, partition, gatesPerFunction, hostMode);
      if (threadWordBits != 32 && threadWordBits != 64)
        return net.emitError("thread-word-bits must be 32 or 64, not ")
               << unsigned(threadWordBits);
      if (blockKernel) {
        ConvertLGNToNVVMOptions options;
        options.blockWords = blockWords;
        options.blockThreads = blockThreads;
        options.blockSharedTarget = blockSharedTarget;
        options.blockSharedLimit = blockSharedLimit;
        options.blockUnroll = blockUnroll;
        options.blockSpreadBanks = blockSpreadBanks;
        options.blockInterleaveWords = blockInterleaveWords;
        options.blockFuseGates = blockFuseGates;
        options.blockThreadRuns = blockThreadRuns;
        options.blockWordArgmax = blockWordArgmax;
        options.blockU8 = blockU8;
        options.blockWordBits = blockWordBits;
        if (!bothKernels)
          return lowering.runBlock(options);
        lowering.run(threadWordBits, readOnlyInputs);
        return lowering.runBlock(options, /*alongside=*/true);
      }
      lowering.run(threadWordBits, readOnlyInputs);
      return success();
    };
    if (failed(lowerOnlyNet(getOperation(), lower)))
      signalPassFailure();
  }
};
} // namespace
