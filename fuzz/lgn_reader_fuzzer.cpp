//===- lgn_reader_fuzzer.cpp - libFuzzer target for the .lgn reader -------===//
//
// Part of lgc. Besides "never crashes", every accepted input must satisfy the
// reader's contract: a valid net whose written form parses back to itself,
// and which the interpreter can evaluate.
//
//===----------------------------------------------------------------------===//

#include "lgc/Runtime/Format.h"
#include "lgc/Runtime/Interpreter.h"

#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), size);
  lgc::Net net;
  lgc::Status s = lgc::parseNet(text, "fuzz.lgn", net);
  if (!s.ok()) {
    if (s.message().rfind("fuzz.lgn:", 0) != 0) {
      std::fprintf(stderr, "error without a location: %s\n",
                   s.message().c_str());
      std::abort();
    }
    return 0;
  }
  if (std::string err = lgc::verifyNet(net); !err.empty()) {
    std::fprintf(stderr, "reader accepted an invalid net: %s\n", err.c_str());
    std::abort();
  }
  std::string written = lgc::writeNet(net);
  lgc::Net back;
  if (!lgc::parseNet(written, "rt.lgn", back).ok() || !(back == net)) {
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
  }
  return 0;
}
