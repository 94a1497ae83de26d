/*
 * dropin.c — the standard allocator names (malloc, free, ... and glibc's
 * extras), so that linking the runtime statically, linking it shared or
 * LD_PRELOADing it replaces glibc's allocator for the whole program, libc's
 * internal allocations included.  Each is a thin call into malloc.c.
 *
 * Every name is a weak definition: a program that defines its own malloc
 * family (glibc allows it) links with the runtime and keeps its own, and the
 * runtime then forwards to it (forward.c, which finds this file's
 * definitions through the hidden esc_dropin_* aliases).
 *
 * Compiled out with -DESCALLOC_NO_DROPIN (the ThreadSanitizer build: TSan owns
 * these names and the tests call the escalloc_* entry points directly).
 */
#ifndef ESCALLOC_NO_DROPIN

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "escalloc/abi.h"
#include "escalloc/escalloc.h"
#include "entry.h"

/* Weak, so that the program's own definitions win. */
#pragma weak cfree
#pragma weak calloc
#pragma weak realloc
#pragma weak malloc_usable_size
#pragma weak reallocarray
#pragma weak aligned_alloc
#pragma weak posix_memalign
#pragma weak memalign
#pragma weak valloc
#pragma weak pvalloc
#pragma weak malloc_trim
#pragma weak __libc_malloc
#pragma weak __libc_free
#pragma weak __libc_calloc
#pragma weak __libc_realloc
#pragma weak __libc_memalign

/* glibc's allocator hands out 4 KiB-aligned memory for valloc/pvalloc. */
#define DROPIN_PAGE ((size_t)4096)

/* malloc and free are malloc.c's (copies of its fast paths there). */
void cfree(void *p) { esc_free(p); }
void *calloc(size_t count, size_t size) { return esc_calloc(count, size, 0); }
void *realloc(void *p, size_t size) { return esc_realloc(p, size); }
size_t malloc_usable_size(void *p) { return esc_usable_size(p); }

void *reallocarray(void *p, size_t count, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(count, size, &total)) {
    errno = ENOMEM;
    return NULL;
  }
  return esc_realloc(p, total);
}

void *aligned_alloc(size_t alignment, size_t size) {
  return esc_aligned_alloc(alignment, size, 0);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
  if (alignment < sizeof(void *) || (alignment & (alignment - 1)))
    return EINVAL;
  int saved = errno;
  void *p = esc_aligned_alloc(alignment, size, 0);
  if (!p)
    return ENOMEM;
  errno = saved;
  *out = p;
  return 0;
}

/* glibc rounds an alignment that is not a power of two up to one. */
void *memalign(size_t alignment, size_t size) {
  if (alignment & (alignment - 1)) {
    if (alignment > SIZE_MAX / 2 + 1) {
      errno = EINVAL;
      return NULL;
    }
    size_t a = 1;
    while (a < alignment)
      a <<= 1;
    alignment = a;
  }
  return esc_aligned_alloc(alignment ? alignment : 1, size, 0);
}

void *valloc(size_t size) { return esc_aligned_alloc(DROPIN_PAGE, size, 0); }

void *pvalloc(size_t size) {
  if (size > SIZE_MAX - DROPIN_PAGE) {
    errno = ENOMEM;
    return NULL;
  }
  size_t rounded = (size + DROPIN_PAGE - 1) & ~(DROPIN_PAGE - 1);
  return esc_aligned_alloc(DROPIN_PAGE, rounded ? rounded : DROPIN_PAGE, 0);
}

/* malloc_trim(3): release free memory to the OS. */
int malloc_trim(size_t pad) {
  (void)pad;
  esc_free_os_memory();
  return 1;
}

/* glibc's internal names, which a few programs and libraries call directly;
 * memory from them must be ours too, or free() would reject it. */
void *__libc_malloc(size_t size) { return esc_malloc(size); }
void __libc_free(void *p) { esc_free(p); }
void *__libc_calloc(size_t count, size_t size) { return esc_calloc(count, size, 0); }
void *__libc_realloc(void *p, size_t size) { return esc_realloc(p, size); }
void *__libc_memalign(size_t alignment, size_t size) { return memalign(alignment, size); }

/* This file's own definitions, for forward.c: whatever the process's names
 * resolve to, these are ours. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmissing-attributes" /* libc's attributes: not needed here */
#endif
#define ESC_DROPIN_ALIAS(target) __attribute__((alias(#target), visibility("hidden")))
void *esc_dropin_calloc(size_t, size_t) ESC_DROPIN_ALIAS(calloc);
void *esc_dropin_realloc(void *, size_t) ESC_DROPIN_ALIAS(realloc);
int esc_dropin_posix_memalign(void **, size_t, size_t) ESC_DROPIN_ALIAS(posix_memalign);
size_t esc_dropin_usable_size(void *) ESC_DROPIN_ALIAS(malloc_usable_size);

#endif /* ESCALLOC_NO_DROPIN */
