//===- CApi.cpp - The C API of liblgcrt -----------------------------------===//
//
// Part of lgc. lgc_runtime.h over lgc::Runner: C programs and Python's ctypes
// open a net.so, a .lgn (the reference interpreter) or a .ptx, .cubin or
// .fatbin (the GPU) the same way. Errors come back as status codes and
// messages, never aborts.
//
//===----------------------------------------------------------------------===//

#include "lgc/Runtime/Cascade.h"
#include "lgc/Runtime/Ensemble.h"
#include "lgc/Runtime/Format.h"
#include "lgc/Runtime/Mirror.h"
#include "lgc/Runtime/Runner.h"
#include "lgc/lgc_runtime.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

using namespace lgc;

// The library is built with hidden visibility: only these functions leave it.
#define LGC_RT_EXPORT __attribute__((visibility("default")))

struct lgc_rt_net {
  std::unique_ptr<Runner> runner;
  lgc_net_info info;
};

static void copyError(const Status &s, char *error, size_t size) {
  if (!error || !size)
    return;
  size_t n = std::min(size - 1, s.message().size());
  std::memcpy(error, s.message().data(), n);
  error[n] = 0;
}

/// The C handle of an opened runner.
static lgc_rt_net *wrap(std::unique_ptr<Runner> runner, char *error,
                        size_t size) {
  const RunnerInfo &i = runner->info();
  lgc_net_info info{};
  info.abi_version = LGC_NET_ABI_VERSION;
  info.inputs = i.inputs;
  info.features = i.features;
  info.classes = i.classes;
  info.outputs = i.outputs;
  info.gates = uint32_t(std::min<uint64_t>(i.gates, UINT32_MAX));
  info.vector_bits = i.vectorBits;
  info.tau = i.tau;
  copyError(Status::success(), error, size);
  return new lgc_rt_net{std::move(runner), info};
}

extern "C" LGC_RT_EXPORT lgc_rt_net *lgc_rt_open(const char *path, char *error,
                                                 size_t size) {
  if (!path) {
    copyError(Status::error("no path"), error, size);
    return nullptr;
  }
  std::unique_ptr<Runner> runner;
  if (Status s = Runner::open(path, runner); !s) {
    copyError(s, error, size);
    return nullptr;
  }
  return wrap(std::move(runner), error, size);
}

extern "C" LGC_RT_EXPORT lgc_rt_net *
lgc_rt_open_cuda(const char *path, int device, char *error, size_t size) {
  if (!path) {
    copyError(Status::error("no path"), error, size);
    return nullptr;
  }
  if (!isGpuModulePath(path) && !isCascadePath(path)) {
    copyError(Status::errorAt(path, "lgc_rt_open_cuda opens GPU modules "
                                    "(.ptx, .cubin, .fatbin) and cascade "
                                    "files only"),
              error, size);
    return nullptr;
  }
  std::unique_ptr<Runner> runner;
  if (Status s = Runner::open(path, runner, device); !s) {
    copyError(s, error, size);
    return nullptr;
  }
  return wrap(std::move(runner), error, size);
}

extern "C" LGC_RT_EXPORT lgc_rt_net *
lgc_rt_open_cascade(const char *const *paths, size_t n, const double *margins,
                    char *error, size_t size) {
  if (!paths || (n > 1 && !margins)) {
    copyError(Status::error("null argument"), error, size);
    return nullptr;
  }
  // The count first: n paths are only read where n is one a cascade takes.
  if (Status s = checkCascadeSize(n); !s) {
    copyError(s, error, size);
    return nullptr;
  }
  std::vector<std::string> names;
  for (size_t i = 0; i < n; ++i) {
    if (!paths[i]) {
      copyError(Status::error("null path")
                    .withContext("net " + std::to_string(i + 1) + ": "),
                error, size);
      return nullptr;
    }
    names.push_back(paths[i]);
  }
  std::unique_ptr<Cascade> cascade;
  if (Status s = openCascade(
          names, std::vector<double>(margins, margins + n - 1), cascade);
      !s) {
    copyError(s, error, size);
    return nullptr;
  }
  return wrap(std::move(cascade), error, size);
}

extern "C" LGC_RT_EXPORT size_t lgc_rt_cascade_samples(const lgc_rt_net *net,
                                                       size_t *samples,
                                                       size_t capacity) {
  const Cascade *cascade = net ? net->runner->asCascade() : nullptr;
  if (!cascade)
    return 0;
  std::vector<size_t> ran = cascade->stageSamples();
  if (samples)
    std::copy_n(ran.begin(), std::min(capacity, ran.size()), samples);
  return ran.size();
}

extern "C" LGC_RT_EXPORT void lgc_rt_close(lgc_rt_net *net) { delete net; }

extern "C" LGC_RT_EXPORT const lgc_net_info *
lgc_rt_info(const lgc_rt_net *net) {
  return net ? &net->info : nullptr;
}

extern "C" LGC_RT_EXPORT const char *lgc_rt_backend(const lgc_rt_net *net) {
  return net ? net->runner->info().backend.c_str() : nullptr;
}

template <typename T>
static int run(const lgc_rt_net *net, const T *x, size_t n, uint32_t *counts,
               uint32_t *classes, unsigned threads, char *error, size_t size) {
  if (!net || (n && !x)) {
    copyError(Status::error("null argument"), error, size);
    return LGC_ERR_ARGUMENT;
  }
  Status s;
  if constexpr (std::is_same_v<T, uint8_t>)
    s = net->runner->runU8(x, n, counts, classes, threads);
  else
    s = net->runner->runF32(x, n, counts, classes, threads);
  copyError(s, error, size);
  return s ? LGC_OK : LGC_ERR_ARGUMENT;
}

extern "C" LGC_RT_EXPORT int lgc_rt_run_u8(const lgc_rt_net *net,
                                           const uint8_t *x, size_t n,
                                           uint32_t *counts, uint32_t *classes,
                                           unsigned threads, char *error,
                                           size_t size) {
  return run(net, x, n, counts, classes, threads, error, size);
}

extern "C" LGC_RT_EXPORT int lgc_rt_run_f32(const lgc_rt_net *net,
                                            const float *x, size_t n,
                                            uint32_t *counts, uint32_t *classes,
                                            unsigned threads, char *error,
                                            size_t size) {
  return run(net, x, n, counts, classes, threads, error, size);
}

extern "C" LGC_RT_EXPORT int
lgc_rt_run_device(const lgc_rt_net *net, int form, uint64_t x, size_t n,
                  uint32_t *counts, uint32_t *classes, uint64_t stream,
                  char *error, size_t size) {
  if (!net) {
    copyError(Status::error("null argument"), error, size);
    return LGC_ERR_ARGUMENT;
  }
  if (form != LGC_RT_DEVICE_U8 && form != LGC_RT_DEVICE_PACKED) {
    copyError(Status::error("invalid device input form " +
                            std::to_string(form) +
                            " (LGC_RT_DEVICE_U8 or LGC_RT_DEVICE_PACKED)"),
              error, size);
    return LGC_ERR_ARGUMENT;
  }
  Status s = net->runner->runDevice(form == LGC_RT_DEVICE_U8
                                        ? Runner::DeviceInput::U8
                                        : Runner::DeviceInput::Packed,
                                    x, n, counts, classes, stream);
  copyError(s, error, size);
  return s ? LGC_OK : LGC_ERR_ARGUMENT;
}

//===----------------------------------------------------------------------===//
// .lgn as arrays
//===----------------------------------------------------------------------===//

namespace {
/// The public struct and the storage its pointers point into.
struct LgnHandle {
  lgc_lgn_net view{};
  std::vector<uint8_t> kinds;
  std::vector<uint32_t> a, b, bitFeatures;
  std::vector<float> bitThresholds;
  Net net;
  std::vector<const char *> metadata;
};
} // namespace

extern "C" LGC_RT_EXPORT lgc_lgn_net *lgc_lgn_read(const char *path,
                                                   char *error, size_t size) {
  if (!path) {
    copyError(Status::error("no path"), error, size);
    return nullptr;
  }
  auto h = std::make_unique<LgnHandle>();
  if (Status s = readNetFile(path, h->net); !s) {
    copyError(s, error, size);
    return nullptr;
  }
  const Net &net = h->net;
  for (const Gate &g : net.gates) {
    h->kinds.push_back(g.kind);
    h->a.push_back(g.a);
    h->b.push_back(g.b);
  }
  for (const InputBit &bit : net.encoding) {
    h->bitFeatures.push_back(bit.feature);
    h->bitThresholds.push_back(bit.threshold);
  }
  for (const auto &[key, value] : net.metadata) {
    h->metadata.push_back(key.c_str());
    h->metadata.push_back(value.c_str());
  }
  lgc_lgn_net &v = h->view;
  v.inputs = net.numInputs;
  v.features = net.numFeatures;
  v.classes = net.numClasses;
  v.num_gates = uint32_t(net.gates.size());
  v.num_outputs = uint32_t(net.outputs.size());
  v.num_levels = uint32_t(net.levels.size());
  v.num_bits = uint32_t(net.encoding.size());
  v.num_layers = uint32_t(net.layerStarts.size());
  v.num_metadata = uint32_t(net.metadata.size());
  v.tau = net.tau;
  v.kinds = h->kinds.data();
  v.a = h->a.data();
  v.b = h->b.data();
  v.outputs = net.outputs.data();
  v.levels = net.levels.data();
  v.bit_features = h->bitFeatures.data();
  v.bit_thresholds = h->bitThresholds.data();
  v.layer_starts = net.layerStarts.data();
  v.metadata = h->metadata.data();
  v.owner = h.get();
  copyError(Status::success(), error, size);
  return &h.release()->view;
}

extern "C" LGC_RT_EXPORT void lgc_lgn_free(lgc_lgn_net *net) {
  if (net)
    delete static_cast<LgnHandle *>(net->owner);
}

extern "C" LGC_RT_EXPORT int lgc_lgn_write(const char *path,
                                           const lgc_lgn_net *v, char *error,
                                           size_t size) {
  auto missing = [&](const void *p, uint32_t n) { return n && !p; };
  if (!path || !v || missing(v->kinds, v->num_gates) ||
      missing(v->a, v->num_gates) || missing(v->b, v->num_gates) ||
      missing(v->outputs, v->num_outputs) ||
      missing(v->levels, v->num_levels) ||
      missing(v->bit_features, v->num_bits) ||
      missing(v->bit_thresholds, v->num_bits) ||
      missing(v->layer_starts, v->num_layers) ||
      missing(v->metadata, v->num_metadata)) {
    copyError(Status::error("null argument"), error, size);
    return LGC_ERR_ARGUMENT;
  }
  Net net;
  net.numInputs = v->inputs;
  net.numFeatures = v->features;
  net.numClasses = v->classes;
  net.tau = v->tau;
  net.levels.assign(v->levels, v->levels + v->num_levels);
  for (uint32_t i = 0; i < v->num_bits; ++i)
    net.encoding.push_back(InputBit{v->bit_features[i], v->bit_thresholds[i]});
  net.gates.reserve(v->num_gates);
  for (uint32_t g = 0; g < v->num_gates; ++g)
    net.gates.push_back(Gate{v->kinds[g], v->a[g], v->b[g]});
  net.outputs.assign(v->outputs, v->outputs + v->num_outputs);
  net.layerStarts.assign(v->layer_starts, v->layer_starts + v->num_layers);
  for (uint32_t m = 0; m < v->num_metadata; ++m) {
    const char *key = v->metadata[2 * m], *value = v->metadata[2 * m + 1];
    net.metadata.emplace_back(key ? key : "", value ? value : "");
  }
  Status s = writeNetFile(path, net);
  copyError(s, error, size);
  return s ? LGC_OK : LGC_ERR_ARGUMENT;
}

extern "C" LGC_RT_EXPORT int lgc_lgn_ensemble(const char *const *paths,
                                              size_t n, const char *output,
                                              int mirror, uint32_t height,
                                              uint32_t width, char *error,
                                              size_t size) {
  if (!paths || !n || !output) {
    copyError(Status::error("null argument or no nets"), error, size);
    return LGC_ERR_ARGUMENT;
  }
  std::vector<std::string> names(n);
  for (size_t m = 0; m < n; ++m) {
    if (!paths[m]) {
      copyError(Status::error("null path"), error, size);
      return LGC_ERR_ARGUMENT;
    }
    names[m] = paths[m];
  }
  EnsembleOptions options;
  options.mirror = mirror != 0;
  options.image = {height, width};
  if (Status s = ensembleFiles(names, output, options); !s) {
    copyError(s, error, size);
    return LGC_ERR_ARGUMENT;
  }
  return LGC_OK;
}

extern "C" LGC_RT_EXPORT int lgc_lgn_mirror(const char *path,
                                            const char *output, uint32_t height,
                                            uint32_t width, char *error,
                                            size_t size) {
  if (!path || !output) {
    copyError(Status::error("null argument"), error, size);
    return LGC_ERR_ARGUMENT;
  }
  Net net, mirrored;
  Status s = readNetFile(path, net, /*keepBlocks=*/true);
  if (s)
    s = mirrorNet(net, mirrored, {height, width})
            .withContext(std::string(path) + ": ");
  if (s)
    s = writeNetFile(output, mirrored);
  if (!s) {
    copyError(s, error, size);
    return LGC_ERR_ARGUMENT;
  }
  return LGC_OK;
}
