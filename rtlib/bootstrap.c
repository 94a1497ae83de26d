/*
 * bootstrap.c — TEMPORARY first slice of the runtime (issue 2): the escalloc
 * entry points and the drop-in malloc family on top of glibc's internal
 * __libc_* allocator, with MemStats counted per slot.  Replaced by the
 * Go-style runtime of issue 3; do not grow it.
 */
#include <errno.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "escalloc/abi.h"
#include "escalloc/escalloc.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

const int escalloc_abi_v1 = ESCALLOC_ABI_VERSION;

static _Atomic uint64_t heap_alloc, total_alloc, mallocs, frees;

static void *count(void *p) {
  if (p) {
    size_t n = malloc_usable_size(p);
    atomic_fetch_add(&heap_alloc, n);
    atomic_fetch_add(&total_alloc, n);
    atomic_fetch_add(&mallocs, 1);
  }
  return p;
}
static void uncount(void *p) {
  if (p) {
    atomic_fetch_sub(&heap_alloc, malloc_usable_size(p));
    atomic_fetch_add(&frees, 1);
  }
}

void *escalloc_mallocgc(size_t size, uint32_t flags) {
  return count((flags & ESCALLOC_NEEDZERO) ? __libc_calloc(1, size) : __libc_malloc(size));
}
void *escalloc_mallocgc_class(size_t size, uint32_t sizeclass, uint32_t flags) {
  (void)sizeclass;
  return escalloc_mallocgc(size, flags);
}
void *escalloc_calloc(size_t n, size_t size, uint32_t flags) {
  (void)flags;
  return count(__libc_calloc(n, size));
}
void *escalloc_aligned_alloc(size_t a, size_t size, uint32_t flags) {
  (void)flags;
  return count(__libc_memalign(a, size));
}
void *escalloc_realloc(void *p, size_t size) {
  uncount(p);
  return count(__libc_realloc(p, size));
}
void escalloc_free(void *p) { uncount(p); __libc_free(p); }
size_t escalloc_usable_size(const void *p) { return malloc_usable_size((void *)p); }

void escalloc_read_memstats(struct escalloc_memstats *s) {
  memset(s, 0, sizeof *s);
  s->HeapAlloc = s->Alloc = heap_alloc;
  s->TotalAlloc = total_alloc;
  s->Mallocs = mallocs;
  s->Frees = frees;
  s->HeapObjects = mallocs - frees;
}
void escalloc_free_os_memory(void) {}
