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

bool Net::operator==(const Net &o) const {
  if (numInputs != o.numInputs || numFeatures != o.numFeatures)
    return false;
  // Encodings compare by meaning: a thermometer equals the same thresholds
  // listed per bit.
  for (uint32_t i = 0; i < numInputs; ++i)
    if (!(inputBit(i) == o.inputBit(i)))
      return false;
  return gates == o.gates && layerStarts == o.layerStarts &&
         outputs == o.outputs && numClasses == o.numClasses && tau == o.tau &&
         metadata == o.metadata;
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
  uint32_t node = net.numInputs;
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
