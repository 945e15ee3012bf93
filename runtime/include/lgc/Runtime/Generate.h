//===- Generate.h - Random nets for tests and benchmarks --------*- C++ -*-===//
//
// Part of lgc. Wiring follows difflogic's two connection schemes.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_RUNTIME_GENERATE_H
#define LGC_RUNTIME_GENERATE_H

#include "lgc/Runtime/Net.h"
#include "lgc/Runtime/Status.h"

#include <cstdint>
#include <vector>

namespace lgc {

/// A small, fast, platform-independent generator (xoshiro256**), so a seed
/// gives the same net everywhere.
class Rng {
public:
  explicit Rng(uint64_t seed);
  uint64_t next();
  /// Uniform in [0, bound), bound > 0, without modulo bias.
  uint64_t below(uint64_t bound);
  /// Uniform in [0, 1).
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }
  /// Standard normal (Box-Muller).
  double normal();
  /// A random permutation of 0..n-1.
  std::vector<uint32_t> permutation(uint32_t n);

  /// The full state, for checkpoints that resume bit-exactly.
  void getState(uint64_t out[4]) const {
    for (int i = 0; i < 4; ++i)
      out[i] = s[i];
  }
  void setState(const uint64_t in[4]) {
    for (int i = 0; i < 4; ++i)
      s[i] = in[i];
  }

private:
  uint64_t s[4];
};

enum class Connections { Random, Unique };

/// Computes one layer's wiring as difflogic does; `a` and `b` receive
/// `outDim` indices into the previous layer each.
Status makeConnections(Connections scheme, uint32_t inDim, uint32_t outDim,
                       Rng &rng, std::vector<uint32_t> &a,
                       std::vector<uint32_t> &b);

struct GenerateOptions {
  uint32_t inputs = 784;
  std::vector<uint32_t> widths = {2000, 2000};
  uint32_t classes = 10;
  double tau = 1.0;
  uint64_t seed = 1;
  Connections connections = Connections::Random;
  /// Probability that a gate is pass-through or constant (a, b, not_a, not_b,
  /// zero, one); negative: draw all 16 kinds uniformly (share 6/16).
  double passThroughShare = -1.0;
};

/// Builds a layered random net; the last layer's gates are the outputs.
Status generateNet(const GenerateOptions &opts, Net &net);

} // namespace lgc

#endif // LGC_RUNTIME_GENERATE_H
