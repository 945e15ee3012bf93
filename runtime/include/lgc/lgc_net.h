/*===- lgc_net.h - The C ABI of an lgc-compiled net library -----*- C -*-===*
 *
 * Part of lgc. Every net.so that `lgc net.lgn -o net.so` writes exports the
 * functions below (ABI version LGC_NET_ABI_VERSION). They are thread-safe:
 * any number of threads may call them at once. The only state kept between
 * calls is one set of working buffers, so that a call need not allocate its
 * scratch memory again (a thread that finds it taken allocates its own); it
 * is freed when the library is unloaded.
 *
 * Inputs come as raw features (8-bit or float, row-major, `features` per
 * sample), thresholded inside by the encoding baked into the library, or as
 * packed bits in the interpreter's layout: for block w of 64 samples,
 * bits[w * inputs + i] holds input bit i of samples 64w .. 64w+63 (sample
 * 64w + s in bit s). Outputs: `counts` receives n * classes per-class counts
 * (row-major), `classes` the n predicted classes (argmax, lowest index on
 * ties); either may be NULL. Any n >= 0 works, not only multiples of 64.
 *
 *===----------------------------------------------------------------------===*/

#ifndef LGC_NET_H
#define LGC_NET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LGC_NET_ABI_VERSION 1u

/* Status codes; never an abort on bad arguments. */
enum {
  LGC_OK = 0,
  LGC_ERR_ARGUMENT = 1, /* a NULL pointer where data is needed */
  LGC_ERR_MEMORY = 2,   /* scratch memory could not be allocated */
};

typedef struct lgc_net_info {
  uint32_t abi_version; /* LGC_NET_ABI_VERSION */
  uint32_t inputs;      /* input bits */
  uint32_t features;    /* raw features per sample */
  uint32_t classes;     /* GroupSum classes */
  uint32_t outputs;     /* output bits (classes x group size) */
  uint32_t gates;       /* gates after optimisation */
  uint32_t vector_bits; /* samples evaluated per kernel call */
  uint32_t reserved;
  double tau; /* GroupSum temperature: score = count / tau */
} lgc_net_info;

/* The ABI version of this library; check it before anything else. */
uint32_t lgc_net_abi_version(void);
/* Shape of the net; the pointer stays valid while the library is loaded. */
const lgc_net_info *lgc_net_get_info(void);

int lgc_net_run_u8(const uint8_t *x, size_t n, uint32_t *counts,
                   uint32_t *classes);
int lgc_net_run_f32(const float *x, size_t n, uint32_t *counts,
                    uint32_t *classes);
int lgc_net_run_packed(const uint64_t *bits, size_t n, uint32_t *counts,
                       uint32_t *classes);

#ifdef __cplusplus
}
#endif

#endif /* LGC_NET_H */
