//===- ConvNets.h - Random convolutional nets for the backend tests -*- C++
//-*-===//
//
// Part of lgc. Nets with shared conv and pool blocks, made by the trainer's
// model with random weights and discretised: the architectures the trainer
// builds, with gate kinds drawn uniformly (or biased towards pass-through
// and constant trees, to exercise the block folds).
//
//===----------------------------------------------------------------------===//

#ifndef LGC_TEST_UNIT_COMPILER_CONVNETS_H
#define LGC_TEST_UNIT_COMPILER_CONVNETS_H

#include "lgc/Trainer/Model.h"

#include <gtest/gtest.h>

namespace lgc::test {

struct ConvNetSpec {
  const char *arch;
  uint32_t height, width;
  std::vector<float> levels;
  uint32_t classes;
};

/// Architectures with padding, strides, deep and shallow trees, channel
/// groups, pools with and without padding, with and without dense layers.
inline std::vector<ConvNetSpec> convNetSpecs() {
  return {
      {"conv(4,k=3,p=1,d=3) pool(2) conv(6,k=3,p=1,d=2) pool(2) dense(60)",
       8,
       8,
       {0.3f, 0.6f},
       3},
      {"conv(3,k=2,s=2,d=1,g=0) pool(3,s=1,p=1) dense(40) dense(20)",
       7,
       6,
       {0.5f},
       5},
      {"conv(5,k=3,p=2,d=2,g=1) pool(2,p=1)", 5, 5, {0.2f, 0.5f, 0.8f}, 5},
      // A strided conv into overlapping unpadded windows (a conv fused into
      // its pool under --blocks=loop), then a conv reading the pool.
      {"conv(4,k=3,s=2,p=1,d=2) pool(3,s=2) conv(3,k=2,d=1) dense(30)",
       11,
       9,
       {0.4f, 0.7f},
       3},
  };
}

/// Kinds: 0 uniform (the argmax of 16 normals); 1 every tree gate a
/// pass-through except some roots made constant (the conv folds).
inline Net randomConvNet(const ConvNetSpec &spec, uint64_t seed,
                         int kinds = 0) {
  train::ModelConfig cfg;
  cfg.features = spec.height * spec.width;
  cfg.imageHeight = spec.height;
  cfg.imageWidth = spec.width;
  cfg.thresholds = spec.levels;
  cfg.classes = spec.classes;
  cfg.tau = 2.0;
  cfg.seed = seed;
  cfg.connections = Connections::Random;
  Status s = train::parseArch(spec.arch, cfg.arch);
  EXPECT_TRUE(s.ok()) << s.message();
  if (kinds == 1)
    cfg.init = train::InitScheme::Residual;
  train::Model model;
  s = model.init(cfg);
  EXPECT_TRUE(s.ok()) << s.message();
  Net net = model.discretize();
  if (kinds == 1) {
    // Every third tree's root becomes `one` or `zero`.
    Rng rng(seed);
    for (SharedBlock &b : net.blocks)
      for (uint32_t o = 0; o < b.outChannels; o += 3)
        b.tree[size_t(o) * (b.leaves - 1) + b.leaves - 2].kind =
            rng.below(2) ? uint8_t(GateKind::One) : uint8_t(GateKind::Zero);
  }
  EXPECT_EQ(verifyNet(net), "");
  return net;
}

} // namespace lgc::test

#endif // LGC_TEST_UNIT_COMPILER_CONVNETS_H
