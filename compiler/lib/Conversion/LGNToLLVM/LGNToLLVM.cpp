//===- LGNToLLVM.cpp - Lower lgn nets to bit-sliced LLVM code -------------===//
//
// Part of lgc. The CPU side of the gate-lowering skeleton: values are
// vectors of vector-words 64-bit words (in 32-bit lanes), inputs and cut
// values are loaded from and stored to the `in` and `scratch` arguments of
// each function.
//
//===----------------------------------------------------------------------===//

#include "lgc/Conversion/LGNToLLVM/LGNToLLVM.h"
#include "lgc/Runtime/GeneratedABI.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"

namespace lgc {
#define GEN_PASS_DEF_CONVERTLGNTOLLVM
#include "lgc/Conversion/Passes.h.inc"
} // namespace lgc

using namespace mlir;
using namespace lgc;
using namespace lgc::lgn;

namespace {

/// Gate functions over vectors: `void f(ptr in, ptr scratch)`.
class CPUGateEmitter : public GateEmitter {
public:
  CPUGateEmitter(OpBuilder &b, Location loc, const NetPartition &partition,
                 unsigned vectorWords, bool ternaryLogic)
      : GateEmitter(b, loc, partition), vectorWords(vectorWords),
        ternaryLogic(ternaryLogic) {
    // A value is vectorWords 64-bit words in 32-bit lanes (bits are bits;
    // the memory layout is the same), one 64-bit lane for a single word.
    // In 64-bit lanes the NOTs' all-ones <4 x i64> constant made x86's
    // second DAG combine superlinear in a function's size: a 4,000-gate
    // AVX2 function's "DAG Combining 2" took 1.10 s in 64-bit lanes and
    // 0.25 s in 32-bit ones, for the same machine code (llc -O2).
    int64_t lanes = vectorWords == 1 ? 1 : 2 * vectorWords;
    laneType = vectorWords == 1 ? b.getI64Type() : b.getI32Type();
    vecTy = VectorType::get({lanes}, laneType);
    ptrTy = LLVM::LLVMPointerType::get(b.getContext());
    voidTy = LLVM::LLVMVoidType::get(b.getContext());
    align = 8 * vectorWords;
  }

  /// Creates `void name(ptr in, ptr scratch)` and moves into its body.
  LLVM::LLVMFuncOp createFunction(StringRef name, LLVM::Linkage linkage);

protected:
  /// With ternary logic each gate is one vpternlogd. LLVM's own fusion of
  /// and/or/xor/not into vpternlog needs its DAG combiner, the bulk of code
  /// generation time; the intrinsic leaves it nothing to do.
  bool hasTernary() const override { return ternaryLogic; }
  Value ternary(unsigned table, Value a, Value b2, Value c) override {
    Value imm = b.create<LLVM::ConstantOp>(loc, b.getI32Type(),
                                           b.getI32IntegerAttr(table));
    return b
        .create<LLVM::CallIntrinsicOp>(
            loc, vecTy,
            // 32-bit lanes (ternary logic needs two words or more).
            ("llvm.x86.avx512.pternlog.d." + Twine(64 * vectorWords)).str(),
            ValueRange{a, b2, c, imm})
        .getResult(0);
  }
  Value constant(bool one) override {
    return b.create<LLVM::ConstantOp>(
        loc, vecTy,
        DenseElementsAttr::get(
            cast<ShapedType>(vecTy),
            b.getIntegerAttr(laneType, one ? -1 : 0).getValue()));
  }
  /// Inputs are constant while the net is evaluated: as invariant loads
  /// they are not ordered after the stores to scratch, which spares the code
  /// generator's memory-dependence work (code generation 22 % faster on a
  /// 6x64000 net). No IR optimiser ever sees a caller that refills `in`
  /// between evaluations (the support library calls __lgc_gen_eval through
  /// its symbol from another object), so the invariance cannot be used
  /// across evaluations.
  Value loadInput(int64_t input) override {
    auto op = b.create<LLVM::LoadOp>(loc, vecTy, element(inArg, input), align);
    op.setInvariant(true);
    return op;
  }
  Value loadScratch(int64_t slot) override { return load(scratchArg, slot); }
  void storeScratch(Value value, int64_t slot) override {
    b.create<LLVM::StoreOp>(loc, value, element(scratchArg, slot), align);
  }

private:
  Value element(Value base, int64_t index) {
    return b.create<LLVM::GEPOp>(loc, ptrTy, vecTy, base,
                                 ArrayRef<LLVM::GEPArg>{int32_t(index)});
  }
  Value load(Value base, int64_t index) {
    return b.create<LLVM::LoadOp>(loc, vecTy, element(base, index), align);
  }

  unsigned vectorWords;
  bool ternaryLogic;
  Type laneType, vecTy, ptrTy, voidTy;
  unsigned align;
  Value inArg, scratchArg;
};

} // namespace

LLVM::LLVMFuncOp CPUGateEmitter::createFunction(StringRef name,
                                                LLVM::Linkage linkage) {
  auto fn = b.create<LLVM::LLVMFuncOp>(
      loc, name, LLVM::LLVMFunctionType::get(voidTy, {ptrTy, ptrTy}), linkage);
  // Explicit 512-bit types must stay 512-bit even where the CPU model
  // prefers 256-bit vectors for auto-vectorisation.
  MLIRContext *ctx = b.getContext();
  std::string width = std::to_string(64 * vectorWords);
  fn.setPassthroughAttr(b.getArrayAttr(
      {StringAttr::get(ctx, "nounwind"),
       b.getArrayAttr({StringAttr::get(ctx, "min-legal-vector-width"),
                       StringAttr::get(ctx, width)}),
       b.getArrayAttr({StringAttr::get(ctx, "prefer-vector-width"),
                       StringAttr::get(ctx, width)})}));
  // `in` and `scratch` are separate buffers.
  fn.setArgAttr(0, LLVM::LLVMDialect::getNoAliasAttrName(), b.getUnitAttr());
  fn.setArgAttr(1, LLVM::LLVMDialect::getNoAliasAttrName(), b.getUnitAttr());
  Block *entry = fn.addEntryBlock(b);
  b.setInsertionPointToStart(entry);
  beginFunction();
  inArg = entry->getArgument(0);
  scratchArg = entry->getArgument(1);
  return fn;
}

/// Appends the CPU code of `net` at `b`'s insertion point.
static void lowerNet(NetOp net, OpBuilder &b, unsigned vectorWords,
                     unsigned gatesPerFunction, unsigned registerWindow,
                     bool ternaryLogic, unsigned outputLocality) {
  Location loc = net.getLoc();
  NetPartition partition(net, gatesPerFunction, registerWindow,
                         /*partGates=*/0, /*countInCode=*/false,
                         /*frameInputs=*/false, outputLocality);
  CPUGateEmitter emitter(b, loc, partition, vectorWords, ternaryLogic);

  SmallVector<LLVM::LLVMFuncOp> chunks;
  for (unsigned k = 0; k < partition.numChunks(); ++k) {
    OpBuilder::InsertionGuard guard(b);
    chunks.push_back(emitter.createFunction(
        (abi::kCpuGatesFunction + Twine(k)).str(), LLVM::Linkage::Internal));
    emitter.emitChunk(k);
    b.create<LLVM::ReturnOp>(loc, ValueRange{});
  }
  {
    OpBuilder::InsertionGuard guard(b);
    LLVM::LLVMFuncOp eval =
        emitter.createFunction(abi::kEvalSymbol, LLVM::Linkage::External);
    ValueRange args = eval.getBody().front().getArguments();
    for (LLVM::LLVMFuncOp chunk : chunks)
      b.create<LLVM::CallOp>(loc, chunk, args);
    b.create<LLVM::ReturnOp>(loc, ValueRange{});
  }

  EncodingTables encoding = encodingTables(net);
  createConstantArray(b, loc, abi::kOutputsSymbol,
                      outputHomeTable(net, partition));
  createConstantArray(b, loc, abi::kShapeSymbol,
                      shapeTable(net, partition, encoding, vectorWords));
  createConstantArray(b, loc, abi::kBitFeatureSymbol, encoding.features);
  createConstantArray(b, loc, abi::kBitThresholdSymbol, encoding.thresholds);
  b.create<LLVM::GlobalOp>(loc, b.getF64Type(), /*isConstant=*/true,
                           LLVM::Linkage::External, abi::kTauSymbol,
                           net.getTauAttr());
}

namespace {
struct ConvertLGNToLLVMPass
    : lgc::impl::ConvertLGNToLLVMBase<ConvertLGNToLLVMPass> {
  using ConvertLGNToLLVMBase::ConvertLGNToLLVMBase;

  void runOnOperation() override {
    auto lower = [&](NetOp net, OpBuilder &b) -> LogicalResult {
      if (vectorWords == 0 || vectorWords > 8 ||
          (vectorWords & (vectorWords - 1)))
        return net.emitOpError("cannot be lowered with ")
               << unsigned(vectorWords) << " words per vector (1, 2, 4 or 8)";
      if (ternaryLogic && vectorWords < 2)
        return net.emitOpError("ternary logic needs vectors of 2, 4 or 8 "
                               "words (128 to 512 bits)");
      if (failed(checkNoBlocks(net, "convert-lgn-to-llvm")))
        return failure();
      lowerNet(net, b, vectorWords, gatesPerFunction, registerWindow,
               ternaryLogic, outputLocality);
      return success();
    };
    if (failed(lowerOnlyNet(getOperation(), lower)))
      signalPassFailure();
  }
};
} // namespace
