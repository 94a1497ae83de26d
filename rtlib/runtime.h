/*
 * runtime.h — what every runtime file shares: branch hints, the fatal-error
 * reporter, the process-wide settings read from the environment, and the
 * span-class encoding.  Nothing here allocates.
 *
 * Span classes: sizeclass << 1 | noscan, as in Go.  Span class 1 (size class
 * 0 with noscan) has no use in Go, because class 0 means "large"; we use it for
 * the spans that hold 16-byte tiny blocks (see malloc.c).
 */
#ifndef ESCALLOC_RUNTIME_H
#define ESCALLOC_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "escalloc/abi.h"
#include "sizeclasses.h"

#define ESC_LIKELY(x) __builtin_expect(!!(x), 1)
#define ESC_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define ESC_HIDDEN __attribute__((visibility("hidden")))
#define ESC_NOINLINE __attribute__((noinline))

#define ESC_PAGE_SHIFT ESCALLOC_PAGE_SHIFT
#define ESC_PAGE_SIZE ((uintptr_t)ESCALLOC_PAGE_SIZE)
#define ESC_NUM_SPANCLASSES (ESCALLOC_NUM_CLASSES * 2)
#define ESC_TINY_SPANCLASS 1u
#define ESC_TINY_BLOCK 16u

static inline uint32_t esc_spanclass(uint32_t sizeclass, uint32_t noscan) {
  return sizeclass << 1 | (noscan & 1);
}
static inline uint32_t esc_spanclass_sizeclass(uint32_t spc) {
  return spc == ESC_TINY_SPANCLASS ? escalloc_size_class(ESC_TINY_BLOCK, 0) : spc >> 1;
}

/* Reports a fatal misuse (invalid or double free, heap corruption) on stderr
 * with the address involved, then aborts.  Never returns, never allocates. */
ESC_HIDDEN __attribute__((noreturn, cold)) void esc_fatal(const char *what, const void *addr);

/* Settings from the environment, read once at the first allocation. */
struct esc_settings {
  int debug; /* ESCALLOC_DEBUG=1: every operation takes the checked slow
                path; freed memory is filled with 0xdf, new memory with 0xab */
  int stats; /* ESCALLOC_STATS=1: print a summary at exit (and at a fatal
                error), to ESCALLOC_STATS_FILE if set */
};
ESC_HIDDEN extern struct esc_settings esc_settings;
ESC_HIDDEN void esc_read_settings(void);

/* Records the calling thread's stack for the stack guard (stackguard.c);
 * called at the thread's first allocation, with its cache in place. */
ESC_HIDDEN void esc_stack_thread_start(void);

/* After a fatal error's message, before the abort: the ESCALLOC_STATS
 * summary and the ESCALLOC_MEMPROFILE profile, as at exit (memstats.c). */
ESC_HIDDEN void esc_fatal_report(void);
/* Copies tmpl to out, %p replaced by the pid; -1 when it does not fit
 * (profile.c). */
ESC_HIDDEN int esc_expand_pid(const char *tmpl, char *out, size_t cap);

/* Writes a NUL-terminated string to stderr without allocating. */
ESC_HIDDEN void esc_write_stderr(const char *s);
/* Formats an unsigned number into buf (decimal or hex); returns buf. */
ESC_HIDDEN char *esc_utoa(uint64_t v, int hex, char buf[24]);

/* The abi.h entry points under hidden names (malloc.c defines them; the
 * escalloc_* symbols are aliases). */
ESC_HIDDEN void *esc_mallocgc(size_t size, uint32_t flags);
ESC_HIDDEN void *esc_malloc(size_t size); /* esc_mallocgc(size, 0) */
ESC_HIDDEN void *esc_mallocgc_class(size_t size, uint32_t sizeclass, uint32_t flags);
ESC_HIDDEN void *esc_calloc(size_t count, size_t size, uint32_t flags);
ESC_HIDDEN void *esc_aligned_alloc(size_t alignment, size_t size, uint32_t flags);
ESC_HIDDEN void esc_free(void *p);
ESC_HIDDEN size_t esc_usable_size(const void *p);
ESC_HIDDEN void *esc_realloc(void *p, size_t size);
ESC_HIDDEN void esc_free_os_memory(void);
/* operator new's allocation (malloc.c; the C++ names are newdelete.c's):
 * esc_malloc, and on failure esc_new_failed (newdelete.c: the new_handler
 * loop, then std::bad_alloc, or NULL if `nothrow`). */
ESC_HIDDEN void *esc_new_plain(size_t size);
ESC_HIDDEN void *esc_new_failed(size_t size, size_t align, int nothrow);

#endif /* ESCALLOC_RUNTIME_H */
