//===- Ensemble.cpp - Nets that vote together -----------------------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Runtime/Ensemble.h"
#include "lgc/Runtime/Format.h"

#include <algorithm>
#include <charconv>
#include <cstdint>

using namespace lgc;

/// The .lgn format's gate limit, so that every ensemble can be written.
static constexpr uint64_t kMaxGates = uint64_t(1) << 28;

/// True when a block of `net` reads a node range that begins among the
/// inputs and ends among the block outputs: such a range stops being
/// contiguous once the member's block outputs move.
static bool readsAcrossInputs(const Net &net) {
  for (const SharedBlock &b : net.blocks)
    if (b.input < net.numInputs && b.input + b.inputSize() > net.numInputs)
      return true;
  return false;
}

/// The first gate of each of `net`'s layers (segment 0 starts at gate 0
/// even where no layer line marks it).
static std::vector<uint32_t> segmentStarts(const Net &net) {
  std::vector<uint32_t> starts;
  if (net.gates.empty())
    return starts;
  starts.push_back(0);
  for (uint32_t s : net.layerStarts)
    if (s != 0)
      starts.push_back(s);
  return starts;
}

/// How many nets a member stands for: its own `ensemble` count, or 1.
static uint64_t memberCount(const Net &net) {
  for (const auto &[key, value] : net.metadata)
    if (key == "ensemble") {
      uint64_t n = 0;
      auto [end, ec] =
          std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec == std::errc() && end == value.data() + value.size() && n)
        return n;
    }
  return 1;
}

Status lgc::ensembleNets(const std::vector<Net> &members, Net &out,
                         const std::vector<std::string> &names) {
  auto name = [&](size_t m) {
    return m < names.size() ? names[m] : "member " + std::to_string(m);
  };
  if (members.empty())
    return Status::error("an ensemble needs at least one net");
  for (size_t m = 0; m < members.size(); ++m)
    if (std::string e = verifyNet(members[m]); !e.empty())
      return Status::errorAt(name(m), "invalid net: " + e);

  // Every member reads the same bits and votes for the same classes.
  const Net &first = members[0];
  for (size_t m = 1; m < members.size(); ++m) {
    const Net &net = members[m];
    auto mismatch = [&](const std::string &what) {
      return Status::errorAt(name(m), what + " differ from " + name(0) +
                                          "'s: an ensemble's members must "
                                          "read the same inputs and vote "
                                          "for the same classes");
    };
    if (net.numInputs != first.numInputs ||
        net.numFeatures != first.numFeatures)
      return mismatch("its inputs (" + std::to_string(net.numInputs) +
                      " bits of " + std::to_string(net.numFeatures) +
                      " features; " + std::to_string(first.numInputs) + " of " +
                      std::to_string(first.numFeatures) + ")");
    for (uint32_t i = 0; i < net.numInputs; ++i)
      if (!(net.inputBit(i) == first.inputBit(i)))
        return mismatch("the encodings of input bit " + std::to_string(i));
    if (net.numClasses != first.numClasses)
      return mismatch("its classes (" + std::to_string(net.numClasses) +
                      " against " + std::to_string(first.numClasses) + ")");
  }

  // Members whose blocks read across the inputs' end are placed unrolled.
  std::vector<Net> unrolled(members.size());
  std::vector<const Net *> nets(members.size());
  for (size_t m = 0; m < members.size(); ++m) {
    nets[m] = &members[m];
    if (m && readsAcrossInputs(members[m])) {
      unrolled[m] = members[m];
      unrollBlocks(unrolled[m]);
      nets[m] = &unrolled[m];
    }
  }

  uint64_t blockNodes = 0, gates = 0, outputs = 0;
  for (const Net *net : nets) {
    blockNodes += net->firstGateNode() - net->numInputs;
    gates += net->gates.size();
    outputs += net->outputs.size();
  }
  if (gates > kMaxGates)
    return Status::error("the ensemble has " + std::to_string(gates) +
                         " gates, more than the format's 2^28");
  if (first.numInputs + blockNodes + gates >= (uint64_t(1) << 31))
    return Status::error("the ensemble has more than 2^31 nodes");

  Net net;
  net.numInputs = first.numInputs;
  net.numFeatures = first.numFeatures;
  net.levels = first.levels;
  net.encoding = first.encoding;
  net.numClasses = first.numClasses;
  net.tau = 0;

  // Shared blocks, member by member: a member's block outputs move by
  // `shift[m]`, its inputs stay.
  std::vector<uint64_t> shift(nets.size());
  uint64_t next = net.numInputs;
  for (size_t m = 0; m < nets.size(); ++m) {
    shift[m] = next - nets[m]->numInputs;
    for (SharedBlock b : nets[m]->blocks) {
      if (b.input >= net.numInputs)
        b.input = uint32_t(b.input + shift[m]);
      next += b.numOutputs();
      net.blocks.push_back(std::move(b));
    }
  }
  const uint64_t firstGate = next;

  // Gates, layer by layer: gateNode[m][g] is member m's gate g's new node.
  std::vector<std::vector<uint32_t>> starts(nets.size());
  size_t layers = 0;
  bool anyLayers = false;
  for (size_t m = 0; m < nets.size(); ++m) {
    starts[m] = segmentStarts(*nets[m]);
    layers = std::max(layers, starts[m].size());
    anyLayers |= !nets[m]->layerStarts.empty();
  }
  // A member's node maps as: inputs stay, block outputs move by shift[m],
  // gates go where they are placed. A gate reads only earlier gates of its
  // member, which are placed before it, so one pass maps every operand.
  std::vector<std::vector<uint32_t>> gateNode(nets.size());
  for (size_t m = 0; m < nets.size(); ++m)
    gateNode[m].resize(nets[m]->gates.size());
  auto mapNode = [&](size_t m, uint32_t id) -> uint32_t {
    const Net &src = *nets[m];
    if (id < src.numInputs)
      return id;
    uint32_t gate0 = src.firstGateNode();
    if (id < gate0)
      return uint32_t(id + shift[m]);
    return gateNode[m][id - gate0];
  };
  net.gates.reserve(gates);
  for (size_t k = 0; k < layers; ++k) {
    if (anyLayers)
      net.layerStarts.push_back(uint32_t(net.gates.size()));
    for (size_t m = 0; m < nets.size(); ++m) {
      if (k >= starts[m].size())
        continue;
      const std::vector<Gate> &src = nets[m]->gates;
      size_t end = k + 1 < starts[m].size() ? starts[m][k + 1] : src.size();
      for (size_t g = starts[m][k]; g < end; ++g) {
        net.gates.push_back(
            Gate{src[g].kind, mapNode(m, src[g].a), mapNode(m, src[g].b)});
        gateNode[m][g] = uint32_t(firstGate + net.gates.size() - 1);
      }
    }
  }

  // Class c: member 0's group c, member 1's, ...
  net.outputs.reserve(outputs);
  for (uint32_t c = 0; c < net.numClasses; ++c)
    for (size_t m = 0; m < nets.size(); ++m) {
      uint32_t size = nets[m]->groupSize();
      for (uint32_t i = 0; i < size; ++i)
        net.outputs.push_back(
            mapNode(m, nets[m]->outputs[size_t(c) * size + i]));
    }
  uint64_t count = 0;
  for (const Net *src : nets) {
    net.tau += src->tau;
    count += memberCount(*src);
  }

  // Metadata: shared values once, the rest per member.
  auto valueOf = [](const Net &src,
                    const std::string &key) -> const std::string * {
    for (const auto &kv : src.metadata)
      if (kv.first == key)
        return &kv.second;
    return nullptr;
  };
  auto shared = [&](const std::string &key, const std::string &value) {
    for (const Net *src : nets) {
      const std::string *v = valueOf(*src, key);
      if (!v || *v != value)
        return false;
    }
    return true;
  };
  for (const auto &[key, value] : nets[0]->metadata)
    if (key != "ensemble" && shared(key, value))
      net.metadata.emplace_back(key, value);
  for (size_t m = 0; m < nets.size(); ++m)
    for (const auto &[key, value] : nets[m]->metadata)
      if (key != "ensemble" && !shared(key, value))
        net.metadata.emplace_back("member" + std::to_string(m) + "." + key,
                                  value);
  net.metadata.emplace_back("ensemble", std::to_string(count));

  if (std::string e = verifyNet(net); !e.empty())
    return Status::error("internal: the ensemble is not a valid net: " + e);
  out = std::move(net);
  return Status::success();
}

Status lgc::ensembleFiles(const std::vector<std::string> &paths,
                          const std::string &output,
                          const EnsembleOptions &options) {
  std::vector<Net> members;
  std::vector<std::string> names;
  for (const std::string &path : paths) {
    Net net;
    if (Status s = readNetFile(path, net, /*keepBlocks=*/true); !s)
      return s;
    if (!options.mirrorOnly) {
      members.push_back(std::move(net));
      names.push_back(path);
    }
    if (!options.mirror && !options.mirrorOnly)
      continue;
    Net mirrored;
    if (Status s = mirrorNet(options.mirrorOnly ? net : members.back(),
                             mirrored, options.image);
        !s)
      return s.withContext(path + ": ");
    members.push_back(std::move(mirrored));
    names.push_back(path + " (mirrored)");
  }
  Net net;
  if (Status s = ensembleNets(members, net, names); !s)
    return s;
  return writeNetFile(output, net);
}
