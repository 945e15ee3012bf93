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
//===----------------------------------------------------------------------===//

#include "lgc/Conversion/LGNToNVVM/LGNToNVVM.h"
#include "lgc/Runtime/GeneratedABI.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/BuiltinOps.h"

#include <functional>
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
    ptr = LLVM::LLVMPointerType::get(b.getContext());
    voidTy = LLVM::LLVMVoidType::get(b.getContext());
    // Device globals live in the global address space on NVPTX.
    globalSpace = hostMode ? 0 : 1;
  }
  void run();

protected:
  Value constant(bool one) override { return constI64(one ? -1 : 0); }
  Value loadInput(int64_t input) override {
    return b.create<LLVM::LoadOp>(loc, i64, element(inBase, input), 8);
  }
  Value loadScratch(int64_t slot) override {
    return b.create<LLVM::LoadOp>(loc, i64, element(scratchBase, slot), 8);
  }
  void storeScratch(Value value, int64_t slot) override {
    b.create<LLVM::StoreOp>(loc, value, element(scratchBase, slot), 8);
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
  /// Row `row` of a thread whose tile base is `base` (64-bit elements).
  Value element(Value base, int64_t row) {
    int64_t index = row * abi::kGpuTileWords;
    if (index > INT32_MAX)
      return b.create<LLVM::GEPOp>(loc, ptr, i64, base,
                                   ValueRange{constI64(index)});
    return b.create<LLVM::GEPOp>(loc, ptr, i64, base,
                                 ArrayRef<LLVM::GEPArg>{int32_t(index)});
  }
  /// Thread t's tile base in an array of `rows` rows: row 0 of t.
  Value tileBase(Value array, int64_t rows, Value t) {
    Value T = constI64(abi::kGpuTileWords);
    Value tile = b.create<LLVM::UDivOp>(loc, t, T);
    Value lane = b.create<LLVM::URemOp>(loc, t, T);
    Value off = b.create<LLVM::AddOp>(
        loc,
        b.create<LLVM::MulOp>(loc, tile, constI64(rows * abi::kGpuTileWords)),
        lane);
    return b.create<LLVM::GEPOp>(loc, ptr, i64, array, ValueRange{off});
  }
  /// A generic pointer to a device global.
  Value global(StringRef name) {
    Value p = b.create<LLVM::AddressOfOp>(
        loc, LLVM::LLVMPointerType::get(b.getContext(), globalSpace), name);
    return globalSpace
               ? b.create<LLVM::AddrSpaceCastOp>(loc, ptr, p).getResult()
               : p;
  }
  void globals(const EncodingTables &encoding, ArrayRef<int32_t> shape);
  SmallVector<LLVM::LLVMFuncOp> countFunctions(unsigned K);
  void argmax(Value planes, Value classes, Value t, unsigned K);
  /// Input bit i and word t of packing thread `gid` (consecutive threads
  /// take consecutive bits of one word), and the address of that word in
  /// the tile-major input array.
  std::pair<Value, Value> packThread(Value gid, Value in, Value &at);
  /// Byte `feature` of sample first + s of x (n x features), zero-extended;
  /// `valid` is whether the sample is below n (else sample 0 is read).
  Value checkedSample(Value x, Value n, Value first, unsigned s,
                      int64_t features, Value feature, Value &valid);
  /// word | (value >= threshold [and valid]) << s.
  Value addBit(Value word, Value value, Value threshold, Value valid,
               unsigned s);
  LLVM::LLVMFuncOp packU8Function(const EncodingTables &encoding);
  LLVM::LLVMFuncOp packU8Thermometer(const EncodingTables &encoding);
  LLVM::LLVMFuncOp packBitsFunction();
  /// packU8Rows: threads per word of the u8 packing kernel.
  void kernels(LLVM::LLVMFuncOp thread, LLVM::LLVMFuncOp packU8,
               int64_t packU8Rows, LLVM::LLVMFuncOp packBits);

  NetOp net;
  unsigned bitsPerFunction;
  bool hostMode;
  Type i8, i32, i64, ptr, voidTy;
  unsigned globalSpace;
  /// The current thread's tile bases of the input and scratch arrays.
  Value inBase, scratchBase;
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
      inBase = args[0];
      scratchBase = args[1];
      Value planes = args[2];
      // A carry-save counter that adds eagerly: as soon as a column holds
      // three bits they become one full adder's sum (kept) and carry (passed
      // on), so no column ever holds more than two bits and the values live
      // at once are O(K) rather than the whole group (a tree over all the
      // group's bits kept every output bit live and spilled kilobytes per
      // thread). Counts never exceed the group, so nothing carries out of
      // column K - 1.
      std::vector<SmallVector<Value, 3>> columns(K);
      std::function<void(unsigned, Value)> add = [&](unsigned w, Value v) {
        if (w >= K)
          return;
        SmallVector<Value, 3> &col = columns[w];
        col.push_back(v);
        if (col.size() < 3)
          return;
        Value p = col[0], q = col[1], r = col[2];
        Value pq = x(p, q);
        col.assign({x(pq, r)});
        add(w + 1, o(a(p, q), a(pq, r)));
      };
      // The count so far is bit j of weight 2^j: it enters column j.
      if (first > 0)
        for (unsigned j = 0; j < K; ++j)
          add(j, b.create<LLVM::LoadOp>(
                     loc, i64, element(planes, int64_t(c) * K + j), 8));
      for (unsigned k = first; k < std::min(group, first + step); ++k) {
        Value bit = outputs[c * group + k];
        std::optional<ValueHome> home = partition.home(bit);
        if (home && home->kind == ValueHome::Constant && home->index == 0)
          continue;
        add(0, use(bit, /*at=*/0));
      }
      // Two bits left in a column: a half adder.
      for (unsigned w = 0; w < K; ++w)
        if (columns[w].size() == 2) {
          Value p = columns[w][0], q = columns[w][1];
          columns[w].assign({x(p, q)});
          add(w + 1, a(p, q));
        }
      for (unsigned j = 0; j < K; ++j)
        b.create<LLVM::StoreOp>(
            loc, columns[j].empty() ? zeros() : columns[j].front(),
            element(planes, int64_t(c) * K + j), 8);
      b.create<LLVM::ReturnOp>(loc, ValueRange{});
      fns.push_back(fn);
    }
  return fns;
}

/// The argmax of the counts in `planes`, bit-sliced over the thread's 64
/// samples; the class of each is stored as a u32.
void NVVMLowering::argmax(Value planes, Value classes, Value t, unsigned K) {
  unsigned C = net.getClasses();
  auto n = [&](Value p) { return x(p, ones()); };
  unsigned idxBits = 0;
  while ((1u << idxBits) < C)
    ++idxBits;
  SmallVector<Value> best, idx(idxBits, zeros());
  for (unsigned c = 0; c < C; ++c) {
    SmallVector<Value> count;
    for (unsigned j = 0; j < K; ++j)
      count.push_back(b.create<LLVM::LoadOp>(
          loc, i64, element(planes, int64_t(c) * K + j), 8));
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
  Value base = b.create<LLVM::MulOp>(loc, t, constI64(64));
  for (unsigned s = 0; s < 64; ++s) {
    Value cls = b.create<LLVM::ConstantOp>(loc, i32, b.getI32IntegerAttr(0));
    for (unsigned m = 0; m < idxBits; ++m) {
      Value bit =
          a(b.create<LLVM::LShrOp>(loc, idx[m], constI64(s)), constI64(1));
      Value shifted = b.create<LLVM::ShlOp>(loc, bit, constI64(m));
      cls = b.create<LLVM::OrOp>(loc, cls,
                                 b.create<LLVM::TruncOp>(loc, i32, shifted));
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
  auto loadTable = [&](StringRef name) {
    Value p = b.create<LLVM::GEPOp>(loc, ptr, i32, global(name), ValueRange{i});
    return b.create<LLVM::ZExtOp>(loc, i64,
                                  b.create<LLVM::LoadOp>(loc, i32, p, 4));
  };
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
  Value full = b.create<LLVM::ICmpOp>(
      loc, LLVM::ICmpPredicate::ule,
      b.create<LLVM::AddOp>(loc, first, constI64(64)), n);
  if (V == 4) {
    // Whole 32-bit loads need x aligned (the runtime's buffers are; a
    // caller's device pointer may not be): otherwise the checked path.
    Value low = b.create<LLVM::AndOp>(
        loc, b.create<LLVM::PtrToIntOp>(loc, i64, x), constI64(3));
    full = b.create<LLVM::AndOp>(
        loc, full,
        b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::eq, low, constI64(0)));
  }
  // Words of level j of feature f + k at index k * L + j.
  SmallVector<Type> wordTypes(V * L, i64);
  Block *fast = b.createBlock(&fn.getBody());
  Block *slow = b.createBlock(&fn.getBody());
  Block *done = b.createBlock(&fn.getBody(), {}, wordTypes,
                              SmallVector<Location>(V * L, loc));
  b.setInsertionPointToEnd(entry);
  b.create<LLVM::CondBrOp>(loc, full, fast, slow);
  // Bits of sample s of feature f + k at every level into the words.
  auto addSample = [&](SmallVector<Value> &words, int64_t k, Value value,
                       unsigned s, Value valid) {
    for (int64_t j = 0; j < L; ++j)
      words[k * L + j] =
          addBit(words[k * L + j], value,
                 constI64(abi::byteThreshold(encoding.levels[j])), valid, s);
  };
  {
    b.setInsertionPointToStart(fast);
    SmallVector<Value> words(V * L, constI64(0));
    Value base = b.create<LLVM::GEPOp>(
        loc, ptr, i8, x,
        ValueRange{b.create<LLVM::AddOp>(
            loc, b.create<LLVM::MulOp>(loc, first, constI64(F)), f)});
    for (unsigned s = 0; s < 64; ++s) {
      Value p = b.create<LLVM::GEPOp>(
          loc, ptr, i8, base, ArrayRef<LLVM::GEPArg>{int32_t(int64_t(s) * F)});
      if (V == 1) {
        Value byte = b.create<LLVM::LoadOp>(loc, i8, p, 1);
        addSample(words, 0, b.create<LLVM::ZExtOp>(loc, i64, byte), s, Value());
        continue;
      }
      // Little-endian: byte k of the word is feature f + k.
      Value four = b.create<LLVM::ZExtOp>(
          loc, i64, b.create<LLVM::LoadOp>(loc, i32, p, 4));
      for (int64_t k = 0; k < V; ++k) {
        Value shifted =
            k ? b.create<LLVM::LShrOp>(loc, four, constI64(8 * k)) : four;
        addSample(words, k, b.create<LLVM::AndOp>(loc, shifted, constI64(255)),
                  s, Value());
      }
    }
    b.create<LLVM::BrOp>(loc, words, done);
  }
  {
    b.setInsertionPointToStart(slow);
    SmallVector<Value> words(V * L, constI64(0));
    for (unsigned s = 0; s < 64; ++s)
      for (int64_t k = 0; k < V; ++k) {
        Value valid;
        Value feature =
            k ? b.create<LLVM::AddOp>(loc, f, constI64(k)).getResult() : f;
        Value value = checkedSample(x, n, first, s, F, feature, valid);
        addSample(words, k, value, s, valid);
      }
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
                           int64_t packU8Rows, LLVM::LLVMFuncOp packBits) {
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
  kernel(
      abi::kNetKernel, {ptr, ptr, ptr, ptr, i64},
      [&](auto args) { return args[4]; },
      [&](auto args, Value gid) {
        b.create<LLVM::CallOp>(
            loc, threadFn, ValueRange{args[0], args[1], args[2], args[3], gid});
      });
}

void NVVMLowering::run() {
  unsigned outputs = unsigned(net.getOutputOp().getBits().size());
  unsigned K = abi::planesForGroup(outputs / net.getClasses());
  EncodingTables encoding = encodingTables(net);
  SmallVector<int32_t> shape =
      shapeTable(net, partition, encoding, /*vectorWords=*/1);
  globals(encoding, shape);
  int64_t slots = std::max<int64_t>(1, partition.numScratchSlots());
  SmallVector<LLVM::LLVMFuncOp> chunks;
  for (unsigned k = 0; k < partition.numChunks(); ++k) {
    OpBuilder::InsertionGuard guard(b);
    LLVM::LLVMFuncOp fn = function((abi::kGpuGatesFunction + Twine(k)).str(),
                                   {ptr, ptr}, LLVM::Linkage::Internal);
    auto args = fn.getBody().front().getArguments();
    inBase = args[0];
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
    inBase = tileBase(args[0], net.getNumInputs(), t);
    scratchBase = tileBase(args[1], slots, t);
    Value planesBase = tileBase(args[2], int64_t(net.getClasses()) * K, t);
    for (LLVM::LLVMFuncOp chunk : chunks)
      b.create<LLVM::CallOp>(loc, chunk, ValueRange{inBase, scratchBase});
    for (LLVM::LLVMFuncOp count : counts)
      b.create<LLVM::CallOp>(loc, count,
                             ValueRange{inBase, scratchBase, planesBase});
    argmax(planesBase, args[3], t, K);
    b.create<LLVM::ReturnOp>(loc, ValueRange{});
  }
  LLVM::LLVMFuncOp packU8, packBits;
  {
    OpBuilder::InsertionGuard guard(b);
    packU8 = packU8Function(encoding);
  }
  {
    OpBuilder::InsertionGuard guard(b);
    packBits = packBitsFunction();
  }
  if (!hostMode)
    kernels(threadFn, packU8,
            int64_t(abi::gpuPackU8Rows(
                reinterpret_cast<const uint32_t *>(shape.data()))),
            packBits);
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
      NVVMLowering(net, b, partition, gatesPerFunction, hostMode).run();
      return success();
    };
    if (failed(lowerOnlyNet(getOperation(), lower)))
      signalPassFailure();
  }
};
} // namespace
