/*
 * scavenge.c — returning free pages to the OS (Go's mgcscavenge.go, paced
 * inline instead of by a background goroutine: a C program did not ask for a
 * thread, so we add none).
 *
 * Policy (documented in the README and bench/README.md):
 *   - The heap retains, un-released, at most
 *       retain = max(ESC_RETAIN_MIN, HeapInuse * ESC_RETAIN_NUM / ESC_RETAIN_DEN)
 *     bytes of free pages.  Go's scavenger keeps the heap near its goal, which
 *     with GOGC=100 is twice the live heap.  We allow idle memory up to twice
 *     the in-use heap: without a collector's compaction of lifetimes, a heap of
 *     mixed large blocks fragments, and a tighter bound (1x was tried) made the
 *     bench's `large` workload fault its pages back in over and over (4x the
 *     page faults, 2x the time) while its peak RSS stays below mimalloc's
 *     either way.  A program whose heap shrinks still gives the pages back.
 *   - Only free runs that nobody reused for ESC_SCAVENGE_AGE_NS (100 ms,
 *     CLOCK_MONOTONIC_COARSE, stamped when a span is freed to the heap) are
 *     released: memory a program cycles through keeps its pages, as Go's
 *     scavenger, running in the background, mostly misses short-lived free
 *     memory, and as mimalloc delays its resets.  The age was 256 page-heap
 *     operations before: a producer/consumer program (mimalloc-bench's
 *     xmalloc-test) makes 256 of them in about 2 MiB of allocation, and
 *     whenever its consumer caught up, the heap released megabytes of runs it
 *     took back within milliseconds (270 madvise calls and 35,000 to 60,000
 *     page faults in 2 s; a third of its CPU time was the kernel's).
 *   - Every page-heap operation (a span allocated or freed: a large object,
 *     or a small-object span taken from or given back to the heap) that finds
 *     more than `retain` unreleased releases, with madvise(MADV_DONTNEED), old
 *     enough free runs (longest first) until the excess is gone or
 *     ESC_SCAVENGE_STEP bytes were released (whole runs: a run is released in
 *     one call).  So after a program drops X bytes, they are back with the OS
 *     at the first ceil(X / ESC_SCAVENGE_STEP) page-heap operations after
 *     ESC_SCAVENGE_AGE_NS.  While every run in excess is younger than that, the
 *     operations do not look again before the oldest of them comes of age
 *     (esc_heap.scavenge_after).
 *   - escalloc_free_os_memory() (malloc.c) gives the calling thread's cached
 *     spans back (as Go's FreeOSMemory flushes mcaches), then releases every
 *     free page here (mheap_scavenge_all).
 *
 * Everything here runs under esc_heap.lock.  Part of the page heap's layer
 * (mheap.h, base.h): it calls nothing above it.
 */
#include <pthread.h>

#include "mheap.h"

#define ESC_RETAIN_MIN ((uintptr_t)8 << 20) /* 8 MiB */
#define ESC_RETAIN_NUM 2                    /* idle up to 200% of the in-use heap */
#define ESC_RETAIN_DEN 1
#define ESC_SCAVENGE_STEP ((uintptr_t)64 << 20) /* 64 MiB per heap operation */
#define ESC_SCAVENGE_AGE_NS ((uint64_t)100000000) /* how long a free run waits: 100 ms */

static uintptr_t retain_pages(void) {
  uintptr_t retain = esc_heap.pages_inuse * ESC_RETAIN_NUM / ESC_RETAIN_DEN;
  uintptr_t min = ESC_RETAIN_MIN >> ESC_PAGE_SHIFT;
  return retain > min ? retain : min;
}

/* Releases free spans freed before `before` (mheap_now's clock), longest
 * first, until max_pages pages were released or none is left; returns the
 * pages released.  *young, if not NULL, gets the earliest free time of the
 * unreleased runs it skipped as too young (UINT64_MAX if none). */
static uintptr_t scavenge_older(uintptr_t max_pages, uint64_t before, uint64_t *young) {
  uintptr_t done = 0;
  uint64_t first_young = UINT64_MAX;
  for (unsigned i = 0; i < ESC_HEAP_BUCKETS && done < max_pages; i++) {
    unsigned b = i == 0 ? 0 : ESC_HEAP_BUCKETS - i; /* long runs, then 127..1 */
    for (struct mspan *s = esc_heap.free[b]; s && done < max_pages; s = s->next) {
      if (s->free_time >= before) {
        if (s->released_pages != s->npages && s->free_time < first_young)
          first_young = s->free_time;
        continue;
      }
      uintptr_t was = s->released_pages;
      mheap_mark_released_locked(s);
      done += s->released_pages - was;
    }
  }
  if (young)
    *young = first_young;
  return done;
}

uintptr_t mheap_scavenge_locked(uintptr_t max_pages) { return scavenge_older(max_pages, UINT64_MAX, NULL); }

void mheap_scavenge_paced_locked(void) {
  uintptr_t unreleased = esc_heap.pages_free - esc_heap.pages_released;
  uintptr_t retain = retain_pages();
  if (ESC_LIKELY(unreleased <= retain))
    return;
  uint64_t now = mheap_now();
  if (now < esc_heap.scavenge_after)
    return;
  uintptr_t excess = unreleased - retain, step = ESC_SCAVENGE_STEP >> ESC_PAGE_SHIFT;
  uintptr_t want = excess < step ? excess : step;
  uint64_t young;
  /* Runs young now stay young until the oldest of them comes of age: no
   * operation before then walks the free lists again for them. */
  if (scavenge_older(want, now > ESC_SCAVENGE_AGE_NS ? now - ESC_SCAVENGE_AGE_NS : 0, &young) < want)
    esc_heap.scavenge_after = young == UINT64_MAX ? 0 : young + ESC_SCAVENGE_AGE_NS;
}

void mheap_scavenge_all(void) {
  pthread_mutex_lock(&esc_heap.lock);
  mheap_scavenge_locked(UINTPTR_MAX);
  pthread_mutex_unlock(&esc_heap.lock);
}
