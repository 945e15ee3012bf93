//===- OptimizeEquivalenceTest.cpp - The pipeline keeps every output bit --===//
//
// Part of lgc. Property test: random nets of many shapes go through import,
// the default pipeline and export; the reference interpreter must give
// bit-identical counts before and after on random inputs.
//
//===----------------------------------------------------------------------===//

#include "lgc/Compiler/LGNImportExport.h"
#include "lgc/Dialect/LGN/Passes.h"
#include "lgc/Runtime/Format.h"
#include "lgc/Runtime/Generate.h"
#include "lgc/Runtime/Interpreter.h"

#include "../TestUtil.h"
#include "ConvNets.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

using namespace lgc;

namespace {

struct Shape {
  uint32_t inputs;
  std::vector<uint32_t> widths;
  uint32_t classes;
  Connections connections;
  double passThrough;
};

std::vector<uint32_t> countsOf(const Net &net,
                               const std::vector<uint64_t> &words, size_t n) {
  std::vector<uint32_t> counts(n * net.numClasses);
  interpret(net, words.data(), n, counts.data(), nullptr);
  return counts;
}

/// Random input words for n samples of `net`.
std::vector<uint64_t> randomWords(const Net &net, size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<uint64_t> words(numBlocks(n) * net.numInputs);
  for (uint64_t &w : words)
    w = rng.next();
  return words;
}

Net optimize(const Net &net, unsigned optLevel, bool unrollBlocks = true) {
  mlir::MLIRContext context;
  context.disableMultithreading();
  auto module = importNet(net, &context);
  EXPECT_TRUE(mlir::succeeded(mlir::verify(*module)));
  mlir::PassManager pm(&context);
  lgn::PipelineOptions opts;
  opts.optLevel = optLevel;
  opts.unrollBlocks = unrollBlocks;
  lgn::buildDefaultPipeline(pm, opts);
  EXPECT_TRUE(mlir::succeeded(pm.run(*module)));
  EXPECT_TRUE(mlir::succeeded(mlir::verify(*module)));
  Net out;
  auto netOp = getSingleNet(*module);
  EXPECT_TRUE(mlir::succeeded(netOp));
  EXPECT_TRUE(mlir::succeeded(exportNet(*netOp, out)));
  return out;
}

TEST(OptimizeEquivalence, RandomNetsKeepEveryCount) {
  const std::vector<Shape> shapes = {
      {8, {8, 8}, 2, Connections::Random, -1},
      {16, {40, 30, 20}, 5, Connections::Random, -1},
      {16, {40, 30, 20}, 5, Connections::Unique, -1},
      {100, {64, 64, 64, 64}, 1, Connections::Unique, 0.45},
      {30, {300, 300, 300, 300, 300, 300}, 10, Connections::Random, 0.57},
      {30, {300, 300, 300, 300, 300, 300}, 10, Connections::Random, 0.1},
      {5, {7}, 7, Connections::Random, -1},
      {200, {500, 500}, 20, Connections::Unique, 0.2},
  };
  size_t before = 0, after = 0;
  for (size_t si = 0; si < shapes.size(); ++si) {
    for (uint64_t seed = 1; seed <= 6; ++seed) {
      const Shape &shape = shapes[si];
      GenerateOptions opts;
      opts.inputs = shape.inputs;
      opts.widths = shape.widths;
      opts.classes = shape.classes;
      opts.connections = shape.connections;
      opts.passThroughShare = shape.passThrough;
      opts.seed = seed * 1000 + si;
      Net net;
      ASSERT_TRUE(generateNet(opts, net).ok());
      Rng rng(seed);
      const size_t n = 300; // not a multiple of 64
      std::vector<uint64_t> words(numBlocks(n) * net.numInputs);
      for (uint64_t &w : words)
        w = rng.next();
      // Clear padding bits: the interpreter ignores them, but keep inputs
      // clean.
      std::vector<uint32_t> expected = countsOf(net, words, n);
      for (unsigned level : {1u, 2u}) {
        Net opt = optimize(net, level);
        ASSERT_EQ(verifyNet(opt), "");
        EXPECT_EQ(opt.numInputs, net.numInputs);
        EXPECT_EQ(opt.outputs.size(), net.outputs.size());
        EXPECT_LE(opt.gates.size(), net.gates.size());
        EXPECT_EQ(countsOf(opt, words, n), expected)
            << "shape " << si << " seed " << seed << " -O" << level;
        if (level == 1) {
          before += net.gates.size();
          after += opt.gates.size();
        }
      }
    }
  }
  // Every shape here has a pass-through share of 10 % or more, and dead
  // gates follow from it: -O1 must remove at least 40 % overall.
  EXPECT_LT(after * 10, before * 6);
}

/// Conv nets: the block folds (a tree folded once, a constant or
/// pass-through tree replaced, unused leaves dropped), the unrolling and the
/// rest of the pipeline keep every count of the blocks' definition.
TEST(OptimizeEquivalence, ConvNetsKeepEveryCount) {
  int index = 0;
  for (const test::ConvNetSpec &spec : test::convNetSpecs())
    for (int kinds : {0, 1}) {
      Net net = test::randomConvNet(spec, 70 + index++, kinds);
      ASSERT_FALSE(net.blocks.empty());
      const size_t n = 200;
      std::vector<uint64_t> words = randomWords(net, n, index);
      std::vector<uint32_t> expected = countsOf(net, words, n);
      for (unsigned level : {0u, 1u, 2u}) {
        Net opt = optimize(net, level);
        ASSERT_EQ(verifyNet(opt), "");
        EXPECT_TRUE(opt.blocks.empty());
        EXPECT_EQ(countsOf(opt, words, n), expected)
            << spec.arch << " kinds " << kinds << " -O" << level;
      }
    }
}

/// The same nets folded with their blocks kept (lgc --keep-blocks
/// --emit=lgn): every folded tree (constants, single leaves, outputs that
/// are no last gate) is written in the format's tree shape, and the file
/// keeps every count.
TEST(OptimizeEquivalence, ConvNetsWithBlocksKeptKeepEveryCount) {
  int index = 0;
  size_t folded = 0;
  for (const test::ConvNetSpec &spec : test::convNetSpecs())
    for (int kinds : {0, 1}) {
      Net net = test::randomConvNet(spec, 170 + index++, kinds);
      const size_t n = 200;
      std::vector<uint64_t> words = randomWords(net, n, index);
      std::vector<uint32_t> expected = countsOf(net, words, n);
      for (unsigned level : {0u, 1u, 2u}) {
        Net opt = optimize(net, level, /*unrollBlocks=*/false);
        ASSERT_EQ(verifyNet(opt), "");
        ASSERT_EQ(opt.blocks.size(), net.blocks.size()) << spec.arch;
        // Written and read back, the file is the same net.
        Net back;
        ASSERT_TRUE(
            parseNet(writeNet(opt), "kept.lgn", back, /*keepBlocks=*/true)
                .ok());
        EXPECT_EQ(countsOf(back, words, n), expected)
            << spec.arch << " kinds " << kinds << " -O" << level;
        for (size_t b = 0; b < opt.blocks.size(); ++b)
          if (opt.blocks[b].tree != net.blocks[b].tree)
            ++folded;
      }
    }
  // Random trees fold: some blocks must have been rewritten.
  EXPECT_GT(folded, 0u);
}

TEST(OptimizeEquivalence, ImportExportIsExact) {
  Net net = test::randomNet(50, {60, 40}, 4);
  net.numFeatures = 25;
  for (uint32_t j = 0; j < 2; ++j)
    for (uint32_t f = 0; f < 25; ++f)
      net.encoding.push_back(InputBit{f, j ? 0.7f : 0.3f});
  net.metadata = {{"dataset", "fashion-mnist"}, {"accuracy", "0.8712"}};
  net.tau = 3.3;
  Net back = optimize(net, 0);
  EXPECT_TRUE(back == net);
  EXPECT_EQ(writeNet(back), writeNet(net));
}

TEST(OptimizeEquivalence, ConstantOutputsExportAsGates) {
  // xor(x, x) folds to a constant that feeds an output directly.
  Net net;
  ASSERT_TRUE(parseNet("lgn 1\ninputs 2\ngates 2\ng xor 0 0\ng one 1 1\n"
                       "outputs 2 classes 1 tau 1\no 2 3\nend\n",
                       "c.lgn", net)
                  .ok());
  Net opt = optimize(net, 1);
  ASSERT_EQ(verifyNet(opt), "");
  std::vector<uint64_t> words = {0x0123456789abcdefull, 0xfedcba9876543210ull};
  EXPECT_EQ(countsOf(opt, words, 64), countsOf(net, words, 64));
}

} // namespace
