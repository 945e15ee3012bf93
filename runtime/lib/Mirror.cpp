//===- Mirror.cpp - A net that sees its images mirrored -------------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Runtime/Mirror.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>

using namespace lgc;

namespace {

/// x -> width - 1 - x inside a channel-major C x H x W image at node `base`.
uint32_t mirrorInImage(uint32_t node, uint32_t base, uint32_t width) {
  uint32_t r = node - base, x = r % width;
  return node - x + (width - 1 - x);
}

uint64_t bitKey(const InputBit &bit) {
  uint32_t t;
  std::memcpy(&t, &bit.threshold, sizeof(t));
  return uint64_t(bit.feature) << 32 | t;
}

std::string blockName(size_t b) { return "block " + std::to_string(b); }

Status refuse(const std::string &why) {
  return Status::error("cannot mirror: " + why);
}

} // namespace

Status lgc::mirrorNet(const Net &net, Net &out, ImageShape image) {
  if (std::string e = verifyNet(net); !e.empty())
    return refuse("invalid net: " + e);

  // The features' geometry.
  if (!image.height || !image.width) {
    image = {};
    for (const SharedBlock &b : net.blocks)
      if (b.input < net.numInputs) {
        image = {b.height, b.width};
        break;
      }
    if (!image.width) {
      auto side = uint32_t(std::lround(std::sqrt(double(net.numFeatures))));
      if (uint64_t(side) * side != net.numFeatures)
        return refuse("the net's " + std::to_string(net.numFeatures) +
                      " features are no square image and no block gives their "
                      "geometry: give the image's height and width");
      image = {side, side};
    }
  }
  uint64_t plane = uint64_t(image.height) * image.width;
  if (!plane || net.numFeatures % plane)
    return refuse("the net's " + std::to_string(net.numFeatures) +
                  " features are no whole number of " +
                  std::to_string(image.height) + "x" +
                  std::to_string(image.width) + " planes");

  // Input bit i reads feature f; its mirror reads mirror(f) at the same
  // threshold.
  std::unordered_map<uint64_t, uint32_t> bitOf;
  for (uint32_t i = 0; i < net.numInputs; ++i)
    bitOf.emplace(bitKey(net.inputBit(i)), i);
  std::vector<uint32_t> nodeMirror(net.firstGateNode());
  for (uint32_t i = 0; i < net.numInputs; ++i) {
    InputBit bit = net.inputBit(i);
    // Features are whole planes of rows: mirrored as one image.
    InputBit m{mirrorInImage(bit.feature, 0, image.width), bit.threshold};
    auto it = bitOf.find(bitKey(m));
    if (it == bitOf.end())
      return refuse("input bit " + std::to_string(i) + " reads feature " +
                    std::to_string(bit.feature) +
                    ", but no bit reads its mirror, feature " +
                    std::to_string(m.feature) + ", at the same threshold");
    nodeMirror[i] = it->second;
  }

  Net result = net;
  uint64_t next = net.numInputs;
  for (size_t k = 0; k < net.blocks.size(); ++k) {
    const SharedBlock &b = net.blocks[k];
    // Mirrored windows must be windows: the ones at x and outWidth-1-x
    // cover mirrored columns.
    if (uint64_t(b.stride) * (b.outWidth() - 1) !=
        uint64_t(b.width) + 2 * b.padding - b.kernel)
      return refuse(
          blockName(k) +
          ": its windows do not cover its image symmetrically "
          "(width " +
          std::to_string(b.width) + ", kernel " + std::to_string(b.kernel) +
          ", stride " + std::to_string(b.stride) + ", padding " +
          std::to_string(b.padding) + "), so no block computes its mirror");
    // What it reads must mirror onto itself as an image of its geometry.
    for (uint64_t n = b.input; n < b.input + b.inputSize(); ++n)
      if (nodeMirror[n] != mirrorInImage(uint32_t(n), b.input, b.width))
        return refuse(blockName(k) + " reads node " + std::to_string(n) +
                      ", whose mirror is node " +
                      std::to_string(nodeMirror[n]) +
                      ", not the mirrored position of its " +
                      std::to_string(b.width) + "-wide image");
    if (b.kind == SharedBlock::Conv)
      for (TreeLeaf &leaf : result.blocks[k].leaf)
        leaf.dx = b.kernel - 1 - leaf.dx;
    uint32_t base = uint32_t(next);
    for (uint64_t n = next; n < next + b.numOutputs(); ++n)
      nodeMirror[n] = mirrorInImage(uint32_t(n), base, b.outWidth());
    next += b.numOutputs();
  }

  auto mirror = [&](uint32_t node) {
    return node < nodeMirror.size() ? nodeMirror[node] : node;
  };
  for (Gate &g : result.gates) {
    g.a = mirror(g.a);
    g.b = mirror(g.b);
  }
  for (uint32_t &o : result.outputs)
    o = mirror(o);
  auto mark = std::find_if(result.metadata.begin(), result.metadata.end(),
                           [](const auto &kv) { return kv.first == "mirror"; });
  if (mark != result.metadata.end())
    result.metadata.erase(mark);
  else
    result.metadata.push_back({"mirror", "x"});
  out = std::move(result);
  return Status::success();
}
