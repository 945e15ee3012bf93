//===- ExportVerilog.cpp - lgn nets as synthesizable Verilog --------------===//
//
// Part of lgc. Every value is a signal with the pipeline stage it is
// computed in; a consumer in a later stage reads a registered copy, made
// once per (signal, stage) and chained one register per stage. Levels are
// counted across gates, then the adder tree, then the argmax tree, and a
// stage ends after every `pipeline` levels.
//
//===----------------------------------------------------------------------===//

#include "lgc/Target/Verilog/ExportVerilog.h"
#include "lgc/Conversion/GateLowering.h"
#include "lgc/Runtime/Interpreter.h"
#include "lgc/Target/GateExpression.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/Format.h"

#include <map>

using namespace mlir;
using namespace lgc;
using namespace lgc::lgn;

namespace {

constexpr unsigned kAlways = ~0u; // constants exist in every stage

struct Signal {
  std::string name;
  unsigned width;
  unsigned stage;
};

unsigned bitsFor(uint64_t maxValue) {
  unsigned w = 1;
  while (w < 64 && (uint64_t(1) << w) <= maxValue)
    ++w;
  return w;
}

std::string range(unsigned width) {
  return width == 1 ? "" : "[" + std::to_string(width - 1) + ":0] ";
}

/// Verilog identifiers: letters, digits, '_', not starting with a digit.
std::string legalName(llvm::StringRef name) {
  std::string out;
  for (char c : name)
    out += (isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
  if (out.empty() || isdigit(static_cast<unsigned char>(out[0])))
    out = "net_" + out;
  return out;
}

class Emitter {
public:
  explicit Emitter(const VerilogOptions &opts) : opts(opts) {}

  int add(std::string name, unsigned width, unsigned stage) {
    signals.push_back({std::move(name), width, stage});
    return int(signals.size() - 1);
  }
  unsigned stageOfLevel(unsigned level) const {
    return opts.pipeline == 0 || level == 0 ? 0 : (level - 1) / opts.pipeline;
  }
  /// The name of signal `id` as seen in `stage` (a register chain when the
  /// signal was computed in an earlier stage).
  std::string at(int id, unsigned stage) {
    const Signal &s = signals[id];
    if (s.stage == kAlways || stage <= s.stage)
      return s.name;
    auto key = std::make_pair(id, stage);
    if (auto it = delayed.find(key); it != delayed.end())
      return it->second;
    std::string prev = at(id, stage - 1);
    std::string base = s.name;
    for (char &c : base)
      if (c == '[' || c == ']')
        c = '_';
    std::string reg = base + "_s" + std::to_string(stage);
    regDecls += "  reg " + range(s.width) + reg + ";\n";
    regAssigns += "    " + reg + " <= " + prev + ";\n";
    delayed[key] = reg;
    return reg;
  }
  void wire(const std::string &name, unsigned width, const std::string &expr) {
    body += "  wire " + range(width) + name + " = " + expr + ";\n";
  }

  const VerilogOptions &opts;
  std::vector<Signal> signals;
  std::map<std::pair<int, unsigned>, std::string> delayed;
  std::string body, regDecls, regAssigns;
};

} // namespace

/// Adds `terms` pairwise, one level at a time after `base`, each sum one
/// bit wider than its widest operand and at most `cap` bits wide (the
/// count's width: a sum never exceeds the number of bits it counts).
/// Returns the sum's signal; `depth` is set to the levels added.
static int adderTree(Emitter &e, std::vector<int> cur, unsigned base,
                     unsigned cap, const std::string &prefix, unsigned &depth) {
  if (cur.empty())
    cur.push_back(e.add("1'b0", 1, kAlways));
  unsigned lv = base;
  while (cur.size() > 1) {
    ++lv;
    unsigned stage = e.stageOfLevel(lv);
    std::vector<int> next;
    for (size_t i = 0; i + 1 < cur.size(); i += 2) {
      unsigned w = std::min(
          cap,
          std::max(e.signals[cur[i]].width, e.signals[cur[i + 1]].width) + 1);
      std::string name = prefix + "_l" + std::to_string(lv - base) + "_" +
                         std::to_string(i / 2);
      e.wire(name, w, e.at(cur[i], stage) + " + " + e.at(cur[i + 1], stage));
      next.push_back(e.add(name, w, stage));
    }
    if (cur.size() % 2)
      next.push_back(cur.back());
    cur.swap(next);
  }
  depth = lv - base;
  return cur.front();
}

/// One assign per gate of `gates` (in block order, so topological), reading
/// `sig` for the operands and adding the results to it.
static unsigned emitGates(Emitter &e, llvm::ArrayRef<GateOp> gates,
                          llvm::DenseMap<Value, int> &sig,
                          const llvm::DenseMap<Value, unsigned> &level) {
  unsigned n = 0;
  for (GateOp gate : gates) {
    unsigned stage = e.stageOfLevel(level.lookup(gate.getResult()));
    std::string name = "g" + std::to_string(n++);
    e.wire(name, 1,
           gateExpression(gate.getKind(), e.at(sig[gate.getLhs()], stage),
                          e.at(sig[gate.getRhs()], stage), "1'b0", "1'b1"));
    sig[gate.getResult()] = e.add(name, 1, stage);
  }
  return n;
}

/// The input bits and constants of `body` as signals of a module whose
/// input port is `in_bits`.
static void addLeaves(Emitter &e, Block &body,
                      llvm::DenseMap<Value, int> &sig) {
  for (BlockArgument arg : body.getArguments())
    sig[arg] =
        e.add("in_bits[" + std::to_string(arg.getArgNumber()) + "]", 1, 0);
  for (ConstantOp c : body.getOps<ConstantOp>())
    sig[c.getResult()] = e.add(c.getValue() ? "1'b1" : "1'b0", 1, kAlways);
}

/// The registers and the always block of a module's pipeline stages.
static void writeBody(llvm::raw_ostream &os, const Emitter &e) {
  os << e.regDecls << e.body;
  if (!e.regAssigns.empty())
    os << "  always @(posedge clk) begin\n" << e.regAssigns << "  end\n";
}

LogicalResult lgc::exportVerilog(NetOp net, const VerilogOptions &opts,
                                 llvm::raw_ostream &os,
                                 VerilogShape *shapeOut) {
  if (!opts.emitCounts && !opts.emitClass)
    return net.emitOpError(
        "cannot be exported to Verilog with neither counts nor class outputs");
  if (failed(checkNoBlocks(net, "the Verilog export")))
    return failure();
  Block &body = net.getBodyBlock();
  auto outputs = net.getOutputOp().getBits();
  unsigned inputs = body.getNumArguments(), classes = net.getClasses();
  unsigned group = unsigned(outputs.size()) / classes;
  VerilogShape shape;
  shape.module =
      legalName(opts.moduleName.empty() ? net.getSymName() : opts.moduleName);
  shape.inputs = inputs;
  shape.classes = classes;
  shape.countWidth = bitsFor(group);
  shape.classWidth = classes > 1 ? bitsFor(classes - 1) : 1;
  shape.counts = opts.emitCounts;
  shape.classOut = opts.emitClass;

  // Logic levels of every gate, over the whole net: the parts' adder trees
  // all start after the deepest gate, as one module's would.
  llvm::DenseMap<Value, unsigned> level;
  unsigned maxGateLevel = 0;
  std::vector<GateOp> gates;
  for (GateOp gate : body.getOps<GateOp>()) {
    unsigned lv =
        1 + std::max(level.lookup(gate.getLhs()), level.lookup(gate.getRhs()));
    level[gate.getResult()] = lv;
    maxGateLevel = std::max(maxGateLevel, lv);
    gates.push_back(gate);
  }

  // An ensemble of independent nets becomes one module per part (what each
  // part counts per class), instantiated by the top module, which adds the
  // parts' counts: synthesis then works on one part at a time.
  SmallVector<unsigned> outputPart;
  unsigned parts = 1;
  if (!opts.outputParts.empty()) {
    if (opts.outputParts.size() != outputs.size())
      return net.emitOpError("has ")
             << outputs.size() << " outputs but the Verilog parts cover "
             << opts.outputParts.size();
    outputPart.assign(opts.outputParts.begin(), opts.outputParts.end());
    parts = 1 + *llvm::max_element(outputPart);
  } else if (opts.partGates) {
    parts = findNetParts(net, opts.partGates, outputPart);
  }
  shape.parts = parts;

  Emitter e(opts);
  llvm::DenseMap<Value, int> sig;
  std::vector<int> countSig(classes);
  unsigned adderDepth = 0;
  // Gates in the modules, each counted once (parts may copy some).
  unsigned liveGates = 0;
  std::string partModules;
  llvm::raw_string_ostream partsOs(partModules);
  if (parts == 1) {
    addLeaves(e, body, sig);
    shape.gates = liveGates = emitGates(e, gates, sig, level);
    // GroupSum: a balanced adder tree per class.
    for (unsigned c = 0; c < classes; ++c) {
      std::vector<int> terms;
      for (unsigned k = 0; k < group; ++k)
        terms.push_back(sig[outputs[c * group + k]]);
      unsigned depth;
      countSig[c] = adderTree(e, terms, maxGateLevel, shape.countWidth,
                              "c" + std::to_string(c), depth);
      adderDepth = std::max(adderDepth, depth);
    }
  } else {
    // Part p's gates: the cone of its outputs, in block order. A gate that
    // several parts read (structural hashing merges the members' equal
    // gates once the blocks are unrolled) is in each of them.
    llvm::DenseMap<Operation *, unsigned> position;
    for (size_t i = 0; i < gates.size(); ++i)
      position[gates[i]] = unsigned(i);
    std::vector<std::vector<unsigned>> cone(parts);
    std::vector<unsigned> seen(gates.size(), ~0u);
    SmallVector<unsigned> stack;
    for (size_t k = 0; k < outputs.size(); ++k) {
      unsigned p = outputPart[k];
      auto visit = [&](Value v) {
        if (auto it = position.find(v.getDefiningOp());
            it != position.end() && seen[it->second] != p) {
          seen[it->second] = p;
          cone[p].push_back(it->second);
          stack.push_back(it->second);
        }
      };
      visit(outputs[k]);
      while (!stack.empty()) {
        GateOp gate = gates[stack.pop_back_val()];
        visit(gate.getLhs());
        visit(gate.getRhs());
      }
    }
    std::vector<std::vector<GateOp>> gatesOf(parts);
    liveGates =
        unsigned(llvm::count_if(seen, [](unsigned p) { return p != ~0u; }));
    for (unsigned p = 0; p < parts; ++p) {
      llvm::sort(cone[p]);
      for (unsigned i : cone[p])
        gatesOf[p].push_back(gates[i]);
    }
    // Part p's count of class c: its own adder tree over its outputs there.
    std::vector<std::vector<int>> partCounts(classes);
    unsigned partsDepth = 0;
    for (unsigned p = 0; p < parts; ++p) {
      Emitter pe(opts);
      llvm::DenseMap<Value, int> psig;
      addLeaves(pe, body, psig);
      unsigned n = emitGates(pe, gatesOf[p], psig, level);
      shape.gates += n;
      std::vector<int> counts(classes);
      std::vector<unsigned> sizes(classes, 0);
      unsigned depth = 0, widest = 1;
      for (unsigned c = 0; c < classes; ++c) {
        std::vector<int> terms;
        for (unsigned k = 0; k < group; ++k)
          if (outputPart[c * group + k] == p)
            terms.push_back(psig[outputs[c * group + k]]);
        sizes[c] = unsigned(terms.size());
        unsigned d;
        counts[c] = adderTree(pe, terms, maxGateLevel, bitsFor(sizes[c]),
                              "c" + std::to_string(c), d);
        depth = std::max(depth, d);
        widest = std::max(widest, bitsFor(sizes[c]));
      }
      partsDepth = std::max(partsDepth, depth);
      unsigned stage = pe.stageOfLevel(maxGateLevel + depth);
      std::string name = shape.module + "_part" + std::to_string(p);
      partsOs << "\n// Part " << p << " of " << shape.module << ": " << n
              << " gates; class c's count of this part = counts[c*" << widest
              << " +: " << widest << "]";
      if (opts.pipeline)
        partsOs << ", " << stage << " cycles after in_bits";
      partsOs << ".\nmodule " << name << " (\n";
      if (opts.pipeline)
        partsOs << "  input  wire clk,\n";
      partsOs << "  input  wire [" << inputs - 1 << ":0] in_bits,\n"
              << "  output wire [" << classes * widest - 1 << ":0] counts\n"
              << ");\n";
      // The count assigns first: they may add registers to the body.
      std::string assigns;
      for (unsigned c = 0; c < classes; ++c)
        assigns += "  assign counts[" + std::to_string(c * widest) +
                   " +: " + std::to_string(widest) +
                   "] = " + pe.at(counts[c], stage) + ";\n";
      writeBody(partsOs, pe);
      partsOs << assigns << "endmodule\n";
      // The instance in the top module, and each class's slice of its
      // counts as a signal of the part's last stage.
      std::string out = "part" + std::to_string(p) + "_counts";
      e.body += "  wire [" + std::to_string(classes * widest - 1) + ":0] " +
                out + ";\n  " + name + " part" + std::to_string(p) + " (" +
                (opts.pipeline ? ".clk(clk), " : "") +
                ".in_bits(in_bits), .counts(" + out + "));\n";
      for (unsigned c = 0; c < classes; ++c) {
        if (!sizes[c])
          continue;
        unsigned w = bitsFor(sizes[c]);
        std::string slice = "p" + std::to_string(p) + "_c" + std::to_string(c);
        e.wire(slice, w,
               out + "[" + std::to_string(c * widest + w - 1) + ":" +
                   std::to_string(c * widest) + "]");
        partCounts[c].push_back(e.add(slice, w, stage));
      }
    }
    // The classes' counts: the parts' counts added in a tree of their own.
    unsigned depth = 0;
    for (unsigned c = 0; c < classes; ++c) {
      unsigned d;
      countSig[c] = adderTree(e, partCounts[c], maxGateLevel + partsDepth,
                              shape.countWidth, "c" + std::to_string(c), d);
      depth = std::max(depth, d);
    }
    adderDepth = partsDepth + depth;
  }
  unsigned lastLevel = maxGateLevel + adderDepth;

  // Argmax: a tournament over classes in index order; the right side wins
  // only when strictly greater, so ties go to the lowest index.
  int classSig = -1;
  if (opts.emitClass) {
    struct Node {
      int count, index;
    };
    std::vector<Node> cur;
    for (unsigned c = 0; c < classes; ++c) {
      std::string idx =
          std::to_string(shape.classWidth) + "'d" + std::to_string(c);
      cur.push_back({countSig[c], e.add(idx, shape.classWidth, kAlways)});
    }
    unsigned lv = lastLevel, round = 0;
    while (cur.size() > 1) {
      ++lv;
      ++round;
      unsigned stage = e.stageOfLevel(lv);
      std::vector<Node> next;
      for (size_t i = 0; i + 1 < cur.size(); i += 2) {
        std::string p =
            "m" + std::to_string(round) + "_" + std::to_string(i / 2);
        std::string lc = e.at(cur[i].count, stage),
                    rc = e.at(cur[i + 1].count, stage);
        e.wire(p + "_gt", 1, rc + " > " + lc);
        e.wire(p + "_count", shape.countWidth, p + "_gt ? " + rc + " : " + lc);
        e.wire(p + "_index", shape.classWidth,
               p + "_gt ? " + e.at(cur[i + 1].index, stage) + " : " +
                   e.at(cur[i].index, stage));
        next.push_back({e.add(p + "_count", shape.countWidth, stage),
                        e.add(p + "_index", shape.classWidth, stage)});
      }
      if (cur.size() % 2)
        next.push_back(cur.back());
      cur.swap(next);
    }
    classSig = cur.front().index;
    lastLevel = lv;
  }
  unsigned finalStage = e.stageOfLevel(lastLevel);
  shape.levels = lastLevel;
  shape.latency = opts.pipeline ? finalStage : 0;
  shape.clocked = opts.pipeline > 0;

  std::string assigns;
  if (opts.emitCounts)
    for (unsigned c = 0; c < classes; ++c)
      assigns += "  assign counts[" + std::to_string(c * shape.countWidth) +
                 " +: " + std::to_string(shape.countWidth) +
                 "] = " + e.at(countSig[c], finalStage) + ";\n";
  if (opts.emitClass)
    assigns += "  assign class_out = " + e.at(classSig, finalStage) + ";\n";

  // Header and ports.
  os << "// Generated by lgc from lgn.net @" << net.getSymName() << ".\n";
  os << "// Net: " << inputs << " input bits, " << liveGates << " gates, "
     << outputs.size() << " output bits in " << classes << " classes of "
     << group << " (GroupSum tau "
     << llvm::format("%g", net.getTau().convertToDouble()) << ").\n";
  if (parts > 1)
    os << "// Parts: " << parts << " independent nets, modules " << shape.module
       << "_part0 .. _part" << parts - 1
       << " below, each counting its output bits per class; this module "
          "adds their counts; "
       << shape.gates - liveGates
       << " more gates in them are copies of gates that several parts "
          "read.\n";
  os << "// Logic levels: " << maxGateLevel << " gate, " << adderDepth
     << " adder"
     << (opts.emitClass
             ? ", " + std::to_string(lastLevel - maxGateLevel - adderDepth) +
                   " argmax"
             : std::string())
     << ".\n";
  if (opts.pipeline)
    os << "// Pipeline: registers every " << opts.pipeline
       << " levels; latency " << shape.latency
       << " cycles from in_valid to out_valid.\n";
  else
    os << "// Combinational: no registers.\n";
  os << "// Ports:\n";
  if (opts.pipeline)
    os << "//   clk, rst (synchronous, clears out_valid), in_valid, "
          "out_valid\n";
  os << "//   in_bits[" << inputs - 1 << ":0]  input bit i = in_bits[i]\n";
  if (opts.emitCounts)
    os << "//   counts[" << classes * shape.countWidth - 1
       << ":0]  class c's count = counts[c*" << shape.countWidth
       << " +: " << shape.countWidth << "]\n";
  if (opts.emitClass)
    os << "//   class_out[" << shape.classWidth - 1
       << ":0]  argmax of the counts, ties to the lowest class\n";
  os << "module " << shape.module << " (\n";
  std::vector<std::string> ports;
  if (opts.pipeline) {
    ports.push_back("  input  wire clk");
    ports.push_back("  input  wire rst");
    ports.push_back("  input  wire in_valid");
  }
  ports.push_back("  input  wire [" + std::to_string(inputs - 1) +
                  ":0] in_bits");
  if (opts.pipeline)
    ports.push_back("  output wire out_valid");
  if (opts.emitCounts)
    ports.push_back("  output wire [" +
                    std::to_string(classes * shape.countWidth - 1) +
                    ":0] counts");
  if (opts.emitClass)
    ports.push_back("  output wire [" + std::to_string(shape.classWidth - 1) +
                    ":0] class_out");
  for (size_t i = 0; i < ports.size(); ++i)
    os << ports[i] << (i + 1 < ports.size() ? ",\n" : "\n");
  os << ");\n";
  writeBody(os, e);
  if (opts.pipeline) {
    if (shape.latency == 0) {
      os << "  assign out_valid = in_valid;\n";
    } else {
      os << "  reg [" << shape.latency - 1 << ":0] valid_sr;\n";
      os << "  always @(posedge clk)\n    if (rst)\n      valid_sr <= "
         << shape.latency << "'d0;\n    else\n      valid_sr <= ";
      if (shape.latency == 1)
        os << "in_valid;\n";
      else
        os << "{valid_sr[" << shape.latency - 2 << ":0], in_valid};\n";
      os << "  assign out_valid = valid_sr[" << shape.latency - 1 << "];\n";
    }
  }
  os << assigns << "endmodule\n" << partModules;
  if (shapeOut)
    *shapeOut = shape;
  return success();
}

//===----------------------------------------------------------------------===//
// Testbench
//===----------------------------------------------------------------------===//

/// Appends `width` bits of `value` (LSB first) to a bit string.
static void pushBits(std::vector<bool> &bits, uint64_t value, unsigned width) {
  for (unsigned i = 0; i < width; ++i)
    bits.push_back((value >> i) & 1);
}

static std::string toHex(const std::vector<bool> &bits) {
  static const char digits[] = "0123456789abcdef";
  size_t n = (bits.size() + 3) / 4;
  std::string out(n, '0');
  for (size_t d = 0; d < n; ++d) {
    unsigned v = 0;
    for (unsigned b = 0; b < 4; ++b)
      if (d * 4 + b < bits.size() && bits[d * 4 + b])
        v |= 1u << b;
    out[n - 1 - d] = digits[v];
  }
  return out;
}

LogicalResult lgc::exportVerilogTestbench(NetOp net, const Net &reference,
                                          const VerilogOptions &opts,
                                          const std::vector<uint64_t> &vectors,
                                          size_t n, const std::string &hexPath,
                                          llvm::raw_ostream &tb,
                                          std::string &hex) {
  VerilogShape shape;
  std::string discard;
  llvm::raw_string_ostream null(discard);
  if (failed(exportVerilog(net, opts, null, &shape)))
    return failure();
  if (reference.numInputs != shape.inputs ||
      reference.numClasses != shape.classes)
    return net.emitOpError("does not match the reference net of the testbench");
  std::vector<uint32_t> counts(n * shape.classes), classes(n);
  interpret(reference, vectors.data(), n, counts.data(), classes.data());
  unsigned CW = shape.counts ? shape.classes * shape.countWidth : 0;
  unsigned CL = shape.classOut ? shape.classWidth : 0;
  unsigned W = shape.inputs + CW + CL;
  hex.clear();
  for (size_t s = 0; s < n; ++s) {
    std::vector<bool> bits;
    if (CL)
      pushBits(bits, classes[s], CL);
    if (CW)
      for (unsigned c = 0; c < shape.classes; ++c)
        pushBits(bits, counts[s * shape.classes + c], shape.countWidth);
    const uint64_t *block = vectors.data() + (s / 64) * shape.inputs;
    for (unsigned i = 0; i < shape.inputs; ++i)
      bits.push_back((block[i] >> (s % 64)) & 1);
    hex += toHex(bits) + "\n";
  }

  std::string m = shape.module;
  tb << "// Self-checking testbench for " << m << ", generated by lgc.\n"
     << "// Vectors and expected outputs (reference interpreter) are read "
        "from\n"
     << "// " << hexPath << ": one line per sample, {in_bits"
     << (CW ? ", counts" : "") << (CL ? ", class" : "") << "} in hex.\n"
     << "// Prints \"PASS: <n> vectors\" or a FAIL line per mismatch.\n"
     << "`timescale 1ns/1ps\n"
     << "module " << m << "_tb;\n"
     << "  localparam N = " << n << ", IN = " << shape.inputs << ", CW = " << CW
     << ", CL = " << CL << ", W = " << W << ";\n"
     << "  reg [W-1:0] vectors [0:N-1];\n"
     << "  reg [IN-1:0] in_bits;\n";
  if (CW)
    tb << "  wire [CW-1:0] counts;\n";
  if (CL)
    tb << "  wire [CL-1:0] class_out;\n";
  tb << "  integer i, checked, errors;\n";
  std::string conns = ".in_bits(in_bits)";
  if (CW)
    conns += ", .counts(counts)";
  if (CL)
    conns += ", .class_out(class_out)";
  // Compares the outputs with vector `idx`.
  std::string check = "  task check(input integer idx);\n    begin\n";
  if (CW)
    check += "      if (counts !== vectors[idx][CW+CL-1:CL]) begin\n"
             "        errors = errors + 1;\n"
             "        $display(\"FAIL: vector %0d: counts %h, expected %h\", "
             "idx, counts, "
             "vectors[idx][CW+CL-1:CL]);\n      end\n";
  if (CL)
    check += "      if (class_out !== vectors[idx][CL-1:0]) begin\n"
             "        errors = errors + 1;\n"
             "        $display(\"FAIL: vector %0d: class %0d, expected %0d\", "
             "idx, class_out, "
             "vectors[idx][CL-1:0]);\n      end\n";
  check += "      checked = checked + 1;\n    end\n  endtask\n";
  std::string finish =
      "      if (errors == 0)\n        $display(\"PASS: %0d vectors\", "
      "checked);\n"
      "      else\n        $display(\"FAIL: %0d mismatches in %0d vectors\", "
      "errors, checked);\n      $finish;\n";
  if (!shape.clocked) {
    tb << "  " << m << " dut(" << conns << ");\n"
       << check << "  initial begin\n"
       << "    $readmemh(\"" << hexPath << "\", vectors);\n"
       << "    if (^vectors[N-1] === 1'bx) begin\n"
       << "      $display(\"FAIL: cannot read %0d vectors from " << hexPath
       << "\", N);\n"
       << "      $finish;\n    end\n"
       << "    checked = 0;\n    errors = 0;\n"
       << "    for (i = 0; i < N; i = i + 1) begin\n"
       << "      in_bits = vectors[i][W-1:W-IN];\n"
       << "      #1;\n      check(i);\n    end\n"
       << "    begin\n"
       << finish << "    end\n  end\nendmodule\n";
    return success();
  }
  tb << "  reg clk, rst, in_valid;\n  wire out_valid;\n  integer cycle;\n"
     << "  " << m
     << " dut(.clk(clk), .rst(rst), .in_valid(in_valid), "
        ".out_valid(out_valid), "
     << conns << ");\n"
     << check << "  always #5 clk = ~clk;\n"
     << "  initial begin\n"
     << "    $readmemh(\"" << hexPath << "\", vectors);\n"
     << "    if (^vectors[N-1] === 1'bx) begin\n"
     << "      $display(\"FAIL: cannot read %0d vectors from " << hexPath
     << "\", N);\n"
     << "      $finish;\n    end\n"
     << "    clk = 0;\n    rst = 1;\n    in_valid = 0;\n    in_bits = 0;\n"
     << "    checked = 0;\n    errors = 0;\n    i = 0;\n    cycle = 0;\n"
     << "    @(posedge clk);\n    @(posedge clk);\n    #1 rst = 0;\n"
     << "    // One vector per cycle, with a bubble every 7th to exercise "
        "in_valid.\n"
     << "    while (i < N) begin\n"
     << "      if (cycle % 7 == 6) begin\n"
     << "        in_valid = 0;\n"
     << "      end else begin\n"
     << "        in_valid = 1;\n        in_bits = vectors[i][W-1:W-IN];\n      "
        "  i = i + 1;\n"
     << "      end\n"
     << "      cycle = cycle + 1;\n"
     << "      @(posedge clk);\n      #1;\n"
     << "    end\n"
     << "    in_valid = 0;\n"
     << "  end\n"
     << "  // Outputs come out in order: compare each valid one with the next "
        "vector.\n"
     << "  always @(posedge clk) begin\n"
     << "    #2;\n"
     << "    if (!rst && out_valid) begin\n"
     << "      check(checked);\n"
     << "      if (checked == N) begin\n"
     << finish << "      end\n"
     << "    end\n  end\n"
     << "  initial begin\n    #" << (20 * (n + 10) + 10 * shape.latency + 100)
     << ";\n"
     << "    $display(\"FAIL: timeout after %0d of %0d vectors\", checked, "
        "N);\n"
     << "    $finish;\n  end\nendmodule\n";
  return success();
}
