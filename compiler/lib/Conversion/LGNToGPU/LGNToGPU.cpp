//===- LGNToGPU.cpp - Lower lgn nets to GPU kernels (NVVM) ----------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Conversion/LGNToGPU/LGNToGPU.h"
#include "lgc/Conversion/GateLowering.h"
#include "lgc/Dialect/LGN/LGNOps.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseMap.h"

#include <deque>

namespace lgc {
#define GEN_PASS_DEF_CONVERTLGNTONVVM
#include "lgc/Conversion/Passes.h.inc"
} // namespace lgc

using namespace mlir;
using namespace lgc;
using namespace lgc::lgn;

namespace {

class GPULowering {
public:
  GPULowering(NetOp net, OpBuilder &b, const LGNToGPUOptions &opts)
      : net(net), b(b), opts(opts), loc(net.getLoc()) {
    i1 = b.getI1Type();
    i8 = b.getI8Type();
    i32 = b.getI32Type();
    i64 = b.getI64Type();
    ptr = LLVM::LLVMPointerType::get(b.getContext());
    voidTy = LLVM::LLVMVoidType::get(b.getContext());
    // Device globals live in the global address space on NVPTX.
    globalSpace = opts.hostMode ? 0 : 1;
  }
  LogicalResult run();

private:
  struct Home {
    enum Kind { Input, Scratch, Constant } kind;
    int64_t index;
  };

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
  Value use(Value v);
  Value ones() {
    if (!onesCache)
      onesCache = constI64(-1);
    return onesCache;
  }
  Value zeros() {
    if (!zerosCache)
      zerosCache = constI64(0);
    return zerosCache;
  }
  /// A generic pointer to a device global.
  Value global(StringRef name) {
    Value p = b.create<LLVM::AddressOfOp>(
        loc, LLVM::LLVMPointerType::get(b.getContext(), globalSpace), name);
    return globalSpace
               ? b.create<LLVM::AddrSpaceCastOp>(loc, ptr, p).getResult()
               : p;
  }
  void globals(unsigned K, int64_t scratchSlots, unsigned gates);
  void counterAndArgmax(Value planes, Value classes, unsigned K);
  void packFunction();
  void kernels(LLVM::LLVMFuncOp thread, LLVM::LLVMFuncOp pack);

  NetOp net;
  OpBuilder &b;
  const LGNToGPUOptions &opts;
  Location loc;
  Type i1, i8, i32, i64, ptr, voidTy;
  unsigned globalSpace;
  llvm::DenseMap<Value, Home> homes;
  llvm::DenseMap<Value, Value> local;
  Value inArg, scratchArg, words, thread, onesCache, zerosCache;
};

} // namespace

LLVM::LLVMFuncOp GPULowering::function(StringRef name, ArrayRef<Type> args,
                                       LLVM::Linkage linkage) {
  auto fn = b.create<LLVM::LLVMFuncOp>(
      loc, name, LLVM::LLVMFunctionType::get(voidTy, args), linkage);
  fn.setPassthroughAttr(b.getArrayAttr({b.getStringAttr("nounwind")}));
  b.setInsertionPointToStart(fn.addEntryBlock(b));
  local.clear();
  onesCache = zerosCache = Value();
  return fn;
}

Value GPULowering::use(Value v) {
  if (auto it = local.find(v); it != local.end())
    return it->second;
  Home home = homes.lookup(v);
  Value result;
  if (home.kind == Home::Constant)
    result = home.index ? ones() : zeros();
  else
    result = b.create<LLVM::LoadOp>(
        loc, i64,
        element(home.kind == Home::Input ? inArg : scratchArg, home.index), 8);
  local[v] = result;
  return result;
}

void GPULowering::globals(unsigned K, int64_t scratchSlots, unsigned gates) {
  EncodingTables enc = encodingTables(net);
  unsigned inputs = net.getNumInputs();
  SmallVector<int32_t> thresholdU8;
  for (float t : enc.thresholds) {
    // The smallest 8-bit v with v / 255.0f > t, as the CPU path computes it.
    int32_t T = 256;
    for (int v = 0; v < 256; ++v)
      if (float(v) / 255.0f > t) {
        T = v;
        break;
      }
    thresholdU8.push_back(T);
  }
  auto outputs = net.getOutputOp().getBits();
  SmallVector<int32_t> shape = {int32_t(inputs),
                                int32_t(enc.numFeatures),
                                int32_t(net.getClasses()),
                                int32_t(outputs.size()),
                                int32_t(gates),
                                int32_t(K),
                                int32_t(scratchSlots),
                                0,
                                0,
                                0};
  auto array = [&](StringRef name, Type elem, ArrayRef<int32_t> values) {
    auto tensor = RankedTensorType::get({int64_t(values.size())}, elem);
    b.create<LLVM::GlobalOp>(loc, LLVM::LLVMArrayType::get(elem, values.size()),
                             /*isConstant=*/true, LLVM::Linkage::External, name,
                             DenseIntElementsAttr::get(tensor, values), 0,
                             globalSpace);
  };
  array("__lgc_gen_shape", i32, shape);
  array("__lgc_gen_bit_feature", i32, enc.features);
  array("__lgc_gen_bit_threshold_u8", i32, thresholdU8);
  b.create<LLVM::GlobalOp>(loc, b.getF64Type(), /*isConstant=*/true,
                           LLVM::Linkage::External, "__lgc_gen_tau",
                           net.getTauAttr(), 0, globalSpace);
}

/// GroupSum as carry-save adder trees, then a running bit-sliced argmax;
/// the class of each of the thread's 64 samples is stored as a u32.
void GPULowering::counterAndArgmax(Value planes, Value classes, unsigned K) {
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
      Home home = homes.lookup(bit);
      if (home.kind == Home::Constant && home.index == 0)
        continue;
      weights[0].push_back(use(bit));
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
void GPULowering::packFunction() {
  LLVM::LLVMFuncOp fn = function("__lgc_gpu_pack_u8", {ptr, i64, ptr, i64, i64},
                                 opts.hostMode ? LLVM::Linkage::External
                                               : LLVM::Linkage::Internal);
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
  Value feature = loadTable("__lgc_gen_bit_feature");
  Value threshold = loadTable("__lgc_gen_bit_threshold_u8");
  Value F = constI64(encodingTables(net).numFeatures);
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
}

/// The kernels: a global thread id, a bounds check, the per-thread call.
void GPULowering::kernels(LLVM::LLVMFuncOp threadFn, LLVM::LLVMFuncOp packFn) {
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
      "lgc_pack_u8", {ptr, i64, ptr, i64},
      [&](auto args) {
        return b.create<LLVM::MulOp>(loc, args[3], constI64(inputs))
            .getResult();
      },
      [&](auto args, Value gid) {
        b.create<LLVM::CallOp>(
            loc, packFn, ValueRange{args[0], args[1], args[2], args[3], gid});
      });
  kernel(
      "lgc_net", {ptr, ptr, ptr, ptr, i64}, [&](auto args) { return args[4]; },
      [&](auto args, Value gid) {
        b.create<LLVM::CallOp>(
            loc, threadFn,
            ValueRange{args[0], args[1], args[2], args[3], args[4], gid});
      });
}

LogicalResult GPULowering::run() {
  Block &body = net.getBodyBlock();
  auto outputs = net.getOutputOp().getBits();
  unsigned group = unsigned(outputs.size()) / net.getClasses();
  unsigned K = 0;
  while ((1u << K) <= group)
    ++K;
  for (BlockArgument arg : body.getArguments())
    homes[arg] = Home{Home::Input, arg.getArgNumber()};
  for (ConstantOp c : body.getOps<ConstantOp>())
    homes[c.getResult()] = Home{Home::Constant, c.getValue() ? 1 : 0};
  std::vector<GateOp> order = liveGatesDepthFirst(net);
  unsigned per = std::max(1u, opts.gatesPerFunction);
  llvm::DenseMap<Operation *, unsigned> chunkOf;
  for (size_t k = 0; k < order.size(); ++k)
    chunkOf[order[k]] = unsigned(k / per);
  int64_t slots = 0;
  for (GateOp gate : order) {
    bool crosses = false;
    for (Operation *user : gate->getUsers())
      crosses |= isa<OutputOp>(user) || chunkOf.lookup(user) != chunkOf[gate];
    if (crosses)
      homes[gate.getResult()] = Home{Home::Scratch, slots++};
  }

  ModuleOp module = net->getParentOfType<ModuleOp>();
  b.setInsertionPointToEnd(module.getBody());
  globals(K, slots, unsigned(order.size()));
  SmallVector<LLVM::LLVMFuncOp> chunks;
  for (size_t first = 0; first < order.size(); first += per) {
    OpBuilder::InsertionGuard guard(b);
    LLVM::LLVMFuncOp fn =
        function(("__lgc_gpu_gates_" + Twine(chunks.size())).str(),
                 {ptr, ptr, i64, i64}, LLVM::Linkage::Internal);
    auto args = fn.getBody().front().getArguments();
    inArg = args[0];
    scratchArg = args[1];
    words = args[2];
    thread = args[3];
    for (size_t k = first; k < std::min(order.size(), first + per); ++k) {
      GateOp gate = order[k];
      Value result = lowerGateOp(
          b, loc, gate.getKind(), use(gate.getLhs()), use(gate.getRhs()),
          [&] { return ones(); }, [&] { return zeros(); });
      local[gate.getResult()] = result;
      if (homes.count(gate.getResult()))
        b.create<LLVM::StoreOp>(
            loc, result, element(scratchArg, homes[gate.getResult()].index), 8);
    }
    b.create<LLVM::ReturnOp>(loc, ValueRange{});
    chunks.push_back(fn);
  }
  LLVM::LLVMFuncOp threadFn;
  {
    OpBuilder::InsertionGuard guard(b);
    threadFn = function("__lgc_gpu_thread", {ptr, ptr, ptr, ptr, i64, i64},
                        opts.hostMode ? LLVM::Linkage::External
                                      : LLVM::Linkage::Internal);
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
    packFunction();
    packFn = cast<LLVM::LLVMFuncOp>(module.lookupSymbol("__lgc_gpu_pack_u8"));
  }
  if (!opts.hostMode)
    kernels(threadFn, packFn);
  return success();
}

namespace {
struct NetToGPULowering : OpConversionPattern<NetOp> {
  NetToGPULowering(MLIRContext *ctx, const LGNToGPUOptions &opts)
      : OpConversionPattern(ctx), opts(opts) {}
  LogicalResult
  matchAndRewrite(NetOp net, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    OpBuilder builder(net.getContext());
    if (failed(GPULowering(net, builder, opts).run()))
      return failure();
    rewriter.eraseOp(net);
    return success();
  }
  LGNToGPUOptions opts;
};

struct ConvertLGNToNVVMPass
    : lgc::impl::ConvertLGNToNVVMBase<ConvertLGNToNVVMPass> {
  using ConvertLGNToNVVMBase::ConvertLGNToNVVMBase;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    unsigned nets = 0;
    for (auto net : module.getOps<NetOp>())
      if (++nets > 1) {
        net.emitOpError(
            "is the second net in this module; lower one net per module");
        return signalPassFailure();
      }
    LGNToGPUOptions opts;
    opts.gatesPerFunction = gatesPerFunction;
    opts.hostMode = hostMode;
    RewritePatternSet patterns(&getContext());
    populateLGNToGPUConversionPatterns(patterns, opts);
    ConversionTarget target(getContext());
    target.addLegalDialect<LLVM::LLVMDialect, NVVM::NVVMDialect>();
    target.addIllegalDialect<LGNDialect>();
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

void lgc::populateLGNToGPUConversionPatterns(RewritePatternSet &patterns,
                                             const LGNToGPUOptions &options) {
  patterns.add<NetToGPULowering>(patterns.getContext(), options);
}
