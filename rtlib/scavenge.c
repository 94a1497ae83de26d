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
 *   - Only free runs that nobody reused for ESC_SCAVENGE_AGE page-heap
 *     operations (a span allocated or freed: a large object, or a small-object
 *     span taken from or given back to the heap) are released: a block freed
 *     and soon allocated again keeps its pages, as Go's scavenger, running in
 *     the background, mostly misses short-lived free memory.
 *   - Every page-heap operation that finds more than `retain` unreleased
 *     releases, with madvise(MADV_DONTNEED), old enough free runs (longest
 *     first) until the excess is gone or ESC_SCAVENGE_STEP bytes were
 *     released (whole runs: a run is released in one call).  So after a
 *     program drops X bytes, they are back with the OS after
 *     ESC_SCAVENGE_AGE + ceil(X / ESC_SCAVENGE_STEP) further page-heap
 *     operations.
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
#define ESC_SCAVENGE_AGE 256                     /* heap operations a free run waits */

static uintptr_t retain_pages(void) {
  uintptr_t retain = esc_heap.pages_inuse * ESC_RETAIN_NUM / ESC_RETAIN_DEN;
  uintptr_t min = ESC_RETAIN_MIN >> ESC_PAGE_SHIFT;
  return retain > min ? retain : min;
}

/* Releases free spans, longest first, until max_pages pages were released or
 * none is left; returns the pages released. */
uintptr_t mheap_scavenge_locked(uintptr_t max_pages, uint64_t min_age) {
  uintptr_t done = 0;
  for (unsigned i = 0; i < ESC_HEAP_BUCKETS && done < max_pages; i++) {
    unsigned b = i == 0 ? 0 : ESC_HEAP_BUCKETS - i; /* long runs, then 127..1 */
    for (struct mspan *s = esc_heap.free[b]; s && done < max_pages; s = s->next) {
      if (esc_heap.epoch - s->free_epoch < min_age)
        continue;
      uintptr_t before = s->released_pages;
      mheap_mark_released_locked(s);
      done += s->released_pages - before;
    }
  }
  return done;
}

void mheap_scavenge_paced_locked(void) {
  uintptr_t unreleased = esc_heap.pages_free - esc_heap.pages_released;
  uintptr_t retain = retain_pages();
  if (ESC_LIKELY(unreleased <= retain))
    return;
  uintptr_t excess = unreleased - retain, step = ESC_SCAVENGE_STEP >> ESC_PAGE_SHIFT;
  mheap_scavenge_locked(excess < step ? excess : step, ESC_SCAVENGE_AGE);
}

void mheap_scavenge_all(void) {
  pthread_mutex_lock(&esc_heap.lock);
  mheap_scavenge_locked(UINTPTR_MAX, 0);
  pthread_mutex_unlock(&esc_heap.lock);
}
