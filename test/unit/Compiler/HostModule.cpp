//===- HostModule.cpp - GPU kernels compiled for the host -----------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "HostModule.h"

#include "lgc/Compiler/Driver.h"
#include "lgc/Compiler/LGNImportExport.h"
#include "lgc/Conversion/Passes.h"
#include "lgc/Dialect/LGN/Passes.h"
#include "lgc/Runtime/GeneratedABI.h"
#include "lgc/Target/CPU/CPUTarget.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

#include <fstream>

using namespace lgc;

namespace lgc::test {

bool buildHostModeLibrary(
    const Net &net, unsigned gatesPerFunction, unsigned window,
    const std::string &so, const BlockOptions *block, unsigned threadBits,
    llvm::function_ref<void(std::vector<int32_t> &)> editShape,
    unsigned countColumns, unsigned rematDepth, PackOptions pack,
    llvm::ArrayRef<GlobalEdit> editGlobals) {
  mlir::MLIRContext context;
  context.disableMultithreading();
  auto module = importNet(net, &context);
  mlir::PassManager pm(&context);
  lgn::buildDefaultPipeline(pm, lgn::PipelineOptions());
  if (mlir::failed(pm.run(*module)))
    return false;
  mlir::PassManager lower(&context);
  ConvertLGNToNVVMOptions lowering;
  lowering.gatesPerFunction = gatesPerFunction;
  lowering.registerWindow = window;
  lowering.hostMode = true;
  lowering.threadWordBits = threadBits;
  lowering.countInCode = countColumns > 0;
  lowering.rematDepth = rematDepth;
  lowering.packTiled = pack.tiledWords > 0;
  if (pack.tiledWords)
    lowering.packTiledWords = pack.tiledWords;
  lowering.packBitsWords = pack.bitsWords;
  if (countColumns)
    lowering.countRegisterColumns = countColumns;
  if (block) {
    lowering.blockKernel = true;
    lowering.blockWords = block->words;
    if (block->threads)
      lowering.blockThreads = block->threads;
    if (block->unroll)
      lowering.blockUnroll = block->unroll;
    lowering.blockInterleaveWords = block->interleave;
    lowering.bothKernels = block->bothKernels;
    lowering.blockWordArgmax = block->wordArgmax;
    lowering.blockWordBits = block->wordBits;
    lowering.blockFuseGates = block->fuse;
    lowering.blockThreadRuns = block->threadRuns;
    lowering.blockSpreadBanks = !block->noBankSpread;
    lowering.blockPrefetch = !block->noPrefetch;
    lowering.blockBalanceLevels = !block->noBalance;
    lowering.blockU8Prefetch = block->u8Prefetch;
    lowering.blockTableShared = block->tableShared;
    lowering.blockRowsPrefetch = block->rowsPrefetch;
    if (block->sharedLimit)
      lowering.blockSharedLimit = lowering.blockSharedTarget =
          block->sharedLimit;
  }
  lower.addPass(createConvertLGNToNVVM(lowering));
  if (mlir::failed(lower.run(*module)))
    return false;
  if (editShape) {
    auto global =
        module->lookupSymbol<mlir::LLVM::GlobalOp>(lgc::abi::kShapeSymbol);
    auto values = llvm::dyn_cast_or_null<mlir::DenseIntElementsAttr>(
        global.getValueOrNull());
    if (!values)
      return false;
    std::vector<int32_t> slots(values.getValues<int32_t>().begin(),
                               values.getValues<int32_t>().end());
    editShape(slots);
    global.setValueAttr(mlir::DenseIntElementsAttr::get(
        values.getType(), llvm::ArrayRef<int32_t>(slots)));
  }
  mlir::Location loc = module->getLoc();
  for (const GlobalEdit &edit : editGlobals) {
    if (auto old = module->lookupSymbol<mlir::LLVM::GlobalOp>(edit.name))
      old.erase();
    mlir::OpBuilder b = mlir::OpBuilder::atBlockEnd(module->getBody());
    createConstantArray(b, loc, edit.name, llvm::ArrayRef(edit.values));
  }
  std::string object;
  auto tm = createCPUTargetMachine(CPUTargetOptions(), loc);
  if (!tm)
    return false;
  llvm::LLVMContext llvmContext;
  auto llvmModule = translateToLLVMIR(*module, llvmContext, *tm);
  return llvmModule &&
         mlir::succeeded(
             emitMachineCode(*llvmModule, *tm, false, object, loc)) &&
         mlir::succeeded(linkSharedLibrary(object, so, "", loc, "__lgc_*"));
}

bool buildHostModule(const Net &net, unsigned gatesPerFunction, unsigned window,
                     const std::string &so, const std::string &module,
                     const BlockOptions *block, unsigned threadBits,
                     unsigned countColumns, unsigned rematDepth,
                     PackOptions pack) {
  if (!buildHostModeLibrary(net, gatesPerFunction, window, so, block,
                            threadBits, nullptr, countColumns, rematDepth,
                            pack))
    return false;
  return writeHostModuleFile(module, so);
}

bool writeHostModuleFile(const std::string &module, const std::string &so) {
  std::ofstream os(module);
  os << "lgc-host-module:" << so;
  return bool(os);
}

} // namespace lgc::test
