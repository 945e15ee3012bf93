//===- FormatWriter.cpp - The .lgn text format: writer --------------------===//
//
// Part of lgc. Writes the canonical text of a net (docs/lgn-format.md): the
// shortest float text that reads back to the same value, one class group
// per `o` line where groups are small, and an encoding of thermometer shape
// as `thresholds`. writeNetFile refuses invalid nets and writes through a
// temporary file and a rename.
//
//===----------------------------------------------------------------------===//

#include "lgc/Runtime/FileUtil.h"
#include "lgc/Runtime/Format.h"

#include <charconv>

using namespace lgc;

namespace {
class Out {
public:
  Out &operator<<(std::string_view s) {
    buf.append(s);
    return *this;
  }
  Out &operator<<(char c) {
    buf.push_back(c);
    return *this;
  }
  Out &operator<<(uint64_t v) {
    char tmp[24];
    auto [end, ec] = std::to_chars(tmp, tmp + sizeof(tmp), v);
    (void)ec;
    buf.append(tmp, end);
    return *this;
  }
  Out &operator<<(uint32_t v) { return *this << uint64_t(v); }
  /// Shortest text that parses back to the same value.
  template <typename T> Out &real(T v) {
    char tmp[64];
    auto [end, ec] = std::to_chars(tmp, tmp + sizeof(tmp), v);
    (void)ec;
    buf.append(tmp, end);
    return *this;
  }
  std::string buf;
};
} // namespace

std::string lgc::writeNet(const Net &net) {
  Out o;
  o.buf.reserve(64 + net.gates.size() * 20 + net.outputs.size() * 8);
  // Version 1 where it suffices, so flat nets read with older readers.
  o << "lgn " << uint32_t(net.blocks.empty() ? 1 : 2) << '\n';
  o << "inputs " << net.numInputs << '\n';
  // An explicit encoding of thermometer shape is written as 'thresholds'.
  std::vector<float> levels =
      net.levels.empty() ? thermometerShape(net) : net.levels;
  if (!levels.empty() || !net.encoding.empty() ||
      net.numFeatures != net.numInputs)
    o << "features " << net.numFeatures << '\n';
  if (!levels.empty()) {
    o << "thresholds";
    for (float t : levels) {
      o << ' ';
      o.real(t);
    }
    o << '\n';
  } else {
    for (const InputBit &bit : net.encoding) {
      o << "bit " << bit.feature << ' ';
      o.real(bit.threshold) << '\n';
    }
  }
  for (const auto &[key, value] : net.metadata) {
    o << "meta " << key;
    if (!value.empty())
      o << ' ' << value;
    o << '\n';
  }
  for (const SharedBlock &b : net.blocks) {
    o << (b.kind == SharedBlock::Conv ? "conv" : "pool") << " in " << b.input
      << " shape " << b.channels << ' ' << b.height << ' ' << b.width;
    if (b.kind == SharedBlock::Conv)
      o << " out " << b.outChannels;
    o << " kernel " << b.kernel << " stride " << b.stride << " padding "
      << b.padding;
    if (b.kind == SharedBlock::OrPool) {
      o << '\n';
      continue;
    }
    o << " leaves " << b.leaves << '\n';
    for (uint32_t t = 0; t < b.outChannels; ++t) {
      o << "tree " << t << '\n';
      for (uint32_t l = 0; l < b.leaves; ++l) {
        const TreeLeaf &f = b.leaf[size_t(t) * b.leaves + l];
        o << "leaf " << f.c << ' ' << f.dy << ' ' << f.dx << '\n';
      }
      for (uint32_t j = 0; j + 1 < b.leaves; ++j) {
        const Gate &g = b.tree[size_t(t) * (b.leaves - 1) + j];
        o << "g " << gateKindName(g.kind) << ' ' << g.a << ' ' << g.b << '\n';
      }
    }
  }
  o << "gates " << uint32_t(net.gates.size()) << '\n';
  size_t nextLayer = 0;
  for (size_t i = 0; i < net.gates.size(); ++i) {
    if (nextLayer < net.layerStarts.size() && net.layerStarts[nextLayer] == i) {
      o << "layer\n";
      ++nextLayer;
    }
    const Gate &g = net.gates[i];
    o << "g " << gateKindName(g.kind) << ' ' << g.a << ' ' << g.b << '\n';
  }
  o << "outputs " << uint32_t(net.outputs.size()) << " classes "
    << net.numClasses << " tau ";
  o.real(net.tau) << '\n';
  // One class group per line when groups are small, else 16 ids a line.
  size_t perLine =
      net.groupSize() && net.groupSize() <= 32 ? net.groupSize() : 16;
  for (size_t i = 0; i < net.outputs.size(); ++i) {
    o << (i % perLine == 0 ? "o " : " ") << net.outputs[i];
    if (i % perLine == perLine - 1 || i + 1 == net.outputs.size())
      o << '\n';
  }
  o << "end\n";
  return std::move(o.buf);
}

Status lgc::writeNetFile(const std::string &path, const Net &net) {
  if (std::string err = verifyNet(net); !err.empty())
    return Status::errorAt(path, "refusing to write an invalid net: " + err);
  return writeFileAtomic(path, writeNet(net));
}
