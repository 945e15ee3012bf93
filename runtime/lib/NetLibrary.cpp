//===- NetLibrary.cpp - Loading and running a compiled net.so -------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Runtime/NetLibrary.h"

#include <algorithm>
#include <dlfcn.h>
#include <thread>
#include <vector>

using namespace lgc;

Status NetLibrary::open(const std::string &path,
                        std::unique_ptr<NetLibrary> &out) {
  // dlopen searches the library path for names without a slash.
  std::string name = path.find('/') == std::string::npos ? "./" + path : path;
  void *handle = ::dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *err = ::dlerror();
    return Status::errorAt(path, std::string("cannot load net library: ") +
                                     (err ? err : "unknown error"));
  }
  std::unique_ptr<NetLibrary> lib(new NetLibrary());
  lib->handle = handle;
  lib->path = path;
  auto version =
      reinterpret_cast<uint32_t (*)()>(::dlsym(handle, "lgc_net_abi_version"));
  auto getInfo = reinterpret_cast<const lgc_net_info *(*)()>(
      ::dlsym(handle, "lgc_net_get_info"));
  if (!version || !getInfo)
    return Status::errorAt(path,
                           "not an lgc net library (no lgc_net_abi_version)");
  if (version() != LGC_NET_ABI_VERSION)
    return Status::errorAt(path, "net library has ABI version " +
                                     std::to_string(version()) +
                                     ", this runtime needs " +
                                     std::to_string(LGC_NET_ABI_VERSION) +
                                     " (recompile it with lgc)");
  lib->netInfo = getInfo();
  lib->runU8Fn = reinterpret_cast<decltype(lib->runU8Fn)>(
      ::dlsym(handle, "lgc_net_run_u8"));
  lib->runF32Fn = reinterpret_cast<decltype(lib->runF32Fn)>(
      ::dlsym(handle, "lgc_net_run_f32"));
  lib->runPackedFn = reinterpret_cast<decltype(lib->runPackedFn)>(
      ::dlsym(handle, "lgc_net_run_packed"));
  if (!lib->netInfo || !lib->runU8Fn || !lib->runF32Fn || !lib->runPackedFn)
    return Status::errorAt(path, "net library lacks part of the ABI");
  out = std::move(lib);
  return Status::success();
}

NetLibrary::~NetLibrary() {
  if (handle)
    ::dlclose(handle);
}

template <typename Fn>
Status NetLibrary::split(size_t n, size_t align, unsigned threads,
                         Fn fn) const {
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  size_t chunks = std::min<size_t>(threads, (n + align - 1) / align);
  if (chunks <= 1) {
    int rc = fn(size_t(0), n);
    return rc ? Status::errorAt(path, "net library returned status " +
                                          std::to_string(rc))
              : Status::success();
  }
  // Chunks of whole `align` blocks so packed input splits on word
  // boundaries and every thread fills full vectors.
  size_t per = ((n + chunks - 1) / chunks + align - 1) / align * align;
  std::vector<int> rcs(chunks, 0);
  std::vector<std::thread> pool;
  for (size_t t = 0; t < chunks; ++t) {
    size_t first = t * per;
    if (first >= n)
      break;
    size_t count = std::min(per, n - first);
    pool.emplace_back([&, t, first, count] { rcs[t] = fn(first, count); });
  }
  for (std::thread &th : pool)
    th.join();
  for (int rc : rcs)
    if (rc)
      return Status::errorAt(path, "net library returned status " +
                                       std::to_string(rc));
  return Status::success();
}

Status NetLibrary::runU8(const uint8_t *x, size_t n, uint32_t *counts,
                         uint32_t *classes, unsigned threads) const {
  size_t F = netInfo->features, C = netInfo->classes;
  return split(n, netInfo->vector_bits, threads,
               [&](size_t first, size_t count) {
                 return runU8Fn(x + first * F, count,
                                counts ? counts + first * C : nullptr,
                                classes ? classes + first : nullptr);
               });
}

Status NetLibrary::runF32(const float *x, size_t n, uint32_t *counts,
                          uint32_t *classes, unsigned threads) const {
  size_t F = netInfo->features, C = netInfo->classes;
  return split(n, netInfo->vector_bits, threads,
               [&](size_t first, size_t count) {
                 return runF32Fn(x + first * F, count,
                                 counts ? counts + first * C : nullptr,
                                 classes ? classes + first : nullptr);
               });
}

Status NetLibrary::runPacked(const uint64_t *bits, size_t n, uint32_t *counts,
                             uint32_t *classes, unsigned threads) const {
  size_t I = netInfo->inputs, C = netInfo->classes;
  return split(n, std::max<size_t>(64, netInfo->vector_bits), threads,
               [&](size_t first, size_t count) {
                 return runPackedFn(bits + (first / 64) * I, count,
                                    counts ? counts + first * C : nullptr,
                                    classes ? classes + first : nullptr);
               });
}
