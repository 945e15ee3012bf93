//===- Format.cpp - The .lgn text format: reader --------------------------===//
//
// Part of lgc. A single-pass line scanner: every count is checked against the
// format's limits and against the bytes left in the buffer before it is used
// to reserve memory, so a hostile file cannot make the reader allocate much
// more than its own size.
//
//===----------------------------------------------------------------------===//

#include "lgc/Runtime/Format.h"
#include "lgc/Runtime/FileUtil.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <unordered_set>

using namespace lgc;

namespace {

struct Token {
  std::string_view text;
  unsigned col; // 1-based
};

class Parser {
public:
  Parser(std::string_view text, std::string_view name, Net &net)
      : text(text), name(name), net(net) {}

  Status run();

private:
  Status error(unsigned col, const std::string &msg) const {
    return Status::errorAt(std::string(name) + ":" + std::to_string(lineNo) +
                               ":" + std::to_string(col),
                           msg);
  }
  Status errorAt(const Token &t, const std::string &msg) const {
    return error(t.col, msg);
  }
  Status parseU32(const Token &t, uint32_t max, const char *what,
                  uint32_t &out) const;
  template <typename T>
  Status parseFloat(const Token &t, const char *what, T &out) const;
  Status expectCount(const Token &directive, size_t n) const;
  /// A gate kind by name or number.
  Status parseKind(const Token &t, unsigned &kind) const;
  Status handleLine();
  // One handler per directive; `d` is the directive's token.
  Status parseHeader(const Token &d);
  Status parseGate(const Token &d);
  Status parseOutputList(const Token &d);
  Status parseInputs(const Token &d);
  Status parseFeatures(const Token &d);
  Status parseThresholds(const Token &d);
  Status parseBit(const Token &d);
  Status parseMeta(const Token &d);
  Status parseGates(const Token &d);
  Status parseLayer(const Token &d);
  Status parseOutputs(const Token &d);
  Status parseEnd(const Token &d);
  Status parseConv(const Token &d);
  Status parsePool(const Token &d);
  Status parseTree(const Token &d);
  Status parseLeaf(const Token &d);
  Status parseTreeGate(const Token &d);
  /// The geometry shared by 'conv' and 'pool' lines of `count` tokens:
  /// `in N shape C H W`, then `kernel k stride s padding p` at `geometryAt`.
  Status parseBlockGeometry(const Token &d, size_t count, size_t geometryAt,
                            SharedBlock &b);
  /// Counts a block against the format's limits (reported at `at`) and adds
  /// it to the net.
  Status addBlock(SharedBlock b, const Token &at);
  /// Checks that the last conv block has all its trees.
  Status finishBlock(const Token &at);
  Status expectKeyword(size_t index, std::string_view word) const;
  struct Directive {
    std::string_view name;
    Status (Parser::*parse)(const Token &d);
  };
  static const Directive kDirectives[];
  Status finishEncoding(const Token &at);
  size_t bytesLeft() const { return text.size() - pos; }

  std::string_view text;
  std::string_view name;
  Net &net;
  size_t pos = 0;
  unsigned lineNo = 0;
  std::string_view line;
  std::vector<Token> toks;

  bool sawHeader = false, sawInputs = false, sawFeatures = false;
  bool sawThresholds = false, sawGates = false, sawOutputs = false;
  bool sawEnd = false, encodingDone = false;
  uint32_t declaredGates = 0, declaredOutputs = 0;
  uint32_t version = 0;
  /// Node id of gate 0, known once 'gates' is read.
  uint32_t firstGate = 0;
  /// Nodes and unrolled gates the blocks so far stand for.
  uint64_t blockNodes = 0, unrolledGates = 0;
  /// The tree being read in the last conv block: its index, leaves and
  /// gates so far (trees == the block's outChannels when complete).
  uint32_t trees = 0, treeLeaves = 0, treeGates = 0;
  bool inTree = false;
  std::unordered_set<std::string> metaKeys;
};

} // namespace

Status Parser::parseU32(const Token &t, uint32_t max, const char *what,
                        uint32_t &out) const {
  uint64_t v = 0;
  const char *b = t.text.data(), *e = b + t.text.size();
  auto [end, ec] = std::from_chars(b, e, v);
  if (ec == std::errc::result_out_of_range ||
      (ec == std::errc() && end == e && v > max))
    return errorAt(t, std::string(what) + " " + std::string(t.text) +
                          " is out of range (at most " + std::to_string(max) +
                          ")");
  if (ec != std::errc() || end != e)
    return errorAt(t, "expected " + std::string(what) +
                          " as a non-negative integer, found '" +
                          std::string(t.text) + "'");
  out = uint32_t(v);
  return Status::success();
}

template <typename T>
Status Parser::parseFloat(const Token &t, const char *what, T &out) const {
  T v{};
  const char *b = t.text.data(), *e = b + t.text.size();
  auto [end, ec] = std::from_chars(b, e, v);
  if (ec == std::errc::result_out_of_range && end == e) {
    // A well-formed number beyond the type's range: too large is an error,
    // too small rounds to a zero of its sign, as strtof does.
    long double wide = std::strtold(std::string(t.text).c_str(), nullptr);
    if (std::fabs(wide) > 1) {
      char limit[32];
      std::snprintf(limit, sizeof limit, "%.2g",
                    double(std::numeric_limits<T>::max()));
      return errorAt(t, std::string(what) + " " + std::string(t.text) +
                            " is out of range for a " +
                            std::to_string(8 * sizeof(T)) +
                            "-bit float (magnitude at most " + limit + ")");
    }
    out = std::signbit(wide) ? T(-0.0) : T(0.0);
    return Status::success();
  }
  if (ec != std::errc() || end != e || std::isnan(v))
    return errorAt(t, "expected " + std::string(what) +
                          " as a number, found '" + std::string(t.text) + "'");
  out = v;
  return Status::success();
}

Status Parser::parseKind(const Token &t, unsigned &kind) const {
  std::optional<unsigned> k = parseGateKind(t.text);
  if (!k)
    return errorAt(t, "unknown gate kind '" + std::string(t.text) +
                          "' (expected a name such as 'xor' or 0..15)");
  kind = *k;
  return Status::success();
}

Status Parser::expectCount(const Token &directive, size_t n) const {
  if (toks.size() == n)
    return Status::success();
  if (toks.size() < n)
    return error(unsigned(line.size()) + 1,
                 "'" + std::string(directive.text) + "' expects " +
                     std::to_string(n - 1) + " argument" + (n == 2 ? "" : "s"));
  return errorAt(toks[n], "unexpected '" + std::string(toks[n].text) +
                              "' after '" + std::string(directive.text) +
                              "' line");
}

/// Resolves the default feature count and checks that an explicit encoding
/// covers every input bit; runs once, before the first gate.
Status Parser::finishEncoding(const Token &at) {
  if (encodingDone)
    return Status::success();
  encodingDone = true;
  if (!sawFeatures)
    net.numFeatures = net.numInputs;
  if (!net.encoding.empty() && net.encoding.size() != net.numInputs)
    return errorAt(at, "encoding lists " + std::to_string(net.encoding.size()) +
                           " 'bit' lines for " + std::to_string(net.numInputs) +
                           " inputs");
  // An explicit encoding of thermometer shape is stored as levels, so no
  // later stage has to rediscover the shape.
  net.canonicalizeEncoding();
  if (net.encoding.empty() && net.levels.empty() &&
      net.numFeatures != net.numInputs)
    return errorAt(
        at, "'features " + std::to_string(net.numFeatures) +
                "' differs from 'inputs " + std::to_string(net.numInputs) +
                "' but no encoding ('thresholds' or 'bit') is given");
  return Status::success();
}

/// The directives; gates first because they are nearly every line of a
/// real file.
const Parser::Directive Parser::kDirectives[] = {
    {"g", &Parser::parseGate},
    {"o", &Parser::parseOutputList},
    {"inputs", &Parser::parseInputs},
    {"features", &Parser::parseFeatures},
    {"thresholds", &Parser::parseThresholds},
    {"bit", &Parser::parseBit},
    {"meta", &Parser::parseMeta},
    {"gates", &Parser::parseGates},
    {"layer", &Parser::parseLayer},
    {"outputs", &Parser::parseOutputs},
    {"end", &Parser::parseEnd},
    {"leaf", &Parser::parseLeaf},
    {"tree", &Parser::parseTree},
    {"conv", &Parser::parseConv},
    {"pool", &Parser::parsePool},
};

Status Parser::handleLine() {
  const Token &d = toks[0];
  if (!sawHeader)
    return parseHeader(d);
  if (sawEnd)
    return errorAt(d, "unexpected '" + std::string(d.text) + "' after 'end'");
  if (inTree && d.text == "g")
    return parseTreeGate(d);
  if (d.text != "leaf" && d.text != "tree")
    if (Status s = finishBlock(d); !s)
      return s;
  for (const Directive &directive : kDirectives)
    if (d.text == directive.name)
      return (this->*directive.parse)(d);
  return errorAt(d, "unknown directive '" + std::string(d.text) + "'");
}

Status Parser::parseHeader(const Token &d) {
  if (d.text != "lgn")
    return errorAt(d, "expected the header 'lgn 1' or 'lgn 2', found '" +
                          std::string(d.text) + "'");
  if (Status s = expectCount(d, 2); !s)
    return s;
  if (Status s = parseU32(toks[1], 1u << 30, "format version", version); !s)
    return s;
  if (version < 1 || version > kLgnFormatVersion)
    return errorAt(toks[1], "unsupported format version " +
                                std::to_string(version) +
                                " (this reader reads versions 1 to " +
                                std::to_string(kLgnFormatVersion) + ")");
  sawHeader = true;
  return Status::success();
}

Status Parser::parseGate(const Token &d) {
  if (!sawGates)
    return errorAt(d, "gate before the 'gates' count");
  if (sawOutputs)
    return errorAt(d, "gate after 'outputs'");
  if (net.gates.size() >= declaredGates)
    return errorAt(d, "more gates than the " + std::to_string(declaredGates) +
                          " declared by 'gates'");
  if (Status s = expectCount(d, 4); !s)
    return s;
  unsigned kind;
  if (Status s = parseKind(toks[1], kind); !s)
    return s;
  uint32_t self = firstGate + uint32_t(net.gates.size());
  uint32_t total = firstGate + declaredGates;
  uint32_t ops[2];
  for (int i = 0; i < 2; ++i) {
    const Token &t = toks[2 + i];
    if (Status s = parseU32(t, UINT32_MAX, "gate operand", ops[i]); !s)
      return s;
    if (ops[i] >= total)
      return errorAt(t, "gate operand " + std::string(t.text) +
                            " is out of range (the net has " +
                            std::to_string(total) + " nodes)");
    if (ops[i] >= self)
      return errorAt(t, "gate operand " + std::string(t.text) +
                            " refers to a later node (this gate is node " +
                            std::to_string(self) + ")");
  }
  net.gates.push_back(Gate{uint8_t(kind), ops[0], ops[1]});
  return Status::success();
}

Status Parser::parseOutputList(const Token &d) {
  if (!sawOutputs)
    return errorAt(d, "output list before 'outputs'");
  if (toks.size() < 2)
    return errorAt(d, "'o' expects at least one node id");
  for (size_t i = 1; i < toks.size(); ++i) {
    uint32_t id;
    if (Status s = parseU32(toks[i], UINT32_MAX, "output node", id); !s)
      return s;
    if (id >= net.numNodes())
      return errorAt(toks[i], "output node " + std::string(toks[i].text) +
                                  " is out of range (the net has " +
                                  std::to_string(net.numNodes()) + " nodes)");
    if (net.outputs.size() >= declaredOutputs)
      return errorAt(toks[i], "more output nodes than the " +
                                  std::to_string(declaredOutputs) +
                                  " declared by 'outputs'");
    net.outputs.push_back(id);
  }
  return Status::success();
}

Status Parser::parseInputs(const Token &d) {
  if (sawInputs)
    return errorAt(d, "duplicate 'inputs'");
  if (Status s = expectCount(d, 2); !s)
    return s;
  if (Status s = parseU32(toks[1], kMaxInputs, "input count", net.numInputs);
      !s)
    return s;
  if (net.numInputs == 0)
    return errorAt(toks[1], "a net needs at least one input");
  sawInputs = true;
  return Status::success();
}

Status Parser::parseFeatures(const Token &d) {
  if (!sawInputs)
    return errorAt(d, "'features' before 'inputs'");
  if (sawFeatures)
    return errorAt(d, "duplicate 'features'");
  if (sawThresholds || !net.encoding.empty() || encodingDone)
    return errorAt(d, "'features' must come before the encoding and the gates");
  if (Status s = expectCount(d, 2); !s)
    return s;
  if (Status s =
          parseU32(toks[1], kMaxInputs, "feature count", net.numFeatures);
      !s)
    return s;
  if (net.numFeatures == 0)
    return errorAt(toks[1], "a net needs at least one feature");
  sawFeatures = true;
  return Status::success();
}

Status Parser::parseThresholds(const Token &d) {
  if (!sawInputs)
    return errorAt(d, "'thresholds' before 'inputs'");
  if (sawThresholds || !net.encoding.empty() || !net.levels.empty())
    return errorAt(d, "the encoding is given twice");
  if (encodingDone)
    return errorAt(d, "'thresholds' must come before the gates");
  size_t count = toks.size() - 1;
  if (count == 0)
    return errorAt(d, "'thresholds' expects at least one threshold");
  if (count > kMaxThresholds)
    return errorAt(toks[kMaxThresholds + 1],
                   "more than " + std::to_string(kMaxThresholds) +
                       " thresholds");
  uint32_t features =
      sawFeatures ? net.numFeatures : uint32_t(net.numInputs / count);
  if (uint64_t(features) * count != net.numInputs)
    return errorAt(d, std::to_string(count) + " thresholds over " +
                          std::to_string(features) + " features give " +
                          std::to_string(uint64_t(features) * count) +
                          " bits, but the net has " +
                          std::to_string(net.numInputs) + " inputs");
  net.numFeatures = features;
  sawFeatures = true;
  net.levels.resize(count);
  for (size_t j = 0; j < count; ++j)
    if (Status s = parseFloat(toks[1 + j], "threshold", net.levels[j]); !s)
      return s;
  sawThresholds = true;
  return Status::success();
}

Status Parser::parseBit(const Token &d) {
  if (!sawInputs)
    return errorAt(d, "'bit' before 'inputs'");
  if (sawThresholds)
    return errorAt(d, "'bit' lines cannot follow 'thresholds'");
  if (encodingDone)
    return errorAt(d, "'bit' lines must come before the gates");
  if (net.encoding.size() >= net.numInputs)
    return errorAt(d, "more 'bit' lines than the " +
                          std::to_string(net.numInputs) + " inputs");
  if (Status s = expectCount(d, 3); !s)
    return s;
  uint32_t features = sawFeatures ? net.numFeatures : net.numInputs;
  InputBit bit;
  if (Status s = parseU32(toks[1], UINT32_MAX, "feature index", bit.feature);
      !s)
    return s;
  if (bit.feature >= features)
    return errorAt(toks[1], "feature index " + std::string(toks[1].text) +
                                " is out of range (the net reads " +
                                std::to_string(features) + " features)");
  if (Status s = parseFloat(toks[2], "threshold", bit.threshold); !s)
    return s;
  if (net.encoding.empty())
    net.encoding.reserve(std::min<size_t>(net.numInputs, bytesLeft() / 4 + 1));
  net.encoding.push_back(bit);
  return Status::success();
}

Status Parser::parseMeta(const Token &d) {
  if (toks.size() < 2)
    return errorAt(d, "'meta' expects a key");
  const Token &key = toks[1];
  for (char c : key.text)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
      return errorAt(key, "metadata key '" + std::string(key.text) +
                              "' has a character outside [A-Za-z0-9_.-]");
  std::string keyStr(key.text);
  if (!metaKeys.insert(keyStr).second)
    return errorAt(key, "duplicate metadata key '" + keyStr + "'");
  std::string_view value;
  if (toks.size() > 2) {
    size_t start = toks[2].col - 1;
    value = line.substr(start);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
      value.remove_suffix(1);
  }
  net.metadata.emplace_back(std::move(keyStr), std::string(value));
  return Status::success();
}

Status Parser::parseGates(const Token &d) {
  if (!sawInputs)
    return errorAt(d, "'gates' before 'inputs'");
  if (sawGates)
    return errorAt(d, "duplicate 'gates'");
  if (Status s = expectCount(d, 2); !s)
    return s;
  if (Status s = parseU32(toks[1], kMaxGates, "gate count", declaredGates); !s)
    return s;
  // Every gate line takes at least 8 bytes ("g 1 0 0\n").
  if (declaredGates > bytesLeft() / 8 + 1)
    return errorAt(toks[1], "gate count " + std::string(toks[1].text) +
                                " cannot fit in the " +
                                std::to_string(bytesLeft()) +
                                " bytes left in the file");
  if (Status s = finishEncoding(d); !s)
    return s;
  firstGate = net.firstGateNode();
  if (uint64_t(firstGate) + declaredGates > (uint64_t(1) << 31))
    return errorAt(toks[1], "the net has more than 2^31 nodes");
  net.gates.reserve(declaredGates);
  sawGates = true;
  return Status::success();
}

Status Parser::parseLayer(const Token &d) {
  if (!sawGates)
    return errorAt(d, "'layer' before 'gates'");
  if (sawOutputs)
    return errorAt(d, "'layer' after 'outputs'");
  if (Status s = expectCount(d, 1); !s)
    return s;
  if (!net.layerStarts.empty() && net.layerStarts.back() == net.gates.size())
    return errorAt(d, "empty layer");
  net.layerStarts.push_back(uint32_t(net.gates.size()));
  return Status::success();
}

Status Parser::parseOutputs(const Token &d) {
  if (!sawGates)
    return errorAt(d, "'outputs' before 'gates'");
  if (sawOutputs)
    return errorAt(d, "duplicate 'outputs'");
  if (net.gates.size() != declaredGates)
    return errorAt(d, "'gates' declared " + std::to_string(declaredGates) +
                          " gates, but " + std::to_string(net.gates.size()) +
                          " are listed");
  if (!net.layerStarts.empty() && net.layerStarts.back() == net.gates.size())
    return errorAt(d, "empty layer");
  if (Status s = expectCount(d, 6); !s)
    return s;
  if (toks[2].text != "classes")
    return errorAt(toks[2], "expected 'classes', found '" +
                                std::string(toks[2].text) + "'");
  if (toks[4].text != "tau")
    return errorAt(toks[4],
                   "expected 'tau', found '" + std::string(toks[4].text) + "'");
  if (Status s = parseU32(toks[1], kMaxGates, "output count", declaredOutputs);
      !s)
    return s;
  if (declaredOutputs == 0)
    return errorAt(toks[1], "a net needs at least one output");
  if (Status s = parseU32(toks[3], kMaxGates, "class count", net.numClasses);
      !s)
    return s;
  if (net.numClasses == 0)
    return errorAt(toks[3], "a net needs at least one class");
  if (declaredOutputs % net.numClasses)
    return errorAt(toks[1], std::to_string(declaredOutputs) +
                                " outputs are not divisible into " +
                                std::to_string(net.numClasses) + " classes");
  if (Status s = parseFloat(toks[5], "tau", net.tau); !s)
    return s;
  if (!(net.tau > 0) || !std::isfinite(net.tau))
    return errorAt(toks[5], "tau must be positive and finite");
  // Every output id takes at least 2 bytes ("0 ").
  if (declaredOutputs > bytesLeft() / 2 + 1)
    return errorAt(toks[1], "output count " + std::string(toks[1].text) +
                                " cannot fit in the " +
                                std::to_string(bytesLeft()) +
                                " bytes left in the file");
  net.outputs.reserve(declaredOutputs);
  sawOutputs = true;
  return Status::success();
}

Status Parser::expectKeyword(size_t index, std::string_view word) const {
  if (index >= toks.size())
    return error(unsigned(line.size()) + 1,
                 "expected '" + std::string(word) + "'");
  if (toks[index].text != word)
    return errorAt(toks[index], "expected '" + std::string(word) +
                                    "', found '" +
                                    std::string(toks[index].text) + "'");
  return Status::success();
}

Status Parser::parseBlockGeometry(const Token &d, size_t count,
                                  size_t geometryAt, SharedBlock &b) {
  // Too few tokens is reported after the keywords that are there.
  if (toks.size() < count)
    if (Status s = expectCount(d, count); !s)
      return s;
  if (version < 2)
    return errorAt(d, "'" + std::string(d.text) +
                          "' needs format version 2 (the header says 'lgn " +
                          std::to_string(version) + "')");
  if (!sawInputs)
    return errorAt(d, "'" + std::string(d.text) + "' before 'inputs'");
  if (sawGates)
    return errorAt(d, "'" + std::string(d.text) +
                          "' after 'gates': shared blocks come first");
  if (Status s = finishEncoding(d); !s)
    return s;
  for (auto [i, word] : {std::pair<size_t, const char *>{1, "in"},
                         {3, "shape"},
                         {geometryAt, "kernel"},
                         {geometryAt + 2, "stride"},
                         {geometryAt + 4, "padding"}})
    if (Status s = expectKeyword(i, word); !s)
      return s;
  uint64_t nodes = uint64_t(net.numInputs) + blockNodes;
  if (Status s = parseU32(toks[2], UINT32_MAX, "block input", b.input); !s)
    return s;
  if (Status s = parseU32(toks[4], 1u << 16, "channel count", b.channels); !s)
    return s;
  if (Status s = parseU32(toks[5], 1u << 16, "height", b.height); !s)
    return s;
  if (Status s = parseU32(toks[6], 1u << 16, "width", b.width); !s)
    return s;
  if (Status s = parseU32(toks[geometryAt + 1], 64, "kernel", b.kernel); !s)
    return s;
  if (Status s = parseU32(toks[geometryAt + 3], 64, "stride", b.stride); !s)
    return s;
  if (Status s = parseU32(toks[geometryAt + 5], 64, "padding", b.padding); !s)
    return s;
  if (!b.channels || !b.height || !b.width)
    return errorAt(toks[4], "the input shape needs positive sizes");
  if (b.input + b.inputSize() > nodes)
    return errorAt(toks[2], "the block reads nodes " + std::to_string(b.input) +
                                " .. " +
                                std::to_string(b.input + b.inputSize() - 1) +
                                ", but only " + std::to_string(nodes) +
                                " nodes come before it");
  if (!b.kernel)
    return errorAt(toks[geometryAt + 1], "the kernel must be positive");
  if (!b.stride)
    return errorAt(toks[geometryAt + 3], "the stride must be positive");
  if (b.padding >= b.kernel)
    return errorAt(toks[geometryAt + 5],
                   "the padding must be smaller than the kernel");
  if (b.height + 2 * b.padding < b.kernel || b.width + 2 * b.padding < b.kernel)
    return errorAt(toks[geometryAt + 1],
                   "the window does not fit the " + std::to_string(b.height) +
                       "x" + std::to_string(b.width) + " input");
  return expectCount(d, count);
}

/// Adds a block's size to the running totals: its outputs are nodes, and
/// unrolled it must still fit the format's gate limit.
static Status
countBlock(const SharedBlock &b, uint64_t &nodes, uint64_t &gates,
           uint32_t numInputs,
           const std::function<Status(const std::string &)> &err) {
  nodes += b.numOutputs();
  gates += b.unrolledGates() + 1;
  if (numInputs + nodes > (uint64_t(1) << 31))
    return err("the blocks have more than 2^31 outputs");
  if (gates > kMaxGates)
    return err("unrolled, the blocks would exceed " +
               std::to_string(kMaxGates) + " gates");
  return Status::success();
}

Status Parser::addBlock(SharedBlock b, const Token &at) {
  if (Status s =
          countBlock(b, blockNodes, unrolledGates, net.numInputs,
                     [&](const std::string &m) { return errorAt(at, m); });
      !s)
    return s;
  net.blocks.push_back(std::move(b));
  return Status::success();
}

Status Parser::parseConv(const Token &d) {
  // conv in N shape C H W out K kernel k stride s padding p leaves L
  SharedBlock b;
  b.kind = SharedBlock::Conv;
  if (Status s = parseBlockGeometry(d, 17, 9, b); !s)
    return s;
  if (Status s = expectKeyword(7, "out"); !s)
    return s;
  if (Status s = expectKeyword(15, "leaves"); !s)
    return s;
  if (Status s =
          parseU32(toks[8], 1u << 16, "output channel count", b.outChannels);
      !s)
    return s;
  if (!b.outChannels)
    return errorAt(toks[8], "a conv needs at least one output channel");
  if (Status s = parseU32(toks[16], kMaxTreeLeaves, "leaf count", b.leaves); !s)
    return s;
  if (b.leaves < 2)
    return errorAt(toks[16], "a tree needs at least 2 leaves");
  // Every tree takes at least 9 bytes per leaf and gate line.
  if (uint64_t(b.outChannels) * (2 * b.leaves - 1) > bytesLeft() / 9 + 1)
    return errorAt(toks[8],
                   std::to_string(b.outChannels) + " trees of " +
                       std::to_string(b.leaves) + " leaves cannot fit in the " +
                       std::to_string(bytesLeft()) + " bytes left in the file");
  b.leaf.reserve(size_t(b.outChannels) * b.leaves);
  b.tree.reserve(size_t(b.outChannels) * (b.leaves - 1));
  trees = 0;
  inTree = false;
  return addBlock(std::move(b), toks[8]);
}

Status Parser::parsePool(const Token &d) {
  // pool in N shape C H W kernel k stride s padding p
  SharedBlock b;
  b.kind = SharedBlock::OrPool;
  if (Status s = parseBlockGeometry(d, 13, 7, b); !s)
    return s;
  return addBlock(std::move(b), toks[8]);
}

Status Parser::finishBlock(const Token &at) {
  if (net.blocks.empty() || net.blocks.back().kind != SharedBlock::Conv)
    return Status::success();
  const SharedBlock &b = net.blocks.back();
  if (inTree && treeGates < b.leaves - 1)
    return errorAt(at, "tree " + std::to_string(trees) + " has " +
                           std::to_string(treeLeaves) + " of " +
                           std::to_string(b.leaves) + " leaves and " +
                           std::to_string(treeGates) + " of " +
                           std::to_string(b.leaves - 1) + " gates");
  if (trees < b.outChannels)
    return errorAt(at, "the conv declared " + std::to_string(b.outChannels) +
                           " trees, but " + std::to_string(trees) +
                           " are listed");
  return Status::success();
}

Status Parser::parseTree(const Token &d) {
  if (net.blocks.empty() || net.blocks.back().kind != SharedBlock::Conv ||
      sawGates)
    return errorAt(d, "'tree' outside a conv block");
  const SharedBlock &b = net.blocks.back();
  if (inTree && treeGates < b.leaves - 1)
    return finishBlock(d);
  if (trees == b.outChannels)
    return errorAt(d, "more trees than the " + std::to_string(b.outChannels) +
                          " output channels of the conv");
  if (Status s = expectCount(d, 2); !s)
    return s;
  uint32_t index;
  if (Status s = parseU32(toks[1], UINT32_MAX, "tree index", index); !s)
    return s;
  if (index != trees)
    return errorAt(toks[1], "expected tree " + std::to_string(trees) +
                                ", found tree " + std::string(toks[1].text));
  inTree = true;
  treeLeaves = treeGates = 0;
  return Status::success();
}

Status Parser::parseLeaf(const Token &d) {
  if (!inTree)
    return errorAt(d, "'leaf' outside a tree");
  SharedBlock &b = net.blocks.back();
  if (treeLeaves == b.leaves)
    return errorAt(d, "more leaves than the " + std::to_string(b.leaves) +
                          " the conv declared");
  if (treeGates)
    return errorAt(d, "'leaf' after the tree's gates");
  if (Status s = expectCount(d, 4); !s)
    return s;
  TreeLeaf l;
  if (Status s = parseU32(toks[1], UINT32_MAX, "leaf channel", l.c); !s)
    return s;
  if (l.c >= b.channels)
    return errorAt(toks[1], "leaf channel " + std::string(toks[1].text) +
                                " is out of range (the input has " +
                                std::to_string(b.channels) + " channels)");
  if (Status s = parseU32(toks[2], UINT32_MAX, "leaf row", l.dy); !s)
    return s;
  if (Status s = parseU32(toks[3], UINT32_MAX, "leaf column", l.dx); !s)
    return s;
  for (int i : {2, 3})
    if ((i == 2 ? l.dy : l.dx) >= b.kernel)
      return errorAt(toks[i], "leaf offset " + std::string(toks[i].text) +
                                  " is outside the " +
                                  std::to_string(b.kernel) + "x" +
                                  std::to_string(b.kernel) + " window");
  b.leaf.push_back(l);
  ++treeLeaves;
  return Status::success();
}

Status Parser::parseTreeGate(const Token &d) {
  SharedBlock &b = net.blocks.back();
  if (treeLeaves < b.leaves)
    return errorAt(d, "tree gate before all " + std::to_string(b.leaves) +
                          " leaves");
  if (Status s = expectCount(d, 4); !s)
    return s;
  unsigned kind;
  if (Status s = parseKind(toks[1], kind); !s)
    return s;
  uint32_t self = b.leaves + treeGates;
  uint32_t ops[2];
  for (int i = 0; i < 2; ++i) {
    const Token &t = toks[2 + i];
    if (Status s = parseU32(t, UINT32_MAX, "tree gate operand", ops[i]); !s)
      return s;
    if (ops[i] >= self)
      return errorAt(t, "tree gate operand " + std::string(t.text) +
                            " is not an earlier tree node (leaves 0 .. " +
                            std::to_string(b.leaves - 1) +
                            ", this gate is node " + std::to_string(self) +
                            ")");
  }
  b.tree.push_back(Gate{uint8_t(kind), ops[0], ops[1]});
  if (++treeGates == b.leaves - 1) {
    inTree = false;
    ++trees;
  }
  return Status::success();
}

Status Parser::parseEnd(const Token &d) {
  if (Status s = expectCount(d, 1); !s)
    return s;
  if (!sawOutputs)
    return errorAt(d, "'end' before 'outputs'");
  if (net.outputs.size() != declaredOutputs)
    return errorAt(d, "'outputs' declared " + std::to_string(declaredOutputs) +
                          " nodes, but " + std::to_string(net.outputs.size()) +
                          " are listed");
  sawEnd = true;
  return Status::success();
}

Status Parser::run() {
  net = Net();
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    line = text.substr(pos, end - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++lineNo;
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);

    toks.clear();
    size_t i = 0;
    while (i < line.size()) {
      char c = line[i];
      if (c == ' ' || c == '\t') {
        ++i;
        continue;
      }
      if (c == '#' && toks.empty())
        break; // A comment line.
      size_t start = i;
      while (i < line.size() && line[i] != ' ' && line[i] != '\t') {
        unsigned char u = static_cast<unsigned char>(line[i]);
        if (u < 0x20 || u == 0x7f)
          return error(unsigned(i) + 1, "unexpected control character");
        ++i;
      }
      toks.push_back(Token{line.substr(start, i - start), unsigned(start) + 1});
    }
    if (toks.empty())
      continue;
    if (Status s = handleLine(); !s)
      return s;
  }
  if (!sawHeader) {
    lineNo = 1;
    return error(1, "empty file: expected the header 'lgn 1' or 'lgn 2'");
  }
  if (!sawEnd) {
    ++lineNo;
    std::string what =
        !sawInputs  ? "'inputs'"
        : !sawGates ? "'gates'"
        : !sawOutputs
            ? (net.gates.size() < declaredGates ? "more gates" : "'outputs'")
        : net.outputs.size() < declaredOutputs ? "more output nodes"
                                               : "'end'";
    return error(1, "unexpected end of file (truncated?): expected " + what);
  }
  return Status::success();
}

Status lgc::parseNet(std::string_view text, std::string_view bufferName,
                     Net &net, bool keepBlocks) {
  if (Status s = Parser(text, bufferName, net).run(); !s)
    return s;
  if (!keepBlocks)
    unrollBlocks(net);
  return Status::success();
}

Status lgc::readNetFile(const std::string &path, Net &net, bool keepBlocks) {
  std::string text;
  if (Status s = readFile(path, text); !s)
    return s;
  return parseNet(text, path == "-" ? "<stdin>" : path, net, keepBlocks);
}
