//===- Generate.cpp - Random nets for tests and benchmarks ----------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Runtime/Generate.h"

#include <cmath>
#include <string>

using namespace lgc;

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

Rng::Rng(uint64_t seed) {
  // splitmix64 expands the seed into the four state words.
  for (uint64_t &w : s) {
    uint64_t z = (seed += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    w = z ^ (z >> 31);
  }
}

uint64_t Rng::next() {
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

uint64_t Rng::below(uint64_t bound) {
  // Rejection keeps the result exactly uniform.
  uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  uint64_t x;
  do
    x = next();
  while (x >= limit);
  return x % bound;
}

double Rng::normal() {
  double u1 = uniform(), u2 = uniform();
  if (u1 < 1e-300)
    u1 = 1e-300;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

std::vector<uint32_t> Rng::permutation(uint32_t n) {
  std::vector<uint32_t> p(n);
  for (uint32_t i = 0; i < n; ++i)
    p[i] = i;
  for (uint32_t i = n; i > 1; --i)
    std::swap(p[i - 1], p[below(i)]);
  return p;
}

Status lgc::makeConnections(Connections scheme, uint32_t inDim, uint32_t outDim,
                            Rng &rng, std::vector<uint32_t> &a,
                            std::vector<uint32_t> &b) {
  a.clear();
  b.clear();
  if (inDim == 0 || outDim == 0)
    return Status::error("a layer needs a non-zero width");
  if (scheme == Connections::Random) {
    // c = randperm(2 out) mod in; c = randperm(in)[c]; A, B = halves of c.
    std::vector<uint32_t> c = rng.permutation(2 * outDim);
    std::vector<uint32_t> p = rng.permutation(inDim);
    for (uint32_t &v : c)
      v = p[v % inDim];
    a.assign(c.begin(), c.begin() + outDim);
    b.assign(c.begin() + outDim, c.end());
    return Status::success();
  }
  if (uint64_t(outDim) * 2 < inDim)
    return Status::error("'unique' connections need 2 x width >= the "
                         "previous width (" +
                         std::to_string(outDim) + " x 2 < " +
                         std::to_string(inDim) + ")");
  // Pairs (0,1),(2,3),..., then (1,2),(3,4),..., then offsets 2, 3, ...
  for (uint32_t i = 0; i + 1 < inDim && a.size() < outDim; i += 2)
    a.push_back(i), b.push_back(i + 1);
  for (uint32_t i = 1; i + 1 < inDim && a.size() < outDim; i += 2)
    a.push_back(i), b.push_back(i + 1);
  for (uint32_t off = 2; a.size() < outDim && off < inDim; ++off)
    for (uint32_t i = 0; i + off < inDim && a.size() < outDim; ++i)
      a.push_back(i), b.push_back(i + off);
  if (a.size() < outDim)
    return Status::error("'unique' connections cannot wire " +
                         std::to_string(outDim) + " gates to " +
                         std::to_string(inDim) + " inputs");
  std::vector<uint32_t> perm = rng.permutation(outDim);
  std::vector<uint32_t> pa(outDim), pb(outDim);
  for (uint32_t i = 0; i < outDim; ++i)
    pa[i] = a[perm[i]], pb[i] = b[perm[i]];
  a.swap(pa);
  b.swap(pb);
  return Status::success();
}

static const uint8_t kPassKinds[] = {0, 3, 5, 10, 12, 15};
static const uint8_t kRealKinds[] = {1, 2, 4, 6, 7, 8, 9, 11, 13, 14};

Status lgc::generateNet(const GenerateOptions &opts, Net &net) {
  net = Net();
  if (opts.inputs == 0)
    return Status::error("a net needs at least one input");
  if (opts.widths.empty())
    return Status::error("a net needs at least one layer");
  if (opts.classes == 0 || opts.widths.back() % opts.classes)
    return Status::error(
        "the last layer's width " + std::to_string(opts.widths.back()) +
        " is not divisible into " + std::to_string(opts.classes) + " classes");
  uint64_t total = 0;
  for (uint32_t w : opts.widths)
    total += w;
  if (total > (1u << 28))
    return Status::error("too many gates");
  Rng rng(opts.seed);
  net.numInputs = net.numFeatures = opts.inputs;
  net.numClasses = opts.classes;
  net.tau = opts.tau;
  net.gates.reserve(total);
  uint32_t prevBase = 0, prevWidth = opts.inputs;
  std::vector<uint32_t> a, b;
  for (uint32_t width : opts.widths) {
    if (Status s =
            makeConnections(opts.connections, prevWidth, width, rng, a, b);
        !s)
      return s;
    net.layerStarts.push_back(uint32_t(net.gates.size()));
    uint32_t base = net.numNodes();
    for (uint32_t i = 0; i < width; ++i) {
      uint8_t kind;
      if (opts.passThroughShare < 0)
        kind = uint8_t(rng.below(16));
      else if (rng.uniform() < opts.passThroughShare)
        kind = kPassKinds[rng.below(6)];
      else
        kind = kRealKinds[rng.below(10)];
      net.gates.push_back(Gate{kind, prevBase + a[i], prevBase + b[i]});
    }
    prevBase = base;
    prevWidth = width;
  }
  for (uint32_t i = 0; i < prevWidth; ++i)
    net.outputs.push_back(prevBase + i);
  return Status::success();
}
