/*
 * base.h — the bottom layer of the runtime, which every other file may use
 * and which uses none of them (base.c): branch hints and visibility, the
 * fatal-error reporter, the process-wide settings read from the environment,
 * whether memcheck watches the process, small output helpers that never
 * allocate, and the OS's memory (mmap, munmap, madvise).
 *
 * Layers (rtlib/README.md has the picture; test/rtlib/check_layers.py
 * enforces it): base <- mheap/scavenge <- mcentral <- mcache <- malloc,
 * forward, valgrind <- dropin, newdelete; the profiler (profile.c,
 * profwrite.c) sits on base only and is reached through profile.h;
 * memstats.c reads the layers below it.  A lower layer reaches a higher one
 * only through a hook the higher one registers (esc_set_fatal_report).
 */
#ifndef ESCALLOC_BASE_H
#define ESCALLOC_BASE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define ESC_LIKELY(x) __builtin_expect(!!(x), 1)
#define ESC_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define ESC_HIDDEN __attribute__((visibility("hidden")))
#define ESC_NOINLINE __attribute__((noinline))
/* For small zero-initialised globals that every process reads before it
 * writes them (once flags, the cache registry, the profiler's state): in
 * .data, not .bss.  A .bss page read first maps the zero page and faults
 * again at the first write (two page faults per page; the runtime's small
 * .bss variables sat in three such pages, two of them past esc_page_map);
 * .data's page is already written by the loader's relocations, so these cost
 * none. */
#define ESC_EARLY __attribute__((section(".data")))

/* Reports a fatal misuse (invalid or double free, heap corruption) on stderr
 * with the address involved, runs the fatal-report hook, then aborts.  Never
 * returns, never allocates. */
ESC_HIDDEN __attribute__((noreturn, cold)) void esc_fatal(const char *what, const void *addr);
/* Registers what esc_fatal runs after its message, before the abort (the
 * ESCALLOC_STATS summary and the heap profile: memstats.c).  A fatal error
 * inside the hook aborts at once. */
ESC_HIDDEN void esc_set_fatal_report(void (*report)(void));

/* Settings from the environment, read once (esc_read_settings) at the first
 * allocation of a thread, or at exit. */
struct esc_settings {
  int debug; /* ESCALLOC_DEBUG=1, or memcheck watches the process: every
                operation takes the checked slow path; freed memory is
                filled with 0xdf, new memory with 0xab */
  int stats; /* ESCALLOC_STATS=1: print a summary at exit (and at a fatal
                error), to ESCALLOC_STATS_FILE if set */
};
ESC_HIDDEN extern struct esc_settings esc_settings;
ESC_HIDDEN void esc_read_settings(void);

/* pthread_once without its cost when nobody waits: glibc's makes a futex
 * wake system call after every first run, one per once-object of a
 * process's start-up.  A thread that finds the init running yields until it
 * is done.  Unlike pthread_once, a fork in the middle of init leaves the
 * child waiting forever: only for inits that cannot block (no lock a
 * fork handler takes, no dlopen). */
typedef _Atomic int esc_once_t; /* 0 not run, 1 running, 2 done */
ESC_HIDDEN void esc_once_slow(esc_once_t *once, void (*init)(void));
static inline void esc_once(esc_once_t *once, void (*init)(void)) {
  if (ESC_UNLIKELY(atomic_load_explicit(once, memory_order_acquire) != 2))
    esc_once_slow(once, init);
}

/* Whether Valgrind's memcheck runs the process (not callgrind or another
 * tool, and never without Valgrind). */
ESC_HIDDEN int esc_vg_running(void);

/* Writes a NUL-terminated string to stderr without allocating. */
ESC_HIDDEN void esc_write_stderr(const char *s);
/* Formats an unsigned number into buf (decimal or hex); returns buf. */
ESC_HIDDEN char *esc_utoa(uint64_t v, int hex, char buf[24]);
/* Copies tmpl to out, %p replaced by the pid; -1 when it does not fit. */
ESC_HIDDEN int esc_expand_pid(const char *tmpl, char *out, size_t cap);

/* The smallest page the OS maps (x86-64, and aarch64's common kernels). */
#define ESC_OS_PAGE_SIZE ((uintptr_t)4096)

/* The OS's memory.  esc_os_reserve maps `bytes` of zeroed, readable and
 * writable memory that costs nothing until touched (MAP_NORESERVE); NULL
 * when the OS refuses.  esc_os_release unmaps; esc_os_decommit gives the
 * pages back to the OS, keeping the range mapped (they read as zero after). */
ESC_HIDDEN void *esc_os_reserve(size_t bytes);
/* The same, at `hint` if that range is free (else wherever the OS likes). */
ESC_HIDDEN void *esc_os_reserve_at(void *hint, size_t bytes);
ESC_HIDDEN void esc_os_release(void *p, size_t bytes);
ESC_HIDDEN void esc_os_decommit(void *p, size_t bytes);

/* getenv for the runtime's settings (every name starts with ESCALLOC_):
 * NULL without calling libc's getenv when no variable of the environment
 * starts with ESCALLOC_.  The test compares characters with immediates, so
 * a process that sets none reads neither getenv's code nor the names in
 * .rodata (two page faults at start-up; six getenv calls).  Not cached: the
 * program may setenv a variable before the runtime reads it. */
extern char **environ;
static inline const char *esc_getenv(const char *name) {
  for (char **e = environ; e && *e; e++) {
    const char *v = *e;
    if (v[0] == 'E' && v[1] == 'S' && v[2] == 'C' && v[3] == 'A' && v[4] == 'L' && v[5] == 'L' &&
        v[6] == 'O' && v[7] == 'C' && v[8] == '_')
      return getenv(name);
  }
  return NULL;
}

/* 64 random bits for seeds and address hints, from getrandom (one system
 * call, no secret of anyone else's: never AT_RANDOM, whose bytes are glibc's
 * stack canary), or from CLOCK_MONOTONIC where getrandom fails.  Not
 * clock_gettime first: its vDSO data page is one more page fault in a
 * process that reads no clock otherwise. */
ESC_HIDDEN uint64_t esc_random_bits(void);

#endif /* ESCALLOC_BASE_H */
