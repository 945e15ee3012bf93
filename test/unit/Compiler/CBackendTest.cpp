//===- CBackendTest.cpp - lgc --emit=c against the interpreter ------------===//
//
// Part of lgc. Nets of several shapes and encodings are emitted as C, built
// with the system's C compiler (cc) as a shared library, loaded through the
// runtime like a net.so from lgc, and run on random 8-bit, float and packed
// inputs; every count and class must equal the reference interpreter's.
//
//===----------------------------------------------------------------------===//

#include "lgc/Compiler/Driver.h"
#include "lgc/Compiler/LGNImportExport.h"
#include "lgc/Runtime/FileUtil.h"
#include "lgc/Runtime/Generate.h"
#include "lgc/Runtime/Interpreter.h"
#include "lgc/Runtime/NetLibrary.h"

#include "mlir/IR/MLIRContext.h"

#include "../TestUtil.h"
#include "ConvNets.h"
#include "LibraryCheck.h"

#include <gtest/gtest.h>

#include <cstdlib>

using namespace lgc;

namespace {

bool haveCompiler() { return std::system("cc --version >/dev/null 2>&1") == 0; }

TEST(CBackend, BitExactAgainstInterpreter) {
  if (!haveCompiler())
    GTEST_SKIP() << "no C compiler (cc)";
  struct Case {
    const char *name;
    uint32_t inputs;
    std::vector<uint32_t> widths;
    uint32_t classes;
    double passThrough;
    unsigned gatesPerFunction;
    int encoding; // 0 identity, 1 levels, 2 explicit
  } cases[] = {
      {"identity", 40, {120, 60}, 3, -1, 50, 0},
      {"levels", 60, {200, 100}, 5, 0.45, 1000, 1},
      {"explicit", 48, {150, 90}, 6, 0.3, 40, 2},
      {"one_class", 10, {30, 7}, 1, 0.9, 5, 0},
  };
  test::TempDir dir;
  for (const Case &c : cases) {
    SCOPED_TRACE(c.name);
    Net net = test::randomNet(c.inputs, c.widths, c.classes, c.passThrough, 3);
    if (c.encoding == 1) {
      net.numFeatures = c.inputs / 3;
      net.levels = {0.2f, 0.5f, 0.8f};
    } else if (c.encoding == 2) {
      net.numFeatures = 7;
      Rng rng(9);
      for (uint32_t i = 0; i < c.inputs; ++i)
        net.encoding.push_back(
            InputBit{uint32_t(rng.below(7)), float(rng.uniform())});
    }
    mlir::MLIRContext context;
    auto module = importNet(net, &context);
    DriverOptions opts;
    opts.optLevel = 2;
    opts.cpu.gatesPerFunction = c.gatesPerFunction;
    std::string cPath = dir.file(std::string(c.name) + ".c");
    std::string so = dir.file(std::string(c.name) + ".so");
    ASSERT_TRUE(
        mlir::succeeded(Driver(context, opts).run(*module, Stage::C, cPath)));
    std::string cmd = "cc -std=c99 -O1 -Wall -Wextra -Werror -pedantic "
                      "-shared -fPIC -o '" +
                      so + "' '" + cPath + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    std::unique_ptr<NetLibrary> lib;
    Status open = NetLibrary::open(so, lib);
    ASSERT_TRUE(open.ok()) << open.message();
    EXPECT_EQ(lib->info().features, net.numFeatures);
    EXPECT_EQ(lib->info().tau, net.tau);

    test::checkAgainstInterpreter(net, *lib, {1, 63, 64, 65, 300}, {2});
  }
}

/// A conv net's blocks, unrolled, as portable C.
TEST(CBackend, ConvNetBitExact) {
  if (!haveCompiler())
    GTEST_SKIP() << "no C compiler (cc)";
  test::TempDir dir;
  Net net = test::randomConvNet(test::convNetSpecs()[0], 5);
  mlir::MLIRContext context;
  auto module = importNet(net, &context);
  DriverOptions opts;
  opts.optLevel = 2;
  std::string cPath = dir.file("conv.c"), so = dir.file("conv.so");
  ASSERT_TRUE(
      mlir::succeeded(Driver(context, opts).run(*module, Stage::C, cPath)));
  std::string cmd =
      "cc -std=c99 -O1 -shared -fPIC -o '" + so + "' '" + cPath + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::unique_ptr<NetLibrary> lib;
  Status open = NetLibrary::open(so, lib);
  ASSERT_TRUE(open.ok()) << open.message();
  test::checkAgainstInterpreter(net, *lib, {1, 64, 300}, {2});
}

} // namespace
