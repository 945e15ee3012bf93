//===- LGNToLLVM.cpp - Lower lgn nets to bit-sliced LLVM code -------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Conversion/LGNToLLVM/LGNToLLVM.h"
#include "lgc/Conversion/GateLowering.h"
#include "lgc/Dialect/LGN/LGNOps.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

namespace lgc {
#define GEN_PASS_DEF_CONVERTLGNTOLLVM
#include "lgc/Conversion/Passes.h.inc"
} // namespace lgc

using namespace mlir;
using namespace lgc;
using namespace lgc::lgn;

namespace {

/// Builds the LLVM functions for one net.
class NetLowering {
public:
  NetLowering(NetOp net, OpBuilder &builder, const LGNToLLVMOptions &opts)
      : net(net), b(builder), opts(opts), loc(net.getLoc()) {
    MLIRContext *ctx = net.getContext();
    i64 = b.getI64Type();
    vecTy = VectorType::get({int64_t(opts.vectorWords)}, i64);
    ptrTy = LLVM::LLVMPointerType::get(ctx);
    voidTy = LLVM::LLVMVoidType::get(ctx);
    align = 8 * opts.vectorWords;
  }

  LogicalResult run();

private:
  /// Where a value lives outside the function that defines it.
  struct Home {
    enum Kind { Input, Scratch, Constant } kind;
    int32_t index; // input number, scratch slot, or the constant bit
  };

  LLVM::LLVMFuncOp createFunction(StringRef name, unsigned numPtrArgs,
                                  LLVM::Linkage linkage);
  /// The value of `v` inside the function being built: from the SSA map,
  /// or loaded from its home (once per function).
  Value use(Value v);
  Value load(Value base, int32_t index);
  void store(Value value, Value base, int32_t index);
  Value allOnes();
  Value zeros();
  void createGlobals(unsigned planesPerClass, unsigned scratchWords,
                     unsigned gateCount);

  NetOp net;
  OpBuilder &b;
  const LGNToLLVMOptions &opts;
  Location loc;
  Type i64, vecTy, ptrTy, voidTy;
  unsigned align;

  llvm::DenseMap<Value, Home> homes;
  // Per function being built.
  llvm::DenseMap<Value, Value> local;
  Value inArg, scratchArg;
  Value onesCache, zerosCache;
};

} // namespace

LLVM::LLVMFuncOp NetLowering::createFunction(StringRef name,
                                             unsigned numPtrArgs,
                                             LLVM::Linkage linkage) {
  SmallVector<Type> args(numPtrArgs, ptrTy);
  auto fn = b.create<LLVM::LLVMFuncOp>(
      loc, name, LLVM::LLVMFunctionType::get(voidTy, args), linkage);
  // Explicit 512-bit types must stay 512-bit even where the CPU model
  // prefers 256-bit vectors for auto-vectorisation.
  MLIRContext *ctx = b.getContext();
  std::string width = std::to_string(64 * opts.vectorWords);
  fn.setPassthroughAttr(b.getArrayAttr(
      {StringAttr::get(ctx, "nounwind"),
       b.getArrayAttr({StringAttr::get(ctx, "min-legal-vector-width"),
                       StringAttr::get(ctx, width)}),
       b.getArrayAttr({StringAttr::get(ctx, "prefer-vector-width"),
                       StringAttr::get(ctx, width)})}));
  Block *entry = fn.addEntryBlock(b);
  b.setInsertionPointToStart(entry);
  local.clear();
  onesCache = zerosCache = Value();
  inArg = entry->getArgument(0);
  scratchArg = entry->getArgument(1);
  return fn;
}

Value NetLowering::load(Value base, int32_t index) {
  Value ptr = b.create<LLVM::GEPOp>(loc, ptrTy, vecTy, base,
                                    ArrayRef<LLVM::GEPArg>{index});
  return b.create<LLVM::LoadOp>(loc, vecTy, ptr, align);
}

void NetLowering::store(Value value, Value base, int32_t index) {
  Value ptr = b.create<LLVM::GEPOp>(loc, ptrTy, vecTy, base,
                                    ArrayRef<LLVM::GEPArg>{index});
  b.create<LLVM::StoreOp>(loc, value, ptr, align);
}

Value NetLowering::allOnes() {
  if (!onesCache)
    onesCache = b.create<LLVM::ConstantOp>(
        loc, vecTy,
        DenseElementsAttr::get(cast<ShapedType>(vecTy),
                               b.getI64IntegerAttr(-1).getValue()));
  return onesCache;
}

Value NetLowering::zeros() {
  if (!zerosCache)
    zerosCache = b.create<LLVM::ConstantOp>(
        loc, vecTy,
        DenseElementsAttr::get(cast<ShapedType>(vecTy),
                               b.getI64IntegerAttr(0).getValue()));
  return zerosCache;
}

Value NetLowering::use(Value v) {
  if (auto it = local.find(v); it != local.end())
    return it->second;
  Home home = homes.lookup(v);
  Value result;
  switch (home.kind) {
  case Home::Input:
    result = load(inArg, home.index);
    break;
  case Home::Scratch:
    result = load(scratchArg, home.index);
    break;
  case Home::Constant:
    result = home.index ? allOnes() : zeros();
    break;
  }
  local[v] = result;
  return result;
}

void NetLowering::createGlobals(unsigned planesPerClass, unsigned scratchWords,
                                unsigned gateCount) {
  MLIRContext *ctx = b.getContext();
  Type i32 = b.getI32Type();
  unsigned inputs = net.getNumInputs();
  EncodingTables enc = encodingTables(net);
  const SmallVector<int32_t> &features = enc.features;
  const SmallVector<float> &thresholds = enc.thresholds;
  uint32_t numFeatures = enc.numFeatures;
  bool thermometer = enc.thermometer;
  const SmallVector<float> &levels = enc.levels;
  auto outputs = net.getOutputOp().getBits();
  SmallVector<int32_t> shape = {int32_t(inputs),
                                int32_t(numFeatures),
                                int32_t(net.getClasses()),
                                int32_t(outputs.size()),
                                int32_t(gateCount),
                                int32_t(opts.vectorWords),
                                int32_t(planesPerClass),
                                int32_t(scratchWords),
                                int32_t(thermometer ? levels.size() : 0),
                                int32_t(thermometer ? 1 : 0)};
  auto arrayGlobal = [&](StringRef name, Type elem, Attribute value,
                         size_t size) {
    b.create<LLVM::GlobalOp>(loc, LLVM::LLVMArrayType::get(elem, size),
                             /*isConstant=*/true, LLVM::Linkage::External, name,
                             value);
  };
  // Where each output bit lives: a scratch slot (>= 0), input i (-1 - i),
  // or a constant (kConstZero, kConstOne).
  SmallVector<int32_t> outputHomes;
  for (Value v : outputs) {
    Home home = homes.lookup(v);
    switch (home.kind) {
    case Home::Scratch:
      outputHomes.push_back(home.index);
      break;
    case Home::Input:
      outputHomes.push_back(-1 - home.index);
      break;
    case Home::Constant:
      outputHomes.push_back(home.index ? INT32_MIN + 1 : INT32_MIN);
      break;
    }
  }
  arrayGlobal("__lgc_gen_outputs", i32,
              DenseIntElementsAttr::get(
                  RankedTensorType::get({int64_t(outputHomes.size())}, i32),
                  outputHomes),
              outputHomes.size());
  arrayGlobal("__lgc_gen_shape", i32,
              DenseIntElementsAttr::get(
                  RankedTensorType::get({int64_t(shape.size())}, i32), shape),
              shape.size());
  arrayGlobal("__lgc_gen_bit_feature", i32,
              DenseIntElementsAttr::get(
                  RankedTensorType::get({int64_t(inputs)}, i32), features),
              inputs);
  arrayGlobal(
      "__lgc_gen_bit_threshold", b.getF32Type(),
      DenseFPElementsAttr::get(
          RankedTensorType::get({int64_t(inputs)}, b.getF32Type()), thresholds),
      inputs);
  b.create<LLVM::GlobalOp>(loc, Float64Type::get(ctx), /*isConstant=*/true,
                           LLVM::Linkage::External, "__lgc_gen_tau",
                           net.getTauAttr());
}

LogicalResult NetLowering::run() {
  Block &body = net.getBodyBlock();
  unsigned classes = net.getClasses();
  auto outputs = net.getOutputOp().getBits();
  unsigned group = outputs.size() / classes;
  if (opts.vectorWords == 0 || opts.vectorWords > 8 ||
      (opts.vectorWords & (opts.vectorWords - 1)))
    return net.emitOpError("cannot be lowered with ")
           << opts.vectorWords << " words per vector (1, 2, 4 or 8)";

  // Assign gates to functions in block order and give every value that
  // crosses a function boundary (or feeds an output) a home.
  for (BlockArgument arg : body.getArguments())
    homes[arg] = Home{Home::Input, int32_t(arg.getArgNumber())};
  for (ConstantOp c : body.getOps<ConstantOp>())
    homes[c.getResult()] = Home{Home::Constant, c.getValue() ? 1 : 0};
  // Gates in depth-first post-order from the outputs: each value is computed
  // close to its first use, which shortens live ranges (fewer spills) and
  // keeps the cut between functions small. Dead gates are not emitted.
  std::vector<GateOp> order = liveGatesDepthFirst(net);
  llvm::DenseMap<Operation *, unsigned> chunkOf;
  std::vector<std::vector<GateOp>> chunks;
  unsigned gateCount = 0;
  for (GateOp gate : order) {
    if (gateCount % std::max(1u, opts.gatesPerFunction) == 0)
      chunks.emplace_back();
    chunks.back().push_back(gate);
    chunkOf[gate] = unsigned(chunks.size() - 1);
    ++gateCount;
  }
  int32_t scratchSlots = 0;
  for (auto &chunk : chunks)
    for (GateOp gate : chunk) {
      bool crosses = false;
      for (Operation *user : gate->getUsers())
        crosses |= isa<OutputOp>(user) || chunkOf.lookup(user) != chunkOf[gate];
      if (crosses)
        homes[gate.getResult()] = Home{Home::Scratch, scratchSlots++};
    }

  ModuleOp module = net->getParentOfType<ModuleOp>();
  b.setInsertionPointToEnd(module.getBody());
  SmallVector<LLVM::LLVMFuncOp> callees;
  for (size_t k = 0; k < chunks.size(); ++k) {
    OpBuilder::InsertionGuard guard(b);
    callees.push_back(createFunction(("__lgc_gen_gates_" + Twine(k)).str(), 2,
                                     LLVM::Linkage::Internal));
    for (GateOp gate : chunks[k]) {
      Value result = lowerGateOp(
          b, loc, gate.getKind(), use(gate.getLhs()), use(gate.getRhs()),
          [&] { return allOnes(); }, [&] { return zeros(); });
      local[gate.getResult()] = result;
      Home home = homes.lookup(gate.getResult());
      if (homes.count(gate.getResult()) && home.kind == Home::Scratch)
        store(result, scratchArg, home.index);
    }
    b.create<LLVM::ReturnOp>(loc, ValueRange{});
  }
  unsigned planesPerClass = 0;
  while ((1u << planesPerClass) <= group)
    ++planesPerClass;
  {
    OpBuilder::InsertionGuard guard(b);
    LLVM::LLVMFuncOp eval =
        createFunction("__lgc_gen_eval", 2, LLVM::Linkage::External);
    auto args = eval.getBody().front().getArguments();
    for (LLVM::LLVMFuncOp callee : callees) {
      SmallVector<Value> operands(args.begin(),
                                  args.begin() + callee.getNumArguments());
      b.create<LLVM::CallOp>(loc, callee, operands);
    }
    b.create<LLVM::ReturnOp>(loc, ValueRange{});
  }
  createGlobals(planesPerClass, uint32_t(scratchSlots) * opts.vectorWords,
                gateCount);
  return success();
}

namespace {
struct NetOpLowering : OpConversionPattern<NetOp> {
  NetOpLowering(MLIRContext *ctx, const LGNToLLVMOptions &opts)
      : OpConversionPattern(ctx), opts(opts) {}

  LogicalResult
  matchAndRewrite(NetOp net, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    // The builder creates the functions at module level; the net and its
    // gates are erased as a whole.
    OpBuilder builder(net.getContext());
    if (failed(NetLowering(net, builder, opts).run()))
      return failure();
    rewriter.eraseOp(net);
    return success();
  }

  LGNToLLVMOptions opts;
};

struct ConvertLGNToLLVMPass
    : lgc::impl::ConvertLGNToLLVMBase<ConvertLGNToLLVMPass> {
  using ConvertLGNToLLVMBase::ConvertLGNToLLVMBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    unsigned nets = 0;
    for (auto net : module.getOps<NetOp>()) {
      if (vectorWords == 0 || vectorWords > 8 ||
          (vectorWords & (vectorWords - 1))) {
        net.emitOpError("cannot be lowered with ")
            << unsigned(vectorWords) << " words per vector (1, 2, 4 or 8)";
        return signalPassFailure();
      }
      if (++nets > 1) {
        net.emitOpError("is the second net in this module; lower one net "
                        "per module");
        return signalPassFailure();
      }
    }
    LGNToLLVMOptions opts;
    opts.vectorWords = vectorWords;
    opts.gatesPerFunction = gatesPerFunction;
    RewritePatternSet patterns(&getContext());
    populateLGNToLLVMConversionPatterns(patterns, opts);
    ConversionTarget target(getContext());
    target.addLegalDialect<LLVM::LLVMDialect>();
    target.addIllegalDialect<LGNDialect>();
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

void lgc::populateLGNToLLVMConversionPatterns(RewritePatternSet &patterns,
                                              const LGNToLLVMOptions &options) {
  patterns.add<NetOpLowering>(patterns.getContext(), options);
}

//===----------------------------------------------------------------------===//
// Shared with the GPU lowering
//===----------------------------------------------------------------------===//

Value lgc::lowerGateOp(OpBuilder &b, Location loc, GateKind kind, Value x,
                       Value y, llvm::function_ref<Value()> ones,
                       llvm::function_ref<Value()> zeros) {
  auto notV = [&](Value v) { return b.create<LLVM::XOrOp>(loc, v, ones()); };
  auto andV = [&](Value p, Value q) {
    return b.create<LLVM::AndOp>(loc, p, q);
  };
  auto orV = [&](Value p, Value q) { return b.create<LLVM::OrOp>(loc, p, q); };
  auto xorV = [&](Value p, Value q) {
    return b.create<LLVM::XOrOp>(loc, p, q);
  };
  switch (kind) {
  case GateKind::Zero:
    return zeros();
  case GateKind::And:
    return andV(x, y);
  case GateKind::NotImplies:
    return andV(x, notV(y));
  case GateKind::A:
    return x;
  case GateKind::NotImpliedBy:
    return andV(notV(x), y);
  case GateKind::B:
    return y;
  case GateKind::Xor:
    return xorV(x, y);
  case GateKind::Or:
    return orV(x, y);
  case GateKind::NotOr:
    return notV(orV(x, y));
  case GateKind::NotXor:
    return notV(xorV(x, y));
  case GateKind::NotB:
    return notV(y);
  case GateKind::ImpliedBy:
    return orV(x, notV(y));
  case GateKind::NotA:
    return notV(x);
  case GateKind::Implies:
    return orV(notV(x), y);
  case GateKind::NotAnd:
    return notV(andV(x, y));
  case GateKind::One:
    return ones();
  }
  llvm_unreachable("unknown gate kind");
}

std::vector<GateOp> lgc::liveGatesDepthFirst(NetOp net) {
  std::vector<GateOp> order;
  order.reserve(net.getBodyBlock().getOperations().size());
  llvm::DenseSet<Operation *> visited;
  SmallVector<std::pair<GateOp, unsigned>> stack;
  for (Value root : net.getOutputOp().getBits()) {
    auto gate = root.getDefiningOp<GateOp>();
    if (!gate || !visited.insert(gate).second)
      continue;
    stack.push_back({gate, 0});
    while (!stack.empty()) {
      auto &[g, next] = stack.back();
      if (next < 2) {
        Value operand = g->getOperand(next++);
        auto child = operand.getDefiningOp<GateOp>();
        if (child && visited.insert(child).second)
          stack.push_back({child, 0});
        continue;
      }
      order.push_back(g);
      stack.pop_back();
    }
  }
  return order;
}

EncodingTables lgc::encodingTables(NetOp net) {
  EncodingTables t;
  unsigned inputs = net.getNumInputs();
  t.numFeatures = inputs;
  if (auto bf = net.getBitFeatures()) {
    t.features.assign(bf->begin(), bf->end());
    t.thresholds.assign(net.getBitThresholds()->begin(),
                        net.getBitThresholds()->end());
    t.numFeatures = uint32_t(net.getFeaturesAttr().getInt());
  } else {
    for (unsigned i = 0; i < inputs; ++i) {
      t.features.push_back(int32_t(i));
      t.thresholds.push_back(0.5f);
    }
  }
  // Thermometer detection mirrors the .lgn writer's: bit j*F + f reads
  // feature f against threshold j.
  t.thermometer = inputs % t.numFeatures == 0;
  for (unsigned j = 0; t.thermometer && j < inputs / t.numFeatures; ++j) {
    float level = t.thresholds[j * t.numFeatures];
    for (unsigned f = 0; f < t.numFeatures && t.thermometer; ++f)
      t.thermometer = t.features[j * t.numFeatures + f] == int32_t(f) &&
                      t.thresholds[j * t.numFeatures + f] == level;
    t.levels.push_back(level);
  }
  if (!t.thermometer)
    t.levels.clear();
  return t;
}
