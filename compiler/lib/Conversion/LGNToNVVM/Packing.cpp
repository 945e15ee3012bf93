//===- Packing.cpp - The GPU packing kernels -----------------------------===//
//
// Part of lgc. The packing kernels' per-thread functions (8-bit features or
// packed bits to the tile-major input array) and the thermometer compare
// they share with the block kernel's u8 form.
//
//===----------------------------------------------------------------------===//

#include "NVVMLowering.h"

#include "lgc/Runtime/Net.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

using namespace lgc;
using namespace lgc::nvvm;

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
                               Value first, Value f, unsigned bits,
                               bool fromShared) {
  int64_t F = encoding.numFeatures, L = int64_t(encoding.levels.size());
  int64_t V =
      int64_t(abi::gpuPackU8FeaturesPerThread(uint32_t(L), uint32_t(F)));
  Type pixelPtr =
      hostMode ? ptr
               : LLVM::LLVMPointerType::get(b.getContext(), fromShared ? 3 : 1);
  Value pixels = hostMode || fromShared
                     ? x
                     : b.create<LLVM::AddrSpaceCastOp>(loc, pixelPtr, x);
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
    // Shared memory is written again by the multiprocessor's next block;
    // the pixels are not written while a kernel runs.
    if (!fromShared)
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
    // lanes of `lanes[0]`, 1 and 3 in those of `lanes[1]`: on the GPU one
    // byte permute (bytes 1, zero, 3, zero: selector 0x4341) where a shift
    // and an AND took two instructions.
    Value lanes[2] = {a(load, constI32(0x00ff00ff)),
                      bytePermute(load, constI32(0), 0x4341)};
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

Value NVVMLowering::samplesMask(Value first, Value n) {
  Value below = samplesBelow(first, n, 64);
  // below is 0 .. 64: all-ones shifted right by 64 - below, the shift kept
  // below 64 (a shift by 64 is undefined) and below = 0 selected apart.
  Value shift = b.create<LLVM::AndOp>(
      loc, b.create<LLVM::SubOp>(loc, constI64(64), below), constI64(63));
  return b.create<LLVM::SelectOp>(
      loc, cmp(LLVM::ICmpPredicate::eq, below, constI64(0)), constI64(0),
      b.create<LLVM::LShrOp>(loc, ones(), shift));
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

std::pair<Value, Value> NVVMLowering::packThread(Value gid, Value in, Value &at,
                                                 int64_t words) {
  int64_t inputs = net.getNumInputs();
  Value i = b.create<LLVM::URemOp>(loc, gid, constI64(inputs));
  Value t = b.create<LLVM::UDivOp>(loc, gid, constI64(inputs));
  if (words > 1)
    t = b.create<LLVM::MulOp>(loc, t, constI64(words));
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
  storeThermometerWords(encoding, f, SmallVector<Value>(done->getArguments()),
                        inputRowAt(in, t));
  b.create<LLVM::ReturnOp>(loc, ValueRange{});
  return fn;
}

void NVVMLowering::storeThermometerWords(const EncodingTables &encoding,
                                         Value f, ArrayRef<Value> words,
                                         function_ref<Value(Value)> rowAt) {
  int64_t F = encoding.numFeatures, L = int64_t(encoding.levels.size());
  int64_t V = int64_t(words.size()) / L;
  for (int64_t k = 0; k < V; ++k)
    for (int64_t j = 0; j < L; ++j)
      b.create<LLVM::StoreOp>(
          loc, words[k * L + j],
          rowAt(b.create<LLVM::AddOp>(loc, constI64(j * F + k), f)), 8);
}

Value NVVMLowering::wordVector(ArrayRef<Value> words) {
  Value vector = b.create<LLVM::UndefOp>(
      loc, VectorType::get({int64_t(words.size())}, i64));
  for (auto [k, word] : llvm::enumerate(words))
    vector = b.create<LLVM::InsertElementOp>(loc, vector, word,
                                             constI32(int32_t(k)));
  return vector;
}

std::function<Value(Value)> NVVMLowering::inputRowAt(Value in, Value t) {
  Value base = tileBase(in, net.getNumInputs(), t);
  return [this, base](Value row) -> Value {
    return b.create<LLVM::GEPOp>(loc, ptr, i64, base,
                                 ValueRange{b.create<LLVM::MulOp>(
                                     loc, row, constI64(abi::kGpuTileWords))});
  };
}

/// __lgc_gpu_pack_bits(bits, n, in, words, gid): words t .. t + P - 1 (P =
/// packBitsWords) of input bit i from the interpreter's layout (bits[t *
/// inputs + i]), samples past n cleared, words past the last block zero.
/// Consecutive threads take consecutive input bits, so a warp's load of a
/// word is 256 contiguous bytes; its stores go to 32 rows of the tile-major
/// array, 256 bytes apart. With P = 1 a store is 8 bytes of each row's
/// 32-byte sector, whose other three words come from other threads (on an
/// H200 this kernel moved 0.78 GB for 4M images of 784 bits at 1.2 TB/s,
/// a quarter of the DRAM's bandwidth); with P = 4 one thread writes the
/// whole sector, its four loads independent.
LLVM::LLVMFuncOp NVVMLowering::packBitsFunction() {
  const int64_t P = int64_t(packBitsWords);
  // Only a module with more than one word a thread says so: the default
  // module stays as it was.
  if (P > 1)
    createConstantArray(b, loc, abi::kPackBitsWordsSymbol,
                        ArrayRef<int32_t>{int32_t(P)}, globalSpace);
  LLVM::LLVMFuncOp fn =
      function(abi::kGpuPackBitsFunction, {ptr, i64, ptr, i64, i64},
               hostMode ? LLVM::Linkage::External : LLVM::Linkage::Internal);
  auto args = fn.getBody().front().getArguments();
  Value bits = args[0], n = args[1], in = args[2], gid = args[4];
  // On the device the bits are read through the global address space as
  // invariant loads (ld.global.nc): no kernel writes them while this one
  // runs, and the kernel writes only `in`, the runtime's own buffer.
  Type bitsPtr = hostMode ? ptr : LLVM::LLVMPointerType::get(b.getContext(), 1);
  if (!hostMode)
    bits = b.create<LLVM::AddrSpaceCastOp>(loc, bitsPtr, bits);
  Value at;
  auto [i, t0] = packThread(gid, in, at, P);
  SmallVector<Value, 4> words;
  for (int64_t k = 0; k < P; ++k) {
    Value t = k ? b.create<LLVM::AddOp>(loc, t0, constI64(k)).getResult() : t0;
    Value first = b.create<LLVM::MulOp>(loc, t, constI64(64));
    Value any = b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::ult, first, n);
    // Blocks past the data read block 0 (always in bounds) and are cleared.
    Value block = b.create<LLVM::SelectOp>(loc, any, t, constI64(0));
    auto word = b.create<LLVM::LoadOp>(
        loc, i64,
        b.create<LLVM::GEPOp>(
            loc, bitsPtr, i64, bits,
            ValueRange{b.create<LLVM::AddOp>(
                loc,
                b.create<LLVM::MulOp>(loc, block, constI64(net.getNumInputs())),
                i)}),
        8);
    word.setInvariant(!hostMode);
    words.push_back(b.create<LLVM::AndOp>(loc, word, samplesMask(first, n)));
  }
  if (P == 1) {
    b.create<LLVM::StoreOp>(loc, words[0], at, 8);
  } else {
    // The row's P words are consecutive in its tile (P divides 32): one
    // store of 8 P bytes, aligned to its size.
    b.create<LLVM::StoreOp>(loc, wordVector(words), at, unsigned(8 * P));
  }
  b.create<LLVM::ReturnOp>(loc, ValueRange{});
  return fn;
}

void NVVMLowering::declareDynamicShared() {
  const char *name = "__lgc_block_shared";
  if (SymbolTable::lookupSymbolIn(net->getParentOp(), name))
    return;
  // Dynamic shared memory: the launch gives its size.
  b.create<LLVM::GlobalOp>(loc, LLVM::LLVMArrayType::get(i64, 0),
                           /*isConstant=*/false, LLVM::Linkage::External, name,
                           Attribute(),
                           /*alignment=*/16, hostMode ? 0 : 3);
}

Value NVVMLowering::dynamicShared() {
  return b.create<LLVM::AddressOfOp>(
      loc, LLVM::LLVMPointerType::get(b.getContext(), hostMode ? 0 : 3),
      "__lgc_block_shared");
}

/// __lgc_gpu_pack_u8_tiled(x, n, in, shared, block, tid, phase): the G
/// words of block `block` (G = packTiledWords), each in two phases with a
/// barrier between them, and with G > 1 a last phase writing the rows.
/// lgc_pack_u8 (a thread per four features, its 64 samples' bytes 784
/// bytes apart) reads a warp's 128 bytes from each of 64 rows: on an
/// H200 3.1 TB/s, 65 % of the DRAM's bandwidth, for 4M images of 784
/// features. Here a word's 64 samples are one contiguous run of 64 x
/// features bytes, which phase 2 g copies into shared memory 16 bytes a
/// thread and a copy (cp.async: global to shared without registers, all of
/// a thread's copies in flight at once), consecutive threads consecutive
/// pieces (the block's reads are one sequential stream); phase 2 g + 1
/// makes the words from shared memory with the compare of thermometerWords
/// (consecutive threads consecutive features: no bank conflicts) and
/// stores them as lgc_pack_u8 does (G = 1), or into shared memory, from
/// where phase 2 G writes each row's G words together (a whole 32-byte
/// sector for G = 4, where a word a thread leaves a sector's four words to
/// four blocks). The last word, and x that is not 16-byte aligned, go a
/// byte at a time; samples past n are masked off.
LLVM::LLVMFuncOp
NVVMLowering::packU8TiledFunction(const EncodingTables &encoding) {
  int64_t F = encoding.numFeatures, L = int64_t(encoding.levels.size());
  if (!L) {
    mlir::emitRemark(net.getLoc())
        << "no " << abi::kPackU8TiledKernel
        << ": it thresholds a thermometer encoding, and this net's inputs "
           "are explicit bits";
    return nullptr;
  }
  const int64_t G = int64_t(packTiledWords);
  const int64_t inputs = int64_t(net.getNumInputs());
  uint64_t sharedBytes =
      abi::gpuPackTiledSharedBytes(uint32_t(F), uint32_t(inputs), uint32_t(G));
  if (sharedBytes > kDefaultGpuBlockSharedLimit) {
    mlir::emitRemark(net.getLoc())
        << "no " << abi::kPackU8TiledKernel << ": " << G * 64 << " samples of "
        << F << " features take " << sharedBytes
        << " bytes of shared memory, more than a block has ("
        << kDefaultGpuBlockSharedLimit << ")";
    return nullptr;
  }
  using P = LLVM::ICmpPredicate;
  createConstantArray(b, loc, abi::kPackTiledWordsSymbol,
                      ArrayRef<int32_t>{int32_t(G)}, globalSpace);
  unsigned sharedSpace = hostMode ? 0 : 3;
  Type sharedPtr = LLVM::LLVMPointerType::get(b.getContext(), sharedSpace);
  LLVM::LLVMFuncOp fn = function(
      abi::kGpuPackTiledFunction, {ptr, i64, ptr, sharedPtr, i64, i64, i64},
      hostMode ? LLVM::Linkage::External : LLVM::Linkage::Internal);
  // The kernel calls it once a phase: inlined, the phase is a constant.
  inlineOnDevice(fn);
  auto args = fn.getBody().front().getArguments();
  Value x = args[0], n = args[1], in = args[2], shared = args[3],
        block = args[4], tid = args[5], phase = args[6];
  const int64_t B = int64_t(abi::kGpuPackTiledThreads);
  int64_t V =
      int64_t(abi::gpuPackU8FeaturesPerThread(uint32_t(L), uint32_t(F)));
  // The rows of the block's words (G > 1), after the pixels: row r of
  // word g at 8-byte slot g x inputs + r, so that phase 2 G's threads read
  // consecutive rows.
  int64_t pixelBytes = int64_t(abi::gpuPackTiledSharedBytes(uint32_t(F), 0, 1));
  Value rowsBase = b.create<LLVM::GEPOp>(loc, sharedPtr, i8, shared,
                                         ArrayRef<LLVM::GEPArg>{pixelBytes});
  // Word g of the block: g = phase / 2 (G = 1: the phase's only word).
  Value g = b.create<LLVM::UDivOp>(loc, phase, constI64(2));
  Value word = b.create<LLVM::AddOp>(
      loc, b.create<LLVM::MulOp>(loc, block, constI64(G)), g);
  Value first = b.create<LLVM::MulOp>(loc, word, constI64(64));
  Value firstByte = b.create<LLVM::MulOp>(loc, first, constI64(F));
  Value odd = b.create<LLVM::TruncOp>(loc, b.getI1Type(), phase);
  Value wordPhase = cmp(P::ult, phase, constI64(2 * G));
  Value isCopy = b.create<LLVM::AndOp>(loc, wordPhase, notI1(odd));
  ifThen(isCopy, [&] {
    Value aligned =
        cmp(P::eq,
            b.create<LLVM::AndOp>(loc, b.create<LLVM::PtrToIntOp>(loc, i64, x),
                                  constI64(15)),
            constI64(0));
    Value full = b.create<LLVM::AndOp>(
        loc, cmp(P::ule, b.create<LLVM::AddOp>(loc, first, constI64(64)), n),
        aligned);
    ifThen(full, [&] {
      Type pixelPtr =
          hostMode ? ptr : LLVM::LLVMPointerType::get(b.getContext(), 1);
      Value pixels =
          hostMode ? x : b.create<LLVM::AddrSpaceCastOp>(loc, pixelPtr, x);
      Value run = b.create<LLVM::GEPOp>(loc, pixelPtr, i8, pixels,
                                        ValueRange{firstByte});
      Type piece = VectorType::get({4}, i32);
      int64_t pieces = 64 * F / 16, rounds = (pieces + B - 1) / B;
      // Piece `index` of the run: its address in x and in shared memory.
      auto from = [&](Value index) {
        return b.create<LLVM::GEPOp>(loc, pixelPtr, piece, run,
                                     ValueRange{index});
      };
      auto to = [&](Value index) {
        return b.create<LLVM::GEPOp>(loc, sharedPtr, piece, shared,
                                     ValueRange{index});
      };
      // Runs `copy` for the pieces of round r, the last round's threads
      // past the run doing nothing.
      auto eachRound = [&](int64_t r, function_ref<void(Value)> copy) {
        Value index = b.create<LLVM::AddOp>(loc, tid, constI64(r * B));
        if ((r + 1) * B > pieces)
          ifThen(cmp(P::ult, index, constI64(pieces)), [&] { copy(index); });
        else
          copy(index);
      };
      if (!hostMode) {
        // cp.async: the copies hold no registers, so all of a thread's
        // pieces may be in flight at once (plain 16-byte loads and stores
        // took 24 registers, room for the values of few loads at a time);
        // one wait for all before the barrier.
        for (int64_t r = 0; r < rounds; ++r)
          eachRound(r, [&](Value index) {
            b.create<NVVM::CpAsyncOp>(loc, to(index), from(index), 16,
                                      NVVM::LoadCacheModifierKind::CG, Value());
          });
        b.create<NVVM::CpAsyncCommitGroupOp>(loc);
        b.create<NVVM::CpAsyncWaitGroupOp>(loc, 0);
      } else {
        for (int64_t r = 0; r < rounds; ++r)
          eachRound(r, [&](Value index) {
            b.create<LLVM::StoreOp>(
                loc, b.create<LLVM::LoadOp>(loc, piece, from(index), 16),
                to(index), 16);
          });
      }
    });
    ifThen(notI1(full), [&] {
      Value bytes =
          b.create<LLVM::MulOp>(loc, samplesBelow(first, n, 64), constI64(F));
      loop(tid, bytes, constI64(B), [&](Value i) {
        Value byte = b.create<LLVM::LoadOp>(
            loc, i8,
            b.create<LLVM::GEPOp>(
                loc, ptr, i8, x,
                ValueRange{b.create<LLVM::AddOp>(loc, firstByte, i)}),
            1);
        b.create<LLVM::StoreOp>(
            loc, byte,
            b.create<LLVM::GEPOp>(loc, sharedPtr, i8, shared, ValueRange{i}),
            1);
      });
    });
  });
  ifThen(b.create<LLVM::AndOp>(loc, wordPhase, odd), [&] {
    // Bits of samples past n (the last word's, whose shared bytes were
    // not written) cleared.
    Value mask = samplesMask(first, n);
    loop(tid, constI64(F / V), constI64(B), [&](Value q) {
      Value f = V == 1 ? q : b.create<LLVM::MulOp>(loc, q, constI64(V));
      SmallVector<Value> words =
          thermometerWords(encoding, shared, constI64(0), f, 64,
                           /*fromShared=*/true);
      for (Value &w : words)
        w = a(w, mask);
      if (G == 1) {
        storeThermometerWords(encoding, f, words, inputRowAt(in, word));
        return;
      }
      Value slots = b.create<LLVM::MulOp>(loc, g, constI64(inputs));
      storeThermometerWords(encoding, f, words, [&](Value row) -> Value {
        return b.create<LLVM::GEPOp>(
            loc, sharedPtr, i64, rowsBase,
            ValueRange{b.create<LLVM::AddOp>(loc, slots, row)});
      });
    });
  });
  if (G > 1)
    ifThen(cmp(P::eq, phase, constI64(2 * G)), [&] {
      // Each row's G words, consecutive in its tile (G divides a tile's
      // 32 words), in one store of 8 G bytes.
      auto rowAt =
          inputRowAt(in, b.create<LLVM::MulOp>(loc, block, constI64(G)));
      loop(tid, constI64(inputs), constI64(B), [&](Value r) {
        SmallVector<Value, 4> words;
        for (int64_t k = 0; k < G; ++k)
          words.push_back(b.create<LLVM::LoadOp>(
              loc, i64,
              b.create<LLVM::GEPOp>(loc, sharedPtr, i64, rowsBase,
                                    ValueRange{b.create<LLVM::AddOp>(
                                        loc, r, constI64(k * inputs))}),
              8));
        b.create<LLVM::StoreOp>(loc, wordVector(words), rowAt(r),
                                unsigned(8 * G));
      });
    });
  b.create<LLVM::ReturnOp>(loc, ValueRange{});
  return fn;
}
