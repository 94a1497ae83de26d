/*
 * base.c — the runtime's bottom layer (base.h): fatal errors, the settings
 * from the environment, memcheck's presence, output that never allocates,
 * and the OS's memory.  It calls no other file of the runtime; the one way
 * up is the fatal-report hook, which memstats.c registers.
 *
 * Invariants: nothing here allocates through the runtime or takes a runtime
 * lock, so every layer may call it from anywhere, a fatal error included.
 * The settings are written once, under settings_once (esc_once).
 */
#include "base.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#include <valgrind/valgrind.h>
#define ESC_HAVE_VALGRIND 1
#endif
#endif

/* --- errors -------------------------------------------------------------- */

void esc_write_stderr(const char *s) {
  size_t n = strlen(s);
  while (n) {
    ssize_t w = write(2, s, n);
    if (w <= 0)
      return;
    s += w;
    n -= (size_t)w;
  }
}

char *esc_utoa(uint64_t v, int hex, char buf[24]) {
  char *p = buf + 23;
  *p = 0;
  unsigned base = hex ? 16 : 10;
  do {
    *--p = "0123456789abcdef"[v % base];
    v /= base;
  } while (v);
  if (hex) {
    *--p = 'x';
    *--p = '0';
  }
  return p;
}

/* Expands %p to the pid, so that forked children can write their own file. */
int esc_expand_pid(const char *tmpl, char *out, size_t cap) {
  size_t o = 0;
  for (const char *s = tmpl; *s; s++) {
    if (s[0] == '%' && s[1] == 'p') {
      char num[24];
      int k = 0;
      for (unsigned long v = (unsigned long)getpid(); v || !k; v /= 10)
        num[k++] = (char)('0' + v % 10);
      while (k && o + 1 < cap)
        out[o++] = num[--k];
      s++;
    } else if (o + 1 < cap) {
      out[o++] = *s;
    }
  }
  out[o] = 0;
  return o + 1 < cap ? 0 : -1;
}

static void (*_Atomic fatal_report)(void);

void esc_set_fatal_report(void (*report)(void)) {
  atomic_store_explicit(&fatal_report, report, memory_order_release);
}

void esc_fatal(const char *what, const void *addr) {
  char buf[24];
  esc_write_stderr("escalloc: fatal error: ");
  esc_write_stderr(what);
  esc_write_stderr(" (address ");
  esc_write_stderr(esc_utoa((uintptr_t)addr, 1, buf));
  esc_write_stderr(")\n");
  /* Taken once: a fatal error inside the report aborts at once. */
  void (*report)(void) = atomic_exchange_explicit(&fatal_report, NULL, memory_order_acq_rel);
  if (report)
    report();
  abort();
}

/* getrandom(2).  On x86-64 the system call is made inline: libc's wrapper
 * sits on a code page that a process otherwise never runs (one more page
 * fault at start-up). */
static long sys_getrandom(void *buf, size_t n, unsigned flags) {
#if defined(__x86_64__)
  long ret;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "0"((long)SYS_getrandom), "D"(buf), "S"(n), "d"((unsigned long)flags)
                   : "rcx", "r11", "memory");
  return ret;
#else
  return getrandom(buf, n, flags);
#endif
}

uint64_t esc_random_bits(void) {
  uint64_t v;
  if (sys_getrandom(&v, sizeof v, GRND_NONBLOCK) == (long)sizeof v)
    return v;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30);
}

/* --- settings ------------------------------------------------------------ */

struct esc_settings esc_settings;
static esc_once_t settings_once;

/* 0 or 1 (unset or empty: 0); anything else is reported and taken as 0. */
static int env_flag(const char *name) {
  const char *v = esc_getenv(name);
  if (!v || !v[0] || strcmp(v, "0") == 0)
    return 0;
  if (strcmp(v, "1") == 0)
    return 1;
  const char *parts[] = {"escalloc: invalid ", name, "='", v, "' (expected 0 or 1); using 0\n"};
  for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
    esc_write_stderr(parts[i]);
  return 0;
}

static void settings_init(void) {
  /* Under memcheck every operation takes a checked slow path, where
   * valgrind.c describes it (forward.h). */
  esc_settings.debug = env_flag("ESCALLOC_DEBUG") || esc_vg_running();
  esc_settings.stats = env_flag("ESCALLOC_STATS");
}

void esc_read_settings(void) { esc_once(&settings_once, settings_init); }

void esc_once_slow(esc_once_t *once, void (*init)(void)) {
  int state = 0;
  if (atomic_compare_exchange_strong_explicit(once, &state, 1, memory_order_acquire,
                                              memory_order_acquire)) {
    init();
    atomic_store_explicit(once, 2, memory_order_release);
    return;
  }
  while (atomic_load_explicit(once, memory_order_acquire) != 2)
    sched_yield();
}

#ifdef ESC_HAVE_VALGRIND
/* Memcheck only: under the other tools (callgrind counting the allocator's
 * instructions, helgrind, massif) the runtime stays itself.  GET_VBITS is
 * memcheck's request: 1 there, 0 from any other tool and outside Valgrind. */
int esc_vg_running(void) {
  if (!RUNNING_ON_VALGRIND)
    return 0;
  char byte = 0, vbits;
  return VALGRIND_GET_VBITS(&byte, &vbits, 1) == 1;
}
#else
int esc_vg_running(void) { return 0; } /* no valgrind headers: never, as far as we can tell */
#endif

/* --- the OS's memory ----------------------------------------------------- */

void *esc_os_reserve_at(void *hint, size_t bytes) {
  void *p = mmap(hint, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

void *esc_os_reserve(size_t bytes) { return esc_os_reserve_at(NULL, bytes); }

void esc_os_release(void *p, size_t bytes) { munmap(p, bytes); }

void esc_os_decommit(void *p, size_t bytes) { madvise(p, bytes, MADV_DONTNEED); }
