//===- Net.cpp - In-memory logic gate network -----------------------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Runtime/Net.h"

#include <charconv>
#include <cmath>
#include <string>

using namespace lgc;

static constexpr std::string_view kKindNames[kNumGateKinds] = {
    "zero",           "and",     "not_implies", "a",
    "not_implied_by", "b",       "xor",         "or",
    "not_or",         "not_xor", "not_b",       "implied_by",
    "not_a",          "implies", "not_and",     "one"};

std::string_view lgc::gateKindName(unsigned kind) {
  return kind < kNumGateKinds ? kKindNames[kind] : std::string_view("?");
}

std::optional<unsigned> lgc::parseGateKind(std::string_view text) {
  for (unsigned i = 0; i < kNumGateKinds; ++i)
    if (text == kKindNames[i])
      return i;
  unsigned value = 0;
  auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc() && end == text.data() + text.size() &&
      value < kNumGateKinds)
    return value;
  return std::nullopt;
}

bool SharedBlock::operator==(const SharedBlock &o) const {
  return kind == o.kind && input == o.input && channels == o.channels &&
         height == o.height && width == o.width && kernel == o.kernel &&
         stride == o.stride && padding == o.padding &&
         outChannels == o.outChannels && leaves == o.leaves && leaf == o.leaf &&
         tree == o.tree;
}

bool Net::operator==(const Net &o) const {
  if (numInputs != o.numInputs || numFeatures != o.numFeatures)
    return false;
  // Encodings compare by meaning: a thermometer equals the same thresholds
  // listed per bit.
  for (uint32_t i = 0; i < numInputs; ++i)
    if (!(inputBit(i) == o.inputBit(i)))
      return false;
  return blocks == o.blocks && gates == o.gates &&
         layerStarts == o.layerStarts && outputs == o.outputs &&
         numClasses == o.numClasses && tau == o.tau && metadata == o.metadata;
}

std::vector<float> lgc::thermometerShape(const Net &net) {
  uint32_t F = net.numFeatures;
  if (net.encoding.empty() || F == 0 || net.numInputs % F ||
      net.encoding.size() != net.numInputs)
    return {};
  std::vector<float> found;
  for (uint32_t i = 0; i < net.numInputs; ++i) {
    const InputBit &bit = net.encoding[i];
    uint32_t j = abi::thermometerLevel(i, F);
    if (bit.feature != abi::thermometerFeature(i, F))
      return {};
    if (j == found.size())
      found.push_back(bit.threshold);
    else if (!(bit.threshold == found[j]) ||
             std::signbit(bit.threshold) != std::signbit(found[j]))
      return {};
  }
  return found;
}

void Net::canonicalizeEncoding() {
  if (!levels.empty())
    return;
  std::vector<float> found = thermometerShape(*this);
  if (found.empty())
    return;
  levels = std::move(found);
  encoding.clear();
}

static bool isKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/// The invariants of one block whose outputs start at node `first`.
static std::string verifyBlock(const SharedBlock &b, uint64_t first) {
  if (!b.channels || !b.height || !b.width)
    return "empty input";
  if (b.input + b.inputSize() > first)
    return "input nodes " + std::to_string(b.input) + " .. " +
           std::to_string(b.input + b.inputSize() - 1) +
           " are not all earlier nodes";
  if (!b.kernel || !b.stride)
    return "kernel and stride must be positive";
  if (b.padding >= b.kernel)
    return "padding must be smaller than the kernel";
  if (b.height + 2 * uint64_t(b.padding) < b.kernel ||
      b.width + 2 * uint64_t(b.padding) < b.kernel)
    return "the window does not fit the input";
  if (b.kind == SharedBlock::OrPool)
    return {};
  if (b.kind != SharedBlock::Conv)
    return "unknown kind";
  if (!b.outChannels)
    return "no output channels";
  if (b.leaves < 2)
    return "a tree needs at least 2 leaves";
  if (b.leaf.size() != uint64_t(b.outChannels) * b.leaves ||
      b.tree.size() != uint64_t(b.outChannels) * (b.leaves - 1))
    return "tree sizes do not match the output channels and leaves";
  for (const TreeLeaf &l : b.leaf)
    if (l.c >= b.channels || l.dy >= b.kernel || l.dx >= b.kernel)
      return "leaf outside the receptive field";
  for (uint32_t o = 0; o < b.outChannels; ++o)
    for (uint32_t j = 0; j + 1 < b.leaves; ++j) {
      const Gate &g = b.tree[size_t(o) * (b.leaves - 1) + j];
      if (g.kind >= kNumGateKinds)
        return "tree gate has kind " + std::to_string(g.kind);
      if (g.a >= b.leaves + j || g.b >= b.leaves + j)
        return "tree gate reads a later node";
    }
  return {};
}

std::string lgc::verifyNet(const Net &net) {
  if (net.numInputs == 0)
    return "net has no inputs";
  if (net.numFeatures == 0)
    return "net has no features";
  if (!net.levels.empty()) {
    if (!net.encoding.empty())
      return "both thermometer levels and an explicit encoding are given";
    if (uint64_t(net.levels.size()) * net.numFeatures != net.numInputs)
      return std::to_string(net.levels.size()) + " thermometer levels over " +
             std::to_string(net.numFeatures) + " features do not give " +
             std::to_string(net.numInputs) + " inputs";
    for (float level : net.levels)
      if (std::isnan(level))
        return "encoding threshold is NaN";
  } else if (!net.encoding.empty()) {
    if (net.encoding.size() != net.numInputs)
      return "encoding has " + std::to_string(net.encoding.size()) +
             " entries for " + std::to_string(net.numInputs) + " inputs";
    for (const InputBit &bit : net.encoding) {
      if (bit.feature >= net.numFeatures)
        return "encoding reads feature " + std::to_string(bit.feature) +
               " of " + std::to_string(net.numFeatures);
      if (std::isnan(bit.threshold))
        return "encoding threshold is NaN";
    }
  } else if (net.numFeatures != net.numInputs) {
    return "identity encoding needs as many features as inputs";
  }
  uint64_t node = net.numInputs;
  for (size_t b = 0; b < net.blocks.size(); ++b) {
    if (std::string e = verifyBlock(net.blocks[b], node); !e.empty())
      return "block " + std::to_string(b) + ": " + e;
    node += net.blocks[b].numOutputs();
    if (node > (uint64_t(1) << 31))
      return "block " + std::to_string(b) + ": too many nodes";
  }
  for (const Gate &g : net.gates) {
    if (g.kind >= kNumGateKinds)
      return "gate " + std::to_string(node) + " has kind " +
             std::to_string(g.kind);
    if (g.a >= node || g.b >= node)
      return "gate " + std::to_string(node) + " reads a later node";
    ++node;
  }
  uint32_t prev = 0;
  for (size_t i = 0; i < net.layerStarts.size(); ++i) {
    uint32_t s = net.layerStarts[i];
    if ((i && s <= prev) || s >= net.gates.size())
      return "layer starts are not ascending gate indices";
    prev = s;
  }
  if (net.numClasses == 0)
    return "net has no classes";
  if (net.outputs.empty())
    return "net has no outputs";
  if (net.outputs.size() % net.numClasses)
    return std::to_string(net.outputs.size()) +
           " outputs are not divisible into " + std::to_string(net.numClasses) +
           " classes";
  for (uint32_t o : net.outputs)
    if (o >= net.numNodes())
      return "output " + std::to_string(o) + " is not a node";
  if (!(net.tau > 0) || !std::isfinite(net.tau))
    return "tau must be positive and finite";
  for (const auto &[key, value] : net.metadata) {
    if (key.empty())
      return "empty metadata key";
    for (char c : key)
      if (!isKeyChar(c))
        return "metadata key '" + key +
               "' has a character outside [A-Za-z0-9_.-]";
    for (char c : value)
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
        return "metadata value of '" + key + "' has a control character";
    if (!value.empty() && (value.front() == ' ' || value.front() == '\t' ||
                           value.back() == ' ' || value.back() == '\t'))
      return "metadata value of '" + key + "' has surrounding blanks";
  }
  return {};
}

void lgc::unrollBlocks(Net &net) {
  if (net.blocks.empty())
    return;
  Net flat = net;
  flat.blocks.clear();
  flat.gates.clear();
  flat.layerStarts.clear();
  // map[id]: the flat node of structured node id (inputs map to themselves).
  std::vector<uint32_t> map(net.numNodes());
  for (uint32_t i = 0; i < net.numInputs; ++i)
    map[i] = i;
  int64_t zero = -1;
  auto zeroNode = [&] {
    if (zero < 0) {
      zero = flat.numNodes();
      flat.gates.push_back(Gate{uint8_t(GateKind::Zero), 0, 0});
    }
    return uint32_t(zero);
  };
  uint32_t next = net.numInputs; // structured id of the block's first output
  std::vector<uint32_t> local, terms;
  for (const SharedBlock &b : net.blocks) {
    flat.layerStarts.push_back(uint32_t(flat.gates.size()));
    const uint32_t H2 = b.outHeight(), W2 = b.outWidth();
    // The input at (c, y, x), or padding's 0 (-1).
    auto at = [&](uint32_t c, int64_t y, int64_t x) -> int64_t {
      if (y < 0 || x < 0 || y >= b.height || x >= b.width)
        return -1;
      return map[b.input + (uint64_t(c) * b.height + uint64_t(y)) * b.width +
                 uint64_t(x)];
    };
    for (uint32_t o = 0; o < b.outputChannels(); ++o)
      for (uint32_t y = 0; y < H2; ++y)
        for (uint32_t x = 0; x < W2; ++x) {
          int64_t y0 = int64_t(y) * b.stride - b.padding,
                  x0 = int64_t(x) * b.stride - b.padding;
          uint32_t out;
          if (b.kind == SharedBlock::Conv) {
            local.assign(b.leaves + b.leaves - 1, 0);
            for (uint32_t l = 0; l < b.leaves; ++l) {
              const TreeLeaf &f = b.leaf[size_t(o) * b.leaves + l];
              int64_t n = at(f.c, y0 + f.dy, x0 + f.dx);
              local[l] = n < 0 ? zeroNode() : uint32_t(n);
            }
            for (uint32_t j = 0; j + 1 < b.leaves; ++j) {
              const Gate &g = b.tree[size_t(o) * (b.leaves - 1) + j];
              local[b.leaves + j] = flat.numNodes();
              flat.gates.push_back(Gate{g.kind, local[g.a], local[g.b]});
            }
            out = local.back();
          } else {
            // A balanced OR tree; padding adds nothing to an OR.
            terms.clear();
            for (uint32_t dy = 0; dy < b.kernel; ++dy)
              for (uint32_t dx = 0; dx < b.kernel; ++dx)
                if (int64_t n = at(o, y0 + dy, x0 + dx); n >= 0)
                  terms.push_back(uint32_t(n));
            if (terms.empty())
              terms.push_back(zeroNode());
            while (terms.size() > 1) {
              size_t half = 0;
              for (size_t t = 0; t + 1 < terms.size(); t += 2) {
                uint32_t id = flat.numNodes();
                flat.gates.push_back(
                    Gate{uint8_t(GateKind::Or), terms[t], terms[t + 1]});
                terms[half++] = id;
              }
              if (terms.size() % 2)
                terms[half++] = terms.back();
              terms.resize(half);
            }
            out = terms[0];
          }
          map[next + (uint64_t(o) * H2 + y) * W2 + x] = out;
        }
    next += uint32_t(b.numOutputs());
    if (flat.layerStarts.back() == flat.gates.size())
      flat.layerStarts.pop_back(); // a block of pass-throughs (1x1 pools)
  }
  uint32_t firstGate = net.firstGateNode();
  std::vector<size_t> starts(net.layerStarts.begin(), net.layerStarts.end());
  size_t si = 0;
  for (size_t g = 0; g < net.gates.size(); ++g) {
    if (si < starts.size() && starts[si] == g) {
      flat.layerStarts.push_back(uint32_t(flat.gates.size()));
      ++si;
    }
    const Gate &gate = net.gates[g];
    map[firstGate + g] = flat.numNodes();
    flat.gates.push_back(Gate{gate.kind, map[gate.a], map[gate.b]});
  }
  for (uint32_t &o : flat.outputs)
    o = map[o];
  net = std::move(flat);
}
