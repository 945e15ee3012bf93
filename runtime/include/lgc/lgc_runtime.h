/*===- lgc_runtime.h - C API of the lgc runtime (liblgcrt.so) ---*- C -*-===*
 *
 * Part of lgc. Loads a net and runs large batches across threads; usable
 * from C and from Python's ctypes (the `lgc` Python package is built on it).
 * lgc_rt_open takes a compiled net.so, a .lgn (run by the reference
 * interpreter) or a .ptx, .cubin or .fatbin (run on the GPU through the
 * CUDA driver).
 * Functions return 0 on success; on failure they write a message to `error`
 * (if not NULL). Running is thread-safe; `threads` (0: all cores) splits a
 * batch of a net.so, the other backends ignore it.
 *
 *===----------------------------------------------------------------------===*/

#ifndef LGC_RUNTIME_H
#define LGC_RUNTIME_H

#include "lgc/lgc_net.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lgc_rt_net lgc_rt_net;

lgc_rt_net *lgc_rt_open(const char *path, char *error, size_t error_size);
/* lgc_rt_open for a GPU module (.ptx, .cubin, .fatbin) on CUDA device
 * `device` (an ordinal; lgc_rt_open takes device 0), in that device's
 * primary context: where lgc_rt_run_device's input must live. A cascade
 * file opens its GPU modules there (and needs one among its nets). */
lgc_rt_net *lgc_rt_open_cuda(const char *path, int device, char *error,
                             size_t error_size);
void lgc_rt_close(lgc_rt_net *net);
const lgc_net_info *lgc_rt_info(const lgc_rt_net *net);
/* What runs the net ("compiled library (512-bit vectors)", "reference
 * interpreter", "cuda (<device>)"); valid while the net is open. */
const char *lgc_rt_backend(const lgc_rt_net *net);
/* A cascade of the n >= 2 nets at `paths` (any of the kinds above but a
 * .cascade) with n - 1 `margins`: net i + 1 runs on the samples whose summed
 * scores (counts over summed tau) from nets 1 .. i leave the top two classes
 * less than margins[i - 1] apart (0: never, INFINITY: always), and adds its
 * counts. The same net as a .cascade file naming them. */
lgc_rt_net *lgc_rt_open_cascade(const char *const *paths, size_t n,
                                const double *margins, char *error,
                                size_t error_size);
/* For a cascade: how many samples each of its nets ran on in the last run to
 * finish, written to samples[0 .. min(nets, capacity)); returns the number of
 * nets, or 0 for a net that is no cascade. */
size_t lgc_rt_cascade_samples(const lgc_rt_net *net, size_t *samples,
                              size_t capacity);
int lgc_rt_run_u8(const lgc_rt_net *net, const uint8_t *x, size_t n,
                  uint32_t *counts, uint32_t *classes, unsigned threads,
                  char *error, size_t error_size);
int lgc_rt_run_f32(const lgc_rt_net *net, const float *x, size_t n,
                   uint32_t *counts, uint32_t *classes, unsigned threads,
                   char *error, size_t error_size);

/* The forms of lgc_rt_run_device's input. */
enum {
  LGC_RT_DEVICE_U8 = 0,    /* n x features bytes, row-major, as lgc_rt_run_u8 */
  LGC_RT_DEVICE_PACKED = 1 /* (n + 63) / 64 x inputs 64-bit words, lgc_net.h's
                              packed layout; 8-byte aligned */
};
/* Runs a GPU net (from a .ptx, .cubin or .fatbin) on n samples already in
 * GPU memory, copying nothing to the device: `x` is a device address in the
 * primary context of the net's device (0, or lgc_rt_open_cuda's), the
 * context that the CUDA runtime, PyTorch and CuPy use. `counts` and `classes`
 * are host memory, as for lgc_rt_run_u8. `stream`: a CUstream, as an integer,
 * whose queued work writes x; the run waits for it first (0: none; 1 and 2 are
 * the legacy and per-thread default streams). The run is synchronous: x may be
 * reused when it returns. Fails with a message, before any launch, for a net
 * that does not run on a GPU (cascades included) and for an x that the driver
 * does not know as memory of that device, or whose allocation ends before n
 * samples do. */
int lgc_rt_run_device(const lgc_rt_net *net, int form, uint64_t x, size_t n,
                      uint32_t *counts, uint32_t *classes, uint64_t stream,
                      char *error, size_t error_size);

/* The .lgn format as arrays, for bindings that build or inspect nets (the
 * Python package's read_lgn/write_lgn): the same reader and writer as every
 * lgc tool, so the errors carry file:line:col. Node ids: 0 .. inputs-1 are
 * the input bits, inputs + g is gate g. The encoding is thermometer
 * (num_levels > 0: bit j*features + f = feature f > levels[j]), explicit
 * (num_bits = inputs) or, with neither, the identity. */
typedef struct lgc_lgn_net {
  uint32_t inputs, features, classes;
  uint32_t num_gates, num_outputs, num_levels, num_bits, num_layers;
  uint32_t num_metadata; /* key/value pairs */
  double tau;
  const uint8_t *kinds;         /* num_gates */
  const uint32_t *a, *b;        /* num_gates each */
  const uint32_t *outputs;      /* num_outputs, GroupSum order */
  const float *levels;          /* num_levels */
  const uint32_t *bit_features; /* num_bits */
  const float *bit_thresholds;  /* num_bits */
  const uint32_t *layer_starts; /* num_layers, ascending gate indices */
  const char *const *metadata;  /* 2 x num_metadata: key, value, ... */
  void *owner; /* set by lgc_lgn_read for lgc_lgn_free; ignored on write */
} lgc_lgn_net;

/* Reads a .lgn file; free the result with lgc_lgn_free. */
lgc_lgn_net *lgc_lgn_read(const char *path, char *error, size_t error_size);
void lgc_lgn_free(lgc_lgn_net *net);
/* Checks and writes a net (atomically: no partial file on failure). */
int lgc_lgn_write(const char *path, const lgc_lgn_net *net, char *error,
                  size_t error_size);
/* Joins the nets in `paths` (n >= 1; same inputs, encoding and classes)
 * into one whose class counts are the sums of theirs, written atomically
 * to `output` (lgn-ensemble; lgc/Runtime/Ensemble.h). With `mirror`
 * non-zero each net also joins as its left-right mirror, right after it
 * (lgn-ensemble --mirror; height and width as for lgc_lgn_mirror). */
int lgc_lgn_ensemble(const char *const *paths, size_t n, const char *output,
                     int mirror, uint32_t height, uint32_t width, char *error,
                     size_t error_size);
/* Writes to `output` (atomically) the net at `path` for left-right
 * mirrored images: its counts on an image are the net's on the mirror
 * image (lgc/Runtime/Mirror.h). height and width give the images'
 * geometry; 0, 0 takes it from the net's first block, else a square. */
int lgc_lgn_mirror(const char *path, const char *output, uint32_t height,
                   uint32_t width, char *error, size_t error_size);

#ifdef __cplusplus
}
#endif

#endif /* LGC_RUNTIME_H */
