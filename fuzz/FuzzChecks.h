//===- FuzzChecks.h - What every lgc fuzzer checks --------------*- C++ -*-===//
//
// Part of lgc. A finding is an abort with a message on stderr.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_FUZZ_FUZZCHECKS_H
#define LGC_FUZZ_FUZZCHECKS_H

#include "lgc/Runtime/Status.h"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace lgc::fuzz {

/// A refused input's error must name where it is: `buffer` followed by ':'
/// (then a line and column, or the message for the whole file).
inline void expectLocated(const Status &s, const std::string &buffer) {
  if (s.message().rfind(buffer + ":", 0) != 0) {
    std::fprintf(stderr, "error without a location: %s\n", s.message().c_str());
    std::abort();
  }
}

} // namespace lgc::fuzz

#endif // LGC_FUZZ_FUZZCHECKS_H
