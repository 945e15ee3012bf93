//===- EmitLLVMIR.cpp - lgn nets straight to LLVM IR, in parallel ---------===//
//
// Part of lgc. The CPU hooks of the gate-lowering skeleton over LLVM IR
// values; mirrors CPUGateEmitter in Conversion/LGNToLLVM (types, alignment,
// attributes, invariant input loads, the vpternlogd intrinsic), which the
// tests compare it with.
//
//===----------------------------------------------------------------------===//

#include "lgc/Target/CPU/EmitLLVMIR.h"
#include "lgc/Conversion/GateLowering.h"
#include "lgc/Runtime/GeneratedABI.h"
#include "lgc/Target/CPU/CPUTarget.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/IntrinsicsX86.h"

using namespace lgc;
using lgc::lgn::NetOp;

namespace {

/// The tables every part-0 module holds, computed once.
struct NetTables {
  EncodingTables encoding;
  llvm::SmallVector<int32_t> outputs, shape;
  double tau;
};

/// Gate functions over vectors as LLVM IR: `void f(ptr in, ptr scratch)`.
class IRGateEmitter : public GateEmitterBase<llvm::Value *> {
public:
  IRGateEmitter(llvm::Module &module, const NetPartition &partition,
                const ConvertLGNToLLVMOptions &options)
      : GateEmitterBase(partition), module(module), b(module.getContext()),
        words(options.vectorWords), ternaryLogic(options.ternaryLogic) {
    llvm::LLVMContext &ctx = module.getContext();
    // 32-bit lanes, as in CPUGateEmitter (why: there).
    vecTy = words == 1 ? llvm::FixedVectorType::get(b.getInt64Ty(), 1)
                       : llvm::FixedVectorType::get(b.getInt32Ty(), 2 * words);
    ptrTy = llvm::PointerType::get(ctx, 0);
    fnTy = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptrTy, ptrTy},
                                   false);
    align = llvm::Align(8 * words);
    invariant = llvm::MDNode::get(ctx, {});
  }

  /// Declares `void name(ptr noalias in, ptr noalias scratch)` with the
  /// attributes of the conversion pass.
  llvm::Function *declare(llvm::StringRef name,
                          llvm::GlobalValue::LinkageTypes linkage) {
    llvm::Function *fn = llvm::Function::Create(fnTy, linkage, name, module);
    fn->addFnAttr(llvm::Attribute::NoUnwind);
    // Explicit 512-bit types must stay 512-bit even where the CPU model
    // prefers 256-bit vectors for auto-vectorisation.
    std::string width = std::to_string(64 * words);
    fn->addFnAttr("min-legal-vector-width", width);
    fn->addFnAttr("prefer-vector-width", width);
    fn->addParamAttr(0, llvm::Attribute::NoAlias);
    fn->addParamAttr(1, llvm::Attribute::NoAlias);
    return fn;
  }
  /// Starts the body of `fn`.
  void define(llvm::Function *fn) {
    b.SetInsertPoint(llvm::BasicBlock::Create(module.getContext(), "", fn));
    beginFunction();
    inArg = fn->getArg(0);
    scratchArg = fn->getArg(1);
  }
  llvm::IRBuilder<> &builder() { return b; }

  /// The body of a pool's function: the pool as loops over its positions
  /// (see BlockPlan), after copying its operands into their zero-framed
  /// image where the plan gathers them; for a pool placed in a frame, the
  /// frame's border. Convs have functions of their own (emitLayer).
  void emitPoolBlock(const BlockPlan &plan) {
    auto pool = llvm::cast<lgn::OrPoolOp>(plan.op);
    if (int64_t p = plan.framePadding)
      emitBorder(plan.outBase - p * plan.outRow - p, pool.getChannels(),
                 pool.getOutHeight(), pool.getOutWidth(), p, plan.outRow,
                 plan.outPlane);
    if (plan.fedByConvs)
      return; // its convs write its results
    if (plan.gathered)
      emitGather(plan);
    emitPool(pool, plan,
             plan.sourceKind == ValueHome::Input ? inArg : scratchArg);
  }

  /// Copies the operands into the plan's image and zeroes its border: a
  /// pool's function does it first; a conv's is a function of its own,
  /// ahead of its layer's loop.
  void emitGather(const BlockPlan &plan) {
    WindowGeometry g = windowGeometry(plan.op);
    int64_t C = g.channels, H = g.height, W = g.width, p = g.padding;
    int64_t Wp = plan.rowStride, plane = plan.planeStride,
            base = plan.sourceBase;
    emitBorder(base, C, H, W, p, Wp, plane);
    // One run of inputs or scratch slots in image order is copied by a
    // loop; anything else (a pool reading folded trees: inputs, constants
    // and conv results mixed) one value at a time.
    if (std::optional<ValueHome> first = partition.consecutiveHomes(g.inputs)) {
      llvm::Value *from = first->kind == ValueHome::Input ? inArg : scratchArg;
      loop(C, [&](llvm::Value *c) {
        loop(H, [&](llvm::Value *y) {
          llvm::Value *to = affine(base + p * Wp + p, plane, c, Wp, y);
          llvm::Value *src = affine(first->index, H * W, c, W, y);
          loop(W, [&](llvm::Value *x) {
            storeAt(loadAt(from, b.CreateAdd(src, x)), b.CreateAdd(to, x));
          });
        });
      });
      return;
    }
    for (size_t i = 0; i < g.inputs.size(); ++i) {
      int64_t c = int64_t(i) / (H * W), y = int64_t(i) / W % H,
              x = int64_t(i) % W;
      storeScratch(load(*partition.home(g.inputs[i])),
                   base + c * plane + (y + p) * Wp + x + p);
    }
  }

  /// The body of a layer's function: the convs `layer` (sameLayer accepts
  /// them) as one loop over their positions. Their image was made before
  /// (emitGather) or is the inputs or an earlier block's results:
  /// nothing in this function writes it, so its loads are invariant, as
  /// input loads are, and LLVM may reorder, merge or reload them.
  /// With more convs than `perLoop`, each output row runs the groups of
  /// `perLoop` convs one after the other, each group a loop over the row.
  void emitLayer(llvm::ArrayRef<const BlockPlan *> layer, unsigned perLoop) {
    const BlockPlan &plan = *layer.front();
    llvm::Value *src = plan.sourceKind == ValueHome::Input ? inArg : scratchArg;
    invariantSource = true;
    if (plan.poolPlan >= 0)
      emitConvsIntoPool(layer, perLoop, src);
    else
      emitConvs(layer, perLoop, src);
    invariantSource = false;
  }

protected:
  bool hasTernary() const override { return ternaryLogic; }
  llvm::Value *ternary(unsigned table, llvm::Value *x, llvm::Value *y,
                       llvm::Value *z) override {
    if (!ternFn) {
      llvm::Intrinsic::ID id =
          words == 2   ? llvm::Intrinsic::x86_avx512_pternlog_d_128
          : words == 4 ? llvm::Intrinsic::x86_avx512_pternlog_d_256
                       : llvm::Intrinsic::x86_avx512_pternlog_d_512;
      ternFn = llvm::Intrinsic::getDeclaration(&module, id);
    }
    return b.CreateCall(ternFn, {x, y, z, b.getInt32(table)});
  }
  llvm::Value *bitwise(lgn::GateKind kind, llvm::Value *x,
                       llvm::Value *y) override {
    struct {
      IRGateEmitter &e;
      llvm::Value *not_(llvm::Value *v) { return e.b.CreateXor(v, e.ones()); }
      llvm::Value *and_(llvm::Value *p, llvm::Value *q) {
        return e.b.CreateAnd(p, q);
      }
      llvm::Value *or_(llvm::Value *p, llvm::Value *q) {
        return e.b.CreateOr(p, q);
      }
      llvm::Value *xor_(llvm::Value *p, llvm::Value *q) {
        return e.b.CreateXor(p, q);
      }
      llvm::Value *ones() { return e.ones(); }
      llvm::Value *zeros() { return e.zeros(); }
    } ops{*this};
    return lowerGate(kind, x, y, ops);
  }
  llvm::Value *constant(bool one) override {
    return one ? llvm::Constant::getAllOnesValue(vecTy)
               : llvm::Constant::getNullValue(vecTy);
  }
  /// Invariant, as in the conversion pass (see CPUGateEmitter::loadInput).
  llvm::Value *loadInput(int64_t input) override {
    llvm::LoadInst *load =
        b.CreateAlignedLoad(vecTy, element(inArg, input), align);
    load->setMetadata(llvm::LLVMContext::MD_invariant_load, invariant);
    return load;
  }
  llvm::Value *loadScratch(int64_t slot) override {
    return b.CreateAlignedLoad(vecTy, element(scratchArg, slot), align);
  }
  void storeScratch(llvm::Value *value, int64_t slot) override {
    b.CreateAlignedStore(value, element(scratchArg, slot), align);
  }

private:
  llvm::Value *element(llvm::Value *base, int64_t index) {
    return b.CreateConstGEP1_32(vecTy, base, unsigned(index));
  }
  llvm::Value *element(llvm::Value *base, llvm::Value *index) {
    return b.CreateGEP(vecTy, base, index);
  }
  llvm::Value *i64(int64_t v) { return b.getInt64(uint64_t(v)); }
  /// base + a * i (+ b * j): an index into a vector array.
  llvm::Value *affine(int64_t base, int64_t a, llvm::Value *i, int64_t c = 0,
                      llvm::Value *j = nullptr) {
    llvm::Value *v = b.CreateAdd(i64(base), b.CreateMul(i64(a), i));
    return j ? b.CreateAdd(v, b.CreateMul(i64(c), j)) : v;
  }
  llvm::Value *loadAt(llvm::Value *base, llvm::Value *index) {
    llvm::LoadInst *load =
        b.CreateAlignedLoad(vecTy, element(base, index), align);
    if (base == inArg || invariantSource)
      load->setMetadata(llvm::LLVMContext::MD_invariant_load, invariant);
    return load;
  }
  void storeAt(llvm::Value *value, llvm::Value *index) {
    b.CreateAlignedStore(value, element(scratchArg, index), align);
  }

  /// `for (i = 0; i < n; ++i) body(i)` at the insertion point, which then
  /// follows the loop. A count of 0 emits nothing.
  void loop(int64_t n, llvm::function_ref<void(llvm::Value *)> body) {
    if (n <= 0)
      return;
    llvm::LLVMContext &ctx = module.getContext();
    llvm::Function *fn = b.GetInsertBlock()->getParent();
    llvm::BasicBlock *entry = b.GetInsertBlock();
    auto *header = llvm::BasicBlock::Create(ctx, "loop", fn);
    b.CreateBr(header);
    b.SetInsertPoint(header);
    llvm::PHINode *i = b.CreatePHI(b.getInt64Ty(), 2, "i");
    i->addIncoming(i64(0), entry);
    body(i);
    llvm::Value *next = b.CreateAdd(i, i64(1), "", /*HasNUW=*/true,
                                    /*HasNSW=*/true);
    i->addIncoming(next, b.GetInsertBlock());
    // Made after the body's blocks, so the text reads in program order.
    auto *exit = llvm::BasicBlock::Create(ctx, "loop.end", fn);
    b.CreateCondBr(b.CreateICmpULT(next, i64(n)), header, exit);
    b.SetInsertPoint(exit);
  }

  /// Zeroes the border of a framed image: C channels of H x W inside a
  /// border of p, rows of Wp slots, channels plane slots apart, from slot
  /// base. Rows of the border are runs of stores, the columns a few per row.
  void emitBorder(int64_t base, int64_t C, int64_t H, int64_t W, int64_t p,
                  int64_t Wp, int64_t plane) {
    llvm::Value *zero = constant(false);
    if (p > 0)
      loop(C, [&](llvm::Value *c) {
        loop(p * Wp, [&](llvm::Value *k) {
          storeAt(zero, b.CreateAdd(affine(base, plane, c), k));
          storeAt(zero, b.CreateAdd(affine(base + (p + H) * Wp, plane, c), k));
        });
        loop(H, [&](llvm::Value *y) {
          llvm::Value *row = affine(base + p * Wp, plane, c, Wp, y);
          for (int64_t k = 0; k < p; ++k) {
            storeAt(zero, b.CreateAdd(row, i64(k)));
            storeAt(zero, b.CreateAdd(row, i64(p + W + k)));
          }
        });
      });
  }

  /// The conv's tree at the window whose top-left corner is at `corner`
  /// (relative to the framed image's origin): leaf (channel, dy, dx) reads
  /// the framed image there.
  llvm::Value *emitTree(lgn::ConvOp conv, const BlockPlan &plan,
                        llvm::Value *src, llvm::Value *corner) {
    llvm::ArrayRef<int32_t> leaves = conv.getLeaves();
    mlir::Block &body = conv.getBodyBlock();
    llvm::DenseMap<mlir::Value, llvm::Value *> values;
    for (unsigned l = 0; l < body.getNumArguments(); ++l) {
      int64_t offset = plan.sourceBase + leaves[3 * l] * plan.planeStride +
                       leaves[3 * l + 1] * plan.rowStride + leaves[3 * l + 2];
      values[body.getArgument(l)] =
          loadAt(src, b.CreateAdd(corner, i64(offset)));
    }
    for (mlir::Operation &op : body) {
      if (auto gate = llvm::dyn_cast<lgn::GateOp>(op))
        values[gate.getResult()] =
            bitwise(gate.getKind(), values.lookup(gate.getLhs()),
                    values.lookup(gate.getRhs()));
      else if (auto c = llvm::dyn_cast<lgn::ConstantOp>(op))
        values[c.getResult()] = constant(c.getValue());
      else if (auto yield = llvm::dyn_cast<lgn::YieldOp>(op))
        return values.lookup(yield.getResult());
    }
    llvm_unreachable("a conv body ends with lgn.yield");
  }

  /// One tree per position: the window at (y stride, x stride) in the
  /// framed image. For a layer (convs with the plan's source and
  /// geometry, see sameLayer), each position's trees one conv after the
  /// other.
  void emitConvs(llvm::ArrayRef<const BlockPlan *> layer, unsigned perLoop,
                 llvm::Value *src) {
    auto first = llvm::cast<lgn::ConvOp>(layer.front()->op);
    int64_t s = first.getStride(), Wp = layer.front()->rowStride,
            Wout = first.getOutWidth();
    loop(first.getOutHeight(), [&](llvm::Value *y) {
      for (auto group : groupsOf(layer, perLoop))
        loop(Wout, [&](llvm::Value *x) {
          llvm::Value *corner = affine(0, s * Wp, y, s, x);
          for (const BlockPlan *plan : group)
            storeAt(
                emitTree(llvm::cast<lgn::ConvOp>(plan->op), *plan, src, corner),
                affine(plan->outBase, plan->outRow, y, 1, x));
        });
    });
  }

  /// `layer` in groups of at most `size`.
  static llvm::SmallVector<llvm::ArrayRef<const BlockPlan *>>
  groupsOf(llvm::ArrayRef<const BlockPlan *> layer, unsigned size) {
    llvm::SmallVector<llvm::ArrayRef<const BlockPlan *>> groups;
    for (size_t g = 0; g < layer.size(); g += size)
      groups.push_back(
          layer.slice(g, std::min<size_t>(size, layer.size() - g)));
    return groups;
  }

  /// Convs fused into the pool after them (BlockPlan::poolPlan): per pool
  /// output, the OR of the trees at the conv positions its window covers,
  /// kept in registers, stored once as the pool's result; the conv's own
  /// results are never stored, and positions no window covers never
  /// computed. A layer's convs share the loop, as in emitConvs.
  void emitConvsIntoPool(llvm::ArrayRef<const BlockPlan *> layer,
                         unsigned perLoop, llvm::Value *src) {
    const BlockPlan &front = *layer.front();
    auto conv = llvm::cast<lgn::ConvOp>(front.op);
    const BlockPlan &poolPlan = partition.blocks()[front.poolPlan];
    auto pool = llvm::cast<lgn::OrPoolOp>(poolPlan.op);
    int64_t s = conv.getStride(), Wp = front.rowStride, ps = pool.getStride(),
            k = pool.getKernel(), Hout = pool.getOutHeight(),
            Wout = pool.getOutWidth();
    loop(Hout, [&](llvm::Value *y) {
      for (auto group : groupsOf(layer, perLoop))
        loop(Wout, [&](llvm::Value *x) {
          // Conv position (y ps + dy, x ps + dx) reads its window at
          // ((y ps + dy) s, (x ps + dx) s).
          llvm::Value *base = affine(0, ps * s * Wp, y, ps * s, x);
          for (const BlockPlan *plan : group) {
            const BlockPlan &into = partition.blocks()[plan->poolPlan];
            llvm::Value *acc = nullptr;
            for (int64_t dy = 0; dy < k; ++dy)
              for (int64_t dx = 0; dx < k; ++dx) {
                llvm::Value *v =
                    emitTree(llvm::cast<lgn::ConvOp>(plan->op), *plan, src,
                             b.CreateAdd(base, i64(dy * s * Wp + dx * s)));
                acc = acc ? b.CreateOr(acc, v) : v;
              }
            int64_t out = into.outBase + plan->poolChannel * into.outPlane;
            storeAt(acc, affine(out, into.outRow, y, 1, x));
          }
        });
    });
  }

  /// The OR of each channel's window; the frame's zeros add nothing.
  void emitPool(lgn::OrPoolOp pool, const BlockPlan &plan, llvm::Value *src) {
    int64_t s = pool.getStride(), k = pool.getKernel(), Wp = plan.rowStride,
            Hout = pool.getOutHeight(), Wout = pool.getOutWidth();
    loop(pool.getChannels(), [&](llvm::Value *c) {
      loop(Hout, [&](llvm::Value *y) {
        loop(Wout, [&](llvm::Value *x) {
          llvm::Value *corner =
              b.CreateAdd(affine(plan.sourceBase, plan.planeStride, c),
                          affine(0, s * Wp, y, s, x));
          llvm::Value *acc = nullptr;
          for (int64_t dy = 0; dy < k; ++dy)
            for (int64_t dx = 0; dx < k; ++dx) {
              llvm::Value *v =
                  loadAt(src, b.CreateAdd(corner, i64(dy * Wp + dx)));
              acc = acc ? b.CreateOr(acc, v) : v;
            }
          storeAt(acc, b.CreateAdd(affine(plan.outBase, plan.outPlane, c),
                                   affine(0, plan.outRow, y, 1, x)));
        });
      });
    });
  }

  llvm::Module &module;
  llvm::IRBuilder<> b;
  unsigned words;
  bool ternaryLogic;
  llvm::Type *vecTy, *ptrTy;
  llvm::FunctionType *fnTy;
  llvm::Align align;
  llvm::MDNode *invariant;
  llvm::Function *ternFn = nullptr;
  llvm::Value *inArg = nullptr, *scratchArg = nullptr;
  bool invariantSource = false;
};

/// Whether conv `next` can join the loop over positions of the convs led by
/// conv `first` (emitLayer): it reads the same image in place (any gather
/// is first's, made before the loop), at the same positions, and stores
/// like first does (fused into a pool of the same windows, or not fused).
/// Convs of one layer read only the layer before, never each other, so
/// evaluating them position by position computes what conv by conv does.
bool sameLayer(const NetPartition &partition, const BlockPlan &first,
               const BlockPlan &next) {
  auto a = llvm::dyn_cast<lgn::ConvOp>(first.op);
  auto c = llvm::dyn_cast<lgn::ConvOp>(next.op);
  if (!a || !c || next.gathered || first.sourceKind != next.sourceKind ||
      first.sourceBase != next.sourceBase ||
      first.planeStride != next.planeStride ||
      first.rowStride != next.rowStride || a.getStride() != c.getStride() ||
      a.getOutHeight() != c.getOutHeight() ||
      a.getOutWidth() != c.getOutWidth() ||
      (first.poolPlan >= 0) != (next.poolPlan >= 0))
    return false;
  if (first.poolPlan < 0)
    return true;
  auto p = llvm::cast<lgn::OrPoolOp>(partition.blocks()[first.poolPlan].op);
  auto q = llvm::cast<lgn::OrPoolOp>(partition.blocks()[next.poolPlan].op);
  return p.getStride() == q.getStride() && p.getKernel() == q.getKernel() &&
         p.getOutHeight() == q.getOutHeight() &&
         p.getOutWidth() == q.getOutWidth();
}

/// The section the called function `name` (`__lgc_gen_...`) lies alone in
/// when code is prefetched: its name without the leading underscores
/// (GeneratedABI.h, kCpuCodeSectionPrefix).
std::string codeSection(llvm::StringRef name) {
  llvm::StringRef section = name.drop_front(2);
  assert(name.starts_with("__") &&
         section.starts_with(abi::kCpuCodeSectionPrefix) &&
         "a generated function's name");
  return section.str();
}

void placeInOwnSection(llvm::Function *f) {
  f->setSection(codeSection(f->getName()));
}

/// Prefetches the machine code of `callee` (a function placeInOwnSection
/// placed) from the linker's `__start_`/`__stop_` symbols of its section, a
/// line at a time, at `b`'s insertion point. Why: a large net's code (1.5 MB
/// for a 36,000-gate conv member with its counting) does not fit L2 and is
/// fetched again for every block of samples; the front end fetches it a
/// line at a time as it runs, prefetches keep many lines in flight while
/// the previous function computes. prefetcht0 measured best (against t1,
/// t2, nta, and two functions ahead): the three-stage cascade of
/// docs/architectures.md 35-50 % faster, nets whose code fits L2 level.
void emitCodePrefetch(llvm::IRBuilder<> &b, llvm::Module &m,
                      llvm::StringRef callee) {
  llvm::LLVMContext &context = m.getContext();
  std::string section = codeSection(callee);
  auto bound = [&](llvm::StringRef which) {
    std::string name = (which + section).str();
    if (llvm::GlobalVariable *g = m.getGlobalVariable(name))
      return g;
    auto *g = new llvm::GlobalVariable(m, b.getInt8Ty(), /*isConstant=*/true,
                                       llvm::GlobalValue::ExternalLinkage,
                                       nullptr, name);
    // Defined by the linker within this library: address it directly.
    g->setVisibility(llvm::GlobalValue::HiddenVisibility);
    g->setDSOLocal(true);
    return g;
  };
  // From the start's line, so that stepping by lines reaches the last one.
  llvm::Value *start = b.CreateAnd(
      b.CreatePtrToInt(bound("__start_"), b.getInt64Ty()), b.getInt64(~63ull));
  llvm::Value *stop = b.CreatePtrToInt(bound("__stop_"), b.getInt64Ty());
  llvm::Function *fn = b.GetInsertBlock()->getParent();
  llvm::BasicBlock *before = b.GetInsertBlock();
  auto *loop = llvm::BasicBlock::Create(context, "prefetch", fn);
  auto *after = llvm::BasicBlock::Create(context, "prefetched", fn);
  // A section holds a whole function, so it is never empty.
  b.CreateBr(loop);
  b.SetInsertPoint(loop);
  llvm::PHINode *at = b.CreatePHI(b.getInt64Ty(), 2);
  at->addIncoming(start, before);
  llvm::Value *addr = b.CreateIntToPtr(at, b.getPtrTy());
  // Read, locality 3 (prefetcht0), data cache: x86 has no instruction
  // prefetch, and L2, which the instruction fetch reads, is unified.
  b.CreateIntrinsic(llvm::Intrinsic::prefetch, {b.getPtrTy()},
                    {addr, b.getInt32(0), b.getInt32(3), b.getInt32(1)});
  llvm::Value *next = b.CreateAdd(at, b.getInt64(64));
  at->addIncoming(next, loop);
  b.CreateCondBr(b.CreateICmpULT(next, stop), loop, after);
  b.SetInsertPoint(after);
}

template <typename T>
void constantArray(llvm::Module &m, llvm::StringRef name,
                   llvm::ArrayRef<T> values) {
  llvm::Constant *init = llvm::ConstantDataArray::get(m.getContext(), values);
  new llvm::GlobalVariable(m, init->getType(), /*isConstant=*/true,
                           llvm::GlobalValue::ExternalLinkage, init, name);
}

/// Part `part` of the net's module: the gate functions `owner` gives it,
/// and in part 0 the entry point (calling every gate function in order)
/// and the tables. With one part it is the whole net.
std::unique_ptr<llvm::Module>
buildPart(const NetPartition &partition, const NetTables &tables,
          const ConvertLGNToLLVMOptions &options,
          llvm::ArrayRef<unsigned> owner, unsigned part, unsigned parts,
          llvm::TargetMachine &tm, llvm::LLVMContext &context) {
  auto module = std::make_unique<llvm::Module>("net", context);
  module->setDataLayout(tm.createDataLayout());
  module->setTargetTriple(tm.getTargetTriple().str());
  IRGateEmitter emitter(*module, partition, options);
  std::vector<llvm::Function *> chunks(partition.numChunks(), nullptr);
  for (unsigned k = 0; k < partition.numChunks(); ++k) {
    if (owner[k] != part)
      continue;
    // A function called from another part is visible to the linker only.
    chunks[k] = emitter.declare((abi::kCpuGatesFunction + llvm::Twine(k)).str(),
                                parts == 1 || part == 0
                                    ? llvm::GlobalValue::InternalLinkage
                                    : llvm::GlobalValue::ExternalLinkage);
    if (parts > 1 && part != 0)
      chunks[k]->setVisibility(llvm::GlobalValue::HiddenVisibility);
    if (options.prefetchCode)
      placeInOwnSection(chunks[k]);
    emitter.define(chunks[k]);
    emitter.emitChunk(k);
    emitter.builder().CreateRetVoid();
  }
  if (part != 0)
    return module;
  // Blocks, in part 0: the gates read their results. blocks[b] is the
  // function of partition.blocks()[b], if it has one, and gathers[b] that
  // of its framed image. The convs of a layer (sameLayer), within one net
  // part, share the function of the first: all of them, each output row
  // running their groups of convsPerLoop one after the other, or
  // (interleaveLayerRows off) up to convsPerLoop of them.
  std::vector<llvm::Function *> blocks(partition.blocks().size(), nullptr),
      gathers(partition.blocks().size(), nullptr);
  unsigned blockFunctions = 0;
  // The next block function, defined: the emitter writes its body.
  auto nextBlockFunction = [&] {
    llvm::Function *f = emitter.declare(
        (abi::kCpuBlockFunction + llvm::Twine(blockFunctions++)).str(),
        llvm::GlobalValue::InternalLinkage);
    if (options.prefetchCode)
      placeInOwnSection(f);
    emitter.define(f);
    return f;
  };
  llvm::ArrayRef<BlockPlan> plans = partition.blocks();
  for (unsigned p = 0; p < partition.numParts(); ++p) {
    unsigned end = partition.partBlocks(p + 1);
    for (unsigned k = partition.partBlocks(p); k < end;) {
      const BlockPlan &plan = plans[k];
      if (plan.fedByConvs && !plan.framePadding) {
        ++k; // its convs write its results
        continue;
      }
      if (llvm::isa<lgn::ConvOp>(plan.op) && plan.gathered) {
        gathers[k] = nextBlockFunction();
        emitter.emitGather(plan);
        emitter.builder().CreateRetVoid();
      }
      blocks[k] = nextBlockFunction();
      if (llvm::isa<lgn::ConvOp>(plan.op)) {
        llvm::SmallVector<const BlockPlan *> layer{&plan};
        // Interleaved by rows, a layer is one function however many convs
        // it has; else a function per group of convsPerLoop.
        size_t most = options.interleaveLayerRows
                          ? ~size_t(0)
                          : size_t(options.convsPerLoop);
        while (k + layer.size() < end && layer.size() < most &&
               sameLayer(partition, plan, plans[k + layer.size()]))
          layer.push_back(&plans[k + layer.size()]);
        emitter.emitLayer(layer, options.convsPerLoop);
        k += layer.size();
      } else {
        emitter.emitPoolBlock(plan);
        ++k;
      }
      emitter.builder().CreateRetVoid();
    }
  }
  // Counting in code: each part's count function, after its gates.
  std::vector<llvm::Function *> counts(partition.numParts(), nullptr);
  if (partition.countsInCode())
    for (unsigned p = 0; p < partition.numParts(); ++p) {
      counts[p] =
          emitter.declare((abi::kCpuCountFunction + llvm::Twine(p)).str(),
                          llvm::GlobalValue::InternalLinkage);
      if (options.prefetchCode)
        placeInOwnSection(counts[p]);
      emitter.define(counts[p]);
      emitter.emitCountTail(p);
      emitter.builder().CreateRetVoid();
    }
  // The calls of net part p: its blocks, then its gate functions (then its
  // count function); with code prefetching, each call's callee has the
  // next one's code prefetched before it, and the first's comes first.
  auto callPart = [&](unsigned p, llvm::Value *in, llvm::Value *scratch) {
    llvm::IRBuilder<> &b = emitter.builder();
    std::vector<llvm::Function *> callees;
    for (unsigned k = partition.partBlocks(p); k < partition.partBlocks(p + 1);
         ++k) {
      if (gathers[k])
        callees.push_back(gathers[k]);
      if (blocks[k])
        callees.push_back(blocks[k]);
    }
    for (unsigned k = partition.partChunks(p); k < partition.partChunks(p + 1);
         ++k) {
      llvm::Function *callee = chunks[k];
      if (!callee) {
        callee =
            emitter.declare((abi::kCpuGatesFunction + llvm::Twine(k)).str(),
                            llvm::GlobalValue::ExternalLinkage);
        callee->setVisibility(llvm::GlobalValue::HiddenVisibility);
      }
      callees.push_back(callee);
    }
    if (counts[p])
      callees.push_back(counts[p]);
    if (options.prefetchCode && !callees.empty())
      emitCodePrefetch(b, *module, callees[0]->getName());
    for (size_t i = 0; i < callees.size(); ++i) {
      if (options.prefetchCode && i + 1 < callees.size())
        emitCodePrefetch(b, *module, callees[i + 1]->getName());
      b.CreateCall(callees[i], {in, scratch});
    }
  };
  unsigned netParts = partition.numParts();
  if (netParts <= 1) {
    llvm::Function *eval =
        emitter.declare(abi::kEvalSymbol, llvm::GlobalValue::ExternalLinkage);
    emitter.define(eval);
    callPart(0, eval->getArg(0), eval->getArg(1));
    emitter.builder().CreateRetVoid();
  } else {
    // void __lgc_gen_eval_part(ptr in, ptr scratch, i32 part): a switch.
    llvm::IRBuilder<> &b = emitter.builder();
    llvm::Type *ptr = llvm::PointerType::get(context, 0);
    auto *fnTy = llvm::FunctionType::get(b.getVoidTy(),
                                         {ptr, ptr, b.getInt32Ty()}, false);
    llvm::Function *eval =
        llvm::Function::Create(fnTy, llvm::GlobalValue::ExternalLinkage,
                               abi::kEvalPartSymbol, module.get());
    eval->addFnAttr(llvm::Attribute::NoUnwind);
    auto *entry = llvm::BasicBlock::Create(context, "", eval);
    auto *done = llvm::BasicBlock::Create(context, "done", eval);
    b.SetInsertPoint(entry);
    llvm::SwitchInst *sw = b.CreateSwitch(eval->getArg(2), done, netParts);
    for (unsigned p = 0; p < netParts; ++p) {
      auto *bb = llvm::BasicBlock::Create(context, "part", eval, done);
      sw->addCase(b.getInt32(p), bb);
      b.SetInsertPoint(bb);
      callPart(p, eval->getArg(0), eval->getArg(1));
      b.CreateBr(done);
    }
    b.SetInsertPoint(done);
    b.CreateRetVoid();
    constantArray<uint32_t>(
        *module, abi::kPartEndsSymbol,
        std::vector<uint32_t>(partition.partOutputEnds().begin(),
                              partition.partOutputEnds().end()));
  }
  auto u32 = [](llvm::ArrayRef<int32_t> v) {
    return std::vector<uint32_t>(v.begin(), v.end());
  };
  // Counted in code, the runtime needs no output homes (and outputs kept in
  // registers have none).
  if (!partition.countsInCode())
    constantArray<uint32_t>(*module, abi::kOutputsSymbol, u32(tables.outputs));
  constantArray<uint32_t>(*module, abi::kShapeSymbol, u32(tables.shape));
  constantArray<uint32_t>(*module, abi::kBitFeatureSymbol,
                          u32(tables.encoding.features));
  constantArray<float>(*module, abi::kBitThresholdSymbol,
                       tables.encoding.thresholds);
  new llvm::GlobalVariable(
      *module, llvm::Type::getDoubleTy(context), /*isConstant=*/true,
      llvm::GlobalValue::ExternalLinkage,
      llvm::ConstantFP::get(llvm::Type::getDoubleTy(context), tables.tau),
      abi::kTauSymbol);
  return module;
}

NetTables netTables(NetOp net, const NetPartition &partition,
                    unsigned vectorWords) {
  NetTables tables;
  tables.encoding = encodingTables(net);
  if (!partition.countsInCode())
    tables.outputs = outputHomeTable(net, partition);
  tables.shape = shapeTable(net, partition, tables.encoding, vectorWords);
  tables.tau = net.getTau().convertToDouble();
  return tables;
}

/// The net's partition as the options lay it out (both entry points below).
NetPartition partitionFor(NetOp net, const ConvertLGNToLLVMOptions &options) {
  return NetPartition(net, options.gatesPerFunction, options.registerWindow,
                      options.partGates, options.countInCode,
                      options.frameInputs, options.outputLocality);
}

} // namespace

std::unique_ptr<llvm::Module>
lgc::emitNetModule(NetOp net, const ConvertLGNToLLVMOptions &options,
                   llvm::TargetMachine &tm, llvm::LLVMContext &context) {
  NetPartition partition = partitionFor(net, options);
  NetTables tables = netTables(net, partition, options.vectorWords);
  std::vector<unsigned> owner(partition.numChunks(), 0);
  return buildPart(partition, tables, options, owner, 0, 1, tm, context);
}

mlir::LogicalResult lgc::emitNetObjects(
    NetOp net, const ConvertLGNToLLVMOptions &options, unsigned jobs,
    llvm::function_ref<std::unique_ptr<llvm::TargetMachine>()> makeMachine,
    std::vector<std::string> &objects, mlir::Location loc) {
  NetPartition partition = partitionFor(net, options);
  NetTables tables = netTables(net, partition, options.vectorWords);
  unsigned parts = partCount(jobs, partition.numChunks());
  std::vector<size_t> sizes;
  for (unsigned k = 0; k < partition.numChunks(); ++k)
    sizes.push_back(partition.chunk(k).size());
  std::vector<unsigned> owner = spreadBySize(sizes, parts);
  // A target machine per thread, made here: making one sets LLVM's global
  // options, which the threads read.
  std::vector<std::unique_ptr<llvm::TargetMachine>> machines;
  for (unsigned p = 0; p < parts; ++p) {
    machines.push_back(makeMachine());
    if (!machines.back())
      return mlir::failure();
  }
  objects.assign(parts, std::string());
  std::vector<char> failed(parts, 0);
  runParts(parts, [&](unsigned p) {
    llvm::LLVMContext context;
    std::unique_ptr<llvm::Module> module = buildPart(
        partition, tables, options, owner, p, parts, *machines[p], context);
    failed[p] = !generateCode(*module, *machines[p],
                              llvm::CodeGenFileType::ObjectFile, objects[p]);
  });
  if (llvm::is_contained(failed, 1))
    return mlir::emitError(loc) << "the target cannot emit object files";
  return mlir::success();
}
