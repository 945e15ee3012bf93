//===- LibraryCheck.h - A loaded net library against the interpreter -*- C++
//-*-===//
//
// Part of lgc. Shared by the backend tests (net.so from LLVM, net.c from
// --emit=c): random 8-bit, float (with exact threshold values among them)
// and packed inputs of each batch size, on each thread count; every count
// and class must equal the reference interpreter's.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_TEST_UNIT_COMPILER_LIBRARYCHECK_H
#define LGC_TEST_UNIT_COMPILER_LIBRARYCHECK_H

#include "lgc/Runtime/Generate.h"
#include "lgc/Runtime/Interpreter.h"
#include "lgc/Runtime/NetLibrary.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lgc::test {

inline void checkAgainstInterpreter(const Net &net, const NetLibrary &lib,
                                    const std::vector<size_t> &sizes,
                                    const std::vector<unsigned> &threadCounts,
                                    uint64_t seed = 7) {
  Rng rng(seed);
  for (size_t n : sizes) {
    SCOPED_TRACE(n);
    std::vector<uint8_t> px(n * net.numFeatures);
    std::vector<float> fx(n * net.numFeatures);
    for (size_t i = 0; i < px.size(); ++i) {
      px[i] = uint8_t(rng.below(256));
      // Include exact threshold values and the ends of the range.
      uint64_t r = rng.below(8);
      fx[i] = r == 0   ? 0.1f
              : r == 1 ? 0.5f
              : r == 2 ? 0.9f
                       : float(rng.uniform());
    }
    std::vector<uint64_t> packed(numBlocks(n) * net.numInputs);
    for (uint64_t &w : packed)
      w = rng.next();
    struct Input {
      std::string kind;
      std::vector<uint64_t> words;
    } inputs[] = {{"u8", packFeaturesU8(net, px.data(), n)},
                  {"f32", packFeatures(net, fx.data(), n)},
                  {"packed", packed}};
    for (const Input &in : inputs) {
      SCOPED_TRACE(in.kind);
      std::vector<uint32_t> wantCounts(n * net.numClasses), wantClasses(n);
      interpret(net, in.words.data(), n, wantCounts.data(), wantClasses.data());
      for (unsigned threads : threadCounts) {
        std::vector<uint32_t> counts(n * net.numClasses, 999), classes(n, 999);
        Status s = in.kind == "u8" ? lib.runU8(px.data(), n, counts.data(),
                                               classes.data(), threads)
                   : in.kind == "f32"
                       ? lib.runF32(fx.data(), n, counts.data(), classes.data(),
                                    threads)
                       : lib.runPacked(packed.data(), n, counts.data(),
                                       classes.data(), threads);
        ASSERT_TRUE(s.ok()) << s.message();
        EXPECT_EQ(counts, wantCounts) << "threads " << threads;
        EXPECT_EQ(classes, wantClasses) << "threads " << threads;
      }
    }
  }
}

} // namespace lgc::test

#endif // LGC_TEST_UNIT_COMPILER_LIBRARYCHECK_H
