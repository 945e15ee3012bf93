//===- LGNToNVVM.cpp - Lower lgn nets to GPU kernels (NVVM) ---------------===//
//
// Part of lgc. The GPU side of the gate-lowering skeleton: a value is one
// 64-bit word per thread, arrays are word-major (`x[k * words + t]`), and
// the per-thread body adds GroupSum and argmax; the kernels wrap it and the
// packing function with a global thread id and a bounds check.
//
//===----------------------------------------------------------------------===//

#include "lgc/Conversion/LGNToNVVM/LGNToNVVM.h"
#include "lgc/Runtime/GeneratedABI.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/BuiltinOps.h"

#include <deque>

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
               bool hostMode)
      : GateEmitter(b, net.getLoc(), partition), net(net), hostMode(hostMode) {
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
    return b.create<LLVM::LoadOp>(loc, i64, element(inArg, input), 8);
  }
  Value loadScratch(int64_t slot) override {
    return b.create<LLVM::LoadOp>(loc, i64, element(scratchArg, slot), 8);
  }
  void storeScratch(Value value, int64_t slot) override {
    b.create<LLVM::StoreOp>(loc, value, element(scratchArg, slot), 8);
  }

private:
  LLVM::LLVMFuncOp function(StringRef name, ArrayRef<Type> args,
                            LLVM::Linkage linkage);
  Value constI64(int64_t v) {
    return b.create<LLVM::ConstantOp>(loc, i64, b.getI64IntegerAttr(v));
  }
  /// &base[index * words + t] for 64-bit elements.
  Value element(Value base, int64_t index) {
    Value off = b.create<LLVM::AddOp>(
        loc, b.create<LLVM::MulOp>(loc, constI64(index), words), thread);
    return b.create<LLVM::GEPOp>(loc, ptr, i64, base, ValueRange{off});
  }
  /// A generic pointer to a device global.
  Value global(StringRef name) {
    Value p = b.create<LLVM::AddressOfOp>(
        loc, LLVM::LLVMPointerType::get(b.getContext(), globalSpace), name);
    return globalSpace
               ? b.create<LLVM::AddrSpaceCastOp>(loc, ptr, p).getResult()
               : p;
  }
  void globals(const EncodingTables &encoding);
  void counterAndArgmax(Value planes, Value classes, unsigned K);
  LLVM::LLVMFuncOp packFunction(const EncodingTables &encoding);
  void kernels(LLVM::LLVMFuncOp thread, LLVM::LLVMFuncOp pack);

  NetOp net;
  bool hostMode;
  Type i8, i32, i64, ptr, voidTy;
  unsigned globalSpace;
  Value inArg, scratchArg, words, thread;
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

void NVVMLowering::globals(const EncodingTables &encoding) {
  SmallVector<int32_t> thresholdU8;
  for (float t : encoding.thresholds)
    thresholdU8.push_back(int32_t(abi::byteThreshold(t)));
  createConstantArray(b, loc, abi::kShapeSymbol,
                      shapeTable(net, partition, encoding, /*vectorWords=*/1),
                      globalSpace);
  createConstantArray(b, loc, abi::kBitFeatureSymbol, encoding.features,
                      globalSpace);
  createConstantArray(b, loc, abi::kBitThresholdU8Symbol, thresholdU8,
                      globalSpace);
  b.create<LLVM::GlobalOp>(loc, b.getF64Type(), /*isConstant=*/true,
                           LLVM::Linkage::External, abi::kTauSymbol,
                           net.getTauAttr(), 0, globalSpace);
}

/// GroupSum as carry-save adder trees, then a running bit-sliced argmax;
/// the class of each of the thread's 64 samples is stored as a u32.
void NVVMLowering::counterAndArgmax(Value planes, Value classes, unsigned K) {
  auto outputs = net.getOutputOp().getBits();
  unsigned C = net.getClasses(), group = unsigned(outputs.size()) / C;
  auto x = [&](Value p, Value q) {
    return b.create<LLVM::XOrOp>(loc, p, q).getResult();
  };
  auto a = [&](Value p, Value q) {
    return b.create<LLVM::AndOp>(loc, p, q).getResult();
  };
  auto o = [&](Value p, Value q) {
    return b.create<LLVM::OrOp>(loc, p, q).getResult();
  };
  auto n = [&](Value p) { return x(p, ones()); };
  unsigned idxBits = 0;
  while ((1u << idxBits) < C)
    ++idxBits;
  SmallVector<Value> best, idx(idxBits, zeros());
  for (unsigned c = 0; c < C; ++c) {
    std::vector<std::deque<Value>> weights(K + 1);
    for (unsigned k = 0; k < group; ++k) {
      Value bit = outputs[c * group + k];
      std::optional<ValueHome> home = partition.home(bit);
      if (home && home->kind == ValueHome::Constant && home->index == 0)
        continue;
      weights[0].push_back(use(bit, /*at=*/0));
    }
    for (unsigned w = 0; w < K; ++w) {
      std::deque<Value> &col = weights[w];
      while (col.size() >= 2) {
        Value p = col.front();
        col.pop_front();
        Value q = col.front();
        col.pop_front();
        Value pq = x(p, q);
        if (!col.empty()) {
          Value r = col.front();
          col.pop_front();
          col.push_back(x(pq, r));
          weights[w + 1].push_back(o(a(p, q), a(pq, r)));
        } else {
          col.push_back(pq);
          weights[w + 1].push_back(a(p, q));
        }
      }
    }
    SmallVector<Value> count;
    for (unsigned j = 0; j < K; ++j) {
      Value plane = weights[j].empty() ? zeros() : weights[j].front();
      count.push_back(plane);
      b.create<LLVM::StoreOp>(loc, plane, element(planes, int64_t(c) * K + j),
                              8);
    }
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
  Value base = b.create<LLVM::MulOp>(loc, thread, constI64(64));
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

/// __lgc_gpu_pack_u8(x, n, in, words, gid): input bit gid / words of the 64
/// samples of word gid % words.
LLVM::LLVMFuncOp NVVMLowering::packFunction(const EncodingTables &encoding) {
  LLVM::LLVMFuncOp fn =
      function(abi::kGpuPackFunction, {ptr, i64, ptr, i64, i64},
               hostMode ? LLVM::Linkage::External : LLVM::Linkage::Internal);
  auto args = fn.getBody().front().getArguments();
  Value x = args[0], n = args[1], in = args[2], numWords = args[3],
        gid = args[4];
  Value i = b.create<LLVM::UDivOp>(loc, gid, numWords);
  Value t = b.create<LLVM::URemOp>(loc, gid, numWords);
  auto loadTable = [&](StringRef name) {
    Value p = b.create<LLVM::GEPOp>(loc, ptr, i32, global(name), ValueRange{i});
    return b.create<LLVM::ZExtOp>(loc, i64,
                                  b.create<LLVM::LoadOp>(loc, i32, p, 4));
  };
  Value feature = loadTable(abi::kBitFeatureSymbol);
  Value threshold = loadTable(abi::kBitThresholdU8Symbol);
  Value F = constI64(encoding.numFeatures);
  Value first = b.create<LLVM::MulOp>(loc, t, constI64(64));
  Value word = constI64(0);
  for (unsigned s = 0; s < 64; ++s) {
    Value sample = b.create<LLVM::AddOp>(loc, first, constI64(s));
    Value valid =
        b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::ult, sample, n);
    // Samples past n read sample 0 (always in bounds) and are masked off.
    Value safe = b.create<LLVM::SelectOp>(loc, valid, sample, constI64(0));
    Value offset = b.create<LLVM::AddOp>(
        loc, b.create<LLVM::MulOp>(loc, safe, F), feature);
    Value byte = b.create<LLVM::LoadOp>(
        loc, i8, b.create<LLVM::GEPOp>(loc, ptr, i8, x, ValueRange{offset}), 1);
    Value value = b.create<LLVM::ZExtOp>(loc, i64, byte);
    Value on = b.create<LLVM::AndOp>(
        loc, valid,
        b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::uge, value,
                               threshold));
    Value bit = b.create<LLVM::ShlOp>(loc, b.create<LLVM::ZExtOp>(loc, i64, on),
                                      constI64(s));
    word = b.create<LLVM::OrOp>(loc, word, bit);
  }
  Value at =
      b.create<LLVM::AddOp>(loc, b.create<LLVM::MulOp>(loc, i, numWords), t);
  b.create<LLVM::StoreOp>(
      loc, word, b.create<LLVM::GEPOp>(loc, ptr, i64, in, ValueRange{at}), 8);
  b.create<LLVM::ReturnOp>(loc, ValueRange{});
  return fn;
}

/// The kernels: a global thread id, a bounds check, the per-thread call.
void NVVMLowering::kernels(LLVM::LLVMFuncOp threadFn, LLVM::LLVMFuncOp packFn) {
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
  unsigned inputs = net.getNumInputs();
  kernel(
      abi::kPackKernel, {ptr, i64, ptr, i64},
      [&](auto args) {
        return b.create<LLVM::MulOp>(loc, args[3], constI64(inputs))
            .getResult();
      },
      [&](auto args, Value gid) {
        b.create<LLVM::CallOp>(
            loc, packFn, ValueRange{args[0], args[1], args[2], args[3], gid});
      });
  kernel(
      abi::kNetKernel, {ptr, ptr, ptr, ptr, i64},
      [&](auto args) { return args[4]; },
      [&](auto args, Value gid) {
        b.create<LLVM::CallOp>(
            loc, threadFn,
            ValueRange{args[0], args[1], args[2], args[3], args[4], gid});
      });
}

void NVVMLowering::run() {
  unsigned outputs = unsigned(net.getOutputOp().getBits().size());
  unsigned K = abi::planesForGroup(outputs / net.getClasses());
  EncodingTables encoding = encodingTables(net);
  globals(encoding);
  SmallVector<LLVM::LLVMFuncOp> chunks;
  for (unsigned k = 0; k < partition.numChunks(); ++k) {
    OpBuilder::InsertionGuard guard(b);
    LLVM::LLVMFuncOp fn =
        function((abi::kGpuGatesFunction + Twine(k)).str(),
                 {ptr, ptr, i64, i64}, LLVM::Linkage::Internal);
    auto args = fn.getBody().front().getArguments();
    inArg = args[0];
    scratchArg = args[1];
    words = args[2];
    thread = args[3];
    emitChunk(k);
    b.create<LLVM::ReturnOp>(loc, ValueRange{});
    chunks.push_back(fn);
  }
  LLVM::LLVMFuncOp threadFn;
  {
    OpBuilder::InsertionGuard guard(b);
    threadFn =
        function(abi::kGpuThreadFunction, {ptr, ptr, ptr, ptr, i64, i64},
                 hostMode ? LLVM::Linkage::External : LLVM::Linkage::Internal);
    auto args = threadFn.getBody().front().getArguments();
    inArg = args[0];
    scratchArg = args[1];
    words = args[4];
    thread = args[5];
    for (LLVM::LLVMFuncOp chunk : chunks)
      b.create<LLVM::CallOp>(loc, chunk,
                             ValueRange{inArg, scratchArg, words, thread});
    counterAndArgmax(args[2], args[3], K);
    b.create<LLVM::ReturnOp>(loc, ValueRange{});
  }
  LLVM::LLVMFuncOp packFn;
  {
    OpBuilder::InsertionGuard guard(b);
    packFn = packFunction(encoding);
  }
  if (!hostMode)
    kernels(threadFn, packFn);
}

namespace {
struct ConvertLGNToNVVMPass
    : lgc::impl::ConvertLGNToNVVMBase<ConvertLGNToNVVMPass> {
  using ConvertLGNToNVVMBase::ConvertLGNToNVVMBase;

  void runOnOperation() override {
    auto lower = [&](NetOp net, OpBuilder &b) -> LogicalResult {
      NetPartition partition(net, gatesPerFunction);
      NVVMLowering(net, b, partition, hostMode).run();
      return success();
    };
    if (failed(lowerOnlyNet(getOperation(), lower)))
      signalPassFailure();
  }
};
} // namespace
