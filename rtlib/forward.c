/*
 * forward.c — a copy of the runtime that is not the process's malloc
 * forwards its escalloc_* entry points to the process's allocator.
 *
 * A library built by escc calls escalloc_mallocgc, escalloc_free, ... and
 * the host that loads it (built by gcc, a Python interpreter, a JVM) frees
 * the library's objects with its own free, and hands the library objects
 * from its own malloc.  Both must be one heap.  When the runtime's drop-in
 * malloc is the process's (an escc executable: the static runtime, linked
 * whole, defines malloc; LD_PRELOAD), they are.  When it is not (libc comes
 * first in the lookup order: a gcc host, dlopen from Python; or a program
 * that defines its own malloc), every entry point forwards to the process's
 * malloc, calloc, realloc, posix_memalign and free, and this copy's heap
 * stays empty.
 *
 * The decision compares the address the linker (static link) or the loader
 * (the GOT of libescalloc_rt.so) gives `malloc` with this copy's own drop-in
 * (dropin.c's hidden alias).  It reads no environment, takes no lock and
 * allocates nothing, so it is safe from the first malloc of the process; it
 * runs at the first call of any entry point (esc_forwarding), before this
 * copy has made any object.  Racing threads compute the same answer.
 *
 * Where the process replaces malloc but not one of the others (a program
 * that defines malloc and free only, which glibc also does not support),
 * the missing calloc is malloc + memset, and a missing realloc or
 * posix_memalign is a fatal error naming it: our own would take objects of
 * the other heap.
 *
 * Built without the drop-in (-DESCALLOC_NO_DROPIN, the ThreadSanitizer
 * build), the runtime never forwards: there the escalloc_* entry points are
 * its only interface.
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "forward.h"

_Atomic int esc_fwd_state = ESC_FWD_UNKNOWN;

#ifdef ESCALLOC_NO_DROPIN

int esc_forward_decide(void) {
  atomic_store_explicit(&esc_fwd_state, ESC_FWD_OWN, memory_order_relaxed);
  return 0;
}
void *esc_fwd_alloc(size_t size, uint32_t flags) { (void)size, (void)flags; abort(); }
void *esc_fwd_aligned_alloc(size_t alignment, size_t size) { (void)alignment, (void)size; abort(); }
void esc_fwd_free(void *p) { (void)p; abort(); }
void *esc_fwd_realloc(void *p, size_t size) { (void)p, (void)size; abort(); }
size_t esc_fwd_usable_size(const void *p) { (void)p; abort(); }

#else

/* dropin.c's definitions, under names the process cannot interpose. */
ESC_HIDDEN void *esc_dropin_malloc(size_t);
ESC_HIDDEN void *esc_dropin_calloc(size_t, size_t);
ESC_HIDDEN void *esc_dropin_realloc(void *, size_t);
ESC_HIDDEN void esc_dropin_free(void *);
ESC_HIDDEN int esc_dropin_posix_memalign(void **, size_t, size_t);
ESC_HIDDEN size_t esc_dropin_usable_size(void *);

/* The process's allocator, read through volatile pointers so that the
 * addresses are the linker's or loader's, never folded by the compiler. */
static struct {
  void *(*malloc)(size_t);
  void *(*calloc)(size_t, size_t);
  void *(*realloc)(void *, size_t);
  void (*free)(void *);
  int (*posix_memalign)(void **, size_t, size_t);
  size_t (*usable_size)(void *);
} process;

#define OURS(fn, dropin) ((void *)(fn) == (void *)(dropin))

int esc_forward_decide(void) {
  void *(*volatile m)(size_t) = malloc;
  void *(*volatile c)(size_t, size_t) = calloc;
  void *(*volatile r)(void *, size_t) = realloc;
  void (*volatile f)(void *) = free;
  int (*volatile pm)(void **, size_t, size_t) = posix_memalign;
  size_t (*volatile us)(void *) = malloc_usable_size;
  if (OURS(m, esc_dropin_malloc)) {
    int vg = esc_vg_running();
    atomic_store_explicit(&esc_fwd_state, vg ? ESC_FWD_VALGRIND : ESC_FWD_OWN, memory_order_relaxed);
    return vg;
  }
  process.malloc = m;
  process.calloc = OURS(c, esc_dropin_calloc) ? NULL : c;
  process.realloc = OURS(r, esc_dropin_realloc) ? NULL : r;
  process.free = OURS(f, esc_dropin_free) ? NULL : f;
  process.posix_memalign = OURS(pm, esc_dropin_posix_memalign) ? NULL : pm;
  process.usable_size = OURS(us, esc_dropin_usable_size) ? NULL : us;
  atomic_store_explicit(&esc_fwd_state, ESC_FWD_ON, memory_order_release);
  return 1;
}

static __attribute__((noreturn, cold)) void missing(const char *name) {
  esc_write_stderr("escalloc: fatal error: the program replaces malloc but not ");
  esc_write_stderr(name);
  esc_write_stderr(", which escalloc cannot provide for another allocator's objects\n");
  abort();
}

#define VALGRIND_MODE() (atomic_load_explicit(&esc_fwd_state, memory_order_relaxed) == ESC_FWD_VALGRIND)

void *esc_fwd_alloc(size_t size, uint32_t flags) {
  if (VALGRIND_MODE())
    return escalloc_valgrind_alloc(size, flags, 0);
  if (!(flags & ESCALLOC_NEEDZERO))
    return process.malloc(size);
  if (process.calloc)
    return process.calloc(1, size);
  void *p = process.malloc(size);
  if (p)
    memset(p, 0, size);
  return p;
}

void *esc_fwd_aligned_alloc(size_t alignment, size_t size) {
  if (VALGRIND_MODE())
    return escalloc_valgrind_alloc(size, 0, alignment);
  if (!process.posix_memalign)
    missing("posix_memalign");
  /* aligned_alloc's contract: any power of two (posix_memalign wants at
   * least sizeof(void *)). */
  if (alignment < sizeof(void *))
    alignment = sizeof(void *);
  void *p;
  int err = process.posix_memalign(&p, alignment, size);
  if (err) {
    errno = err;
    return NULL;
  }
  return p;
}

void esc_fwd_free(void *p) {
  if (VALGRIND_MODE())
    return escalloc_valgrind_free(p);
  if (!process.free)
    missing("free");
  process.free(p);
}

void *esc_fwd_realloc(void *p, size_t size) {
  if (VALGRIND_MODE())
    return escalloc_valgrind_realloc(p, size);
  if (!process.realloc)
    missing("realloc");
  return process.realloc(p, size);
}

size_t esc_fwd_usable_size(const void *p) {
  if (VALGRIND_MODE())
    return esc_vg_usable_size(p);
  if (!process.usable_size)
    missing("malloc_usable_size");
  return process.usable_size((void *)p);
}

#endif /* ESCALLOC_NO_DROPIN */
