//===- LGNToNVVM.cpp - Lower lgn nets to GPU kernels (NVVM) ---------------===//
//
// Part of lgc. The GPU side of the gate-lowering skeleton: a value is one
// 64-bit word per thread (64 samples), arrays are tile-major (GeneratedABI.h:
// row k of thread t at `x[((t / T) * rows + k) * T + t % T]`, T = a warp),
// so a warp's access to one row is one contiguous 256-byte segment and every
// access of a thread is its tile base plus a constant: no address arithmetic
// per gate, for the GPU or for LLVM's and ptxas's optimisers. The per-thread
// body adds GroupSum and argmax; the kernels wrap it and the packing
// functions (Packing.cpp) with a global thread id and a bounds check.
//
// The block kernel (block-kernel=true, BlockKernel.cpp) is the other
// design: a block's threads share a few words and evaluate one level of
// gates at a time, reading a table of gates (BlockSchedule.cpp) and keeping
// every live value in shared memory, so a value crosses no function
// boundary through DRAM.
//
// This file: the emitter's shared helpers (functions, globals, loops, the
// count and the argmax), the thread kernel and the pass.
//
//===----------------------------------------------------------------------===//

#include "NVVMLowering.h"

#include "lgc/Runtime/Net.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/BuiltinOps.h"

namespace lgc {
#define GEN_PASS_DEF_CONVERTLGNTONVVM
#include "lgc/Conversion/Passes.h.inc"
} // namespace lgc

using namespace mlir;
using namespace lgc;
using namespace lgc::lgn;
using namespace lgc::nvvm;

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
      recordLoads();
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
      insertPrefetches();
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
  // A thread per row of `perThread` words (gpuPackBitsThreads): words is
  // a multiple of kGpuTileWords, so the division is exact.
  for (auto [name, fn, rows, perThread] :
       {std::tuple{abi::kPackKernel, packU8, packU8Rows, int64_t(1)},
        std::tuple{abi::kPackBitsKernel, packBits, int64_t(net.getNumInputs()),
                   int64_t(packBitsWords)}})
    if (fn)
      kernel(
          name, {ptr, i64, ptr, i64},
          [&, rows = rows, perThread = perThread](auto args) {
            Value words = args[3];
            if (perThread > 1)
              words = b.create<LLVM::UDivOp>(loc, words, constI64(perThread));
            return b.create<LLVM::MulOp>(loc, words, constI64(rows))
                .getResult();
          },
          [&, fn = fn](auto args, Value gid) {
            b.create<LLVM::CallOp>(
                loc, fn, ValueRange{args[0], args[1], args[2], args[3], gid});
          });
  // lgc_pack_u8_tiled: a block per G words, its phases a barrier apart
  // (the grid is exact; a block past the words leaves as a whole).
  if (packU8 && packTiledFn) {
    declareDynamicShared();
    OpBuilder::InsertionGuard guard(b);
    LLVM::LLVMFuncOp fn = function(
        abi::kPackU8TiledKernel, {ptr, i64, ptr, i64}, LLVM::Linkage::External);
    fn->setAttr(NVVM::NVVMDialect::getKernelFuncAttrName(), b.getUnitAttr());
    fn->setAttr(
        NVVM::NVVMDialect::getMaxntidAttrName(),
        b.getDenseI32ArrayAttr({int32_t(abi::kGpuPackTiledThreads), 1, 1}));
    auto args = fn.getBody().front().getArguments();
    Value tid =
        b.create<LLVM::ZExtOp>(loc, i64, b.create<NVVM::ThreadIdXOp>(loc, i32));
    Value bid =
        b.create<LLVM::ZExtOp>(loc, i64, b.create<NVVM::BlockIdXOp>(loc, i32));
    Value shared = dynamicShared();
    // Block b packs words b G .. b G + G - 1 (the grid is words / G).
    int64_t G = int64_t(packTiledWords);
    Value blocks = b.create<LLVM::UDivOp>(loc, args[3], constI64(G));
    ifThen(cmp(LLVM::ICmpPredicate::ult, bid, blocks), [&] {
      int64_t phases = int64_t(abi::gpuPackTiledPhases(uint32_t(G)));
      for (int64_t phase = 0; phase < phases; ++phase) {
        b.create<LLVM::CallOp>(loc, packTiledFn,
                               ValueRange{args[0], args[1], args[2], shared,
                                          bid, tid, constI64(phase)});
        if (phase + 1 < phases)
          b.create<NVVM::Barrier0Op>(loc);
      }
    });
    b.create<LLVM::ReturnOp>(loc, ValueRange{});
  }
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
  // A function of the thread's values (its arguments the input and
  // scratch tile bases) whose body `emit` makes.
  auto valuesFunction = [&](const Twine &name, function_ref<void()> emit) {
    OpBuilder::InsertionGuard guard(b);
    LLVM::LLVMFuncOp fn =
        function(name.str(), {ptr, ptr}, LLVM::Linkage::Internal);
    auto args = fn.getBody().front().getArguments();
    inBase = inputBase(args[0]);
    scratchBase = args[1];
    recordLoads();
    emit();
    insertPrefetches();
    b.create<LLVM::ReturnOp>(loc, ValueRange{});
    return fn;
  };
  SmallVector<LLVM::LLVMFuncOp> chunks;
  for (unsigned k = 0; k < partition.numChunks(); ++k)
    chunks.push_back(valuesFunction(abi::kGpuGatesFunction + Twine(k),
                                    [&] { emitChunk(k); }));
  // The GroupSum: in the gate functions and one count function after
  // them (what is left: outputs that are inputs or constants, the last
  // class), its planes in scratch (counting in code); or count functions
  // that read every output back from scratch.
  LLVM::LLVMFuncOp countTail;
  SmallVector<LLVM::LLVMFuncOp> counts;
  if (partition.countsInCode())
    countTail = valuesFunction(abi::kGpuCountFunction + Twine(0),
                               [&] { emitCountTail(0); });
  else
    counts = countFunctions(K);
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
    if (countTail) {
      b.create<LLVM::CallOp>(loc, countTail, ValueRange{inBase, scratchBase});
      // Each plane from its scratch slot into the planes array (the counts
      // a runtime may read back) as the argmax reads it, which reads each
      // once, a class at a time (loading all first kept them all live).
      argmax(
          [&](unsigned c, unsigned j) {
            Value plane = loadScratch(partition.countPlaneSlot(c, j));
            b.create<LLVM::StoreOp>(
                loc, plane, row64(planesBase, int64_t(c) * K + j), wordBytes());
            return plane;
          },
          args[3], t, K);
    } else {
      for (LLVM::LLVMFuncOp count : counts)
        b.create<LLVM::CallOp>(loc, count,
                               ValueRange{inBase, scratchBase, planesBase});
      argmax(planesBase, args[3], t, K);
    }
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

/// The thread kernel waits on its loads: ncu on 784-6x8000 found 96 % of
/// its warps' cycles stalled on a global load's scoreboard, at 16 warps a
/// multiprocessor (the register file's limit) and half the DRAM's
/// bandwidth. ptxas hoists a load only as far as the registers for its
/// value allow; a prefetch needs none, so a function can have `distance`
/// rows on their way from DRAM while it computes, and each load finds its
/// row in the L2 (or the L1). Every address is the array's base plus a
/// constant, so each prefetch is one instruction.
void NVVMLowering::insertPrefetches() {
  OpBuilder::InsertionGuard guard(b);
  const char *level = prefetchLevel == 1 ? "L1" : "L2";
  // The loads of one block in order: a prefetch goes before the load
  // `distance` earlier in its block (the first `distance` before the
  // block's first load).
  for (size_t i = 0, first = 0; i < rowLoads.size(); ++i) {
    if (rowLoads[i].load->getBlock() != rowLoads[first].load->getBlock())
      first = i;
    const RowLoad &row = rowLoads[i];
    size_t before = i - first < prefetchDistance ? first : i - prefetchDistance;
    b.setInsertionPoint(rowLoads[before].load);
    // The inputs' base is in the global space (ld.global.nc), the
    // scratch array's generic: prefetch takes either.
    auto type = cast<LLVM::LLVMPointerType>(row.base.getType());
    std::string text =
        (Twine("prefetch") + (type.getAddressSpace() == 1 ? ".global." : ".") +
         level + " [$0+" + Twine(row.offset) + "];")
            .str();
    b.create<LLVM::InlineAsmOp>(loc, TypeRange{}, ValueRange{row.base}, text,
                                "l", /*has_side_effects=*/true,
                                /*is_align_stack=*/false,
                                LLVM::AsmDialectAttr(), ArrayAttr());
  }
  rowLoads.clear();
  recordingLoads = false;
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
  header->addArgument(start.getType(), loc);
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
  // The carry, the majority of the three: one LOP3 a half, where the same
  // function in ANDs and ORs took ptxas two (6x8000's block kernel, two
  // words: its first reduction's loop 343 SASS instructions, 279 so).
  add(w + 1,
      l.lop3Adders ? l.lop3(p, q, r, kMajority) : l.o(l.a(p, q), l.a(pq, r)));
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

namespace {
struct ConvertLGNToNVVMPass
    : lgc::impl::ConvertLGNToNVVMBase<ConvertLGNToNVVMPass> {
  using ConvertLGNToNVVMBase::ConvertLGNToNVVMBase;

  void runOnOperation() override {
    auto lower = [&](NetOp net, OpBuilder &b) -> LogicalResult {
      if (failed(checkNoBlocks(net, "convert-lgn-to-nvvm")))
        return failure();
      // Counting in code and recomputing change only the thread kernel's
      // homes and slots; the block kernel reads the partition's order of
      // gates alone.
      bool threadKernel = !blockKernel || bothKernels;
      // Visiting outputs for locality serves the thread kernel's functions;
      // the block kernel keeps its values in shared memory, and its count's
      // reductions spread over the banks less well in that order (784-3x2000,
      // two words: 2.09 to 2.31 wavefronts an access).
      NetPartition partition(net, gatesPerFunction, registerWindow,
                             /*partGates=*/0, countInCode && threadKernel,
                             /*frameInputs=*/false,
                             threadKernel ? outputLocality : 0,
                             threadKernel ? rematDepth : 0, rematInputs);
      if (countRegisterColumns == 0)
        return net.emitError("count-register-columns must be at least 1");
      NVVMLowering lowering(net, b, partition, gatesPerFunction, hostMode);
      lowering.setCountRegisterColumns(countRegisterColumns);
      if (prefetchLevel != 1 && prefetchLevel != 2)
        return net.emitError("prefetch-level must be 1 (L1) or 2 (L2), not ")
               << unsigned(prefetchLevel);
      lowering.setPrefetch(prefetchDistance, prefetchLevel);
      lowering.setLop3Adders(lop3Adders);
      if (packTiledWords != 1 && packTiledWords != 2 && packTiledWords != 4)
        return net.emitError("pack-tiled-words must be 1, 2 or 4, not ")
               << unsigned(packTiledWords);
      lowering.setPackTiled(packTiled, packTiledWords);
      if (packBitsWords != 1 && packBitsWords != 4)
        return net.emitError("pack-bits-words must be 1 or 4, not ")
               << unsigned(packBitsWords);
      lowering.setPackBitsWords(packBitsWords);
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
        options.blockBalanceLevels = blockBalanceLevels;
        options.blockWordArgmax = blockWordArgmax;
        options.blockU8 = blockU8;
        options.blockU8Prefetch = blockU8Prefetch;
        options.blockTableShared = blockTableShared;
        options.blockRowsPrefetch = blockRowsPrefetch;
        options.blockPrefetch = blockPrefetch;
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
