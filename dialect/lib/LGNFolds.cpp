//===- LGNFolds.cpp - Folds and canonicalizations of lgn ops --------------===//
//
// Part of lgc. Every rewrite keeps each output bit unchanged; the truth-table
// algebra lives in TruthTable.h. After folding, a gate reads two distinct,
// non-constant values, depends on both, reads no NOT gate, and its operands
// are in canonical order (block arguments by number, then ops by position).
// The canonical NOT is `not_a(x, x)`.
//
//===----------------------------------------------------------------------===//

#include "lgc/Dialect/LGN/LGNOps.h"
#include "lgc/Dialect/LGN/TruthTable.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/BitVector.h"

using namespace mlir;
using namespace lgc::lgn;

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValueAttr(); }

static std::optional<bool> constantBit(Attribute attr) {
  if (auto bit = dyn_cast_or_null<IntegerAttr>(attr);
      bit && bit.getType().isInteger(1))
    return bit.getValue().getBoolValue();
  return std::nullopt;
}

/// The gate if `v` is the canonical NOT of another value.
static GateOp getNot(Value v) {
  auto gate = v.getDefiningOp<GateOp>();
  return gate && gate.isNot() ? gate : GateOp();
}

/// The canonical operand order: block arguments by number, before results of
/// ops in block order.
static bool precedes(Value x, Value y) {
  auto ax = dyn_cast<BlockArgument>(x), ay = dyn_cast<BlockArgument>(y);
  if (ax && ay)
    return ax.getArgNumber() < ay.getArgNumber();
  if (ax || ay)
    return bool(ax);
  return x.getDefiningOp()->isBeforeInBlock(y.getDefiningOp());
}

/// Turns `op` into the canonical NOT of `x` in place.
static OpFoldResult foldToNot(GateOp op, Value x) {
  // not(not(x)) -> x
  if (GateOp inner = getNot(x))
    return inner.getLhs();
  if (op.isNot() && op.getLhs() == x)
    return {};
  op.setKind(GateKind::NotA);
  op->setOperands({x, x});
  return op.getResult();
}

/// Applies a one-input function of `x` (whose constant value, if known, is
/// `xConst`).
static OpFoldResult foldUnary(GateOp op, tt::Unary fn, Value x,
                              std::optional<bool> xConst) {
  MLIRContext *ctx = op.getContext();
  switch (fn) {
  case tt::Unary::Zero:
    return BoolAttr::get(ctx, false);
  case tt::Unary::One:
    return BoolAttr::get(ctx, true);
  case tt::Unary::Identity:
    if (xConst)
      return BoolAttr::get(ctx, *xConst);
    return x;
  case tt::Unary::Not:
    if (xConst)
      return BoolAttr::get(ctx, !*xConst);
    return foldToNot(op, x);
  }
  llvm_unreachable("unknown unary function");
}

OpFoldResult GateOp::fold(FoldAdaptor adaptor) {
  unsigned t = getTable();
  Value lhs = getLhs(), rhs = getRhs();
  std::optional<bool> cl = constantBit(adaptor.getLhs());
  std::optional<bool> cr = constantBit(adaptor.getRhs());

  // f(c1, c2) -> f evaluated on the constants
  if (cl && cr)
    return BoolAttr::get(getContext(), tt::eval(t, *cl, *cr));
  // f(x, y) -> g(x) when f ignores y: a(x, y) -> x, not_a(x, y) -> not_a(x, x),
  // zero(x, y) -> 0, one(x, y) -> 1
  if (!tt::dependsOnRhs(t))
    return foldUnary(*this, tt::restrictRhs(t, false), lhs, cl);
  // f(x, y) -> g(y) when f ignores x: b(x, y) -> y, not_b(x, y) -> not_a(y, y)
  if (!tt::dependsOnLhs(t))
    return foldUnary(*this, tt::restrictLhs(t, false), rhs, cr);
  // f(x, x) -> f(0,0), f(1,1) as a function of x: xor(x, x) -> 0,
  // and(x, x) -> x, not_and(x, x) -> not_a(x, x)
  if (lhs == rhs)
    return foldUnary(*this, tt::diagonal(t), lhs, cl);
  // f(c, y) -> f(c, .) as a function of y: and(1, y) -> y, xor(1, y) -> not y
  if (cl)
    return foldUnary(*this, tt::restrictLhs(t, *cl), rhs, cr);
  // f(x, c) -> f(., c) as a function of x
  if (cr)
    return foldUnary(*this, tt::restrictRhs(t, *cr), lhs, cl);

  bool changed = false;
  // f(not(x), y) -> f'(x, y) with f'(a, b) = f(~a, b)
  if (GateOp inner = getNot(lhs)) {
    lhs = inner.getLhs();
    t = tt::negateLhs(t);
    changed = true;
  }
  // f(x, not(y)) -> f'(x, y) with f'(a, b) = f(a, ~b)
  if (GateOp inner = getNot(rhs)) {
    rhs = inner.getLhs();
    t = tt::negateRhs(t);
    changed = true;
  }
  // f(y, x) -> f'(x, y) with f'(a, b) = f(b, a) when x precedes y:
  // and(y, x) -> and(x, y), not_implies(y, x) -> not_implied_by(x, y)
  if (lhs != rhs && precedes(rhs, lhs)) {
    std::swap(lhs, rhs);
    t = tt::swapOperands(t);
    changed = true;
  }
  if (!changed)
    return {};
  setKind(static_cast<GateKind>(t));
  getOperation()->setOperands({lhs, rhs});
  return getResult();
}

Value lgc::lgn::matchNotOfSingleUseGate(GateOp notGate) {
  if (!notGate.isNot())
    return {};
  auto producer = notGate.getLhs().getDefiningOp<GateOp>();
  if (!producer || producer.isNot())
    return {};
  for (Operation *user : producer->getUsers())
    if (user != notGate.getOperation())
      return {};
  return producer.getResult();
}

namespace {
/// not(f(x, y)) -> (~f)(x, y) when the NOT is the only user of f: the
/// negation moves into f's table and one gate disappears.
struct MergeNotIntoProducer : OpRewritePattern<GateOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GateOp op,
                                PatternRewriter &rewriter) const override {
    Value merged = matchNotOfSingleUseGate(op);
    if (!merged)
      return failure();
    auto producer = merged.getDefiningOp<GateOp>();
    rewriter.modifyOpInPlace(producer, [&] {
      producer.setKind(
          static_cast<GateKind>(tt::negateOutput(producer.getTable())));
    });
    rewriter.replaceOp(op, merged);
    return success();
  }
};
} // namespace

void GateOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                         MLIRContext *context) {
  results.add<MergeNotIntoProducer>(context);
}

//===----------------------------------------------------------------------===//
// ConvOp
//===----------------------------------------------------------------------===//

namespace {
/// conv whose tree is a constant c -> c at every position: the tree ignores
/// its window.
struct ConvOfConstant : OpRewritePattern<ConvOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConvOp op,
                                PatternRewriter &rewriter) const override {
    auto constant = op.getYieldOp().getResult().getDefiningOp<ConstantOp>();
    if (!constant)
      return failure();
    Value bit = rewriter.create<ConstantOp>(op.getLoc(), constant.getValue());
    rewriter.replaceOp(op, SmallVector<Value>(op.getNumResults(), bit));
    return success();
  }
};

/// conv whose tree is leaf l -> at each position, the input leaf l reads
/// there (false on the padding): the tree is a shifted copy of one channel.
struct ConvOfLeaf : OpRewritePattern<ConvOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConvOp op,
                                PatternRewriter &rewriter) const override {
    auto leaf = dyn_cast<BlockArgument>(op.getYieldOp().getResult());
    if (!leaf)
      return failure();
    Value zero;
    SmallVector<Value> results;
    results.reserve(op.getNumResults());
    for (int64_t y = 0; y < op.getOutHeight(); ++y)
      for (int64_t x = 0; x < op.getOutWidth(); ++x) {
        Value in = op.getLeafInput(leaf.getArgNumber(), y, x);
        if (!in) {
          if (!zero)
            zero = rewriter.create<ConstantOp>(op.getLoc(), false);
          in = zero;
        }
        results.push_back(in);
      }
    rewriter.replaceOp(op, results);
    return success();
  }
};

/// conv with leaves the tree no longer reads (after folding its body) ->
/// the same conv without them: fewer inputs per position once unrolled.
struct DropUnusedLeaves : OpRewritePattern<ConvOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConvOp op,
                                PatternRewriter &rewriter) const override {
    Block &body = op.getBodyBlock();
    llvm::BitVector unused(body.getNumArguments());
    for (BlockArgument arg : body.getArguments())
      if (arg.use_empty())
        unused.set(arg.getArgNumber());
    if (unused.none())
      return failure();
    SmallVector<int32_t> leaves;
    ArrayRef<int32_t> old = op.getLeaves();
    for (unsigned l = 0; l < body.getNumArguments(); ++l)
      if (!unused.test(l))
        leaves.append(old.begin() + 3 * l, old.begin() + 3 * l + 3);
    rewriter.modifyOpInPlace(op, [&] {
      body.eraseArguments(unused);
      op.setLeaves(leaves);
    });
    return success();
  }
};
} // namespace

void ConvOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                         MLIRContext *context) {
  results.add<ConvOfConstant, ConvOfLeaf, DropUnusedLeaves>(context);
}

void ConvOp::getBlockKeepingPatterns(RewritePatternSet &results,
                                     MLIRContext *context) {
  results.add<DropUnusedLeaves>(context);
}
