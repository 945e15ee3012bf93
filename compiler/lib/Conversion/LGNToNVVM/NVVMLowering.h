//===- NVVMLowering.h - The GPU lowering's emitter -----------*- C++ -*-===//
//
// Part of lgc. The class that emits a net's GPU module (LGNToNVVM.cpp: the
// shared helpers, the thread kernel and the pass; Packing.cpp: the packing
// kernels and the thermometer compare the block kernel's u8 form shares;
// BlockKernel.cpp: the block kernel, from the schedule of BlockSchedule.h).
// Private to the LGNToNVVM conversion.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_LIB_CONVERSION_LGNTONVVM_NVVMLOWERING_H
#define LGC_LIB_CONVERSION_LGNTONVVM_NVVMLOWERING_H

#include "lgc/Conversion/LGNToNVVM/LGNToNVVM.h"
#include "lgc/Runtime/GeneratedABI.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace lgc::nvvm {

using namespace mlir;
using namespace lgc::lgn;

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
  /// Also lgc_pack_u8_tiled, the packing kernel staged through shared
  /// memory (GeneratedABI.h), where the encoding is a thermometer.
  /// `words`: the 64-sample words a block of it packs (1, 2 or 4).
  void setPackTiled(bool tiled, unsigned words = 1) {
    packTiled = tiled;
    packTiledWords = words;
  }
  /// The count's full adders' carries (and sums) as one lop3 a 32-bit
  /// half (the default), or as ANDs and ORs (the earlier form, in which
  /// ptxas took two LOP3s for a carry).
  void setLop3Adders(bool on) { lop3Adders = on; }
  /// lgc_pack_bits's words a thread (1 or 4; GeneratedABI.h).
  void setPackBitsWords(unsigned words) { packBitsWords = words; }
  /// Thread kernel: in each gate and count function, a prefetch of the
  /// input or scratch row that the load `distance` loads later reads, into
  /// the L2 (`level` 2) or the L1 (1); 0: none. Device code only (host
  /// mode has nothing to prefetch into).
  void setPrefetch(unsigned distance, unsigned level) {
    prefetchDistance = distance;
    prefetchLevel = level;
  }
  /// The block kernel instead of the thread kernel; fails (with an error at
  /// the net) on words per block other than 0, 1, 2, 4 or 8.
  /// `alongside`: the module already has the thread kernel (run()); the
  /// block kernel is lgc_net_block with its own shape table, and is left
  /// out (with a remark) where its values do not fit shared memory.
  LogicalResult runBlock(const ConvertLGNToNVVMOptions &options,
                         bool alongside = false);

protected:
  /// The count's full adders as PTX's lop3 (host mode: its definition);
  /// the gates stay and/or/xor, which ptxas fuses into LOP3s itself (as
  /// lop3s, each gate and each gate absorbing the one before it, the
  /// 784-6x8000 thread kernel's gate functions took 2.6 % more SASS
  /// instructions and 3.4 % more spill bytes than with the adders alone).
  bool hasTernaryAdders() const override { return lop3Adders; }
  Value ternary(unsigned table, Value p, Value q, Value r) override {
    return lop3(p, q, r, uint8_t(table));
  }
  Value constant(bool one) override {
    return wordTy == i32 ? constI32(one ? -1 : 0) : constI64(one ? -1 : 0);
  }
  Value loadInput(int64_t input) override {
    auto load =
        b.create<LLVM::LoadOp>(loc, wordTy, row64(inBase, input), wordBytes());
    // A row of the input array is 256 bytes (GeneratedABI.h), for either
    // word width (row64).
    recordLoad(load, inBase, input * abi::kGpuTileWords * 8);
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
    auto load =
        b.create<LLVM::LoadOp>(loc, wordTy, scratchRow(slot), wordBytes());
    recordLoad(load, scratchBase, slot * abi::kGpuTileWords * wordBytes());
    return load;
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
  /// The negation of an i1 (`p` xor true).
  Value notI1(Value p) {
    return b.create<LLVM::XOrOp>(
        loc, p,
        b.create<LLVM::ConstantOp>(loc, b.getI1Type(), b.getBoolAttr(true)));
  }
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
  /// PTX's prmt.b32 (its default mode) of the 32-bit `x` (bytes 0-3) and
  /// `y` (bytes 4-7) by the constant `selector`: byte i of the result is
  /// the byte that nibble i names (its low 3 bits), or that byte's sign
  /// over all 8 bits where the nibble's bit 3 is set. On the GPU the one
  /// instruction (PRMT); in host mode that definition, byte by byte, so
  /// that the host-mode tests run the selectors the kernels use.
  Value bytePermute(Value x, Value y, uint32_t selector) {
    auto c32 = [&](uint32_t v) { return constI32(int32_t(v)); };
    if (!hostMode)
      return b
          .create<LLVM::CallIntrinsicOp>(loc, i32, "llvm.nvvm.prmt",
                                         ValueRange{x, y, c32(selector)})
          .getResult(0);
    Value out = c32(0);
    for (unsigned i = 0; i < 4; ++i) {
      unsigned nibble = selector >> (4 * i) & 15, src = nibble & 7;
      Value from = src < 4 ? x : y;
      unsigned at = 8 * (src % 4);
      // The byte at bits 0-7, or its top bit shifted to bit 31 and then
      // arithmetically over the word (masked to a byte below).
      Value byte =
          nibble & 8
              ? b.create<LLVM::AShrOp>(
                     loc, b.create<LLVM::ShlOp>(loc, from, c32(24 - at)),
                     c32(31))
                    .getResult()
              : b.create<LLVM::LShrOp>(loc, from, c32(at)).getResult();
      byte = b.create<LLVM::AndOp>(loc, byte, c32(0xff));
      out = b.create<LLVM::OrOp>(
          loc, out, b.create<LLVM::ShlOp>(loc, byte, c32(8 * i)));
    }
    return out;
  }
  /// PTX's lop3.b32 of `p`, `q`, `r` (i32, or i64 as two halves): the
  /// bitwise function whose truth table is `lut`, bit 4 p + 2 q + r of it
  /// the result where p, q, r have those bits (so f(0xf0, 0xcc, 0xaa) is
  /// f's table). On the GPU one LOP3 a half, which ptxas does not find for
  /// every three-input function (a majority written with ANDs and ORs took
  /// two); in host mode that definition, minterm by minterm, so that the
  /// host-mode tests run the tables the kernels use.
  /// lop3's table of the majority of three: 0xe8.
  static constexpr uint8_t kMajority =
      (0xf0 & 0xcc) | (0xf0 & 0xaa) | (0xcc & 0xaa);
  Value lop3(Value p, Value q, Value r, uint8_t lut) {
    bool wide = p.getType() == i64;
    if (!hostMode) {
      std::string l = std::to_string(unsigned(lut));
      // A 64-bit word as its two halves, one lop3 each.
      std::string text = "lop3.b32 $0, $1, $2, $3, " + l + ";";
      if (wide)
        text = "{\n.reg .b32 pl, ph, ql, qh, rl, rh, dl, dh;\n"
               "mov.b64 {pl, ph}, $1;\nmov.b64 {ql, qh}, $2;\n"
               "mov.b64 {rl, rh}, $3;\n"
               "lop3.b32 dl, pl, ql, rl, " +
               l + ";\nlop3.b32 dh, ph, qh, rh, " + l +
               ";\nmov.b64 $0, {dl, dh};\n}";
      return b
          .create<LLVM::InlineAsmOp>(
              loc, TypeRange{p.getType()}, ValueRange{p, q, r}, text,
              wide ? "=l,l,l,l" : "=r,r,r,r", /*has_side_effects=*/false,
              /*is_align_stack=*/false, LLVM::AsmDialectAttr(), ArrayAttr())
          .getResult(0);
    }
    Value ones = wide ? constI64(-1) : constI32(-1);
    Value out = wide ? constI64(0) : constI32(0);
    for (unsigned m = 0; m < 8; ++m) {
      if (!(lut >> m & 1))
        continue;
      Value term = ones;
      for (auto [bit, v] : llvm::enumerate(ArrayRef<Value>{p, q, r}))
        term = a(term, m >> (2 - bit) & 1 ? v : x(v, ones));
      out = o(out, term);
    }
    return out;
  }
  /// On the GPU, `fn` inlined into its callers (host mode exports it as it
  /// is, for the tests to call).
  void inlineOnDevice(LLVM::LLVMFuncOp fn) {
    if (!hostMode)
      fn.setPassthroughAttr(b.getArrayAttr(
          {b.getStringAttr("nounwind"), b.getStringAttr("alwaysinline")}));
  }
  /// The global-memory line at `line` prefetched into the L2; in host mode
  /// `visit(line)` instead (a function the tests pass to collect the lines).
  void prefetchL2(Value line, Value visit) {
    if (hostMode) {
      b.create<LLVM::CallOp>(loc, LLVM::LLVMFunctionType::get(voidTy, ptr),
                             ValueRange{visit, line});
      return;
    }
    b.create<LLVM::InlineAsmOp>(
        loc, TypeRange{}, ValueRange{line}, "prefetch.global.L2 [$0];", "l",
        /*has_side_effects=*/true,
        /*is_align_stack=*/false, LLVM::AsmDialectAttr(), ArrayAttr());
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
  /// start + step, ... while i < end (signed; i of start's type, i64 or
  /// i32, the others of the same), then the insertion point
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
  /// Input bit i and first word t of packing thread `gid` (consecutive
  /// threads take consecutive bits of the same `words` words, t a multiple
  /// of `words`), and the address of word t in the tile-major input array.
  std::pair<Value, Value> packThread(Value gid, Value in, Value &at,
                                     int64_t words = 1);
  /// Byte `feature` of sample first + s of x (n x features), zero-extended;
  /// `valid` is whether the sample is below n (else sample 0 is read).
  Value checkedSample(Value x, Value n, Value first, unsigned s,
                      int64_t features, Value feature, Value &valid);
  /// The samples of a word from sample `first` that are below n: n -
  /// first, clamped to 0 .. bits.
  Value samplesBelow(Value first, Value n, unsigned bits);
  /// The 64-bit mask of those samples (samplesBelow's low bits set): the
  /// packing kernels clear the bits of samples past n with it.
  Value samplesMask(Value first, Value n);
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
  /// invariant loads (ld.global.nc: no kernel writes x while it runs), or,
  /// `fromShared`, from x in shared memory (lgc_pack_u8_tiled's copy).
  SmallVector<Value> thermometerWords(const EncodingTables &encoding, Value x,
                                      Value first, Value f, unsigned bits,
                                      bool fromShared = false);
  /// Stores the thermometer words of features f .. (thermometerWords'
  /// order: word k L + j is level j of feature f + k) at rowAt(their input
  /// row j F + f + k).
  void storeThermometerWords(const EncodingTables &encoding, Value f,
                             ArrayRef<Value> words,
                             function_ref<Value(Value)> rowAt);
  /// The address of input row `row` of word t of the tile-major input
  /// array `in` (lgc_pack_u8's stores).
  std::function<Value(Value)> inputRowAt(Value in, Value t);
  /// The 64-bit words as one vector (a row's consecutive words, stored
  /// together).
  Value wordVector(ArrayRef<Value> words);
  /// __lgc_gpu_pack_u8_tiled (GeneratedABI.h), or null where the encoding
  /// is not a thermometer or a word's samples do not fit shared memory
  /// (with a remark).
  LLVM::LLVMFuncOp packU8TiledFunction(const EncodingTables &encoding);
  /// Declares the module's dynamic shared memory (__lgc_block_shared, one
  /// for the block kernel and lgc_pack_u8_tiled alike) at the insertion
  /// point, unless the module has it; dynamicShared() is its address.
  void declareDynamicShared();
  Value dynamicShared();
  LLVM::LLVMFuncOp packBitsFunction();
  /// The block kernel's phase 0 from 8-bit features x (n x features) with
  /// a thermometer encoding: the block's `S` words of `bits` bits, from word
  /// w0, of every input bit the net reads, stored at `at(slot, s)` (word s
  /// of a slot); `B` threads, this one `tid`.
  void inputsFromU8(const EncodingTables &encoding, Value x, Value n, Value w0,
                    Value tid, unsigned S, unsigned B, unsigned bits,
                    function_ref<Value(Value, Value)> at);
  /// Both packing functions (the same for either lgc_net), and
  /// lgc_pack_u8_tiled's where asked for (packTiledFn).
  std::pair<LLVM::LLVMFuncOp, LLVM::LLVMFuncOp>
  packFunctions(const EncodingTables &encoding) {
    OpBuilder::InsertionGuard guard(b);
    LLVM::LLVMFuncOp u8 = packU8Function(encoding);
    b.setInsertionPointToEnd(u8->getBlock());
    LLVM::LLVMFuncOp bits = packBitsFunction();
    if (packTiled && !packTiledFn) {
      b.setInsertionPointToEnd(bits->getBlock());
      packTiledFn = packU8TiledFunction(encoding);
    }
    return {u8, bits};
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
  bool lop3Adders = true;
  Type i8, i32, i64, ptr, voidTy;
  unsigned globalSpace;
  /// The current thread's tile bases of the input and scratch arrays.
  Value inBase, scratchBase;
  /// The type of the thread kernel's values (i64, or i32 for 32-bit words):
  /// constant() makes its all-ones and zeros.
  Type wordTy;
  /// Whether loadInput reads through the read-only path (run()).
  bool readOnlyInputs = true;

  /// Prefetches (setPrefetch): a gate or count function's loads of rows,
  /// in the order emitted, each with its array's base and its byte offset
  /// from it, from recordLoads() to insertPrefetches().
  struct RowLoad {
    Operation *load;
    Value base;
    int64_t offset;
  };
  void recordLoad(Operation *load, Value base, int64_t offset) {
    if (recordingLoads)
      rowLoads.push_back({load, base, offset});
  }
  /// Starts recording the current function's loads, where it prefetches.
  void recordLoads() { recordingLoads = prefetchDistance > 0 && !hostMode; }
  /// Inserts the prefetches of the loads recorded in the function just
  /// emitted, and stops recording.
  void insertPrefetches();
  unsigned prefetchDistance = 0, prefetchLevel = 2;
  bool recordingLoads = false;
  /// setPackTiled, and the function made for it (packFunctions): made once
  /// per module, its kernel by kernels().
  bool packTiled = false;
  unsigned packTiledWords = 1;
  LLVM::LLVMFuncOp packTiledFn;
  unsigned packBitsWords = 1;
  SmallVector<RowLoad> rowLoads;
};

} // namespace lgc::nvvm

#endif // LGC_LIB_CONVERSION_LGNTONVVM_NVVMLOWERING_H
