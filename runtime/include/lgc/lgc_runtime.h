/*===- lgc_runtime.h - C API of the lgc runtime (liblgcrt.so) ---*- C -*-===*
 *
 * Part of lgc. Loads compiled nets and runs large batches across threads;
 * usable from C and from Python's ctypes (see README.md). Functions return
 * 0 on success; on failure they write a message to `error` (if not NULL).
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
void lgc_rt_close(lgc_rt_net *net);
const lgc_net_info *lgc_rt_info(const lgc_rt_net *net);
int lgc_rt_run_u8(const lgc_rt_net *net, const uint8_t *x, size_t n,
                  uint32_t *counts, uint32_t *classes, unsigned threads,
                  char *error, size_t error_size);
int lgc_rt_run_f32(const lgc_rt_net *net, const float *x, size_t n,
                   uint32_t *counts, uint32_t *classes, unsigned threads,
                   char *error, size_t error_size);

#ifdef __cplusplus
}
#endif

#endif /* LGC_RUNTIME_H */
