/*
 * memstats.c — Go's runtime.MemStats for escalloc (escalloc_read_memstats)
 * and the ESCALLOC_STATS=1 summary, printed at exit and at a fatal error.
 *
 * Counters are per thread (mcache.h) and folded here on read, so keeping them
 * costs the allocation paths one owner-only increment.  Bytes are slot bytes:
 * a tiny block counts 16 bytes in the 16-byte class however many tiny objects
 * it holds; a large object counts its whole pages.  Objects (Mallocs, Frees,
 * HeapObjects) are what the program sees: each tiny object counts once.
 *
 * The summary is formatted into one buffer and written with one write(2), to
 * ESCALLOC_STATS_FILE when it is set (appended; %p = pid), else to stderr, so
 * that the blocks of concurrent processes do not interleave.  Nothing here
 * allocates.  It reads the layers below (the caches' registry under its
 * lock, the page heap's figures) and registers the report base.c's
 * esc_fatal runs (esc_set_fatal_report).  A copy that forwards (forward.h)
 * says so instead of printing its empty heap.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "escalloc/escalloc.h"
#include "forward.h"
#include "mcache.h"
#include "profile.h"

#define LOAD(x) atomic_load_explicit(&(x), memory_order_relaxed)

static void read_memstats(struct escalloc_memstats *st, int fatal);

void escalloc_read_memstats(struct escalloc_memstats *st) { read_memstats(st, 0); }

/* fatal: called from a fatal error, possibly by a thread that holds the
 * page heap's lock; the heap's figures are then left at 0. */
static void read_memstats(struct escalloc_memstats *st, int fatal) {
  memset(st, 0, sizeof *st);
  static struct esc_counters zero;
  struct esc_counters sum = zero;
  mcache_fold_stats(&sum);

  uint32_t tiny_class = esc_spanclass_sizeclass(ESC_TINY_SPANCLASS);
  for (uint32_t spc = 2; spc < ESC_NUM_SPANCLASSES; spc++) {
    uint32_t cls = spc >> 1;
    uint64_t m = LOAD(sum.nmalloc[spc]), f = LOAD(sum.nfree[spc]);
    st->BySize[cls].mallocs += m;
    st->BySize[cls].frees += f;
    st->Mallocs += m;
    st->Frees += f;
  }
  /* Tiny blocks are slots of the 16-byte class; the objects are counted by
   * TinyAllocs / tiny_frees. */
  st->BySize[tiny_class].mallocs += LOAD(sum.nmalloc[ESC_TINY_SPANCLASS]);
  st->BySize[tiny_class].frees += LOAD(sum.nfree[ESC_TINY_SPANCLASS]);
  for (uint32_t cls = 1; cls < ESCALLOC_NUM_CLASSES; cls++) {
    uint64_t size = escalloc_class_to_size[cls];
    st->BySize[cls].size = (uint32_t)size;
    st->TotalAlloc += st->BySize[cls].mallocs * size;
    st->HeapAlloc += (st->BySize[cls].mallocs - st->BySize[cls].frees) * size;
  }
  st->TinyAllocs = LOAD(sum.bulk.tiny_allocs);
  st->LargeAllocs = LOAD(sum.bulk.large_allocs);
  st->Mallocs += st->TinyAllocs + st->LargeAllocs;
  st->Frees += LOAD(sum.bulk.tiny_frees) + LOAD(sum.bulk.large_frees);
  st->TotalAlloc += LOAD(sum.bulk.large_alloc_bytes);
  st->HeapAlloc += LOAD(sum.bulk.large_alloc_bytes) - LOAD(sum.bulk.large_free_bytes);
  st->Alloc = st->HeapAlloc;
  st->HeapObjects = st->Mallocs - st->Frees;

  if (fatal ? pthread_mutex_trylock(&esc_heap.lock) != 0 : pthread_mutex_lock(&esc_heap.lock) != 0)
    return;
  st->HeapSys = (uint64_t)esc_heap.pages_sys << ESC_PAGE_SHIFT;
  st->HeapInuse = (uint64_t)esc_heap.pages_inuse << ESC_PAGE_SHIFT;
  st->HeapReleased = (uint64_t)esc_heap.pages_released << ESC_PAGE_SHIFT;
  st->Sys = st->HeapSys + esc_heap.bytes_meta;
  pthread_mutex_unlock(&esc_heap.lock);
  st->HeapIdle = st->HeapSys - st->HeapInuse;
}

/* --- The summary ---------------------------------------------------------- */

struct out {
  char buf[8192];
  size_t len;
};

static void out_str(struct out *o, const char *s) {
  size_t n = strlen(s);
  if (n > sizeof o->buf - o->len)
    n = sizeof o->buf - o->len;
  memcpy(o->buf + o->len, s, n);
  o->len += n;
}

/* s right-aligned in width columns. */
static void out_right(struct out *o, const char *s, size_t width) {
  for (size_t n = strlen(s); n < width; n++)
    out_str(o, " ");
  out_str(o, s);
}

static void out_num(struct out *o, uint64_t v, size_t width) {
  char buf[24];
  out_right(o, esc_utoa(v, 0, buf), width);
}

/* A byte count in human units: bytes below 10 KiB, else KiB, MiB, GiB or
 * TiB to one decimal (the largest unit that leaves at least 1.0). */
static void format_bytes(uint64_t v, char out[32]) {
  static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
  char buf[24];
  if (v < 10240) {
    strcpy(out, esc_utoa(v, 0, buf));
    strcat(out, " B");
    return;
  }
  int u = 0;
  while (u < 3 && v >= (uint64_t)1 << (10 * (u + 2)))
    u++;
  uint64_t unit = (uint64_t)1 << (10 * (u + 1));
  uint64_t tenths = (v * 10 + unit / 2) / unit; /* v < 2^50: no overflow */
  strcpy(out, esc_utoa(tenths / 10, 0, buf));
  strcat(out, ".");
  strcat(out, esc_utoa(tenths % 10, 0, buf));
  strcat(out, " ");
  strcat(out, units[u]);
}

static void line_bytes(struct out *o, const char *label, uint64_t v) {
  char b[32];
  format_bytes(v, b);
  out_str(o, label);
  out_right(o, b, 12);
  out_str(o, "\n");
}

static void line_count(struct out *o, const char *label, uint64_t v) {
  out_str(o, label);
  out_num(o, v, 12);
  out_str(o, "\n");
}

/* Writes the summary to ESCALLOC_STATS_FILE if set, else to stderr. */
static void emit(const struct out *o) {
  int fd = 2;
  const char *file = esc_getenv("ESCALLOC_STATS_FILE");
  char path[4096];
  if (file && *file) {
    if (esc_expand_pid(file, path, sizeof path) != 0 ||
        (fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0) {
      esc_write_stderr("escalloc: cannot open ESCALLOC_STATS_FILE '");
      esc_write_stderr(file);
      esc_write_stderr("'; statistics on stderr\n");
      fd = 2;
    }
  }
  for (size_t off = 0; off < o->len;) {
    ssize_t w = write(fd, o->buf + off, o->len - off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      break;
    off += (size_t)w;
  }
  if (fd != 2)
    close(fd);
}

/* Whether this copy forwards (forward.h): a library's runtime in a host
 * whose malloc is libc's or its own.  Decided here if no entry point was
 * called yet (the decision allocates nothing and takes no lock). */
static int forwards(void) {
  int s = atomic_load_explicit(&esc_fwd_state, memory_order_acquire);
  if (s == ESC_FWD_UNKNOWN) {
    esc_forward_decide();
    s = atomic_load_explicit(&esc_fwd_state, memory_order_acquire);
  }
  return s == ESC_FWD_ON;
}

static void print_summary(const char *when, int fatal) {
  struct escalloc_memstats st;
  read_memstats(&st, fatal);
  struct out o;
  o.len = 0;
  char buf[24];
  out_str(&o, "escalloc: heap statistics ");
  out_str(&o, when);
  out_str(&o, " of ");
  out_str(&o, program_invocation_short_name);
  out_str(&o, " (pid ");
  out_str(&o, esc_utoa((uint64_t)getpid(), 0, buf));
  out_str(&o, ")\n");
  if (forwards()) {
    out_str(&o, "  this copy of the runtime is not the process's malloc: it forwards every\n"
                "  allocation to the process's allocator, which counts them (its own heap is\n"
                "  empty)\n");
    emit(&o);
    return;
  }
  line_bytes(&o, "  HeapAlloc     ", st.HeapAlloc);
  line_bytes(&o, "  TotalAlloc    ", st.TotalAlloc);
  line_bytes(&o, "  Sys           ", st.Sys);
  line_bytes(&o, "  HeapSys       ", st.HeapSys);
  line_bytes(&o, "  HeapInuse     ", st.HeapInuse);
  line_bytes(&o, "  HeapIdle      ", st.HeapIdle);
  line_bytes(&o, "  HeapReleased  ", st.HeapReleased);
  line_count(&o, "  HeapObjects   ", st.HeapObjects);
  line_count(&o, "  Mallocs       ", st.Mallocs);
  line_count(&o, "  Frees         ", st.Frees);
  line_count(&o, "  TinyAllocs    ", st.TinyAllocs);
  line_count(&o, "  LargeAllocs   ", st.LargeAllocs);
  line_count(&o, "  madvise calls ", esc_heap.scavenge_ops);
  out_str(&o, "  class   size     mallocs       frees\n");
  for (uint32_t cls = 1; cls < ESCALLOC_NUM_CLASSES; cls++) {
    if (!st.BySize[cls].mallocs)
      continue;
    out_num(&o, cls, 7);
    out_num(&o, st.BySize[cls].size, 7);
    out_num(&o, st.BySize[cls].mallocs, 12);
    out_num(&o, st.BySize[cls].frees, 12);
    out_str(&o, "\n");
  }
  emit(&o);
}

/* ESCALLOC_STATS=1: the summary when the program exits. */
__attribute__((destructor)) static void print_summary_at_exit(void) {
  esc_read_settings();
  if (esc_settings.stats)
    print_summary("at exit", 0);
}

/* After a fatal error's message, before the abort (base.c runs it once). */
static void fatal_report(void) {
  esc_read_settings();
  if (esc_settings.stats)
    print_summary("at a fatal error", 1);
  esc_prof_write_on_fatal();
}

__attribute__((constructor)) static void memstats_init(void) { esc_set_fatal_report(fatal_report); }
