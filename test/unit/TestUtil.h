//===- TestUtil.h - Helpers shared by the unit tests ------------*- C++ -*-===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_TEST_UNIT_TESTUTIL_H
#define LGC_TEST_UNIT_TESTUTIL_H

#include "lgc/Runtime/Generate.h"
#include "lgc/Runtime/Interpreter.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <unistd.h>
#include <vector>

namespace lgc::test {

/// A fresh directory under /tmp, removed with everything in it.
class TempDir {
public:
  TempDir() {
    char tmpl[] = "/tmp/lgc-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::string file(const std::string &name) const { return path + "/" + name; }
  std::string path;
};

/// A random net of the given shape (lgn-gen's generator; a negative
/// pass-through share keeps the generator's default).
inline Net randomNet(uint32_t inputs, std::vector<uint32_t> widths,
                     uint32_t classes, double passThrough = -1,
                     uint64_t seed = 1) {
  GenerateOptions g;
  g.inputs = inputs;
  g.widths = std::move(widths);
  g.classes = classes;
  g.passThroughShare = passThrough;
  g.seed = seed;
  Net net;
  EXPECT_TRUE(generateNet(g, net).ok());
  return net;
}

/// Random packed input bits for `n` samples (interpret()'s layout).
inline std::vector<uint64_t> randomWords(uint32_t inputs, size_t n,
                                         uint64_t seed) {
  Rng rng(seed);
  std::vector<uint64_t> words(size_t(inputs) * numBlocks(n));
  for (uint64_t &w : words)
    w = rng.next();
  return words;
}

/// Packed input bits (interpret()'s layout: block-major) of the left-right
/// mirrored images, where every plane of the threshold-major bits is
/// `width` wide: bit (.., x) of the mirror is bit (.., width - 1 - x) of the
/// image.
inline std::vector<uint64_t> mirrorRows(const std::vector<uint64_t> &words,
                                        uint32_t inputs, uint32_t width) {
  std::vector<uint64_t> out(words.size());
  for (size_t w = 0; w * inputs < words.size(); ++w)
    for (uint32_t i = 0; i < inputs; ++i) {
      uint32_t x = i % width, from = i - x + (width - 1 - x);
      out[w * inputs + i] = words[w * inputs + from];
    }
  return out;
}

} // namespace lgc::test

#endif // LGC_TEST_UNIT_TESTUTIL_H
