//===- ExportVerilog.h - lgn nets as synthesizable Verilog ------*- C++ -*-===//
//
// Part of lgc. Verilog-2005: one assign per gate, a GroupSum adder tree of
// the narrowest widths, an argmax tree (ties to the lowest class), optional
// pipeline registers every N levels with a valid signal, and a
// self-checking testbench whose expected outputs come from the reference
// interpreter.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_TARGET_VERILOG_EXPORTVERILOG_H
#define LGC_TARGET_VERILOG_EXPORTVERILOG_H

#include "lgc/Dialect/LGN/LGNOps.h"
#include "lgc/Runtime/Net.h"

#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace lgc {

struct VerilogOptions {
  /// Registers every `pipeline` logic levels (gates, adder levels, argmax
  /// levels); 0 is purely combinational.
  unsigned pipeline = 0;
  bool emitCounts = true;
  bool emitClass = true;
  /// Module name; empty: the net's symbol name.
  std::string moduleName;
  /// An ensemble of independent nets (findNetParts, parts of at least this
  /// many gates) becomes one module per part, each counting its outputs per
  /// class, and a top module adding the parts' counts: synthesis tools then
  /// work on one part at a time. 0: one module.
  unsigned partGates = 0;
  /// The part of each output bit, when known from the net before
  /// optimisation (findNetParts on it): structural hashing of an unrolled
  /// ensemble merges equal gates of different members, after which the
  /// members no longer look independent. Overrides partGates; each part's
  /// module then holds the cone of its outputs, a gate that several parts
  /// read copied into each.
  std::vector<unsigned> outputParts;
};

/// What the emitted module looks like, for testbenches and reports.
struct VerilogShape {
  std::string module;
  unsigned inputs = 0, classes = 0, countWidth = 0, classWidth = 0;
  unsigned latency = 0, gates = 0, levels = 0, parts = 1;
  bool clocked = false, counts = true, classOut = true;
};

/// Writes the net as a Verilog module to `os`.
mlir::LogicalResult exportVerilog(lgn::NetOp net, const VerilogOptions &opts,
                                  llvm::raw_ostream &os,
                                  VerilogShape *shape = nullptr);

/// Writes a self-checking testbench for the module exportVerilog emits with
/// the same options. `vectors` holds n samples of input bits in the
/// interpreter's packed layout; the expected outputs are computed here with
/// the reference interpreter on `reference` (the same net as .lgn). The
/// vectors go to `hex` in $readmemh format; the testbench reads `hexPath`.
mlir::LogicalResult exportVerilogTestbench(lgn::NetOp net, const Net &reference,
                                           const VerilogOptions &opts,
                                           const std::vector<uint64_t> &vectors,
                                           size_t n, const std::string &hexPath,
                                           llvm::raw_ostream &tb,
                                           std::string &hex);

} // namespace lgc

#endif // LGC_TARGET_VERILOG_EXPORTVERILOG_H
