//===- CPUBackendTest.cpp - net.so against the reference interpreter ------===//
//
// Part of lgc. Random nets of many shapes are compiled to shared libraries,
// loaded through the runtime and run on random packed bits, 8-bit and float
// features, with batch sizes that are not multiples of the vector width, on
// 1 and several threads; every count and class must equal the interpreter's.
//
//===----------------------------------------------------------------------===//

#include "lgc/Compiler/Driver.h"
#include "lgc/Compiler/LGNImportExport.h"
#include "lgc/Runtime/Ensemble.h"
#include "lgc/Runtime/Format.h"
#include "lgc/Runtime/Generate.h"
#include "lgc/Runtime/Interpreter.h"
#include "lgc/Runtime/Mirror.h"
#include "lgc/Runtime/NetLibrary.h"
#include "lgc/Runtime/Runner.h"
#include "lgc/Target/CPU/CPUTarget.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

#include "../TestUtil.h"
#include "ConvNets.h"
#include "LibraryCheck.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include <unistd.h>

using namespace lgc;

namespace {

struct Case {
  const char *name;
  uint32_t inputs;
  std::vector<uint32_t> widths;
  uint32_t classes;
  Connections connections;
  double passThrough;
  unsigned optLevel;
  unsigned vectorBits; // 0: the host's widest
  unsigned gatesPerFunction;
  const char *cpu = "native";
  unsigned registerWindow = kDefaultRegisterWindow;
  unsigned jobs = 0; // one code generation thread per core
  bool ternaryLogic = true;
  /// Through the conversion pass and MLIR's translation (else straight to
  /// LLVM IR).
  bool viaLLVMDialect = false;
  /// Conv and pool blocks as loops over positions (lgc --blocks=loop).
  bool blockLoops = false;
  /// Independent nets in parts of at least this many gates (lgc
  /// --part-gates; 1: every independent net a part of its own).
  unsigned partGates = kDefaultPartGates;
  /// Convs of a layer per loop over positions (lgc --convs-per-loop).
  unsigned convsPerLoop = kDefaultConvsPerLoop;
  /// The GroupSum in the generated code (lgc --count-in-code).
  bool countInCode = true;
  /// The inputs framed as a padded conv's image (lgc --frame-inputs).
  bool frameInputs = true;
  /// A layer's convs in one function, row by row (lgc
  /// --interleave-layer-rows).
  bool interleaveLayerRows = true;
};

using lgc::test::randomNet;
using lgc::test::TempDir;

std::unique_ptr<NetLibrary> compile(const Net &net, const Case &c,
                                    const std::string &dir) {
  mlir::MLIRContext context;
  context.disableMultithreading();
  auto module = importNet(net, &context);
  DriverOptions opts;
  opts.optLevel = c.optLevel;
  opts.cpu.vectorBits = c.vectorBits;
  opts.cpu.cpu = c.cpu;
  opts.cpu.gatesPerFunction = c.gatesPerFunction;
  opts.cpu.registerWindow = c.registerWindow;
  opts.cpu.jobs = c.jobs;
  opts.cpu.ternaryLogic = c.ternaryLogic;
  opts.viaLLVMDialect = c.viaLLVMDialect;
  opts.blockLoops = c.blockLoops;
  opts.cpu.partGates = c.partGates;
  opts.cpu.convsPerLoop = c.convsPerLoop;
  opts.cpu.countInCode = c.countInCode;
  opts.cpu.frameInputs = c.frameInputs;
  opts.cpu.interleaveLayerRows = c.interleaveLayerRows;
  opts.supportLibDir = LGC_SUPPORT_LIB_DIR;
  std::string path = dir + "/" + c.name + ".so";
  bool ok = mlir::succeeded(
      Driver(context, opts).run(*module, Stage::SharedLib, path));
  EXPECT_TRUE(ok);
  std::unique_ptr<NetLibrary> lib;
  if (ok) {
    Status s = NetLibrary::open(path, lib);
    EXPECT_TRUE(s.ok()) << s.message();
  }
  return lib;
}

TEST(CPUBackend, BitExactAgainstInterpreter) {
  const std::vector<Case> cases = {
      {"tiny", 8, {8, 8}, 2, Connections::Random, -1, 1, 0, 10000},
      {"one_class", 20, {50, 33}, 1, Connections::Random, -1, 1, 0, 10000},
      {"many_classes",
       40,
       {120, 100},
       50,
       Connections::Unique,
       0.4,
       2,
       0,
       10000},
      {"odd_widths",
       37,
       {101, 77, 65},
       13,
       Connections::Random,
       0.45,
       1,
       256,
       40},
      {"deep_split",
       64,
       {64, 64, 64, 64, 64, 64, 64, 64},
       4,
       Connections::Unique,
       0.2,
       1,
       128,
       100},
      {"unoptimised",
       30,
       {90, 90, 60},
       6,
       Connections::Random,
       -1,
       0,
       64,
       10000},
      {"wide", 784, {1000, 1000}, 10, Connections::Random, 0.45, 1, 0, 700},
      // Many thresholds over few features: a 64-bit tile spans 4 of them.
      {"thermometer",
       120,
       {200, 100},
       5,
       Connections::Random,
       0.3,
       1,
       0,
       10000},
      // Portable targets: SSE2 (baseline support library) and AVX2 (v3).
      {"portable",
       100,
       {200, 120},
       6,
       Connections::Random,
       0.45,
       1,
       0,
       10000,
       "x86-64-v2"},
      {"avx2",
       100,
       {200, 120},
       6,
       Connections::Unique,
       0.45,
       1,
       0,
       10000,
       "x86-64-v3"},
  };
  TempDir dir;
  for (size_t index = 0; index < cases.size(); ++index) {
    const Case &c = cases[index];
    SCOPED_TRACE(c.name);
    GenerateOptions g;
    g.inputs = c.inputs;
    g.widths = c.widths;
    g.classes = c.classes;
    g.connections = c.connections;
    g.passThroughShare = c.passThrough;
    g.seed = 11;
    Net net;
    ASSERT_TRUE(generateNet(g, net).ok());
    // A thermometer encoding: 8 levels over 15 features for "thermometer",
    // else 2 levels over half the inputs when the width allows.
    uint32_t levels = std::string(c.name) == "thermometer" ? 8 : 2;
    if (net.numInputs % levels == 0) {
      net.numFeatures = net.numInputs / levels;
      for (uint32_t j = 0; j < levels; ++j)
        for (uint32_t f = 0; f < net.numFeatures; ++f)
          net.encoding.push_back(InputBit{
              f, j + 1 == levels && levels == 8
                     ? 1.0f // no 8-bit value reaches it: a constant 0 bit
                     : 0.1f + 0.8f * float(j) / float(levels)});
      // Half the cases keep the encoding explicit (per-bit tables in the
      // generated code), half give it as levels (the per-level packers).
      if (index % 2 == 0)
        net.canonicalizeEncoding();
      ASSERT_EQ(net.levels.empty(), index % 2 != 0);
    }
    std::unique_ptr<NetLibrary> lib = compile(net, c, dir.path);
    ASSERT_TRUE(lib);
    EXPECT_EQ(lib->info().inputs, net.numInputs);
    EXPECT_EQ(lib->info().classes, net.numClasses);
    EXPECT_EQ(lib->info().features, net.numFeatures);
    EXPECT_EQ(lib->info().tau, net.tau);

    test::checkAgainstInterpreter(net, *lib, {1, 63, 64, 65, 700, 1537},
                                  {1, 3});
  }
}

/// Options of one compilation in the tests below: the rest as `Case`'s
/// defaults, -O`optLevel`, `perFunction` gates per function. `name` must
/// outlive the Case.
Case variant(const char *name, unsigned optLevel, unsigned perFunction) {
  return Case{name, 0, {}, 0, Connections::Random, 0, optLevel, 0, perFunction};
}

/// Compiles `net` as `c` says and checks it against the interpreter.
void compileAndCheck(const Net &net, const Case &c, const TempDir &dir,
                     const std::vector<size_t> &sizes,
                     const std::vector<unsigned> &threads) {
  std::unique_ptr<NetLibrary> lib = compile(net, c, dir.path);
  ASSERT_TRUE(lib);
  test::checkAgainstInterpreter(net, *lib, sizes, threads);
}

/// Nets with shared conv and pool blocks: imported as lgn.conv and
/// lgn.or_pool, folded, unrolled and compiled; every count equals the
/// interpreter's evaluation of the blocks from their definition.
TEST(CPUBackend, ConvNetsBitExact) {
  TempDir dir;
  int index = 0;
  for (const test::ConvNetSpec &spec : test::convNetSpecs())
    for (int kinds : {0, 1})
      for (unsigned opt : {0u, 2u}) {
        SCOPED_TRACE(std::string(spec.arch) + " kinds " +
                     std::to_string(kinds) + " -O" + std::to_string(opt));
        Net net = test::randomConvNet(spec, 40 + index, kinds);
        Case c{"conv", 0, {}, 0, Connections::Random, 0, opt, 0, 200};
        std::string name = "conv" + std::to_string(index++);
        c.name = name.c_str();
        auto lib = compile(net, c, dir.path);
        ASSERT_TRUE(lib);
        test::checkAgainstInterpreter(net, *lib, {1, 64, 300}, {1, 2});
      }
}

/// The same nets with every block kept and run as loops over positions:
/// convs reading inputs in place (no padding) or from a zero-framed copy
/// (padding), pools reading conv results mixed with the inputs and
/// constants of folded trees (gathered one value at a time), nets whose
/// outputs are pool results; 64-bit words and the host's widest vectors,
/// small gate functions (many of them reading block results).
TEST(CPUBackend, ConvNetLoopsBitExact) {
  TempDir dir;
  int index = 0;
  for (const test::ConvNetSpec &spec : test::convNetSpecs())
    for (int kinds : {0, 1})
      for (unsigned opt : {0u, 2u})
        for (unsigned bits : {64u, 0u}) {
          SCOPED_TRACE(std::string(spec.arch) + " kinds " +
                       std::to_string(kinds) + " -O" + std::to_string(opt) +
                       " bits " + std::to_string(bits));
          Net net = test::randomConvNet(spec, 40 + index / 2, kinds);
          std::string name = "loop" + std::to_string(index++);
          Case c{name.c_str(),    0, {}, 0, Connections::Random, 0, opt, bits,
                 opt ? 17u : 200u};
          c.blockLoops = true;
          auto lib = compile(net, c, dir.path);
          ASSERT_TRUE(lib);
          test::checkAgainstInterpreter(net, *lib, {1, 64, 300}, {1, 2});
        }
  // A loop per conv, and two convs per loop (layers of 3, 4 and 5 convs:
  // full and partial groups), besides the default of whole layers above;
  // each layer's loops interleaved row by row in one function (the
  // default), and a function per loop.
  for (const test::ConvNetSpec &spec : test::convNetSpecs())
    for (int kinds : {0, 1})
      for (unsigned perLoop : {1u, 2u})
        for (bool rows : {true, false}) {
          SCOPED_TRACE(std::string(spec.arch) + " kinds " +
                       std::to_string(kinds) + " convs per loop " +
                       std::to_string(perLoop) + (rows ? " by rows" : ""));
          Net net = test::randomConvNet(spec, 50 + index, kinds);
          std::string name = "loop" + std::to_string(index++);
          Case c{name.c_str(), 0, {}, 0, Connections::Random, 0, 2, 0, 17u};
          c.blockLoops = true;
          c.convsPerLoop = perLoop;
          c.interleaveLayerRows = rows;
          auto lib = compile(net, c, dir.path);
          ASSERT_TRUE(lib);
          test::checkAgainstInterpreter(net, *lib, {1, 64, 300}, {1, 2});
        }
}

/// Ensembles of conv nets (lgn-ensemble): two towers of shared blocks side
/// by side over the same inputs, their dense layers interleaved and their
/// groups joined, unrolled and as loops.
TEST(CPUBackend, ConvEnsemblesBitExact) {
  TempDir dir;
  int index = 0;
  std::vector<test::ConvNetSpec> specs = test::convNetSpecs();
  // Wide dense layers: more values live at once than the blocks have
  // slots, so gates that wrote over a part's block results would be seen.
  specs.push_back({"conv(2,k=3,p=1,d=1) pool(2) dense(400) dense(300)",
                   8,
                   8,
                   {0.3f, 0.6f},
                   3});
  for (const test::ConvNetSpec &spec : specs) {
    Net ensemble;
    Status s = ensembleNets({test::randomConvNet(spec, 70 + index),
                             test::randomConvNet(spec, 80 + index, 1)},
                            ensemble);
    ASSERT_TRUE(s.ok()) << s.message();
    // Each member a part, evaluated one after the other in shared scratch;
    // last, functions of 3 gates and no register window, so that most
    // values have scratch homes, after each part's block results.
    for (int variant : {0, 1, 2}) {
      bool loops = variant > 0;
      SCOPED_TRACE(std::string(spec.arch) + (loops ? " loops" : "") +
                   (variant == 2 ? " small functions" : ""));
      std::string name = "ensemble" + std::to_string(index++);
      Case c{name.c_str(), 0, {}, 0, Connections::Random, 0, 2, 0, 200};
      c.blockLoops = loops;
      c.partGates = 1;
      if (variant == 2) {
        c.gatesPerFunction = 3;
        c.registerWindow = 0;
      }
      auto lib = compile(ensemble, c, dir.path);
      ASSERT_TRUE(lib);
      test::checkAgainstInterpreter(ensemble, *lib, {1, 64, 300}, {1, 2});
    }
  }
}

/// The inputs framed as the image a padded conv reads (lgc --frame-inputs,
/// the default under --blocks=loop): every packer (8-bit and float
/// thermometers through the byte transposes and through the top-bits
/// planes, packed bits, the generic packer of the AVX2 library) writes each
/// input to its slot and never the border; convs of other members padding
/// less read inside the frame, which takes the widest padding; output bits
/// that are input bits are read from their slots (counted in code, or by
/// the support library); batches of several chunks keep every block's
/// border zero. Against the interpreter, and against the same nets with
/// --frame-inputs=false.
TEST(CPUBackend, FramedInputsBitExact) {
  TempDir dir;
  int index = 0;
  std::vector<test::ConvNetSpec> specs = {
      // Levels on multiples of 32 in 8 bits: the top-bits packers.
      {"conv(4,k=3,p=1,d=2) pool(2) dense(60)", 8, 8, {0.25f, 0.5f, 0.75f}, 3},
      {"conv(3,k=3,p=2,d=2) pool(2) conv(4,k=3,p=1,d=2) dense(40)",
       7,
       6,
       {0.3f, 0.6f},
       4},
  };
  std::vector<Net> nets;
  for (const test::ConvNetSpec &spec : specs) {
    Net net = test::randomConvNet(spec, 90 + nets.size());
    // Three output bits that are input bits: the first, one inside, the
    // last.
    net.outputs[0] = 0;
    net.outputs[net.outputs.size() / 2] = net.numInputs / 2 + 3;
    net.outputs.back() = net.numInputs - 1;
    nets.push_back(net);
    // Beside a member padding less (0) and one padding more (3: the frame
    // takes the widest), in parts.
    test::ConvNetSpec inner = spec, wide = spec;
    inner.arch = "conv(3,k=3,p=0,d=2) dense(120)";
    wide.arch = "conv(2,k=5,p=3,d=2) dense(120)";
    Net ensemble;
    Status s = ensembleNets({test::randomConvNet(spec, 95 + nets.size()),
                             test::randomConvNet(inner, 99 + nets.size(), 1),
                             test::randomConvNet(wide, 103 + nets.size())},
                            ensemble);
    ASSERT_TRUE(s.ok()) << s.message();
    nets.push_back(ensemble);
  }
  struct Variant {
    const char *cpu;
    unsigned bits;
    bool countInCode, frameInputs;
  } variants[] = {{"native", 0, true, true},
                  {"native", 64, true, true},
                  {"native", 0, false, true},
                  {"x86-64-v3", 0, true, true},
                  {"native", 0, true, false}};
  for (const Net &net : nets)
    for (const Variant &v : variants) {
      std::string name = "framed" + std::to_string(index++);
      SCOPED_TRACE(name + " " + v.cpu + " bits " + std::to_string(v.bits) +
                   (v.countInCode ? "" : " counted by the library") +
                   (v.frameInputs ? "" : " not framed"));
      Case c{name.c_str(), 0, {}, 0, Connections::Random, 0, 2, v.bits, 40};
      c.cpu = v.cpu;
      c.blockLoops = true;
      c.partGates = 1;
      c.countInCode = v.countInCode;
      c.frameInputs = v.frameInputs;
      auto lib = compile(net, c, dir.path);
      ASSERT_TRUE(lib);
      test::checkAgainstInterpreter(net, *lib, {1, 64, 300, 2 * 8192 + 333},
                                    {1, 2});
    }
}

/// A net of several parts runs a chunk of blocks at a time, each part over
/// every block of the chunk before the next part: batches of several
/// chunks with a partial last block, 64-bit words and the host's widest
/// vectors. The second ensemble has a member whose outputs are input bits
/// after -O2 (all pass-through gates), whose output pointers are resolved
/// into the first block's inputs: those nets keep one block at a time.
TEST(CPUBackend, EnsemblesInChunksBitExact) {
  TempDir dir;
  int index = 0;
  std::vector<std::vector<Net>> ensembles = {
      {test::randomNet(40, {60, 50}, 5, 0, 1),
       test::randomNet(40, {70, 40}, 5, 0, 2),
       test::randomNet(40, {30, 30, 30}, 5, 0, 3)},
      {test::randomNet(40, {60, 50}, 5, -1, 4),
       test::randomNet(40, {20, 10}, 5, 1.0, 5)}};
  for (const std::vector<Net> &members : ensembles) {
    Net ensemble;
    Status s = ensembleNets(members, ensemble);
    ASSERT_TRUE(s.ok()) << s.message();
    for (unsigned bits : {64u, 0u}) {
      std::string name = "chunks" + std::to_string(index++);
      SCOPED_TRACE(name);
      Case c{name.c_str(), 0, {}, 0, Connections::Random, 0, 2, bits, 20};
      c.partGates = 1;
      auto lib = compile(ensemble, c, dir.path);
      ASSERT_TRUE(lib);
      // 16 blocks a chunk at most: 1,024 or 8,192 samples.
      test::checkAgainstInterpreter(ensemble, *lib, {300, 2 * 8192 + 333},
                                    {1, 2});
    }
  }
}

TEST(CPUBackend, MirroredConvNetsBitExact) {
  // Each conv net with its left-right mirror as one ensemble: the mirror
  // computes the net on mirrored inputs (strided, padded and overlapping
  // windows), and the backend computes the ensemble, unrolled and as loops.
  TempDir dir;
  int index = 0, refused = 0;
  for (const test::ConvNetSpec &spec : test::convNetSpecs()) {
    SCOPED_TRACE(spec.arch);
    Net net = test::randomConvNet(spec, 90 + index), mirror;
    Status s = mirrorNet(net, mirror, {spec.height, spec.width});
    if (!s.ok()) {
      // pool(2,p=1) on a 7-wide image pads one side only.
      EXPECT_NE(s.message().find("do not cover"), std::string::npos)
          << s.message();
      ++refused;
      continue;
    }
    const size_t n = 300;
    std::vector<uint64_t> words = test::randomWords(net.numInputs, n, index);
    std::vector<uint32_t> want(n * net.numClasses), got(want.size());
    interpret(net, test::mirrorRows(words, net.numInputs, spec.width).data(), n,
              want.data(), nullptr);
    interpret(mirror, words.data(), n, got.data(), nullptr);
    EXPECT_EQ(got, want);

    Net both;
    ASSERT_TRUE(ensembleNets({net, mirror}, both).ok());
    for (bool loops : {false, true}) {
      std::string name = "mirror" + std::to_string(index++);
      Case c{name.c_str(), 0, {}, 0, Connections::Random, 0, 2, 0, 200};
      c.blockLoops = loops;
      c.partGates = loops ? 1 : 0; // in parts, and in one pass
      auto lib = compile(both, c, dir.path);
      ASSERT_TRUE(lib);
      test::checkAgainstInterpreter(both, *lib, {1, 64, 300}, {1, 2});
    }
  }
  EXPECT_EQ(refused, 1);
}

TEST(CPUBackend, RegisterWindowsAndSlotReuse) {
  // The register window decides which values are reloaded and, with the
  // function size, which get scratch slots (reused after their last use);
  // ternary logic (on AVX-512 hosts) fuses gates: every combination must
  // compute the same net.
  Net net = randomNet(90, {400, 300, 200, 100}, 5, 0.3, 5);
  TempDir dir;
  for (unsigned window : {0u, 1u, 5u, kDefaultRegisterWindow, kUnlimitedWindow})
    for (unsigned perFunction : {37u, 10000u})
      for (bool ternary : {false, true})
        for (bool via : {false, true}) {
          std::string name = "w" + std::to_string(window) + "_g" +
                             std::to_string(perFunction) +
                             (ternary ? "_t" : "") + (via ? "_mlir" : "");
          SCOPED_TRACE(name);
          Case c = variant(name.c_str(), 1, perFunction);
          c.registerWindow = window;
          c.ternaryLogic = ternary;
          c.viaLLVMDialect = via;
          compileAndCheck(net, c, dir, {1, 700}, {1});
        }
}

TEST(CPUBackend, CountsInCodeBitExact) {
  // The GroupSum in the generated code: each output added to its class's
  // carry-save counter as its gate completes it, the counter carried from
  // one function to the next through scratch, each part finished by its
  // count function. Both ways (in code, and by the support library) on
  // nets whose outputs are gates, inputs (pass-through 1: no gates at all)
  // and constants, all of them inputs (no gates: the count function counts
  // them), with one class, 13 and 50, with functions of 7 gates
  // (a class's counter crosses many) and with windows of 0 and 1 (outputs
  // reloaded before they are counted), without ternary logic and on
  // 64-bit words; and on an ensemble in parts.
  TempDir dir;
  int index = 0;
  struct Variant {
    Net net;
    unsigned perFunction, window, bits;
    bool ternary;
  };
  Net ensemble;
  ASSERT_TRUE(ensembleNets({randomNet(40, {60, 52}, 13, -1, 4),
                            randomNet(40, {26, 26}, 13, 1.0, 5),
                            randomNet(40, {70, 39}, 13, 0.3, 6)},
                           ensemble)
                  .ok());
  // Every output an input bit: no gates survive, so the count function
  // counts them all.
  Net inputsOnly = randomNet(20, {10}, 5, -1, 15);
  inputsOnly.outputs.clear();
  for (uint32_t i = 0; i < 20; ++i)
    inputsOnly.outputs.push_back((i * 7) % 20);
  std::vector<Variant> variants = {
      {inputsOnly, 10, kDefaultRegisterWindow, 0, true},
      {randomNet(30, {90, 60}, 1, -1, 11), 7, kDefaultRegisterWindow, 0, true},
      {randomNet(40, {130, 130}, 13, 0.4, 12), 7, 0, 0, true},
      {randomNet(40, {130, 130}, 13, 0.4, 12), 1000, 1, 64, false},
      {randomNet(60, {200, 150}, 50, 0.2, 13), 37, kDefaultRegisterWindow, 256,
       true},
      {randomNet(20, {40, 20}, 5, 1.0, 14), 10, kDefaultRegisterWindow, 0,
       true},
      {ensemble, 20, kDefaultRegisterWindow, 0, true},
      {ensemble, 20, 2, 128, false}};
  for (const Variant &v : variants)
    for (bool inCode : {true, false}) {
      std::string name =
          "count" + std::to_string(index++) + (inCode ? "_code" : "_lib");
      SCOPED_TRACE(name);
      Case c = variant(name.c_str(), 2, v.perFunction);
      c.registerWindow = v.window;
      c.vectorBits = v.bits;
      c.ternaryLogic = v.ternary;
      c.partGates = 1;
      c.countInCode = inCode;
      compileAndCheck(v.net, c, dir, {1, 64, 700, 2 * 8192 + 7}, {1, 2});
    }
}

TEST(CPUBackend, ParallelCodeGeneration) {
  // The gate functions spread over 1, 2 and 5 threads (more than this
  // machine may have cores: the parts are still compiled and linked): each
  // library computes the interpreter's counts and classes.
  // Both ways to LLVM IR: straight from the skeleton, each part built on
  // its thread, or through the LLVM dialect, split after translation.
  Net net = randomNet(70, {500, 400, 300}, 6, 0.2, 9);
  TempDir dir;
  for (bool via : {false, true})
    for (unsigned jobs : {1u, 2u, 5u}) {
      std::string name = "j" + std::to_string(jobs) + (via ? "_mlir" : "");
      SCOPED_TRACE(name);
      Case c = variant(name.c_str(), 2, 60);
      c.jobs = jobs;
      c.viaLLVMDialect = via;
      compileAndCheck(net, c, dir, {1, 513, 1500}, {1, 2});
    }
}

TEST(CPUBackend, LargerNetOnAllCores) {
  // A net two orders of magnitude above the other cases (784 inputs, 60,000
  // gates before optimisation, about 20,000 after: 20 gate functions over
  // all cores), so that slot reuse, the window and the parallel split meet
  // real cuts.
  Net net = randomNet(784, {20000, 20000, 12000, 8000}, 10, -1, 3);
  TempDir dir;
  Case c = variant("larger", 2, kDefaultGatesPerFunction);
  std::unique_ptr<NetLibrary> lib = compile(net, c, dir.path);
  ASSERT_TRUE(lib);
  EXPECT_GT(lib->info().gates, 15000u);
  test::checkAgainstInterpreter(net, *lib, {1000}, {2});
}

TEST(CPUBackend, ThermometerLevelOrders) {
  // The per-level packers (a byte transpose per 64 features; 8-bit levels
  // on multiples of 32 through the pixels' top three bit planes on 512-bit
  // vectors; floats through the count of levels they exceed when the
  // levels ascend, else bit by bit) on levels in every order, repeated,
  // below 0 and above 1, over 70 features (a full pass of 64 and a tail),
  // on the host's widest vectors and on 256-bit ones (no top-bit path).
  const std::vector<std::vector<float>> orders = {
      {0.2f, 0.5f, 0.5f, 0.7f},  // ascending, one repeated
      {0.7f, 0.5f, 0.2f},        // descending
      {0.5f, -0.1f, 1.5f, 0.2f}, // unsorted, every byte / no byte reaches
      // Byte thresholds 32, 64, .., 224: the top three bits.
      {0.125f, 0.25f, 0.375f, 0.5f, 0.625f, 0.75f, 0.875f},
      {0.875f, 0.5f, 0.5f, 0.125f},      // descending, one repeated
      {0.5f, -0.1f, 1.5f, 0.25f, 0.75f}, // every byte (0), no byte (256)
      {0.5f}};
  TempDir dir;
  for (size_t k = 0; k < orders.size(); ++k) {
    SCOPED_TRACE(k);
    uint32_t L = uint32_t(orders[k].size());
    Net net = randomNet(70 * L, {300, 200}, 4, 0.3);
    net.numFeatures = 70;
    net.levels = orders[k];
    for (unsigned bits : {0u, 256u})
      for (bool gfni : {true, false}) {
        // The top-bit path's bit transposes by GFNI where the CPU has it,
        // else (and with LGC_CPU_NO_GFNI=1) by shifts and masks. A library
        // of its own each: the choice is made when its buffers are first
        // allocated, and later calls reuse them.
        std::string name = "levels" + std::to_string(k) + "_" +
                           std::to_string(bits) + (gfni ? "" : "_nogfni");
        Case c{name.c_str(), 0, {}, 0, Connections::Random, 0, 2, bits, 100};
        // Unset again however the block ends (an ASSERT returns early).
        struct NoGfni {
          bool set;
          explicit NoGfni(bool set) : set(set) {
            if (set)
              setenv("LGC_CPU_NO_GFNI", "1", 1);
          }
          ~NoGfni() {
            if (set)
              unsetenv("LGC_CPU_NO_GFNI");
          }
        } noGfni(!gfni);
        std::unique_ptr<NetLibrary> lib = compile(net, c, dir.path);
        ASSERT_TRUE(lib);
        test::checkAgainstInterpreter(net, *lib, {1, 65, 700, 1100}, {1, 2});
      }
  }
}

/// A small net over 20 features at three levels (60 input bits).
static Net leveledNet() {
  Net net = randomNet(60, {300, 200}, 4, 0.3);
  net.numFeatures = 20;
  net.levels = {0.2f, 0.5f, 0.7f};
  return net;
}

/// n samples of random 8-bit and float features.
static void randomFeatures(size_t n, uint32_t features, uint64_t seed,
                           std::vector<uint8_t> &px, std::vector<float> &fx) {
  Rng rng(seed);
  px.resize(n * features);
  fx.resize(n * features);
  for (size_t i = 0; i < px.size(); ++i) {
    px[i] = uint8_t(rng.below(256));
    fx[i] = float(rng.uniform());
  }
}

TEST(CPUBackend, ConcurrentCallsAgree) {
  // The library parks one set of working buffers between calls: calls from
  // many threads at once, of every input kind and size, hand it over or
  // allocate their own, and every result equals the one-thread answer.
  Net net = leveledNet();
  TempDir dir;
  Case c{"concurrent", 0, {}, 0, Connections::Random, 0, 2, 0, 100};
  std::unique_ptr<NetLibrary> lib = compile(net, c, dir.path);
  ASSERT_TRUE(lib);
  const size_t n = 1100;
  std::vector<uint8_t> px;
  std::vector<float> fx;
  randomFeatures(n, net.numFeatures, 9, px, fx);
  std::vector<uint32_t> want8(n), wantF(n);
  ASSERT_TRUE(lib->runU8(px.data(), n, nullptr, want8.data(), 1).ok());
  ASSERT_TRUE(lib->runF32(fx.data(), n, nullptr, wantF.data(), 1).ok());
  std::atomic<unsigned> wrong{0};
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < 6; ++t)
    pool.emplace_back([&, t] {
      for (unsigned k = 0; k < 100; ++k) {
        // Prefixes of different lengths: the tail of one call must not leak
        // into the next one's answer.
        size_t m = 1 + (t * 131 + k * 97) % n;
        std::vector<uint32_t> got(m);
        bool f32 = (t + k) % 2;
        Status s = f32 ? lib->runF32(fx.data(), m, nullptr, got.data(), 1)
                       : lib->runU8(px.data(), m, nullptr, got.data(), 1);
        const std::vector<uint32_t> &want = f32 ? wantF : want8;
        if (!s.ok() || !std::equal(got.begin(), got.end(), want.begin()))
          ++wrong;
      }
    });
  for (std::thread &th : pool)
    th.join();
  EXPECT_EQ(wrong.load(), 0u);
}

TEST(CPUBackend, RunnersAgree) {
  // lgc::Runner over a .lgn (interpreter) and the net.so compiled from it.
  Net net = leveledNet();
  TempDir dir;
  ASSERT_TRUE(writeNetFile(dir.file("net.lgn"), net).ok());
  Case c{"runner", 0, {}, 0, Connections::Random, 0, 2, 0, 100};
  ASSERT_TRUE(compile(net, c, dir.path));
  std::unique_ptr<Runner> interp, lib;
  ASSERT_TRUE(Runner::open(dir.file("net.lgn"), interp).ok());
  ASSERT_TRUE(Runner::open(dir.file("runner.so"), lib).ok());
  EXPECT_EQ(interp->info().backend, "reference interpreter");
  EXPECT_EQ(lib->info().features, 20u);
  EXPECT_EQ(lib->info().classes, 4u);
  EXPECT_EQ(lib->info().tau, interp->info().tau);
  EXPECT_EQ(lib->info().outputs, interp->info().outputs);
  EXPECT_LT(lib->deviceSeconds(), 0);
  const size_t n = 333;
  std::vector<uint8_t> px;
  std::vector<float> fx;
  randomFeatures(n, net.numFeatures, 5, px, fx);
  for (bool u8 : {true, false}) {
    std::vector<uint32_t> c1(n * 4), k1(n), c2(n * 4, 9), k2(n, 9);
    auto run = [&](Runner &r, uint32_t *counts, uint32_t *classes) {
      return u8 ? r.runU8(px.data(), n, counts, classes, 2)
                : r.runF32(fx.data(), n, counts, classes, 2);
    };
    ASSERT_TRUE(run(*interp, c1.data(), k1.data()).ok());
    ASSERT_TRUE(run(*lib, c2.data(), k2.data()).ok());
    EXPECT_EQ(c1, c2) << (u8 ? "u8" : "f32");
    EXPECT_EQ(k1, k2) << (u8 ? "u8" : "f32");
  }
  std::unique_ptr<Runner> missing;
  Status s = Runner::open(dir.file("absent.lgn"), missing);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().rfind(dir.file("absent.lgn") + ": error: ", 0), 0u)
      << s.message();
}

TEST(CPUBackend, LoaderErrors) {
  TempDir dir;
  std::unique_ptr<NetLibrary> lib;
  Status missing = NetLibrary::open(dir.path + "/absent.so", lib);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("cannot load net library"),
            std::string::npos);
  // A shared library that is not a net: the runtime's own C API library.
  Status notNet = NetLibrary::open(LGC_RUNTIME_SO, lib);
  ASSERT_FALSE(notNet.ok());
  EXPECT_NE(notNet.message().find("not an lgc net library"), std::string::npos)
      << notNet.message();
  std::string text = dir.path + "/text.so";
  ASSERT_EQ(std::system(("echo hello > '" + text + "'").c_str()), 0);
  EXPECT_FALSE(NetLibrary::open(text, lib).ok());
}

} // namespace
