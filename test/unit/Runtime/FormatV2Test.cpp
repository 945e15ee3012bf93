//===- FormatV2Test.cpp - Shared blocks in .lgn version 2 -----------------===//
//
// Part of lgc. Conv and pool blocks: reading, writing, located errors, and
// the unrolled net against the interpreter's direct evaluation.
//
//===----------------------------------------------------------------------===//

#include "lgc/Runtime/Format.h"
#include "lgc/Runtime/Generate.h"
#include "lgc/Runtime/Interpreter.h"

#include <gtest/gtest.h>

using namespace lgc;

namespace {

/// A 1-channel 3x3 image with two thresholds (2 channels), a conv of two
/// 4-leaf trees with padding, a 2x2 OR pool over its 2x3x3 output, one
/// gate on the pooled bits.
const char *kConv = R"(lgn 2
inputs 18
features 9
thresholds 0.25 0.75
conv in 0 shape 2 3 3 out 2 kernel 2 stride 1 padding 1 leaves 4
tree 0
leaf 0 0 0
leaf 1 1 1
leaf 0 1 0
leaf 1 0 1
g and 0 1
g or 2 3
g xor 4 5
tree 1
leaf 1 0 0
leaf 0 1 1
leaf 1 1 0
leaf 0 0 0
g not_implies 0 1
g a 2 3
g or 4 5
pool in 18 shape 2 4 4 kernel 2 stride 2 padding 0
gates 2
layer
g xor 50 51
g and 52 57
outputs 4 classes 2 tau 1
o 58 59
o 50 53
end
)";

std::string parseError(const std::string &text) {
  Net net;
  Status s = parseNet(text, "net.lgn", net, /*keepBlocks=*/true);
  return s.ok() ? std::string("<ok>") : s.message();
}

TEST(FormatV2, ReadsBlocks) {
  Net net;
  Status s = parseNet(kConv, "net.lgn", net, /*keepBlocks=*/true);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(net.blocks.size(), 2u);
  const SharedBlock &conv = net.blocks[0];
  EXPECT_EQ(conv.kind, SharedBlock::Conv);
  EXPECT_EQ(conv.outHeight(), 4u);
  EXPECT_EQ(conv.numOutputs(), 32u);
  EXPECT_EQ(conv.leaf[5], (TreeLeaf{0, 1, 1}));
  EXPECT_EQ(conv.tree[3], (Gate{2, 0, 1}));
  const SharedBlock &pool = net.blocks[1];
  EXPECT_EQ(pool.kind, SharedBlock::OrPool);
  EXPECT_EQ(pool.numOutputs(), 8u);
  EXPECT_EQ(net.firstGateNode(), 18u + 32 + 8);
  EXPECT_EQ(verifyNet(net), "");
  // The writer gives the same text back.
  EXPECT_EQ(writeNet(net), kConv);
}

TEST(FormatV2, UnrolledEqualsTheDefinition) {
  Net blocks, flat;
  ASSERT_TRUE(parseNet(kConv, "net.lgn", blocks, true).ok());
  ASSERT_TRUE(parseNet(kConv, "net.lgn", flat).ok());
  EXPECT_TRUE(flat.blocks.empty());
  EXPECT_EQ(verifyNet(flat), "");
  // 2 trees x 16 positions x 3 gates, 8 pooled units x 3 ORs, padding's
  // zero, and the 2 gates.
  EXPECT_EQ(flat.gates.size(), 2u * 16 * 3 + 8 * 3 + 1 + 2);
  // A flat net is written as version 1.
  EXPECT_EQ(writeNet(flat).substr(0, 6), "lgn 1\n");
  // Every input pattern of the 9 features at the two thresholds.
  const size_t n = 1 << 9;
  std::vector<float> x(n * 9);
  for (size_t s = 0; s < n; ++s)
    for (int f = 0; f < 9; ++f)
      x[s * 9 + f] =
          (s >> f) & 1 ? ((s >> ((f + 3) % 9)) & 1 ? 0.9f : 0.5f) : 0.1f;
  std::vector<uint64_t> packed = packFeatures(blocks, x.data(), n);
  std::vector<uint32_t> a(n * 2), b(n * 2);
  interpret(blocks, packed.data(), n, a.data(), nullptr);
  interpret(flat, packed.data(), n, b.data(), nullptr);
  EXPECT_EQ(a, b);
  // The counts are not constant: the blocks compute something.
  EXPECT_NE(std::count(a.begin(), a.end(), a[0]), long(a.size()));
}

/// Replaces the first occurrence of `from` in kConv.
std::string edit(const std::string &from, const std::string &to) {
  std::string text = kConv;
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(FormatV2, LocatedErrors) {
  EXPECT_EQ(parseError(edit("lgn 2", "lgn 1")),
            "net.lgn:5:1: error: 'conv' needs format version 2 (the header "
            "says 'lgn 1')");
  EXPECT_EQ(parseError(edit("lgn 2", "lgn 3")),
            "net.lgn:1:5: error: unsupported format version 3 (this reader "
            "reads versions 1 to 2)");
  EXPECT_EQ(parseError(edit("in 0 shape 2 3 3", "in 1 shape 2 3 3")),
            "net.lgn:5:9: error: the block reads nodes 1 .. 18, but only 18 "
            "nodes come before it");
  EXPECT_EQ(parseError(edit("in 0 shape", "from 0 shape")),
            "net.lgn:5:6: error: expected 'in', found 'from'");
  EXPECT_EQ(parseError(edit("padding 1 leaves", "padding 2 leaves")),
            "net.lgn:5:55: error: the padding must be smaller than the kernel");
  EXPECT_EQ(parseError(edit("leaves 4", "leaves 1")),
            "net.lgn:5:64: error: a tree needs at least 2 leaves");
  EXPECT_EQ(parseError(edit("leaf 1 1 1", "leaf 2 1 1")),
            "net.lgn:8:6: error: leaf channel 2 is out of range (the input "
            "has 2 channels)");
  EXPECT_EQ(parseError(edit("leaf 1 1 1", "leaf 1 2 1")),
            "net.lgn:8:8: error: leaf offset 2 is outside the 2x2 window");
  EXPECT_EQ(parseError(edit("g or 2 3", "g or 2 5")),
            "net.lgn:12:8: error: tree gate operand 5 is not an earlier tree "
            "node (leaves 0 .. 3, this gate is node 5)");
  EXPECT_EQ(parseError(edit("tree 1", "tree 2")),
            "net.lgn:14:6: error: expected tree 1, found tree 2");
  EXPECT_EQ(parseError(edit("leaf 1 0 1\ng and 0 1", "g and 0 1")),
            "net.lgn:10:1: error: tree gate before all 4 leaves");
  EXPECT_EQ(parseError(edit("g a 2 3\ng or 4 5\n", "")),
            "net.lgn:20:1: error: tree 1 has 4 of 4 leaves and 1 of 3 gates");
  EXPECT_EQ(parseError(edit("pool in 18", "pool in 19")),
            "net.lgn:22:9: error: the block reads nodes 19 .. 50, but only 50 "
            "nodes come before it");
  EXPECT_EQ(parseError(edit("g xor 50 51", "g xor 50 58")),
            "net.lgn:25:10: error: gate operand 58 refers to a later node "
            "(this gate is node 58)");
  EXPECT_EQ(parseError(edit("o 50 53", "o 50 60")),
            "net.lgn:29:6: error: output node 60 is out of range (the net has "
            "60 nodes)");
  EXPECT_EQ(parseError(std::string(kConv).replace(
                std::string(kConv).find("tree 0"), 0, "gates 0\n")),
            "net.lgn:6:1: error: the conv declared 2 trees, but 0 are listed");
  EXPECT_EQ(parseError(edit("out 2 kernel", "out 3 kernel")),
            "net.lgn:22:1: error: the conv declared 3 trees, but 2 are listed");
  EXPECT_EQ(parseError(edit("leaf 0 0 0", "leaf 0 0 0\nleaf 0 0 0")),
            "net.lgn:11:1: error: more leaves than the 4 the conv declared");
  EXPECT_EQ(parseError(edit("conv in 0 shape 2 3 3 out 2",
                            "conv in 0 shape 2 3 3 out 65000")),
            "net.lgn:5:27: error: 65000 trees of 4 leaves cannot fit in the "
            "301 bytes left in the file");
}

TEST(FormatV2, HostileSizesAreRejectedBeforeAllocating) {
  // A huge unrolled size from a short file.
  std::string text = "lgn 2\ninputs 16777216\nconv in 0 shape 1 4096 4096 out "
                     "16 kernel 1 stride 1 padding 0 leaves 2\n";
  for (int t = 0; t < 16; ++t)
    text += "tree " + std::to_string(t) +
            "\nleaf 0 0 0\nleaf 0 0 0\ng and 0 "
            "1\n";
  text += "gates 0\noutputs 1 classes 1 tau 1\no 0\nend\n";
  std::string e = parseError(text);
  EXPECT_NE(e.find("would exceed 268435456 gates"), std::string::npos) << e;
}

} // namespace
