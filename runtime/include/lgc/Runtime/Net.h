//===- Net.h - In-memory logic gate network ---------------------*- C++ -*-===//
//
// Part of lgc. The gate graph shared by every component: the .lgn reader and
// writer, the reference interpreter, the trainer and the compiler's importer.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_RUNTIME_NET_H
#define LGC_RUNTIME_NET_H

#include "lgc/Runtime/GeneratedABI.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lgc {

/// A gate kind is its truth table, read with f(0,0) as the most significant
/// bit: kind = f(0,0)<<3 | f(0,1)<<2 | f(1,0)<<1 | f(1,1). This is difflogic's
/// order, so a difflogic net's argmax indices are lgc kinds unchanged.
enum class GateKind : uint8_t {
  Zero = 0,
  And = 1,
  NotImplies = 2,
  A = 3,
  NotImpliedBy = 4,
  B = 5,
  Xor = 6,
  Or = 7,
  NotOr = 8,
  NotXor = 9,
  NotB = 10,
  ImpliedBy = 11,
  NotA = 12,
  Implies = 13,
  NotAnd = 14,
  One = 15,
};

constexpr unsigned kNumGateKinds = 16;

/// The difflogic name of a kind ("and", "not_implies", ...).
std::string_view gateKindName(unsigned kind);

/// Parses a kind given by name or as a decimal number 0..15.
std::optional<unsigned> parseGateKind(std::string_view text);

/// Evaluates a kind on one pair of bits.
inline bool evalGate(unsigned kind, bool a, bool b) {
  return (kind >> (3 - (unsigned(a) * 2 + unsigned(b)))) & 1;
}

/// Evaluates a kind on 64 independent samples at once. Each minterm of the
/// truth table is selected by a mask, which keeps this obviously right.
inline uint64_t evalGateWord(unsigned kind, uint64_t a, uint64_t b) {
  uint64_t r = 0;
  if (kind & 8)
    r |= ~a & ~b;
  if (kind & 4)
    r |= ~a & b;
  if (kind & 2)
    r |= a & ~b;
  if (kind & 1)
    r |= a & b;
  return r;
}

struct Gate {
  uint8_t kind = 0;
  /// Node ids of the operands: ids 0..numInputs-1 are the input bits, id
  /// numInputs + i is gate i. Operands always name earlier nodes.
  uint32_t a = 0;
  uint32_t b = 0;
  bool operator==(const Gate &o) const {
    return kind == o.kind && a == o.a && b == o.b;
  }
};

/// How one input bit is computed from the raw features: bit = x[feature] >
/// threshold.
struct InputBit {
  uint32_t feature = 0;
  float threshold = 0.5f;
  bool operator==(const InputBit &o) const {
    return feature == o.feature && threshold == o.threshold;
  }
};

/// One leaf of a conv tree: the input at channel c, offset (dy, dx) in the
/// receptive field.
struct TreeLeaf {
  uint32_t c = 0, dy = 0, dx = 0;
  bool operator==(const TreeLeaf &o) const {
    return c == o.c && dy == o.dy && dx == o.dx;
  }
};

/// A weight-shared block (.lgn version 2): the same small circuit at every
/// position of a C x H x W input, read from the channel-major node range
/// [input, input + C*H*W). Its outputs are K x H' x W', channel-major, with
/// H' = (H + 2 padding - kernel) / stride + 1 (W' alike); positions outside
/// the input (padding) read 0.
///  - Conv: output channel o is a tree: `leaves` leaves leaf[o * leaves + l]
///    and `leaves - 1` gates tree[o * (leaves - 1) + j], whose operands
///    number the tree's own nodes (0 .. leaves-1 the leaves, leaves + j its
///    gate j); the last gate is the output. Output (o, y, x) is the tree on
///    the window whose top-left corner is (y stride - padding, x stride -
///    padding).
///  - OrPool: output (c, y, x) is the OR of channel c's kernel x kernel
///    window.
struct SharedBlock {
  enum Kind : uint8_t { Conv, OrPool };
  Kind kind = Conv;
  uint32_t input = 0;
  uint32_t channels = 0, height = 0, width = 0;
  uint32_t kernel = 1, stride = 1, padding = 0;
  /// Conv: output channels and leaves per tree (>= 2).
  uint32_t outChannels = 0, leaves = 0;
  std::vector<TreeLeaf> leaf;
  std::vector<Gate> tree;

  uint32_t outHeight() const {
    return (height + 2 * padding - kernel) / stride + 1;
  }
  uint32_t outWidth() const {
    return (width + 2 * padding - kernel) / stride + 1;
  }
  uint32_t outputChannels() const {
    return kind == Conv ? outChannels : channels;
  }
  uint64_t numOutputs() const {
    return uint64_t(outputChannels()) * outHeight() * outWidth();
  }
  uint64_t inputSize() const { return uint64_t(channels) * height * width; }
  /// Gates this block becomes when unrolled (padding's constant excluded).
  uint64_t unrolledGates() const {
    uint64_t positions = uint64_t(outHeight()) * outWidth();
    return kind == Conv
               ? uint64_t(outChannels) * positions * (leaves - 1)
               : uint64_t(channels) * positions * (kernel * kernel - 1);
  }
  bool operator==(const SharedBlock &o) const;
};

/// The input encoding comes in one of three forms, exactly one of which a Net
/// holds:
///  - identity (`levels` and `encoding` empty): bit i = feature i > 0.5;
///  - thermometer (`levels` non-empty): bit j * F + f = feature f >
///    levels[j] (threshold-major, difflogic's stacking; see
///    lgc/Runtime/GeneratedABI.h), the form the trainer and the .lgn
///    'thresholds' line produce and the compiled packers are fastest on;
///  - explicit (`encoding` non-empty): any feature and threshold per bit.
/// canonicalizeEncoding() turns an explicit encoding of thermometer shape
/// into `levels`, so that no later stage has to rediscover the shape.
struct Net {
  uint32_t numInputs = 0;
  /// Number of raw features the encoding reads; equals numInputs when the
  /// encoding is the identity.
  uint32_t numFeatures = 0;
  /// Thermometer levels (see above), or empty.
  std::vector<float> levels;
  /// One entry per input bit (explicit encoding), or empty.
  std::vector<InputBit> encoding;
  /// Weight-shared blocks, before every gate: block b's outputs are the
  /// nodes after the inputs and the blocks before it. Only readers asked to
  /// keep them (and the trainer) make nets with blocks; unrollBlocks()
  /// turns them into gates for every stage that expects a flat net.
  std::vector<SharedBlock> blocks;
  std::vector<Gate> gates;
  /// Gate indices where a new layer starts (ascending; first is 0 if present).
  std::vector<uint32_t> layerStarts;
  /// The node id of gate 0: inputs and block outputs come first.
  uint32_t firstGateNode() const {
    uint64_t n = numInputs;
    for (const SharedBlock &b : blocks)
      n += b.numOutputs();
    return uint32_t(n);
  }
  /// Output node ids in GroupSum order: group c is the c-th run of
  /// outputs.size() / numClasses consecutive entries.
  std::vector<uint32_t> outputs;
  uint32_t numClasses = 1;
  double tau = 1.0;
  /// Free key/value pairs (data set, accuracy, training config), in order.
  std::vector<std::pair<std::string, std::string>> metadata;

  uint32_t numNodes() const { return firstGateNode() + uint32_t(gates.size()); }
  uint32_t groupSize() const {
    return numClasses ? uint32_t(outputs.size() / numClasses) : 0;
  }
  /// The encoding of input bit i, whatever form the encoding takes.
  InputBit inputBit(uint32_t i) const {
    if (!levels.empty())
      return InputBit{abi::thermometerFeature(i, numFeatures),
                      levels[abi::thermometerLevel(i, numFeatures)]};
    return encoding.empty() ? InputBit{i, 0.5f} : encoding[i];
  }
  /// The thermometer levels the input bits follow: `levels`, {0.5} for the
  /// identity encoding, or empty for an explicit encoding.
  std::vector<float> thermometerLevels() const {
    if (!levels.empty())
      return levels;
    if (encoding.empty())
      return {0.5f};
    return {};
  }
  /// Replaces an explicit encoding of thermometer shape by its levels (the
  /// thresholds must be the same floats, sign of zero included, so that the
  /// .lgn text round-trips exactly).
  void canonicalizeEncoding();
  bool operator==(const Net &o) const;
};

/// The levels of an explicit encoding of thermometer shape (the same floats
/// in every level, sign of zero included, so that text round-trips
/// exactly), or empty. Net::canonicalizeEncoding and the .lgn writer use it.
std::vector<float> thermometerShape(const Net &net);

/// Replaces every shared block by the gates it stands for (block by block,
/// output channel by channel, position by position; one `zero` gate for
/// padding where a conv leaf reads it), renumbering the gates and outputs.
/// The result computes the same function; layer starts mark each block.
void unrollBlocks(Net &net);

/// Checks the structural invariants the reader enforces (operands refer to
/// earlier nodes, outputs divisible by classes, ...). Returns an empty string
/// when the net is valid, otherwise a description of the first violation.
std::string verifyNet(const Net &net);

} // namespace lgc

#endif // LGC_RUNTIME_NET_H
