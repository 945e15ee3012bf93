//===- FormatTest.cpp - .lgn reader and writer ----------------------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Runtime/Format.h"
#include "lgc/Runtime/Generate.h"

#include <gtest/gtest.h>

#include <cmath>

#include <cstdio>
#include <fstream>
#include <unistd.h>

using namespace lgc;

namespace {

const char *kSmall = R"(lgn 1
# two inputs, xor and and, one class each
inputs 2
meta dataset unit test
gates 2
layer
g xor 0 1
g and 0 1
outputs 2 classes 2 tau 1.5
o 2
o 3
end
)";

std::string parseError(const std::string &text) {
  Net net;
  Status s = parseNet(text, "net.lgn", net);
  return s.ok() ? std::string("<ok>") : s.message();
}

TEST(Format, ParsesSmallNet) {
  Net net;
  ASSERT_TRUE(parseNet(kSmall, "net.lgn", net).ok());
  EXPECT_EQ(net.numInputs, 2u);
  EXPECT_EQ(net.numFeatures, 2u);
  ASSERT_EQ(net.gates.size(), 2u);
  EXPECT_EQ(net.gates[0], (Gate{6, 0, 1}));
  EXPECT_EQ(net.gates[1], (Gate{1, 0, 1}));
  EXPECT_EQ(net.outputs, (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(net.numClasses, 2u);
  EXPECT_EQ(net.tau, 1.5);
  EXPECT_EQ(net.layerStarts, (std::vector<uint32_t>{0}));
  ASSERT_EQ(net.metadata.size(), 1u);
  EXPECT_EQ(net.metadata[0].first, "dataset");
  EXPECT_EQ(net.metadata[0].second, "unit test");
}

TEST(Format, KindsByNumberAndName) {
  for (unsigned k = 0; k < 16; ++k) {
    EXPECT_EQ(parseGateKind(std::to_string(k)), k);
    EXPECT_EQ(parseGateKind(gateKindName(k)), k);
  }
  EXPECT_FALSE(parseGateKind("16"));
  EXPECT_FALSE(parseGateKind("nand"));
  EXPECT_EQ(gateKindName(6), "xor");
  EXPECT_EQ(gateKindName(2), "not_implies");
}

TEST(Format, ThresholdsOutOfFloatRange) {
  Net net;
  // Too large: a clear range error, not "expected a number".
  Status s = parseNet("lgn 1\ninputs 2\nthresholds 1e39\n", "t.lgn", net);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("t.lgn:3:12: error: threshold 1e39 is out of "
                             "range for a 32-bit float (magnitude at most "
                             "3.4e+38)"),
            std::string::npos)
      << s.message();
  // Too small: rounds to a zero of its sign, as strtof does.
  ASSERT_TRUE(parseNet("lgn 1\ninputs 2\nfeatures 1\nthresholds 1e-50 "
                       "-1e-50\ngates 0\noutputs 1 classes 1 tau 1\no 1\n"
                       "end\n",
                       "t.lgn", net)
                  .ok());
  ASSERT_EQ(net.levels.size(), 2u);
  EXPECT_EQ(net.levels[0], 0.0f);
  EXPECT_FALSE(std::signbit(net.levels[0]));
  EXPECT_TRUE(std::signbit(net.levels[1]));
}

TEST(Format, ThermometerAndExplicitEncoding) {
  Net net;
  ASSERT_TRUE(parseNet("lgn 1\ninputs 6\nthresholds 0.25 0.75\ngates 0\n"
                       "outputs 1 classes 1 tau 1\no 5\nend\n",
                       "t.lgn", net)
                  .ok());
  EXPECT_EQ(net.numFeatures, 3u);
  // A thermometer is kept as its levels, not expanded per bit.
  EXPECT_TRUE(net.encoding.empty());
  EXPECT_EQ(net.levels, (std::vector<float>{0.25f, 0.75f}));
  EXPECT_EQ(net.inputBit(4), (InputBit{1, 0.75f}));
  // 'bit' lines of thermometer shape become levels too, so no later stage
  // has to recognise the shape; a -0 among 0s keeps the explicit form.
  ASSERT_TRUE(parseNet("lgn 1\ninputs 4\nfeatures 2\nbit 0 0.5\nbit 1 0.5\n"
                       "bit 0 0.8\nbit 1 0.8\ngates 0\noutputs 1 classes 1 "
                       "tau 1\no 3\nend\n",
                       "t.lgn", net)
                  .ok());
  EXPECT_TRUE(net.encoding.empty());
  EXPECT_EQ(net.levels, (std::vector<float>{0.5f, 0.8f}));
  ASSERT_TRUE(parseNet("lgn 1\ninputs 2\nfeatures 2\nbit 0 0\nbit 1 -0\n"
                       "gates 0\noutputs 1 classes 1 tau 1\no 1\nend\n",
                       "t.lgn", net)
                  .ok());
  EXPECT_TRUE(net.levels.empty());
  EXPECT_EQ(net.encoding.size(), 2u);
  ASSERT_TRUE(parseNet("lgn 1\ninputs 2\nfeatures 5\nbit 4 0.1\nbit 0 0.9\n"
                       "gates 0\noutputs 1 classes 1 tau 1\no 1\nend\n",
                       "t.lgn", net)
                  .ok());
  EXPECT_EQ(net.encoding[0], (InputBit{4, 0.1f}));
  EXPECT_EQ(net.encoding[1], (InputBit{0, 0.9f}));
}

struct ErrorCase {
  const char *what;
  std::string text;
  const char *expected; // the full "file:line:col: error: ..." prefix
};

TEST(Format, LocatedErrors) {
  const std::string head = "lgn 1\ninputs 4\ngates 2\n";
  const std::vector<ErrorCase> cases = {
      {"empty file", "", "net.lgn:1:1: error: empty file"},
      {"only comments", "# nothing\n\n", "net.lgn:1:1: error: empty file"},
      {"bad header", "lgm 1\n",
       "net.lgn:1:1: error: expected the header 'lgn 1'"},
      {"bad version", "lgn 3\n",
       "net.lgn:1:5: error: unsupported format version 3"},
      {"version junk", "lgn one\n",
       "net.lgn:1:5: error: expected format version"},
      {"unknown directive", "lgn 1\nfoo 3\n",
       "net.lgn:2:1: error: unknown directive 'foo'"},
      {"unknown kind", head + "g nand 0 1\n",
       "net.lgn:4:3: error: unknown gate kind 'nand'"},
      {"kind out of range", head + "g 16 0 1\n",
       "net.lgn:4:3: error: unknown gate kind '16'"},
      {"forward operand", head + "g and 0 5\n",
       "net.lgn:4:9: error: gate operand 5 refers to a later node"},
      {"self operand", head + "g and 4 1\n",
       "net.lgn:4:7: error: gate operand 4 refers to a later node"},
      {"out of range operand", head + "g xor 9001 1\n",
       "net.lgn:4:7: error: gate operand 9001 is out of range"},
      {"negative operand", head + "g and -1 0\n",
       "net.lgn:4:7: error: expected gate operand as a non-negative integer"},
      {"overflowing operand", head + "g and 99999999999999999999 0\n",
       "net.lgn:4:7: error: gate operand 99999999999999999999 is out of range"},
      {"missing operand", head + "g and 0\n",
       "net.lgn:4:8: error: 'g' expects 3 arguments"},
      {"extra operand", head + "g and 0 1 2\n",
       "net.lgn:4:11: error: unexpected '2'"},
      {"too many gates", head + "g and 0 1\ng and 0 1\ng and 0 1\n",
       "net.lgn:6:1: error: more gates than the 2 declared"},
      {"too few gates", head + "g and 0 1\noutputs 1 classes 1 tau 1\n",
       "net.lgn:5:1: error: 'gates' declared 2 gates, but 1 are listed"},
      {"gate before count", "lgn 1\ninputs 2\ng and 0 1\n",
       "net.lgn:3:1: error: gate before the 'gates' count"},
      {"outputs not divisible",
       head + "g and 0 1\ng or 0 1\noutputs 3 classes 2 tau 1\n",
       "net.lgn:6:9: error: 3 outputs are not divisible into 2 classes"},
      {"zero classes",
       head + "g and 0 1\ng or 0 1\noutputs 2 classes 0 tau 1\n",
       "net.lgn:6:19: error: a net needs at least one class"},
      {"bad tau", head + "g and 0 1\ng or 0 1\noutputs 2 classes 1 tau -1\n",
       "net.lgn:6:25: error: tau must be positive and finite"},
      {"nan tau", head + "g and 0 1\ng or 0 1\noutputs 2 classes 1 tau nan\n",
       "net.lgn:6:25: error: expected tau as a number"},
      {"output out of range",
       head + "g and 0 1\ng or 0 1\noutputs 2 classes 1 tau 1\no 4 6\n",
       "net.lgn:7:5: error: output node 6 is out of range"},
      {"too many outputs",
       head + "g and 0 1\ng or 0 1\noutputs 1 classes 1 tau 1\no 4 5\n",
       "net.lgn:7:5: error: more output nodes than the 1 declared"},
      {"truncated in gates", head + "g and 0 1\n",
       "net.lgn:5:1: error: unexpected end of file (truncated?): expected more "
       "gates"},
      {"truncated in outputs",
       head + "g and 0 1\ng or 0 1\noutputs 2 classes 1 tau 1\no 4\n",
       "net.lgn:8:1: error: unexpected end of file (truncated?): expected more "
       "output nodes"},
      {"missing end",
       head + "g and 0 1\ng or 0 1\noutputs 1 classes 1 tau 1\no 4\n",
       "net.lgn:8:1: error: unexpected end of file (truncated?): expected "
       "'end'"},
      {"short outputs at end",
       head + "g and 0 1\ng or 0 1\noutputs 2 classes 1 tau 1\no 4\nend\n",
       "net.lgn:8:1: error: 'outputs' declared 2 nodes, but 1 are listed"},
      {"junk after end",
       head + "g and 0 1\ng or 0 1\noutputs 1 classes 1 tau 1\no 4\nend\nxyz\n",
       "net.lgn:9:1: error: unexpected 'xyz' after 'end'"},
      {"control character", "lgn 1\ninputs 2\x01\n",
       "net.lgn:2:9: error: unexpected control character"},
      {"absurd inputs", "lgn 1\ninputs 4000000000\n",
       "net.lgn:2:8: error: input count 4000000000 is out of range"},
      {"zero inputs", "lgn 1\ninputs 0\n",
       "net.lgn:2:8: error: a net needs at least one input"},
      {"absurd gate count", "lgn 1\ninputs 2\ngates 100000000\n",
       "net.lgn:3:7: error: gate count 100000000 cannot fit"},
      {"gate count over limit", "lgn 1\ninputs 2\ngates 300000000\n",
       "net.lgn:3:7: error: gate count 300000000 is out of range"},
      {"absurd output count",
       "lgn 1\ninputs 2\ngates 0\noutputs 100000000 classes 1 tau 1\n",
       "net.lgn:4:9: error: output count 100000000 cannot fit"},
      {"duplicate inputs", "lgn 1\ninputs 2\ninputs 2\n",
       "net.lgn:3:1: error: duplicate 'inputs'"},
      {"thresholds mismatch", "lgn 1\ninputs 5\nthresholds 0.2 0.4\n",
       "net.lgn:3:1: error: 2 thresholds over 2 features give 4 bits"},
      {"bad threshold", "lgn 1\ninputs 2\nthresholds x\n",
       "net.lgn:3:12: error: expected threshold as a number"},
      {"bit feature out of range", "lgn 1\ninputs 2\nfeatures 3\nbit 3 0.5\n",
       "net.lgn:4:5: error: feature index 3 is out of range"},
      {"too few bits", "lgn 1\ninputs 2\nbit 0 0.5\ngates 0\n",
       "net.lgn:4:1: error: encoding lists 1 'bit' lines for 2 inputs"},
      {"features without encoding", "lgn 1\ninputs 2\nfeatures 3\ngates 0\n",
       "net.lgn:4:1: error: 'features 3' differs from 'inputs 2'"},
      {"duplicate meta", "lgn 1\nmeta a 1\nmeta a 2\n",
       "net.lgn:3:6: error: duplicate metadata key 'a'"},
      {"bad meta key", "lgn 1\nmeta a/b 1\n",
       "net.lgn:2:6: error: metadata key 'a/b' has a character outside"},
      {"empty layer", head + "layer\nlayer\n",
       "net.lgn:5:1: error: empty layer"},
      {"trailing layer",
       head + "g and 0 1\ng or 0 1\nlayer\noutputs 1 classes 1 tau 1\n",
       "net.lgn:7:1: error: empty layer"},
  };
  for (const ErrorCase &c : cases) {
    std::string msg = parseError(c.text);
    EXPECT_EQ(msg.rfind(c.expected, 0), 0u)
        << c.what << "\n  got:      " << msg << "\n  expected: " << c.expected;
  }
}

TEST(Format, CrlfAndCommentsAccepted) {
  std::string text = kSmall;
  std::string crlf;
  for (char c : text) {
    if (c == '\n')
      crlf += "\r";
    crlf += c;
  }
  Net a, b;
  ASSERT_TRUE(parseNet(kSmall, "a", a).ok());
  ASSERT_TRUE(parseNet(crlf, "b", b).ok());
  EXPECT_TRUE(a == b);
}

TEST(Format, RoundTripsRandomNets) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    GenerateOptions opts;
    Rng rng(seed * 77);
    opts.inputs = 1 + uint32_t(rng.below(300));
    opts.classes = 1 + uint32_t(rng.below(5));
    size_t layers = 1 + rng.below(4);
    opts.widths.clear();
    for (size_t l = 0; l < layers; ++l)
      opts.widths.push_back(opts.classes * (1 + uint32_t(rng.below(100))));
    opts.seed = seed;
    opts.tau = 0.1 + rng.uniform() * 30;
    opts.connections = seed % 2 ? Connections::Random : Connections::Unique;
    if (opts.connections == Connections::Unique) // needs 2 x width >= previous
      for (uint32_t &w : opts.widths)
        w = opts.classes * (opts.inputs / (2 * opts.classes) + 1);
    Net net;
    ASSERT_TRUE(generateNet(opts, net).ok()) << seed;
    // Exercise every part of the format.
    if (seed % 3 == 0) {
      net.numFeatures = 7;
      for (uint32_t i = 0; i < net.numInputs; ++i)
        net.encoding.push_back(
            InputBit{uint32_t(rng.below(7)), float(rng.uniform())});
    } else if (seed % 3 == 1 && net.numInputs % 2 == 0) {
      net.numFeatures = net.numInputs / 2;
      for (uint32_t j = 0; j < 2; ++j)
        for (uint32_t f = 0; f < net.numFeatures; ++f)
          net.encoding.push_back(InputBit{f, j ? 0.75f : 0.1f});
    }
    net.metadata.emplace_back("note", "seed " + std::to_string(seed) +
                                          " # not a comment");
    net.metadata.emplace_back("empty", "");
    ASSERT_EQ(verifyNet(net), "");
    std::string text = writeNet(net);
    Net back;
    Status s = parseNet(text, "rt.lgn", back);
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_TRUE(back == net) << "seed " << seed;
    EXPECT_EQ(writeNet(back), text);
  }
}

TEST(Format, WriteFileIsAtomicAndRefusesInvalidNets) {
  char dir[] = "/tmp/lgc-format-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/n.lgn";
  Net net;
  ASSERT_TRUE(parseNet(kSmall, "s", net).ok());
  ASSERT_TRUE(writeNetFile(path, net).ok());
  Net back;
  ASSERT_TRUE(readNetFile(path, back).ok());
  EXPECT_TRUE(back == net);
  net.gates[0].b = 99; // reads a later node
  Status s = writeNetFile(path, net);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("refusing to write an invalid net"),
            std::string::npos);
  ASSERT_TRUE(readNetFile(path, back).ok()); // the old file is intact
  Status missing = writeNetFile(std::string(dir) + "/no/such/dir/n.lgn", back);
  EXPECT_FALSE(missing.ok());
  EXPECT_FALSE(readNetFile(std::string(dir) + "/absent.lgn", back).ok());
  std::remove(path.c_str());
  rmdir(dir);
}

} // namespace
