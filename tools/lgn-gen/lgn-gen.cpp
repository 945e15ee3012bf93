//===- lgn-gen.cpp - Random logic gate nets -------------------------------===//
//
// Part of lgc. Writes random nets of a given shape for tests and benchmarks:
//   lgn-gen --inputs 784 --layers 6x8000 --classes 10 --seed 1 -o net.lgn
//
//===----------------------------------------------------------------------===//

#include "../common/Flags.h"
#include "lgc/Runtime/Format.h"
#include "lgc/Runtime/Generate.h"
#include "lgc/Trainer/Model.h"

#include <fmt/core.h>

using namespace lgc;

static const char *kUsage = R"(usage: lgn-gen [options] -o FILE
  --inputs N          input bits (default 784)
  --layers SPEC       widths: "6x8000", "2000,2000" or "4x2000,1000" (default 2x2000)
  --classes K         GroupSum classes; the last width must divide (default 10)
  --tau T             GroupSum temperature (default 1)
  --seed S            random seed (default 1)
  --connections C     random | unique (difflogic's schemes; default random)
  --pass-through P    share of pass-through/constant gates in [0,1]
                      (default: all 16 kinds uniform)
  --arch SPEC         conv, pool and dense blocks instead of --layers (the
                      trainer's spec, docs/architectures.md): a random net of
                      that architecture, conv trees kept as shared blocks
                      (.lgn version 2)
  --image HxW         image geometry for --arch (default: square)
  --thresholds LIST   thermometer levels for --arch (default 0.5); --inputs
                      is then the feature count
  -o FILE             output .lgn ("-" for stdout)
)";

/// A random net of a conv architecture: the trainer's model with Gaussian
/// weights, discretised (each gate the argmax of 16 normals: a uniform kind).
static Status generateArchNet(const tools::Flags &flags,
                              const GenerateOptions &opts, Net &net) {
  train::ModelConfig cfg;
  cfg.features = opts.inputs;
  cfg.classes = opts.classes;
  cfg.tau = opts.tau;
  cfg.seed = opts.seed;
  cfg.connections = opts.connections;
  if (Status s = train::parseArch(flags.str("arch"), cfg.arch); !s)
    return s;
  if (!tools::parseThresholdList(flags.str("thresholds", "0.5"),
                                 cfg.thresholds))
    return Status::error("invalid --thresholds '" + flags.str("thresholds") +
                         "'");
  if (flags.has("image") &&
      !tools::parseImageSpec(flags.str("image"), cfg.imageHeight,
                             cfg.imageWidth, nullptr))
    return Status::error("invalid --image '" + flags.str("image") +
                         "' (expected HxW)");
  train::Model model;
  if (Status s = model.init(cfg); !s)
    return s;
  net = model.discretize();
  return Status::success();
}

int main(int argc, char **argv) {
  tools::Flags flags("lgn-gen",
                     {"inputs", "layers", "classes", "tau", "seed",
                      "connections", "pass-through", "arch", "image",
                      "thresholds", "o"},
                     {"help", "h"});
  if (int rc = flags.start(argc, argv, kUsage, 0, 0); rc >= 0)
    return rc;
  bool ok = true;
  GenerateOptions opts;
  opts.inputs = uint32_t(flags.u64("inputs", 784, ok, 1, 1u << 24));
  opts.classes = uint32_t(flags.u64("classes", 10, ok, 1, 1u << 24));
  opts.tau = flags.real("tau", 1.0, ok);
  opts.seed = flags.u64("seed", 1, ok);
  opts.passThroughShare = flags.real("pass-through", -1.0, ok);
  if (!ok)
    return 1;
  if (flags.has("pass-through") &&
      (opts.passThroughShare < 0 || opts.passThroughShare > 1))
    return flags.fail("--pass-through must be in [0, 1]"), 1;
  if (!(opts.tau > 0))
    return flags.fail("--tau must be positive"), 1;
  std::string conn = flags.str("connections", "random");
  if (conn == "random")
    opts.connections = Connections::Random;
  else if (conn == "unique")
    opts.connections = Connections::Unique;
  else
    return flags.fail("--connections must be 'random' or 'unique', not '" +
                      conn + "'"),
           1;
  if (!tools::parseLayerSpec(flags.str("layers", "2x2000"), opts.widths,
                             1u << 26))
    return flags.fail("invalid --layers '" + flags.str("layers") +
                      "' (expected e.g. 6x8000 or 2000,1000)"),
           1;
  if (!flags.has("o"))
    return flags.fail("no output file (-o FILE)"), 1;
  if (flags.has("arch") && (flags.has("layers") || flags.has("pass-through")))
    return flags.fail("--arch replaces --layers and --pass-through"), 1;
  if (!flags.has("arch") && (flags.has("image") || flags.has("thresholds")))
    return flags.fail("--image and --thresholds need --arch"), 1;
  Net net;
  if (Status s = flags.has("arch") ? generateArchNet(flags, opts, net)
                                   : generateNet(opts, net);
      !s) {
    fmt::print(stderr, "lgn-gen: {}\n", s.message());
    return 1;
  }
  net.metadata.emplace_back("generator", "lgn-gen");
  net.metadata.emplace_back("seed", std::to_string(opts.seed));
  net.metadata.emplace_back("connections", conn);
  if (Status s = writeNetFile(flags.str("o"), net); !s) {
    fmt::print(stderr, "lgn-gen: {}\n", s.message());
    return 1;
  }
  return 0;
}
