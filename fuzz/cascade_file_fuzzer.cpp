//===- cascade_file_fuzzer.cpp - libFuzzer target for cascade files -------===//
//
// Part of lgc. Besides "never crashes", every error is located in the file,
// and every accepted file holds two or more nets with a margin >= 0 between
// each two, which the writer writes and the reader reads back to the same
// nets and margins.
//
//===----------------------------------------------------------------------===//

#include "FuzzChecks.h"
#include "lgc/Runtime/Cascade.h"

#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), size);
  lgc::CascadeSpec spec;
  lgc::Status s = lgc::parseCascade(text, "fuzz.cascade", spec);
  if (!s.ok()) {
    lgc::fuzz::expectLocated(s, "fuzz.cascade");
    return 0;
  }
  if (spec.nets.size() < 2 || spec.nets.size() > lgc::kMaxCascadeNets ||
      spec.margins.size() + 1 != spec.nets.size() ||
      spec.netLocations.size() != spec.nets.size()) {
    std::fprintf(stderr, "accepted a malformed cascade\n");
    std::abort();
  }
  for (double m : spec.margins)
    if (!(m >= 0)) {
      std::fprintf(stderr, "accepted margin %g\n", m);
      std::abort();
    }
  std::string written;
  if (!lgc::writeCascade(spec, written).ok()) {
    std::fprintf(stderr, "cannot write what was read\n");
    std::abort();
  }
  lgc::CascadeSpec back;
  if (!lgc::parseCascade(written, "rt.cascade", back).ok() ||
      back.nets != spec.nets || back.margins != spec.margins) {
    std::fprintf(stderr, "round trip failed\n");
    std::abort();
  }
  return 0;
}
