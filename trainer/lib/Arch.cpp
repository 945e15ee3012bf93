//===- Arch.cpp - Architecture specifications for the trainer -------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Trainer/Arch.h"

#include <cctype>

using namespace lgc;
using namespace lgc::train;

bool BlockSpec::operator==(const BlockSpec &o) const {
  return kind == o.kind && width == o.width && kernel == o.kernel &&
         stride == o.stride && padding == o.padding && depth == o.depth &&
         channelGroup == o.channelGroup;
}

namespace {

/// A recursive-descent reader over the spec with the column of every error.
class ArchParser {
public:
  explicit ArchParser(std::string_view text) : text(text) {}

  Status parse(std::vector<BlockSpec> &blocks) {
    blocks.clear();
    skipSeparators();
    if (pos == text.size())
      return error("the architecture is empty");
    while (pos < text.size()) {
      BlockSpec block;
      if (Status s = parseBlock(block); !s)
        return s;
      blocks.push_back(block);
      size_t before = pos;
      skipSeparators();
      if (pos < text.size() && pos == before)
        return error("expected a space, ',' or ';' between blocks");
    }
    return Status::success();
  }

private:
  Status error(const std::string &message) const {
    return Status::errorAt("--arch:1:" + std::to_string(pos + 1), message);
  }

  void skipSpaces() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t'))
      ++pos;
  }
  void skipSeparators() {
    while (pos < text.size() &&
           (text[pos] == ' ' || text[pos] == '\t' || text[pos] == ',' ||
            text[pos] == ';' || text[pos] == '\n'))
      ++pos;
  }

  std::string_view word() {
    size_t start = pos;
    while (pos < text.size() &&
           (std::isalnum(static_cast<unsigned char>(text[pos])) ||
            text[pos] == '_'))
      ++pos;
    return text.substr(start, pos - start);
  }

  /// An unsigned decimal in [lo, hi].
  Status number(const char *what, uint32_t lo, uint32_t hi, uint32_t &out) {
    skipSpaces();
    size_t start = pos;
    uint64_t v = 0;
    while (pos < text.size() &&
           std::isdigit(static_cast<unsigned char>(text[pos]))) {
      v = v * 10 + uint64_t(text[pos] - '0');
      if (v > hi)
        break;
      ++pos;
    }
    if (pos == start) {
      pos = start;
      return error(std::string("expected a number for ") + what);
    }
    if (v < lo || v > hi) {
      pos = start;
      return error(std::string(what) + " must be in " + std::to_string(lo) +
                   " .. " + std::to_string(hi));
    }
    out = uint32_t(v);
    return Status::success();
  }

  Status parseBlock(BlockSpec &block) {
    block.column = uint32_t(pos + 1);
    size_t nameStart = pos;
    std::string name(word());
    if (name == "dense" || name == "fc") {
      block.kind = BlockSpec::Dense;
    } else if (name == "conv") {
      block.kind = BlockSpec::Conv;
    } else if (name == "pool" || name == "orpool") {
      block.kind = BlockSpec::Pool;
    } else {
      pos = nameStart;
      return error(name.empty() ? "expected a block (dense, conv or pool)"
                                : "unknown block '" + name +
                                      "' (expected dense, conv or pool)");
    }
    skipSpaces();
    if (pos >= text.size() || text[pos] != '(')
      return error("expected '(' after '" + name + "'");
    ++pos;
    // The positional argument.
    switch (block.kind) {
    case BlockSpec::Dense:
      if (Status s = number("the width", 1, 1u << 24, block.width); !s)
        return s;
      break;
    case BlockSpec::Conv:
      if (Status s = number("the channel count", 1, 1u << 16, block.width); !s)
        return s;
      break;
    case BlockSpec::Pool:
      if (Status s = number("the pool size", 1, 64, block.kernel); !s)
        return s;
      block.stride = 0; // the kernel unless given
      break;
    }
    // key=value arguments.
    for (;;) {
      skipSpaces();
      if (pos < text.size() && text[pos] == ')') {
        ++pos;
        break;
      }
      if (pos >= text.size() || text[pos] != ',')
        return error("expected ',' or ')'");
      ++pos;
      skipSpaces();
      size_t keyStart = pos;
      std::string key(word());
      skipSpaces();
      if (pos >= text.size() || text[pos] != '=') {
        pos = keyStart;
        return error(key.empty() ? "expected an argument 'key=value'"
                                 : "expected '=' after '" + key + "'");
      }
      ++pos;
      uint32_t *field = nullptr;
      uint32_t lo = 0, hi = 0;
      const char *what = "";
      bool conv = block.kind == BlockSpec::Conv;
      bool pool = block.kind == BlockSpec::Pool;
      if ((key == "k" || key == "kernel") && conv)
        field = &block.kernel, lo = 1, hi = 64, what = "the kernel size";
      else if ((key == "s" || key == "stride") && (conv || pool))
        field = &block.stride, lo = 1, hi = 64, what = "the stride";
      else if ((key == "p" || key == "padding") && (conv || pool))
        field = &block.padding, lo = 0, hi = 64, what = "the padding";
      else if ((key == "d" || key == "depth") && conv)
        field = &block.depth, lo = 1, hi = 12, what = "the tree depth";
      else if ((key == "g" || key == "group") && conv)
        field = &block.channelGroup, lo = 0, hi = 1u << 16,
        what = "the channel group";
      if (!field) {
        pos = keyStart;
        return error("'" + key + "' is not an argument of " + name +
                     (conv   ? " (k, s, p, d, g)"
                      : pool ? " (s, p)"
                             : " (it takes only its width)"));
      }
      if (Status s = number(what, lo, hi, *field); !s)
        return s;
    }
    if (block.kind == BlockSpec::Pool && block.stride == 0)
      block.stride = block.kernel;
    return Status::success();
  }

  std::string_view text;
  size_t pos = 0;
};

} // namespace

Status lgc::train::parseArch(std::string_view text,
                             std::vector<BlockSpec> &blocks) {
  return ArchParser(text).parse(blocks);
}

std::string lgc::train::formatArch(const std::vector<BlockSpec> &blocks) {
  std::string s;
  for (const BlockSpec &b : blocks) {
    if (!s.empty())
      s += ' ';
    switch (b.kind) {
    case BlockSpec::Dense:
      s += "dense(" + std::to_string(b.width) + ")";
      break;
    case BlockSpec::Conv:
      s += "conv(" + std::to_string(b.width) +
           ",k=" + std::to_string(b.kernel) + ",s=" + std::to_string(b.stride) +
           ",p=" + std::to_string(b.padding) + ",d=" + std::to_string(b.depth) +
           ",g=" + std::to_string(b.channelGroup) + ")";
      break;
    case BlockSpec::Pool:
      s += "pool(" + std::to_string(b.kernel) +
           ",s=" + std::to_string(b.stride) +
           ",p=" + std::to_string(b.padding) + ")";
      break;
    }
  }
  return s;
}

Status lgc::train::blockOutputShape(const BlockSpec &block, const Shape &in,
                                    Shape &out) {
  std::string where = "--arch:1:" + std::to_string(block.column);
  if (block.kind == BlockSpec::Dense) {
    out = Shape{block.width, 0, 0};
    return Status::success();
  }
  const char *name = block.kind == BlockSpec::Conv ? "conv" : "pool";
  if (!in.spatial())
    return Status::errorAt(
        where, std::string(name) +
                   " needs a spatial input (an image, or a conv or pool "
                   "block), but follows a dense layer");
  if (block.padding >= block.kernel)
    return Status::errorAt(where, "the padding " +
                                      std::to_string(block.padding) +
                                      " must be smaller than the window " +
                                      std::to_string(block.kernel));
  uint64_t h = uint64_t(in.height) + 2 * block.padding,
           w = uint64_t(in.width) + 2 * block.padding;
  if (h < block.kernel || w < block.kernel)
    return Status::errorAt(where, "the window " + std::to_string(block.kernel) +
                                      "x" + std::to_string(block.kernel) +
                                      " does not fit the " +
                                      std::to_string(in.height) + "x" +
                                      std::to_string(in.width) + " input");
  out.height = uint32_t((h - block.kernel) / block.stride + 1);
  out.width = uint32_t((w - block.kernel) / block.stride + 1);
  if (block.kind == BlockSpec::Conv) {
    out.channels = block.width;
    if (block.channelGroup > in.channels)
      return Status::errorAt(
          where, "the channel group " + std::to_string(block.channelGroup) +
                     " exceeds the input's " + std::to_string(in.channels) +
                     " channels");
    if (block.kernel * block.kernel *
            (block.channelGroup ? block.channelGroup : in.channels) <
        2)
      return Status::errorAt(where, "a tree needs at least two distinct "
                                    "inputs: widen the window or the group");
  } else {
    out.channels = in.channels;
  }
  return Status::success();
}
