//===- DriverTest.cpp - The staged compiler driver ------------------------===//
//
// Part of lgc. The stage table, option checks reported as diagnostics, and
// each stage's output on a small net.
//
//===----------------------------------------------------------------------===//

#include "lgc/Compiler/Driver.h"
#include "lgc/Compiler/LGNImportExport.h"
#include "lgc/Runtime/Generate.h"

#include "../TestUtil.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

#include <set>

using namespace lgc;

namespace {

TEST(Driver, StageTable) {
  std::set<std::string> names, extensions;
  for (const StageInfo &info : stages()) {
    EXPECT_TRUE(names.insert(info.name).second) << info.name;
    if (*info.extension)
      EXPECT_TRUE(extensions.insert(info.extension).second) << info.extension;
    EXPECT_EQ(stageByName(info.name), info.stage);
    EXPECT_EQ(&stageInfo(info.stage), &info);
  }
  EXPECT_EQ(stageForOutput("net.so"), Stage::SharedLib);
  EXPECT_EQ(stageForOutput("dir/net.ptx"), Stage::PTX);
  EXPECT_EQ(stageForOutput("net.v"), Stage::Verilog);
  EXPECT_EQ(stageForOutput("net.c"), Stage::C);
  EXPECT_EQ(stageForOutput("net.txt"), std::nullopt);
  EXPECT_EQ(stageByName("spirv"), std::nullopt);
}

/// Runs `stage` on a small generated net; returns the output and the
/// diagnostics reported.
struct Result {
  bool ok;
  std::string out, diagnostics;
};
/// A small random net: 16 inputs, 40 and 20 gates, 2 classes.
Net smallNet() { return test::randomNet(16, {40, 20}, 2); }

Result compileSmall(DriverOptions opts, Stage stage,
                    const std::string &outPath = "") {
  Net net = smallNet();
  mlir::MLIRContext context;
  Result r;
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
    r.diagnostics += d.str() + "\n";
    return mlir::success();
  });
  auto module = importNet(net, &context, "small.lgn");
  r.ok = mlir::succeeded(
      Driver(context, std::move(opts)).compile(*module, stage, outPath, r.out));
  return r;
}

TEST(Driver, OptionErrorsAreDiagnostics) {
  DriverOptions opts;
  opts.cpu.vectorBits = 100;
  Result r = compileSmall(opts, Stage::LLVM);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.diagnostics.find("invalid --vector-bits=100"), std::string::npos)
      << r.diagnostics;

  opts = DriverOptions();
  opts.optLevel = 7;
  r = compileSmall(opts, Stage::MLIR);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.diagnostics.find("invalid optimisation level -O7"),
            std::string::npos);

  r = compileSmall(DriverOptions(), Stage::SharedLib);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.diagnostics.find("needs an output file"), std::string::npos);

  opts = DriverOptions();
  opts.cpu.cpu = "no-such-cpu";
  r = compileSmall(opts, Stage::Asm);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.diagnostics.find("unknown CPU 'no-such-cpu'"), std::string::npos)
      << r.diagnostics;

  opts = DriverOptions();
  opts.gpuArch = "sm_1";
  r = compileSmall(opts, Stage::PTX);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.diagnostics.find("unknown GPU architecture 'sm_1'"),
            std::string::npos);
}

TEST(Driver, EachStageProducesItsForm) {
  struct Want {
    Stage stage;
    const char *contains;
  } wants[] = {
      {Stage::LGN, "lgn 1\n"},
      {Stage::MLIR, "lgn.net @net"},
      {Stage::LLVMMLIR, "llvm.func @__lgc_gen_eval"},
      {Stage::LLVM, "define void @__lgc_gen_eval"},
      {Stage::Asm, "__lgc_gen_eval:"},
      {Stage::Obj, "\x7f"
                   "ELF"},
      {Stage::GPUMLIR, "nvvm.kernel"},
      {Stage::GPULLVM, "!{ptr @lgc_net, !\"kernel\", i32 1}"},
      {Stage::PTX, ".entry lgc_net"},
      {Stage::Verilog, "module net"},
      {Stage::C, "int lgc_net_run_u8(const uint8_t *x"},
  };
  for (const Want &w : wants) {
    SCOPED_TRACE(stageInfo(w.stage).name);
    Result r = compileSmall(DriverOptions(), w.stage);
    ASSERT_TRUE(r.ok) << r.diagnostics;
    EXPECT_NE(r.out.find(w.contains), std::string::npos)
        << r.out.substr(0, 400);
  }
}

TEST(Driver, StepTimesFollowTheStages) {
  mlir::MLIRContext context;
  auto module = importNet(smallNet(), &context, "small.lgn");
  Driver driver(context, DriverOptions());
  std::string out;
  ASSERT_TRUE(mlir::succeeded(driver.compile(*module, Stage::Asm, "", out)));
  std::vector<std::string> names;
  for (const StepTime &step : driver.stepTimes()) {
    names.push_back(step.name);
    EXPECT_GE(step.seconds, 0);
    EXPECT_GT(step.peakBytes, 0u);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"optimise", "lower to LLVM IR",
                                             "generate code"}));
  std::string table;
  llvm::raw_string_ostream os(table);
  driver.printStepTimes(os);
  EXPECT_NE(table.find("lower to LLVM IR"), std::string::npos) << table;
  EXPECT_NE(table.find("MiB"), std::string::npos) << table;
}

} // namespace
