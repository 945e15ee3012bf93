//===- NetLibrary.h - Loading and running a compiled net.so -----*- C++ -*-===//
//
// Part of lgc. No LLVM: dlopen, an ABI check, and batches split across
// threads.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_RUNTIME_NETLIBRARY_H
#define LGC_RUNTIME_NETLIBRARY_H

#include "lgc/Runtime/Status.h"
#include "lgc/lgc_net.h"

#include <memory>
#include <string>

namespace lgc {

class NetLibrary {
public:
  /// Loads `path`; fails with a clear message for a missing file, a file that
  /// is not an lgc net library, or a different ABI version.
  static Status open(const std::string &path, std::unique_ptr<NetLibrary> &out);
  ~NetLibrary();

  const lgc_net_info &info() const { return *netInfo; }

  /// Runs n samples, split over `threads` threads (0: all cores).
  Status runU8(const uint8_t *x, size_t n, uint32_t *counts, uint32_t *classes,
               unsigned threads = 1) const;
  Status runF32(const float *x, size_t n, uint32_t *counts, uint32_t *classes,
                unsigned threads = 1) const;
  /// Packed bits in the interpreter's layout (see lgc_net.h).
  Status runPacked(const uint64_t *bits, size_t n, uint32_t *counts,
                   uint32_t *classes, unsigned threads = 1) const;

private:
  NetLibrary() = default;
  template <typename Fn>
  Status split(size_t n, size_t align, unsigned threads, Fn fn) const;

  void *handle = nullptr;
  std::string path;
  const lgc_net_info *netInfo = nullptr;
  int (*runU8Fn)(const uint8_t *, size_t, uint32_t *, uint32_t *) = nullptr;
  int (*runF32Fn)(const float *, size_t, uint32_t *, uint32_t *) = nullptr;
  int (*runPackedFn)(const uint64_t *, size_t, uint32_t *,
                     uint32_t *) = nullptr;
};

} // namespace lgc

#endif // LGC_RUNTIME_NETLIBRARY_H
