//===- lgn-ensemble.cpp - Nets that vote together -------------------------===//
//
// Part of lgc. Joins nets trained on the same inputs and classes into one
// net whose class counts are the sums of theirs (lgc/Runtime/Ensemble.h):
//   lgn-ensemble a.lgn b.lgn c.lgn -o abc.lgn
//
//===----------------------------------------------------------------------===//

#include "../common/Flags.h"
#include "lgc/Runtime/Ensemble.h"

#include <fmt/core.h>

using namespace lgc;

static const char *kUsage = R"(usage: lgn-ensemble NET.lgn NET.lgn... -o OUT.lgn
       lgn-ensemble --mirror NET.lgn... -o OUT.lgn
       lgn-ensemble --mirror-only NET.lgn... -o OUT.lgn
  Joins nets trained on the same inputs and classes into one net that
  predicts the class with the largest sum of their counts. The members
  share the input bits; each class's GroupSum group is the members' groups
  of that class, one after the other; tau is the sum of their taus; shared
  conv and pool blocks stay shared (.lgn version 2).
  --mirror            each net also joins as its left-right mirror (the
                      net on flipped images), right after it: the ensemble
                      votes on the image and its mirror image
  --mirror-only       each net joins as its mirror alone (for one net: the
                      net on flipped images)
  --image HxW         the images' geometry for --mirror (default: from the
                      first conv or pool on the inputs, else square)
  -o FILE             output .lgn ("-" for stdout)
)";

int main(int argc, char **argv) {
  tools::Flags flags("lgn-ensemble", {"o", "image"},
                     {"help", "h", "mirror", "mirror-only"});
  if (int rc = flags.start(argc, argv, kUsage, 1, size_t(1) << 16); rc >= 0)
    return rc;
  bool mirrors = flags.has("mirror") || flags.has("mirror-only");
  if (flags.has("mirror") && flags.has("mirror-only"))
    return flags.fail("--mirror and --mirror-only exclude each other"), 1;
  if (flags.positionals.size() < 2 && !mirrors)
    return flags.fail("expected 2 file arguments, or one with --mirror or "
                      "--mirror-only (try --help)"),
           1;
  if (!flags.has("o"))
    return flags.fail("no output file (-o FILE)"), 1;
  EnsembleOptions options;
  options.mirror = flags.has("mirror");
  options.mirrorOnly = flags.has("mirror-only");
  if (flags.has("image")) {
    if (!tools::parseImageSpec(flags.str("image"), options.image.height,
                               options.image.width, nullptr))
      return flags.fail("invalid --image '" + flags.str("image") +
                        "' (expected HxW)"),
             1;
    if (!mirrors)
      return flags.fail("--image needs --mirror or --mirror-only"), 1;
  }
  if (Status s = ensembleFiles(flags.positionals, flags.str("o"), options);
      !s) {
    fmt::print(stderr, "lgn-ensemble: {}\n", s.message());
    return 1;
  }
  return 0;
}
