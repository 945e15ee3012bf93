//===- lgn_reader_fuzzer.cpp - libFuzzer target for the .lgn reader -------===//
//
// Part of lgc. Besides "never crashes", every accepted input must satisfy the
// reader's contract: a valid net whose written form parses back to itself,
// and which the interpreter can evaluate.
//
//===----------------------------------------------------------------------===//

#include "FuzzChecks.h"
#include "lgc/Runtime/Format.h"
#include "lgc/Runtime/Interpreter.h"

#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), size);
  lgc::Net net;
  // Blocks stay blocks: unrolled, a short file may stand for up to 2^28
  // gates, which is the format's bound, not the fuzzer's memory limit.
  lgc::Status s = lgc::parseNet(text, "fuzz.lgn", net, /*keepBlocks=*/true);
  if (!s.ok()) {
    lgc::fuzz::expectLocated(s, "fuzz.lgn");
    return 0;
  }
  if (std::string err = lgc::verifyNet(net); !err.empty()) {
    std::fprintf(stderr, "reader accepted an invalid net: %s\n", err.c_str());
    std::abort();
  }
  std::string written = lgc::writeNet(net);
  lgc::Net back;
  if (!lgc::parseNet(written, "rt.lgn", back, true).ok() || !(back == net)) {
    std::fprintf(stderr, "round trip failed\n");
    std::abort();
  }
  // The reader stores the encoding in one canonical form (levels for a
  // thermometer), so the written text is a fixed point.
  if (back.levels != net.levels || lgc::writeNet(back) != written) {
    std::fprintf(stderr, "the written form is not canonical\n");
    std::abort();
  }
  if (net.numNodes() < 100000) {
    std::vector<uint64_t> words(net.numInputs, 0x5555aaaa3333ccccull);
    std::vector<uint32_t> counts(64 * net.numClasses), classes(64);
    lgc::interpret(net, words.data(), 64, counts.data(), classes.data());
    for (uint32_t c : classes)
      if (c >= net.numClasses)
        std::abort();
    // Small blocks unrolled: the same counts as their definition.
    uint64_t unrolled = 0;
    for (const lgc::SharedBlock &b : net.blocks)
      unrolled += b.unrolledGates();
    if (!net.blocks.empty() && unrolled < 100000) {
      lgc::Net flat = net;
      lgc::unrollBlocks(flat);
      std::vector<uint32_t> flatCounts(counts.size());
      lgc::interpret(flat, words.data(), 64, flatCounts.data(), nullptr);
      if (!lgc::verifyNet(flat).empty() || flatCounts != counts) {
        std::fprintf(stderr, "unrolled blocks differ from their definition\n");
        std::abort();
      }
    }
  }
  return 0;
}
