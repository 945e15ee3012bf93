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
};

Status Parser::handleLine() {
  const Token &d = toks[0];
  if (!sawHeader)
    return parseHeader(d);
  if (sawEnd)
    return errorAt(d, "unexpected '" + std::string(d.text) + "' after 'end'");
  for (const Directive &directive : kDirectives)
    if (d.text == directive.name)
      return (this->*directive.parse)(d);
  return errorAt(d, "unknown directive '" + std::string(d.text) + "'");
}

Status Parser::parseHeader(const Token &d) {
  if (d.text != "lgn")
    return errorAt(d, "expected the header 'lgn " +
                          std::to_string(kLgnFormatVersion) + "', found '" +
                          std::string(d.text) + "'");
  if (Status s = expectCount(d, 2); !s)
    return s;
  uint32_t version;
  if (Status s = parseU32(toks[1], 1u << 30, "format version", version); !s)
    return s;
  if (version != kLgnFormatVersion)
    return errorAt(toks[1], "unsupported format version " +
                                std::to_string(version) +
                                " (this reader reads version " +
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
  std::optional<unsigned> kind = parseGateKind(toks[1].text);
  if (!kind)
    return errorAt(toks[1], "unknown gate kind '" + std::string(toks[1].text) +
                                "' (expected a name such as 'xor' or 0..15)");
  uint32_t self = net.numInputs + uint32_t(net.gates.size());
  uint32_t total = net.numInputs + declaredGates;
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
  net.gates.push_back(Gate{uint8_t(*kind), ops[0], ops[1]});
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
    return error(1, "empty file: expected the header 'lgn " +
                        std::to_string(kLgnFormatVersion) + "'");
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
                     Net &net) {
  return Parser(text, bufferName, net).run();
}

Status lgc::readNetFile(const std::string &path, Net &net) {
  std::string text;
  if (Status s = readFile(path, text); !s)
    return s;
  return parseNet(text, path == "-" ? "<stdin>" : path, net);
}
