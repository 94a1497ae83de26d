/*
 * forward.h — whether this copy of the runtime is the process's malloc, and
 * the forwarding used when it is not (forward.c).
 *
 * Invariant: a copy that forwards never creates an mcache, so its
 * esc_tls_fast stays ESC_NO_CACHE and every entry point reaches a slow path; the
 * slow paths ask esc_forwarding() before anything else.  The fast paths pay
 * nothing.
 */
#ifndef ESCALLOC_FORWARD_H
#define ESCALLOC_FORWARD_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime.h"

/* ESC_FWD_VALGRIND: this copy is the process's malloc, under Valgrind: the
 * entry points describe each object to memcheck (valgrind.c), except inside
 * such a description (esc_vg_inside), where they allocate. */
enum { ESC_FWD_UNKNOWN, ESC_FWD_OWN, ESC_FWD_ON, ESC_FWD_VALGRIND };
ESC_HIDDEN extern _Atomic int esc_fwd_state;
ESC_HIDDEN extern __thread int esc_vg_inside;
ESC_HIDDEN int esc_forward_decide(void);

/* True when the escalloc_* entry points must forward to the process's
 * malloc family.  Decided at the first call (from any slow path), before any
 * object exists, so no object of one heap is ever handed to the other. */
static inline int esc_forwarding(void) {
  int s = atomic_load_explicit(&esc_fwd_state, memory_order_acquire);
  if (ESC_LIKELY(s == ESC_FWD_OWN))
    return 0;
  if (s == ESC_FWD_VALGRIND)
    return !esc_vg_inside;
  return s == ESC_FWD_ON || esc_forward_decide();
}

/* The entry points' meaning on the process's allocator. */
ESC_HIDDEN void *esc_fwd_alloc(size_t size, uint32_t flags);
ESC_HIDDEN void *esc_fwd_aligned_alloc(size_t alignment, size_t size);
ESC_HIDDEN void esc_fwd_free(void *p);
ESC_HIDDEN void *esc_fwd_realloc(void *p, size_t size);
ESC_HIDDEN size_t esc_fwd_usable_size(const void *p);

/* valgrind.c: the entry points with memcheck's client requests (alignment 0:
 * no alignment asked); esc_vg_running (base.h) says whether memcheck runs. */
ESC_HIDDEN void *escalloc_valgrind_alloc(size_t size, uint32_t flags, size_t alignment);
ESC_HIDDEN void escalloc_valgrind_free(void *p);
ESC_HIDDEN void *escalloc_valgrind_realloc(void *p, size_t size);
ESC_HIDDEN size_t esc_vg_usable_size(const void *p);

#endif /* ESCALLOC_FORWARD_H */
